"""Queue operations at the counters: call, recall, no-show, 转窗, 挂起/恢复, 暂停/恢复服务,
指定叫号, 无差别受理 order, authorization per counter, the action log and the events.

Real app on a real SQLite file (the ``hall`` fixture); events are received by a real
subscriber of the app's hub."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from event_recorder import EventRecorder
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall, cut_connections, fresh_pg_database
from sqlalchemy import select

from hall.app import create_app
from hall.db import add_kiosk, add_staff, make_engine, migrate, transaction
from hall.models import QueueAction, Staff


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hall(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Hall]:
    """The conftest's ``hall``, on SQLite and on PostgreSQL."""

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
        with fresh_pg_database("hall_counter") as url:
            yield from run(url)


def _post(hall: Hall, path: str, token: str | None = None, *, expect: int = 200, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token or hall.staff_token}"}
    resp = hall.client.post(f"/api/v1{path}", headers=headers, **kw)
    assert resp.status_code == expect, resp.text
    return resp.json() if resp.content else None


def _get(hall: Hall, ticket_id: str) -> dict[str, Any]:
    resp = hall.client.get(f"/api/v1/tickets/{ticket_id}", headers=hall.staff())
    assert resp.status_code == 200, resp.text
    return resp.json()


def _actions(hall: Hall) -> list[tuple[str, str | None, int]]:
    engine = make_engine(hall.db_url)
    try:
        with transaction(engine, readonly=True) as session:
            rows = session.scalars(select(QueueAction).order_by(QueueAction.id)).all()
            return [(r.kind, r.counter_id, r.staff_id) for r in rows]
    finally:
        engine.dispose()


def test_two_counters_call_recall_no_show_with_events_and_the_action_log(hall: Hall) -> None:
    first = hall.issue("business-license")
    second = hall.issue("food-business-permit")
    with EventRecorder(hall.client.app.state.events) as rec:  # type: ignore[attr-defined]
        a = _post(hall, "/counters/5/call-next")
        b = _post(hall, "/counters/6/call-next")
        assert (a["number"], a["counter"]) == (first["number"], "5")
        assert (b["number"], b["counter"]) == (second["number"], "6")
        again = _post(hall, f"/tickets/{a['id']}/recall")
        assert again["recall_count"] == 1 and again["status"] == "called"
        gone = _post(hall, f"/tickets/{a['id']}/no-show")
        assert gone["status"] == "no_show"
        done = _post(hall, f"/tickets/{b['id']}/complete")
        assert done["status"] == "completed"
        events = rec.wait_for(5)
    assert [(e.kind, e.ticket_number, e.counter_id) for e in events] == [
        ("call", first["number"], "5"),
        ("call", second["number"], "6"),
        ("recall", first["number"], "5"),
        ("no_show", first["number"], "5"),
        ("complete", second["number"], "6"),
    ]
    assert all(e.at.tzinfo is not None and "masked_name" not in e.extra for e in events)
    assert [k for k, _c, _s in _actions(hall)] == ["call", "call", "recall", "no_show", "complete"]


def test_transfer_keeps_number_and_issue_time_and_lands_in_order(hall: Hall) -> None:
    early = hall.issue("business-license")  # market, B001 at 09:00
    hall.clock.advance(minutes=5)
    mid = hall.issue("hukou-transfer")  # livelihood, C001 at 09:05
    hall.clock.advance(minutes=5)
    late = hall.issue("pension-claim")  # livelihood, C002 at 09:10
    called = _post(hall, "/counters/5/call-next")
    assert called["id"] == early["id"]
    hall.clock.advance(minutes=3)
    moved = _post(
        hall,
        f"/tickets/{early['id']}/transfer",
        json={"to_group": "livelihood", "reason": "户籍事项"},
    )
    assert moved["number"] == early["number"]
    assert moved["issued_at"] == early["issued_at"]
    assert moved["window_group"] == "livelihood"
    assert moved["status"] == "transferred"
    assert moved["people_ahead"] == 0  # it waited longest: first in the new queue
    assert _get(hall, early["id"])["status"] == "transferred"
    assert _get(hall, late["id"])["people_ahead"] == 2  # the transferred B001 and C001
    # It waited longest: it is called first at the new group, before C001 and C002.
    order = [_post(hall, "/counters/10/call-next")["id"] for _ in range(3)]
    assert order == [early["id"], mid["id"], late["id"]]
    assert _get(hall, early["id"])["status"] == "called"


