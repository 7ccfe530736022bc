"""PostgreSQL stopped and started again under two running hall server processes (issue 15,
item 8): the servers keep running, requests during the outage get a quick 503 (not 500,
not a hang), the servers recover by themselves once PostgreSQL is back, the kiosks'
outboxes deliver what waited, and at the end: 0 duplicates, 0 gaps, 0 acknowledged
tickets lost.

A PostgreSQL cluster of its own (hall.testing.PostgresCluster), so the suite's shared one
is never restarted; real ``hall serve`` processes with the rate limits on (shared through
the database, so they must ride out the outage too); the kiosk's own HTTP client and
durable outbox (kiosk/hall_client.py, kiosk/outbox.py) deliver the tickets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from hall_support import pg_admin_url

from hall.db import add_kiosk, migrate
from hall.testing import PostgresCluster, ServerProcess, check_tickets, create_postgres_database
from kiosk.hall_client import HallClient, HallUnavailable
from kiosk.outbox import Dispatcher, Message, Outbox

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SERVICES = ["business-license", "real-estate-registration", "hukou-transfer", "tax-invoice"]
KIOSKS = 4
PER_KIOSK = 30
ANSWER_WITHIN_S = 5.0  # "not a hang": every answer during the outage comes within this


def _wait(condition, timeout_s: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)  # polling a condition, with a deadline


@dataclass
class Kiosk:
    """A kiosk issuing tickets through its durable outbox: each ticket is an outbox
    message, delivered (and retried with backoff while the hall answers 503) by the
    outbox's own ``deliver``; a ticket is acknowledged when the hall answered it."""

    n: int
    client: HallClient
    outbox: Outbox
    acknowledged: dict[str, str] = field(default_factory=dict)
    unavailable: int = 0
    put: int = 0

    def send(self, message: Message) -> None:
        try:
            ticket = self.client.issue_ticket(
                message.payload["service_id"], message.payload["idempotency_key"]
            )
        except HallUnavailable:
            self.unavailable += 1
            raise  # the outbox keeps it and retries later
        self.acknowledged[message.key] = ticket.number

    def run(self, stop: threading.Event) -> None:
        dispatch = Dispatcher({"ticket": self.send})
        while not stop.is_set():
            if self.put < PER_KIOSK:
                key = f"r-k{self.n}-{self.put}"
                body = {"service_id": SERVICES[self.put % 4], "idempotency_key": key}
                self.outbox.put("ticket", key, body)
                self.put += 1
            self.outbox.deliver(dispatch)
            stop.wait(0.05)  # a kiosk's pace, not a wait for a result

    def done(self) -> bool:
        return self.put == PER_KIOSK and self.outbox.backlog() == 0


@dataclass
class Probe:
    """Issues a ticket on every server in turn and records (when, server, status, seconds)."""

    servers: list[ServerProcess]
    token: str
    seen: list[tuple[float, int, int | str, float]] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)

    def run(self, stop: threading.Event) -> None:
        clients = [httpx.Client(base_url=s.base_url, timeout=30.0) for s in self.servers]
        headers = {"Authorization": f"Bearer {self.token}"}
        n = 0
        try:
            while not stop.is_set():
                s = n % len(clients)
                key = f"r-p{n}"
                started = time.monotonic()
                try:
                    resp = clients[s].post("/api/v1/tickets", headers=headers,
                                           json={"service_id": "tax-invoice",
                                                 "idempotency_key": key})  # fmt: skip
                    status: int | str = resp.status_code
                    if status == 201:
                        self.acknowledged[key] = resp.json()["number"]
                    elif status == 503:
                        assert int(resp.headers["retry-after"]) > 0
                        assert resp.json()["code"] == "database_unavailable"
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                self.seen.append((started, s, status, time.monotonic() - started))
                n += 1
                stop.wait(0.05)
        finally:
            for client in clients:
                client.close()

    def since(self, t: float, server: int) -> list[tuple[float, int, int | str, float]]:
        return [x for x in self.seen if x[0] >= t and x[1] == server]


