"""Offline tickets, the kiosk's core without Qt (issue 14): two kiosks and a real hall
server process — leased numbers never collide with each other or with the server's, the
reserve runs out plainly, the tickets reach the server exactly once with their issue
times; a day change never uses an old day's lease; a pre-check result the server could
not take after the ticket is kept and delivered; and 50 ``kill -9`` of a process issuing
offline lose no ticket and issue no number twice."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.catalog import DEFAULT_PATH, Catalog, load_catalog
from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess, free_port
from kiosk.hall_client import HallClient
from kiosk.offline import KIND, OfflineIssuer, Reserve, ReserveExhausted, ReserveKeeper
from kiosk.outbox import Dispatcher, Outbox
from kiosk.precheck_results import KIND as PRECHECK_KIND
from kiosk.precheck_results import PrecheckResults

MARKET = "business-license"  # group market, prefix B
REPO = Path(__file__).resolve().parents[2]


class Kiosk:
    def __init__(self, name: str, token: str, url: str, data: Path, catalog: Catalog) -> None:
        self.hall = HallClient(url, token, timeout_s=2.0)
        self.outbox = Outbox(data / f"{name}.sqlite3")
        self.reserve = Reserve(self.outbox)
        self.alerts: list[str] = []
        self.now = lambda: dt.datetime.now(dt.UTC)
        self.issuer = OfflineIssuer(self.hall, self.reserve, lambda: catalog,
                                    alert=self.alerts.append, now=lambda: self.now())  # fmt: skip
        self.keeper = ReserveKeeper(self.hall, self.reserve, self.issuer, lambda: catalog, name,
                                    block=6, now=lambda: self.now())  # fmt: skip

    def issue(self, n: int) -> str:
        return self.issuer.issue_ticket(MARKET, f"visit-{n}").number

    def close(self) -> None:
        self.outbox.close()
        self.hall.close()


@pytest.fixture
def hall_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def kiosks(tmp_path: Path, hall_db: str) -> Iterator[tuple[Kiosk, Kiosk, int]]:
    port = free_port()
    catalog = load_catalog(DEFAULT_PATH)
    url = f"http://127.0.0.1:{port}"
    a = Kiosk("kiosk-a", add_kiosk(hall_db, "kiosk-a"), url, tmp_path, catalog)
    b = Kiosk("kiosk-b", add_kiosk(hall_db, "kiosk-b"), url, tmp_path, catalog)
    yield a, b, port
    a.close()
    b.close()


def _market_tickets(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT number, kiosk_id, issued_at FROM tickets WHERE window_group = 'market'"
        ).fetchall()


def test_two_kiosks_offline_at_once_never_issue_a_number_twice(
    kiosks: tuple[Kiosk, Kiosk, int], hall_db: str, tmp_path: Path
) -> None:
    a, b, port = kiosks
    issued: list[str] = []
    with ServerProcess(hall_db, port=port) as server:
        for k in (a, b):
            k.keeper.round()
            assert k.issuer.online is True
            today = k.keeper.now().astimezone(k.reserve.timezone()).date()  # the hall's day
            assert k.reserve.remaining("market", today) >= 6
        issued += [a.issue(1), b.issue(1)]  # online: the server's own numbers
        server.stop()  # gone (the kiosks do not know yet)
        started = time.monotonic()
        issued.append(a.issue(2))  # the first citizen after the crash: from the reserve
        assert time.monotonic() - started < 2.0
        assert a.issuer.online is False
        for n in range(3, 8):
            issued.append(a.issue(n))
        issued += [b.issue(n) for n in range(2, 8)]
        with pytest.raises(ReserveExhausted):
            a.issue(99)  # 6 leased, 6 used: told plainly, staff alerted
        assert a.alerts == ["offline:reserve_exhausted"]
    assert len(issued) == 14 and len(set(issued)) == 14, issued
    assert a.outbox.backlog(KIND) == 6 and b.outbox.backlog(KIND) == 6
    a.outbox.retry_now()
    b.outbox.retry_now()
    messages = a.outbox.due() + b.outbox.due()
    kept = {m.payload["number"]: m.payload["issued_at"] for m in messages}

    with ServerProcess(hall_db, port=port):
        for k in (a, b):
            assert k.outbox.deliver(Dispatcher({KIND: k.issuer.send})) == (6, 0)
        # delivered again (a crash between the server's answer and the removal): once
        assert a.outbox.put(messages[0].kind, messages[0].key, messages[0].payload)
        assert a.outbox.deliver(Dispatcher({KIND: a.issuer.send})) == (1, 0)
        assert a.outbox.dead_letters() == [] and b.outbox.dead_letters() == []
        b.keeper.round()
        issued.append(b.issue(50))  # online again: a new server number, never a leased one
    rows = _market_tickets(tmp_path / "hall.sqlite3")
    numbers = [r[0] for r in rows]
    assert len(numbers) == len(set(numbers)) == 15
    assert set(numbers) == set(issued)
    for number, _kiosk, issued_at in rows:
        if number in kept:  # its real issue time, not the time it reached the server
            sent = dt.datetime.fromisoformat(kept[number])
            assert abs(dt.datetime.fromisoformat(issued_at).replace(tzinfo=dt.UTC) - sent) < (
                dt.timedelta(milliseconds=1)
            )


def test_the_reserve_is_topped_up_when_half_is_used(
    kiosks: tuple[Kiosk, Kiosk, int], hall_db: str
) -> None:
    a, _b, port = kiosks
    with ServerProcess(hall_db, port=port):
        a.keeper.round()
        today = a.keeper.now().astimezone(a.reserve.timezone()).date()
        assert a.reserve.remaining("market", today) == 6
        for n in range(3):
            a.issuer.issue_offline(MARKET, f"visit-{n}")
        assert a.keeper.top_up() == 0  # half left: enough
        a.issuer.issue_offline(MARKET, "visit-3")
        assert a.keeper.top_up() == 1  # less than half: one more block
        assert a.reserve.remaining("market", today) == 2 + 6


def test_a_day_change_while_offline_never_uses_the_old_days_lease(
    kiosks: tuple[Kiosk, Kiosk, int], hall_db: str
) -> None:
    a, _b, port = kiosks
    with ServerProcess(hall_db, port=port):
        a.keeper.round()
    a.issuer.set_online(False)
    today = dt.datetime.now(dt.UTC)
    assert a.issue(1).startswith("B")
    a.now = lambda: today + dt.timedelta(days=1)  # midnight passed, still offline
    with pytest.raises(ReserveExhausted):
        a.issue(2)
    assert a.alerts == ["offline:reserve_exhausted"]
    a.keeper.round()  # the server is still down: the old day's leases are dropped anyway
    with sqlite3.connect(a.outbox.path) as conn:
        days = {d for (d,) in conn.execute("SELECT service_day FROM number_leases")}
    assert days == set()


def test_a_precheck_result_survives_the_server_going_down_after_the_ticket(
    kiosks: tuple[Kiosk, Kiosk, int], hall_db: str
) -> None:
    """The ticket was issued online, then the server went away before the pre-check result
    was attached: it is kept in the outbox and the window sees it once the server is back
    (kiosk/precheck_results.py). A refused one becomes a dead letter, never a retry loop."""
    a, _b, port = kiosks
    results = PrecheckResults(a.hall, a.outbox)
    body = {"service_id": MARKET, "overall": "core_missing", "pages": 1, "engine": "rapidocr",
            "checked_at": dt.datetime.now(dt.UTC).isoformat(),
            "materials": [{"index": 0, "doc_type": "application_form",
                           "status": "present_fine", "core": True}]}  # fmt: skip
    with ServerProcess(hall_db, port=port) as server:
        ticket = a.hall.issue_ticket(MARKET, "visit-1")
        other = a.hall.issue_ticket("tax-invoice", "visit-2")
        server.stop()
        assert results.attach(ticket.id, body) == "queued"
        assert results.attach(other.id, body) == "queued"  # for another item: refused later
        assert a.outbox.backlog(PRECHECK_KIND) == 2
        server.start()
        a.outbox.retry_now()
        assert a.outbox.deliver(Dispatcher({PRECHECK_KIND: results.send})) == (1, 1)
        staff = {"Authorization": f"Bearer {add_staff(hall_db, '王*')}"}
        got = httpx.get(f"{server.base_url}/api/v1/tickets/{ticket.id}/precheck", headers=staff)
        assert results.attach(ticket.id, body) == "sent"  # again: the stored one answers
    assert got.status_code == 200, got.text
    assert got.json()["overall"] == "core_missing" and got.json()["materials"] == body["materials"]
    [dead] = a.outbox.dead_letters()
    assert dead.payload["ticket_id"] == other.id and "409" in dead.last_error


DRIVER = textwrap.dedent(
    """
    import datetime as dt, sys, uuid
    from pathlib import Path
    from kiosk.offline import Reserve
    from kiosk.outbox import Outbox
    reserve = Reserve(Outbox(Path(sys.argv[1])))
    day = dt.date.fromisoformat(sys.argv[2])
    print("ready", flush=True)
    while True:
        key = uuid.uuid4().hex
        got = reserve.take("market", day, key, {"idempotency_key": key})
        if got is None:
            break
        print(got["number"], flush=True)  # the citizen has it: printed after the commit
    """
)


def test_kill_9_while_issuing_offline_loses_nothing_and_issues_nothing_twice(
    tmp_path: Path,
) -> None:
    cycles = int(os.environ.get("KIOSK_OFFLINE_KILL_CYCLES", "50"))
    path = tmp_path / "outbox.sqlite3"
    day = dt.date(2026, 11, 23)
    outbox = Outbox(path)
    Reserve(outbox).add({"lease_id": 1, "window_group": "market", "prefix": "B",
                         "period": day.isoformat(), "service_day": day.isoformat(),
                         "first_seq": 1, "last_seq": 1_000_000,
                         "timezone": "Asia/Shanghai"})  # fmt: skip
    outbox.close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    printed: list[str] = []
    rng = random.Random(14)
    for _ in range(cycles):
        proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(path), day.isoformat()],
                                stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.05))  # kill at a random instant of issuing
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        printed += [line for line in out.split("\n") if line.startswith("B")]
    outbox = Outbox(path)
    try:
        numbers = [m.payload["number"] for m in _all(outbox)]
        with outbox.transaction() as db:
            (next_seq,) = db.execute("SELECT next_seq FROM number_leases").fetchone()
    finally:
        outbox.close()
    assert printed, "the driver issued nothing"
    assert len(numbers) == len(set(numbers)), "a number was issued twice"
    assert set(printed) <= set(numbers), "an issued ticket was lost"
    # every number taken is a ticket in the outbox: none consumed without one
    assert sorted(int(n[1:]) for n in numbers) == list(range(1, next_seq))


def _all(outbox: Outbox) -> list[Any]:
    outbox.retry_now()
    return outbox.due(limit=10**7)