def test_transfer_to_a_named_counter_is_called_only_there(hall: Hall) -> None:
    t = hall.issue("business-license")
    _post(hall, "/counters/5/call-next")
    moved = _post(hall, f"/tickets/{t['id']}/transfer", json={"to_counter": "12"})
    assert moved["window_group"] == "livelihood"
    assert _post(hall, "/counters/11/call-next", expect=204) is None
    assert _post(hall, "/counters/12/call-next")["id"] == t["id"]


def test_bad_transfers_are_4xx_with_a_message_and_change_nothing(hall: Hall) -> None:
    t = hall.issue("business-license")
    waiting = _post(hall, f"/tickets/{t['id']}/transfer", json={"to_group": "market"}, expect=409)
    assert "waiting" in waiting["detail"]
    _post(hall, "/counters/5/call-next")
    unknown = _post(hall, f"/tickets/{t['id']}/transfer", json={"to_group": "nope"}, expect=422)
    assert "unknown window group" in unknown["detail"]
    no_counter = _post(hall, f"/tickets/{t['id']}/transfer", json={"to_counter": "99"}, expect=404)
    assert "unknown counter" in no_counter["detail"]
    both = {"to_group": "market", "to_counter": "5"}
    _post(hall, f"/tickets/{t['id']}/transfer", json=both, expect=422)
    _post(hall, f"/tickets/{t['id']}/transfer", json={"reason": "x" * 101}, expect=422)
    _post(hall, "/counters/99/pause", expect=404)
    after = _get(hall, t["id"])
    assert (after["status"], after["counter"], after["window_group"]) == ("called", "5", "market")


def test_hold_and_resume_returns_to_the_head_of_the_queue(hall: Hall) -> None:
    held = hall.issue("business-license")
    hall.clock.advance(minutes=1)
    other = hall.issue("business-change", priority=True)  # green channel
    hall.clock.advance(minutes=1)
    hall.issue("tax-invoice")
    # The green-channel ticket is called first; the counter holds it aside.
    first = _post(hall, "/counters/5/call-next")
    assert first["id"] == other["id"]
    assert _post(hall, f"/tickets/{first['id']}/hold")["status"] == "held"
    assert _get(hall, first["id"])["status"] == "held"
    _post(hall, f"/tickets/{first['id']}/complete", expect=409)
    nxt = _post(hall, "/counters/5/call-next")
    assert nxt["id"] == held["id"]
    _post(hall, f"/tickets/{nxt['id']}/complete")
    resumed = _post(hall, f"/tickets/{first['id']}/resume")
    assert resumed["status"] == "waiting"
    # Back at the head of the queue, for the counter that held it: not for counter 6.
    assert _post(hall, "/counters/6/call-next")["id"] not in (first["id"],)
    assert _post(hall, "/counters/5/call-next")["id"] == first["id"]
    _post(hall, f"/tickets/{first['id']}/resume", expect=409)


def test_a_paused_counter_calls_nobody_and_the_others_serve(hall: Hall) -> None:
    t = hall.issue("business-license")
    with EventRecorder(hall.client.app.state.events) as rec:  # type: ignore[attr-defined]
        state = _post(hall, "/counters/5/pause")
        assert state["paused"] is True
        refused = _post(hall, "/counters/5/call-next", expect=409)
        assert "on break" in refused["detail"]
        assert _post(hall, "/counters/6/call-next")["id"] == t["id"]
        _post(hall, f"/tickets/{t['id']}/transfer", json={"to_counter": "5"}, expect=409)
        assert _post(hall, "/counters/5/open")["paused"] is False
        events = rec.wait_for(3)
    assert [(e.kind, e.counter_id) for e in events] == [
        ("pause", "5"),
        ("call", "6"),
        ("open", "5"),
    ]


