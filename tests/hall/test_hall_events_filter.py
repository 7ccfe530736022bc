"""Board streams subscribe with a filter (their groups or counter), checked before the
reader is woken; the public form of an event carries no ticket id."""

from __future__ import annotations

import asyncio
import datetime as dt

from hall.board import in_scope, public_event, sse_bytes
from hall.events import EventHub, HallEvent

AT = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def _event(kind: str, number: str, counter: str, group: str) -> HallEvent:
    return HallEvent(kind, AT, ticket_id="secret-id", ticket_number=number,
                     counter_id=counter, group_id=group)  # fmt: skip


def test_a_filtered_subscription_gets_only_its_events_and_resync() -> None:
    async def main() -> tuple[list[str], list[str]]:
        hub = EventHub()
        mine: list[str] = []
        every: list[str] = []
        with (
            hub.subscription(lambda e: in_scope(e, None, frozenset({"5"}))) as counter5,
            hub.subscription() as board,
        ):
            hub.publish(_event("call", "B001", "5", "market"))
            hub.publish(_event("call", "A001", "1", "construction"))
            hub.publish(HallEvent("resync", AT))
            await asyncio.sleep(0)  # the loop runs the deliveries
            while not counter5.empty():
                mine.append(counter5.get_nowait().kind + str(counter5.qsize()))
            while not board.empty():
                every.append(board.get_nowait().ticket_number or "-")
        assert hub.subscriber_count == 0
        return mine, every

    mine, every = asyncio.run(main())
    assert mine == ["call1", "resync0"]
    assert every == ["B001", "A001", "-"]


def test_groups_filter_and_the_public_form() -> None:
    call = _event("call", "B001", "5", "market")
    assert in_scope(call, frozenset({"market"}), None)
    assert not in_scope(call, frozenset({"construction"}), None)
    public = public_event(call)
    assert public == {
        "kind": "call", "at": AT.isoformat(), "ticket_number": "B001", "counter_id": "5",
        "group_id": "market", "audio_url": "/api/v1/announcements/B001-5.wav",
    }  # fmt: skip
    assert b"secret-id" not in sse_bytes(call)
    assert sse_bytes(call).startswith(b"event: call\ndata: {")
    assert sse_bytes(call) is sse_bytes(call)  # encoded once for every stream
    assert "audio_url" not in public_event(_event("complete", "B001", "5", "market"))
