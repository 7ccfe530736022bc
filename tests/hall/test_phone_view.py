"""The phone pages' in-memory group snapshots (hall/phone_view.py) through the real app on
SQLite: every ticket's page state says what the queue itself says (``GET
/api/v1/tickets/{id}``: people ahead, wait, status) after issues, priority tickets, calls,
a transfer, hold and resume; a change with an event shows at once, a ticket issued since
the snapshot is found, a change without an event shows within ``MAX_AGE_S``; and one
snapshot serves many requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall, fresh_pg_database

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.phone_view import MAX_AGE_S, MAX_STALE_S

PUBLIC = "https://hall.example.gov.cn"
MARKET = "business-license"  # group market, counters 5–9
LIVELIHOOD = "hukou-transfer"  # group livelihood, counters 10–15


@pytest.fixture(params=["sqlite", "postgresql"])
def hall(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Hall]:
    """The real app on SQLite, and on PostgreSQL (whose snapshot build reads its
    timestamps as the driver gives them)."""
    monkeypatch.setenv("HALL_PUBLIC_URL", PUBLIC)
    # the page's per-address limit is not what is tested here (these tests poll the pages)
    monkeypatch.setenv("HALL_PHONE_RATE_PER_S", "1000")
    monkeypatch.setenv("HALL_PHONE_BURST", "100000")

    def run(db_url: str, db_path: Path) -> Iterator[Hall]:
        migrate(db_url)
        kiosk_token, staff_token = add_kiosk(db_url, "kiosk-1"), add_staff(db_url, "王*")
        app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY)
        with TestClient(app) as client:
            yield Hall(client, db_path, db_url, clock, kiosk_token, staff_token)

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path / 'hall.sqlite3'}", tmp_path / "hall.sqlite3")
    else:
        with fresh_pg_database("hall_phone_view") as db_url:
            yield from run(db_url, Path("-"))


def _state(hall: Hall, ticket: dict[str, Any]) -> dict[str, Any]:
    resp = hall.client.get(ticket["public_url"][len(PUBLIC) :] + "/state")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _truth(hall: Hall, ticket: dict[str, Any]) -> dict[str, Any]:
    resp = hall.client.get(f"/api/v1/tickets/{ticket['id']}", headers=hall.kiosk())
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


FIELDS = ("status", "people_ahead", "estimated_wait_s", "counter", "number", "window_group")


def _agree(hall: Hall, tickets: list[dict[str, Any]]) -> None:
    """Every ticket's page state says what the queue says — within ``MAX_STALE_S`` of a
    change (stale-while-revalidate: another ticket's event reaches the people ahead with
    the renewal; a ticket's own event at once, see the tests below)."""
    deadline = time.monotonic() + MAX_STALE_S + 10
    for ticket in tickets:
        while True:
            state, truth = _state(hall, ticket), _truth(hall, ticket)
            seen, want = {k: state[k] for k in FIELDS}, {k: truth[k] for k in FIELDS}
            if seen == want:
                break
            assert time.monotonic() < deadline, (ticket["number"], seen, want)
            time.sleep(0.05)  # polling a condition: the renewal in the background


def test_every_state_agrees_with_the_queue_through_calls_transfer_hold_and_resume(
    hall: Hall,
) -> None:
    market = [hall.issue(MARKET) for _ in range(6)]
    livelihood = [hall.issue(LIVELIHOOD) for _ in range(3)]
    everyone = market + livelihood
    _agree(hall, everyone)  # the first reads build the snapshots
    assert [_state(hall, t)["people_ahead"] for t in market] == [0, 1, 2, 3, 4, 5]

    first = hall.call_next("5")  # an event: the people ahead drop with the renewal
    assert first["id"] == market[0]["id"]
    _agree(hall, everyone)
    assert _state(hall, market[0])["status"] == "called"
    assert _state(hall, market[1])["people_ahead"] == 0

    second = hall.call_next("6")
    hall.act(first["id"], "complete")
    moved = hall.client.post(
        f"/api/v1/tickets/{second['id']}/transfer",
        json={"to_group": "livelihood", "reason": "转到社保"},
        headers=hall.staff(),
    )
    assert moved.status_code == 200, moved.text
    _agree(hall, everyone)  # the transferred ticket: in its new group, by the call rule
    assert _state(hall, market[1])["status"] == "transferred"
    assert _state(hall, market[1])["window_group"] == "livelihood"

    third = hall.call_next("7")
    hall.act(third["id"], "hold")
    _agree(hall, everyone)
    hall.act(third["id"], "resume")
    _agree(hall, everyone)
    assert _state(hall, market[0])["rating"]["state"] == "open"


def test_new_tickets_are_found_and_a_change_without_an_event_shows_soon(hall: Hall) -> None:
    regular = [hall.issue(MARKET) for _ in range(3)]
    assert _state(hall, regular[2])["people_ahead"] == 2  # snapshot built
    late = hall.issue(MARKET)  # issued since: not in the snapshot, found all the same
    assert _state(hall, late)["people_ahead"] == 3

    view = hall.client.app.state.phone_view  # type: ignore[attr-defined]
    builds = view.builds
    for _ in range(20):  # one snapshot serves the repeated reads
        _state(hall, regular[0])
    assert view.builds - builds <= 2  # at most an age renewal in between

    # a priority ticket publishes no event: the regular tickets' counts follow within
    # MAX_AGE_S (polled with a deadline, never a fixed sleep)
    hall.issue(MARKET, priority=True)
    deadline = time.monotonic() + MAX_AGE_S + 10
    while _state(hall, regular[0])["people_ahead"] != 1:
        assert time.monotonic() < deadline, "the priority ticket never showed"
        time.sleep(0.05)  # polling a condition
    _agree(hall, [*regular, late])


def test_a_renewal_under_way_holds_up_no_page_and_a_ticket_sees_its_own_event(
    hall: Hall,
) -> None:
    """Stale-while-revalidate: while a snapshot's renewal is held in its worker thread,
    the group's phones are answered from the previous snapshot at once — the called
    ticket's with its call applied (its call line is never stale); after another own
    event (its completion) its page waits for a snapshot read after it; once the renewal
    is in, everyone's people ahead follow."""
    tickets = [hall.issue(MARKET) for _ in range(4)]
    assert _state(hall, tickets[3])["people_ahead"] == 3  # the snapshot is built
    view = hall.client.app.state.phone_view  # type: ignore[attr-defined]
    real_build = view._build
    began, release = threading.Event(), threading.Event()

    def held_build(*args: Any) -> Any:  # the real build, held until the test lets it go
        began.set()
        assert release.wait(30)
        return real_build(*args)

    view._build = held_build
    try:
        called = hall.call_next("5")
        assert called["id"] == tickets[0]["id"]
        stale_before, waited_before = view.served_stale, view.waited
        # another phone of the group: the previous snapshot, while a renewal begins
        assert _state(hall, tickets[3])["people_ahead"] == 3
        assert view.served_stale == stale_before + 1
        assert began.wait(10), "no renewal began in the background"
        # the called ticket's own page: its call, at once, though the renewal is held
        own = _state(hall, tickets[0])
        assert (own["status"], own["counter"], own["people_ahead"]) == ("called", "5", 0)
        assert view.waited == waited_before

        hall.act(tickets[0]["id"], "complete")  # an own event not applied: its page waits
        done: dict[str, Any] = {}
        reader = threading.Thread(target=lambda: done.update(_state(hall, tickets[0])))
        reader.start()
        deadline = time.monotonic() + 10
        while view.waited == waited_before:  # the completed ticket's request waits
            assert time.monotonic() < deadline, "the completed ticket was answered stale"
            time.sleep(0.01)  # polling a condition
        assert reader.is_alive() and not done
        assert _state(hall, tickets[2])["people_ahead"] == 2  # others still answered at once
    finally:
        release.set()
        view._build = real_build
    reader.join(10)
    assert done["status"] == "completed" and done["rating"]["state"] == "open"

    deadline = time.monotonic() + MAX_STALE_S + 10
    while _state(hall, tickets[3])["people_ahead"] != 2:  # the renewal reaches everyone
        assert time.monotonic() < deadline, "the renewed snapshot never showed"
        time.sleep(0.05)  # polling a condition
    _agree(hall, tickets)


def test_a_call_shows_on_its_page_within_a_second_while_the_group_is_read(hall: Hall) -> None:
    """The called ticket's page state says "called" within 1 s of call-next, even while
    other phones of the group keep reading (and so keep the snapshot renewing): its first
    read after the call already says so."""
    tickets = [hall.issue(MARKET) for _ in range(6)]
    for ticket in tickets:
        assert _state(hall, ticket)["status"] == "waiting"
    for n, ticket in enumerate(tickets[:3]):
        started = time.monotonic()
        assert hall.call_next("6")["id"] == ticket["id"]
        _state(hall, tickets[-1])  # another phone reads first: the stale snapshot, renewing
        state = _state(hall, ticket)  # its own page: never the snapshot before its call
        assert (state["status"], state["counter"]) == ("called", "6"), n
        assert time.monotonic() - started < 1.0, f"call {n} not on its page within 1 s"


def test_open_phones_keep_their_groups_snapshot_renewed_without_reads(
    hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a phone's push stream is open, its group's snapshot is renewed in the
    background once stale — with no page read at all — so the read after a quiet spell
    is answered at once with a change that published no event (a priority ticket)."""
    monkeypatch.setenv("HALL_BOARD_HEARTBEAT_S", "0.2")  # the stream ends soon after the day
    tickets = [hall.issue(MARKET) for _ in range(3)]
    assert _state(hall, tickets[2])["people_ahead"] == 2
    view = hall.client.app.state.phone_view  # type: ignore[attr-defined]
    seen: dict[str, Any] = {}

    def meanwhile() -> None:
        try:
            deadline = time.monotonic() + 20
            while view.stream_count == 0:
                assert time.monotonic() < deadline, "the stream never opened"
                time.sleep(0.01)  # polling a condition
            hall.issue(MARKET, priority=True)  # publishes no event
            issued = time.monotonic()
            while view._snapshots["market"].built <= issued:  # renewed, nobody reading
                assert time.monotonic() < deadline, "the snapshot was not renewed"
                time.sleep(0.02)  # polling a condition
            waited = view.waited
            seen["state"] = _state(hall, tickets[2])
            seen["waited"] = view.waited - waited
        finally:
            hall.clock.advance(days=1)  # the ticket's day ends: so does its stream

    helper = threading.Thread(target=meanwhile)
    helper.start()
    stream = hall.client.get(tickets[2]["public_url"][len(PUBLIC) :] + "/events")
    helper.join()
    assert stream.status_code == 200
    assert seen["state"]["people_ahead"] == 3  # the priority ticket is ahead now
    assert seen["waited"] == 0  # and the read did not wait for a build


def test_a_position_hint_reaches_a_big_group_in_batches() -> None:
    """A call's position hint goes to the group's phones ``HINT_BATCH`` streams per turn of
    the event loop, not all 500 at once (that held a kiosk's ticket request 20–40 ms), and
    still reaches every phone; the called ticket's own event is not held back."""
    import asyncio
    import contextlib
    import datetime as dt
    from types import SimpleNamespace

    from hall.events import EventHub, HallEvent
    from hall.phone_view import HINT_BATCH, PhoneView

    phones = 4 * HINT_BATCH + 3

    async def run() -> tuple[list[int], int, bool]:
        app = SimpleNamespace(state=SimpleNamespace(events=EventHub()))
        view = PhoneView(app, lambda _app, _entry: {})
        view.attach()
        try:
            with contextlib.ExitStack() as open_phones:
                streams = [
                    open_phones.enter_context(view.stream(f"t{i}", "market")) for i in range(phones)
                ]
                at = dt.datetime.now(dt.UTC)
                app.state.events.publish(HallEvent("call", at, "t0", "A001", "5", "market"))
                hinted, per_turn = 0, []
                deadline = asyncio.get_running_loop().time() + 30
                while hinted < phones and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0)  # one turn of the loop
                    # every stream's hint, and the called phone's own event before it
                    now_hinted = sum(s.queue.qsize() for s in streams) - 1
                    per_turn.append(now_hinted - hinted)
                    hinted = now_hinted
                own = streams[0].queue.get_nowait()
                return per_turn, hinted, own is not None and own.kind == "call"
        finally:
            view.close()

    per_turn, hinted, own_first = asyncio.run(run())
    assert hinted == phones  # every phone got the hint
    assert max(per_turn) <= HINT_BATCH, per_turn  # never all at once
    assert own_first  # the called phone's own event came before its hint