def test_call_a_chosen_ticket(hall: Hall) -> None:
    first = hall.issue("business-license")
    second = hall.issue("business-change")
    livelihood = hall.issue("hukou-transfer")
    chosen = _post(hall, f"/counters/5/call/{second['id']}")
    assert (chosen["id"], chosen["status"], chosen["counter"]) == (second["id"], "called", "5")
    again = _post(hall, f"/counters/6/call/{second['id']}", expect=409)
    assert "called" in again["detail"]
    other_group = _post(hall, f"/counters/5/call/{livelihood['id']}", expect=409)
    assert "does not serve" in other_group["detail"]
    _post(hall, "/counters/5/call/no-such-ticket", expect=404)
    assert _post(hall, "/counters/6/call-next")["id"] == first["id"]


def test_any_item_counters_call_green_channel_first_then_the_longest_waiting(hall: Hall) -> None:
    market = hall.issue("business-license")  # 09:00
    hall.clock.advance(minutes=1)
    general = hall.issue("id-card-renewal")  # 09:01, the 大综窗's own
    hall.clock.advance(minutes=1)
    pickup = hall.issue("result-pickup")  # 出件: not served by the 大综窗
    hall.clock.advance(minutes=1)
    construction = hall.issue("construction-permit")  # 09:03
    hall.clock.advance(minutes=1)
    green = hall.issue("hukou-transfer", priority=True)  # 09:04, green channel
    order = [_post(hall, "/counters/16/call-next")["id"] for _ in range(4)]
    assert order == [green["id"], market["id"], general["id"], construction["id"]]
    assert _post(hall, "/counters/16/call-next", expect=204) is None
    # An ordinary counter still calls only its own group.
    assert _post(hall, "/counters/21/call-next")["id"] == pickup["id"]


def test_only_the_counter_holding_a_ticket_or_a_supervisor_may_act_on_it(hall: Hall) -> None:
    other = add_staff(hall.db_url, "李*")
    t = hall.issue("business-license")
    hall.issue("business-change")
    mine = _post(hall, "/counters/5/call-next")
    _post(hall, "/counters/6/call-next", other)
    for action in ("complete", "recall", "no-show", "hold"):
        refused = _post(hall, f"/tickets/{t['id']}/{action}", other, expect=403)
        assert "counter 5" in refused["detail"]
    _post(hall, f"/tickets/{t['id']}/transfer", other, json={"to_group": "market"}, expect=403)
    assert _get(hall, mine["id"])["status"] == "called"
    _post(hall, f"/tickets/{t['id']}/complete")
    kinds = [k for k, _c, _s in _actions(hall)]
    assert kinds == ["call", "call", "complete"]


def test_ticket_times_stay_utc_after_transfer(hall: Hall) -> None:
    t = hall.issue("business-license")
    _post(hall, "/counters/5/call-next")
    moved = _post(hall, f"/tickets/{t['id']}/transfer", json={"to_group": "general"})
    issued = dt.datetime.fromisoformat(moved["issued_at"])
    assert issued.utcoffset() == dt.timedelta(0)
    assert moved["called_at"] is None and moved["counter"] is None