def test_the_hall_rides_out_a_postgresql_restart(tmp_path: Path) -> None:
    pg_admin_url()  # skipped (failed under CI=true) like every PostgreSQL test
    with PostgresCluster() as cluster:
        url = create_postgres_database(cluster.admin_url, "hall_restart")
        migrate(url)
        tokens = [add_kiosk(url, f"restart-kiosk-{n}") for n in range(KIOSKS + 1)]
        servers = [ServerProcess(url, env={"HALL_RATE_LIMITS": "on"}) for _ in range(2)]
        kiosks: list[Kiosk] = []
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            for server in servers:
                server.launch()
            for server in servers:
                server.wait_ready()
            pids = [s.pid for s in servers]
            kiosks = [
                Kiosk(n, HallClient(servers[n % 2].base_url, tokens[n], timeout_s=10.0),
                      Outbox(tmp_path / f"outbox-{n}.sqlite3", base_backoff_s=0.1,
                             max_backoff_s=0.5))
                for n in range(KIOSKS)
            ]  # fmt: skip
            probe = Probe(servers, tokens[KIOSKS])
            threads = [threading.Thread(target=k.run, args=(stop,)) for k in kiosks]
            threads.append(threading.Thread(target=probe.run, args=(stop,)))
            for thread in threads:
                thread.start()
            _wait(lambda: sum(len(k.acknowledged) for k in kiosks) >= 20, 60, "first tickets")

            down_at = time.monotonic()
            cluster.stop()
            _wait(lambda: all(len(probe.since(down_at, s)) >= 3 for s in (0, 1)), 60,
                  "answers from both servers during the outage")  # fmt: skip
            up_at = time.monotonic()
            cluster.start()
            _wait(lambda: all(any(x[2] == 201 for x in probe.since(up_at, s)) for s in (0, 1)),
                  60, "both servers issuing again")  # fmt: skip
            recovery = [
                min(x[0] + x[3] for x in probe.since(up_at, s) if x[2] == 201) - up_at
                for s in (0, 1)
            ]
            _wait(lambda: all(k.done() for k in kiosks), 120, "the outboxes delivered")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            for kiosk in kiosks:
                kiosk.client.close()
                kiosk.outbox.close()
            alive = [s.pid is not None and s._proc is not None and s._proc.poll() is None
                     for s in servers]  # fmt: skip
            for server in servers:
                server.stop()

        outage = [x for x in probe.seen if down_at <= x[0] < up_at]
        after = [x for x in probe.seen if x[0] >= up_at]
        print(f"outage answers {len(outage)}, recovery after start {recovery} s,"
              f" outbox retries {[k.unavailable for k in kiosks]}")  # fmt: skip
        # the servers kept running: the same processes throughout
        assert alive == [True, True] and [s.pid for s in servers] == pids
        # during the outage: quick 503s only (a ticket begun just before may still be 201)
        assert {x[2] for x in outage} <= {201, 503}, outage
        assert all(any(x[2] == 503 for x in outage if x[1] == s) for s in (0, 1)), outage
        assert max(x[3] for x in outage) < ANSWER_WITHIN_S, outage
        assert {x[2] for x in after} <= {201, 503}, after
        # the kiosks' outboxes met the outage and retried
        assert sum(k.unavailable for k in kiosks) > 0
        acknowledged = {**probe.acknowledged}
        for kiosk in kiosks:
            assert len(kiosk.acknowledged) == PER_KIOSK
            acknowledged.update(kiosk.acknowledged)
        verdict = check_tickets(url, "r-", acknowledged)
        assert verdict == {
            "stored": len(acknowledged),
            "duplicates": 0,
            "gaps": 0,
            "acknowledged_lost": 0,
        }, verdict
