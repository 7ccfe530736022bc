"""Number leases and offline tickets on the hall server (issue 14): a leased block is never
issued by the server nor leased again; an offline ticket joins the queue once, by its real
issue time, and counters call it like any other. Real app on a real SQLite file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import (
    ID_HASH_KEY,
    FakeClock,
    Hall,
    counter_act,
    counter_csrf,
    counter_sign_in,
    fresh_pg_database,
)
from sqlalchemy import create_engine, text

from contract.idnumber import keyed_hash
from contract.sealed import seal
from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate

MARKET = "business-license"  # group market, prefix B, counters 5–9


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hall(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Hall]:
    """The conftest's ``hall``, on SQLite and on PostgreSQL (its own issuing fast path
    increments the same sequence row a lease advances)."""

    def run(db_url: str) -> Iterator[Hall]:
        migrate(db_url)
        kiosk_token = add_kiosk(db_url, "kiosk-1")
        staff_token = add_staff(db_url, "王*")
        app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY, migrate_schema=False)
        with TestClient(app) as client:
            yield Hall(client, tmp_path, db_url, clock, kiosk_token, staff_token)

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    else:
        with fresh_pg_database("hall_offline") as url:
            yield from run(url)


def _lease(hall: Hall, size: int = 10, kiosk: str = "kiosk-1", token: str | None = None,
           expect: int = 201) -> dict[str, Any]:  # fmt: skip
    resp = hall.client.post(f"/api/v1/kiosks/{kiosk}/number-leases",
                            json={"window_group": "market", "size": size},
                            headers=hall.kiosk(token))  # fmt: skip
    assert resp.status_code == expect, resp.text
    return resp.json()


def _offline(hall: Hall, lease: dict[str, Any], seq: int, issued_at: dt.datetime,
             key: str, token: str | None = None, expect: int = 201,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    body = {"idempotency_key": key, "service_id": MARKET, "lease_id": lease["lease_id"],
            "seq": seq, "issued_at": issued_at.isoformat(), **extra}  # fmt: skip
    resp = hall.client.post("/api/v1/tickets/offline", json=body, headers=hall.kiosk(token))
    assert resp.status_code == expect, resp.text
    return resp.json()


def test_a_leased_block_is_never_issued_by_the_server_nor_leased_twice(hall: Hall) -> None:
    assert hall.issue(MARKET)["number"] == "B001"
    first = _lease(hall, 10)
    assert (first["prefix"], first["first_seq"], first["last_seq"]) == ("B", 2, 11)
    assert first["service_day"] == "2026-11-23" and first["timezone"] == "Asia/Shanghai"
    assert hall.issue(MARKET)["number"] == "B012"
    second = _lease(hall, 5)
    assert (second["first_seq"], second["last_seq"]) == (13, 17)
    assert hall.issue(MARKET)["number"] == "B018"


def test_lease_is_only_for_the_kiosk_itself_and_bounded(hall: Hall) -> None:
    _lease(hall, kiosk="kiosk-2", expect=403)
    _lease(hall, size=0, expect=422)
    _lease(hall, size=1000, expect=422)
    resp = hall.client.post("/api/v1/kiosks/kiosk-1/number-leases",
                            json={"window_group": "market", "size": 5},
                            headers=hall.staff())  # fmt: skip
    assert resp.status_code == 403


def test_offline_ticket_arrives_once_with_its_issue_time_and_is_called_in_order(
    hall: Hall,
) -> None:
    lease = _lease(hall, 10)
    issued_offline = hall.clock.now  # 09:00, while the server was unreachable
    hall.clock.advance(minutes=5)
    online = hall.issue(MARKET)  # 09:05, issued by the server after it came back
    offline = _offline(hall, lease, lease["first_seq"], issued_offline, "off-1")
    assert offline["number"] == "B001" and offline["status"] == "waiting"
    assert dt.datetime.fromisoformat(offline["issued_at"]) == issued_offline
    assert online["number"] == "B011"
    again = _offline(hall, lease, lease["first_seq"], issued_offline, "off-1", expect=200)
    assert again["id"] == offline["id"]  # resent after a crash: the same ticket
    # the citizen who waited offline is not sent to the back
    assert hall.call_next("5")["id"] == offline["id"]
    assert hall.call_next("6")["id"] == online["id"]
    assert hall.call_next("7") is None


def test_offline_numbers_are_checked_against_the_kiosks_own_lease(hall: Hall) -> None:
    lease = _lease(hall, 3)
    now = hall.clock.now
    _offline(hall, lease, 4, now, "outside", expect=409)  # not in B001…B003
    _offline(hall, lease, 1, now, "first")
    _offline(hall, lease, 1, now, "same-number-other-key", expect=409)  # never twice
    other = add_kiosk(hall.db_url, "kiosk-2")
    _offline(hall, lease, 2, now, "theirs", token=other, expect=409)  # not kiosk-2's lease
    _offline(hall, lease, 2, now - dt.timedelta(days=1), "day-before", expect=409)
    _offline(hall, lease, 2, now + dt.timedelta(hours=2), "future", expect=422)


def test_monitoring_shows_a_kiosk_issuing_offline_and_its_backlog(hall: Hall) -> None:
    """The kiosk's heartbeat (kiosk/heartbeat.py offline_alerts) on the staff's list."""
    body = {"version": "0.1.0", "interval_s": 10, "outbox_backlog": 3,
            "alerts": ["offline:issuing", "offline:backlog", "offline:reserve_exhausted"]}  # fmt: skip
    resp = hall.client.post("/api/v1/kiosks/kiosk-1/heartbeat", json=body, headers=hall.kiosk())
    assert resp.status_code == 200, resp.text
    [kiosk] = hall.client.get("/api/v1/kiosks", headers=hall.staff()).json()
    assert kiosk["state"] == "problem" and kiosk["outbox_backlog"] == 3
    assert "连不上叫号服务器，正在离线取号（用预留号码）" in kiosk["problems"]
    assert "离线号票待补传到服务器" in kiosk["problems"]
    assert "离线预留号码已用完，群众被引导到服务台取号" in kiosk["problems"]


def test_a_ticket_the_kiosk_gave_up_waiting_for_leaves_the_queue(hall: Hall) -> None:
    """The server issued it, the answer came too late, the citizen got an offline ticket:
    the server's ticket is nobody's and is not called."""
    lease = _lease(hall, 3)
    ghost = hall.issue(MARKET, idempotency_key="visit-1:business-license")
    body = {"idempotency_key": "off-1", "service_id": MARKET, "lease_id": lease["lease_id"],
            "seq": lease["first_seq"], "issued_at": hall.clock.now.isoformat(),
            "replaces_key": "visit-1:business-license"}  # fmt: skip
    resp = hall.client.post("/api/v1/tickets/offline", json=body, headers=hall.kiosk())
    assert resp.status_code == 201, resp.text
    gone = hall.client.get(f"/api/v1/tickets/{ghost['id']}", headers=hall.staff()).json()
    assert gone["status"] == "no_show"
    assert hall.call_next("5")["id"] == resp.json()["id"]
    assert hall.call_next("6") is None


PRECHECK = {  # what the kiosk keeps with an offline ticket (kiosk/journeys/precheck.py)
    "service_id": MARKET,
    "overall": "can_queue_with_rongque",
    "pages": 4,
    "engine": "rapidocr",
    "checked_at": "2026-11-23T00:58:00+00:00",
    "materials": [
        {"index": 0, "doc_type": "application_form", "status": "present_fine", "core": True},
        {"index": 1, "doc_type": "id_card_front", "status": "present_fine", "core": True},
        {"index": 2, "doc_type": "other", "status": "present_fine", "core": True},
        {"index": 3, "doc_type": "real_estate_certificate", "status": "present_fine",
         "core": True},
        {"index": 4, "doc_type": "other", "status": "missing", "core": False},
    ],
}  # fmt: skip


def test_an_offline_ticket_brings_its_masked_name_and_precheck_to_the_window(
    hall: Hall,
) -> None:
    """Stored with the ticket as the online issue stores them: the counter page shows the
    masked name and the pre-check (容缺) when it calls the synced ticket; resent, once."""
    add_staff(hall.db_url, "王*", number="1001", password="counter-pass-1")
    lease = _lease(hall, 5)
    issued = hall.clock.now
    hall.clock.advance(minutes=3)
    ticket = _offline(hall, lease, lease["first_seq"], issued, "off-1",
                      masked_name="欧***", precheck=PRECHECK)  # fmt: skip
    assert ticket["masked_name"] == "欧***"
    again = _offline(hall, lease, lease["first_seq"], issued, "off-1", expect=200,
                     masked_name="欧***", precheck=PRECHECK)  # fmt: skip
    assert again["id"] == ticket["id"]
    stored = hall.client.get(f"/api/v1/tickets/{ticket['id']}/precheck", headers=hall.staff())
    assert stored.status_code == 200, stored.text
    got = stored.json()
    assert (got["overall"], got["ready"], got["pages"]) == ("can_queue_with_rongque", True, 4)
    assert got["kiosk_id"] == "kiosk-1" and got["service_day"] == "2026-11-23"
    assert got["materials"] == PRECHECK["materials"]
    stats = hall.client.get("/api/v1/precheck/stats", headers=hall.staff()).json()
    assert stats["total"]["prechecked"] == 1 and stats["total"]["ready"] == 1  # counted once

    counter_sign_in(hall.client, "1001", "counter-pass-1", counter="5")
    current = counter_act(hall.client, "call-next", counter_csrf(hall.client))["state"]["current"]
    assert current["number"] == ticket["number"] and current["masked_name"] == "欧***"
    assert (current["precheck"], current["precheck_text"]) == (
        "can_queue_with_rongque",
        "可容缺受理",
    )
    checks = [(m["check"], m["core"]) for m in current["materials"]]
    assert checks == [("已备", True)] * 4 + [("缺", False)]  # the 容缺 material is missing


def test_an_offline_ticket_without_a_holder_or_precheck_stays_as_before(hall: Hall) -> None:
    lease = _lease(hall, 3)
    ticket = _offline(hall, lease, 1, hall.clock.now, "anonymous")
    assert ticket["masked_name"] is None
    resp = hall.client.get(f"/api/v1/tickets/{ticket['id']}/precheck", headers=hall.staff())
    assert resp.status_code == 404
    typed = _offline(hall, lease, 2, hall.clock.now, "typed", masked_name="")  # number typed
    assert typed["masked_name"] == ""
    assert hall.call_next("5")["masked_name"] is None


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        ({"masked_name": "张三"}, 422),  # a plain name: refused, never stored
        ({"masked_name": "张*三"}, 422),  # not what masking produces
        ({"masked_name": "张" + "*" * 40}, 422),  # longer than a masked name may be
        ({"precheck": {**PRECHECK, "materials": PRECHECK["materials"] * 13}}, 422),  # > 60
        ({"precheck": {**PRECHECK, "pages": 201}}, 422),
        ({"precheck": {**PRECHECK, "name": "张三"}}, 422),  # codes only: no other field
        ({"precheck": {**PRECHECK, "service_id": "tax-invoice"}}, 409),  # another item
        ({"precheck": {**PRECHECK, "kiosk_id": "kiosk-2"}}, 403),  # another kiosk
    ],
    ids=[
        "plain-name",
        "star-inside",
        "too-long",
        "too-many-materials",
        "pages",
        "extra-field",
        "other-item",
        "other-kiosk",
    ],  # fmt: skip
)
def test_an_offline_ticket_is_validated_as_an_online_one(
    hall: Hall, extra: dict[str, Any], expect: int
) -> None:
    lease = _lease(hall, 3)
    _offline(hall, lease, 1, hall.clock.now, "bad", expect=expect, **extra)
    # refused whole: nothing stored, the number and the key are still free
    ticket = _offline(hall, lease, 1, hall.clock.now, "bad", masked_name="张*",
                      precheck=PRECHECK)  # fmt: skip
    assert ticket["number"] == "B001" and ticket["masked_name"] == "张*"


def test_a_sealed_holder_links_the_offline_ticket_to_the_card(hall: Hall) -> None:
    """The kiosk seals the holder's number with the lease's public key; the server keeps
    only the keyed hash (a card read at the rating screen lists the ticket). A box the
    server cannot open (sealed for another ticket, altered) leaves the ticket unlinked but
    in the queue; an oversized one is refused before anything is stored."""
    number = "11010519491231002X"  # an invented person (valid check character)
    lease = _lease(hall, 5)
    assert lease["holder_key"]
    now = hall.clock.now
    first = lease["first_seq"]
    linked = _offline(hall, lease, first, now, "sealed-1",
                      holder_sealed=seal(lease["holder_key"], number, "sealed-1"))  # fmt: skip
    _offline(hall, lease, first + 1, now, "moved-box",  # a box sealed for another ticket
             holder_sealed=seal(lease["holder_key"], number, "sealed-1"))  # fmt: skip
    _offline(hall, lease, first + 2, now, "too-long", holder_sealed="A" * 201, expect=422)
    visits = hall.client.post("/api/v1/ratings/visits", headers=hall.kiosk(),
                              json={"holder": {"id_number": number}})  # fmt: skip
    assert visits.status_code == 200, visits.text
    assert [v["number"] for v in visits.json()] == [linked["number"]]
    engine = create_engine(hall.db_url)
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                text("SELECT idempotency_key, holder_hash FROM tickets WHERE kiosk_id = 'kiosk-1'")
            ).all()
        )
    engine.dispose()
    assert rows["sealed-1"] == keyed_hash(ID_HASH_KEY, number)
    assert rows["moved-box"] is None  # in the queue, unlinked
    assert "too-long" not in rows