@pytest.mark.parametrize("path", ["threads", "event loop"])
def test_counters_calling_at_once_each_get_a_different_ticket_and_none_is_lost(
    hall: Hall, path: str
) -> None:
    """Five counters of one group call at the same moment, again and again: every waiting
    ticket is called exactly once, nobody gets an error (on PostgreSQL a head another
    counter is claiming is passed over, ``PostgresTicketStore._lock_heads``). The API's
    path (``call_next_async`` on the server's event loop; on PostgreSQL one statement per
    call) as well as ``call_next`` from threads."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    issued = [hall.issue("business-license")["number"] for _ in range(15)]  # group market
    queue = hall.client.app.state.queue  # type: ignore[attr-defined]
    engine = make_engine(hall.db_url)
    try:
        with transaction(engine, readonly=True) as session:
            staff_id = session.scalar(select(Staff.id))  # the fixture's one member of staff
    finally:
        engine.dispose()
    assert staff_id is not None
    counters = ["5", "6", "7", "8", "9"]
    start = Barrier(len(counters))

    def work(counter: str) -> list[str]:
        start.wait(timeout=30)
        called = []
        while (ticket := queue.call_next(counter, staff_id, hall.clock.now)) is not None:
            called.append(ticket.number)
        return called

    async def work_async(counter: str) -> list[str]:
        called = []
        while (ticket := await queue.call_next_async(counter, staff_id, now)) is not None:
            called.append(ticket.number)
        return called

    async def all_at_once() -> list[list[str]]:
        return list(await asyncio.gather(*(work_async(c) for c in counters)))

    now = hall.clock.now
    if path == "threads":
        with ThreadPoolExecutor(len(counters)) as pool:
            results = list(pool.map(work, counters))
    else:  # on the app's own loop, as its requests run
        results = hall.client.portal.call(all_at_once)  # type: ignore[union-attr]
    everyone = [number for called in results for number in called]
    assert sorted(everyone) == sorted(issued)  # each exactly once
    for called in results:  # each counter calls in queue order
        assert called == sorted(called)


def test_call_next_rides_out_lost_database_connections_without_calling_twice(
    hall: Hall,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL's one-statement call-next (``PostgresTicketStore.call_next_async``):
    (1) the server's connections are cut (as a database restart does): the next call-next
    is answered with the next ticket, not an error; (2) the connection is lost after the
    call was committed but before its answer came back: the retry answers with THAT
    ticket instead of calling a second one, and the call is logged once."""
    if "postgresql" not in request.node.callspec.id:
        pytest.skip("the one-statement path is PostgreSQL's")
    import psycopg

    from hall import tickets_pg

    first, second, third = (hall.issue("business-license") for _ in range(3))
    assert _post(hall, "/counters/5/call-next")["id"] == first["id"]  # the pool is open now
    store = hall.client.app.state.queue  # type: ignore[attr-defined]
    staff_id = int(_actions(hall)[0][2])
    assert cut_connections(hall.db_url) >= 1
    hall.clock.advance(seconds=30)
    with caplog.at_level(logging.WARNING, logger="hall.tickets_pg"):
        # straight to the store: an API request would meet the dead connection in its
        # token look-up first (which retries on its own)
        called = hall.client.portal.call(  # type: ignore[union-attr]
            store.call_next_async, "5", staff_id, hall.clock.now
        )
    assert called is not None and called.id == second["id"]
    assert "call-next retry 1 after" in caplog.text  # its own lost-connection path

    real = store._pg_fetch_one
    lost: list[str] = []

    async def answer_lost_after_commit(sql: str, params: dict[str, Any], *more: Any) -> Any:
        row = await real(sql, params, *more)
        if sql == tickets_pg._PG_CALL_NEXT and not lost:
            lost.append(row[1])
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return row

    monkeypatch.setattr(store, "_pg_fetch_one", answer_lost_after_commit)
    hall.clock.advance(seconds=30)
    assert _post(hall, "/counters/5/call-next")["id"] == third["id"]
    assert lost == [third["id"]]  # it was called by the attempt whose answer was lost
    assert _post(hall, "/counters/5/call-next", expect=204) is None
    assert [k for k, _c, _s in _actions(hall)] == ["call", "call", "call"]
