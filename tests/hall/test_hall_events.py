"""The in-process event hub: every subscriber gets what is published after it subscribed,
from any thread; a slow subscriber loses the oldest events, never blocks the publisher."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from hall.events import SUBSCRIBER_BUFFER, EventHub, HallEvent

AT = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def test_published_events_reach_every_subscriber_in_order_from_other_threads() -> None:
    async def main() -> tuple[list[str], list[str]]:
        hub = EventHub()
        a, b = hub.subscribe(), hub.subscribe()
        first_a = asyncio.ensure_future(anext(a))
        first_b = asyncio.ensure_future(anext(b))
        while hub.subscriber_count < 2:
            await asyncio.sleep(0)
        thread = threading.Thread(
            target=lambda: [hub.publish(HallEvent(k, AT, ticket_number="A001")) for k in
                            ("call", "recall")])  # fmt: skip
        thread.start()
        thread.join()
        got_a = [(await first_a).kind, (await anext(a)).kind]
        got_b = [(await first_b).kind, (await anext(b)).kind]
        await a.aclose()
        await b.aclose()
        assert hub.subscriber_count == 0
        return got_a, got_b

    assert asyncio.run(main()) == (["call", "recall"], ["call", "recall"])


def test_a_slow_subscriber_keeps_the_newest_events() -> None:
    async def main() -> tuple[str, str]:
        hub = EventHub()
        events = hub.subscribe()
        first = asyncio.ensure_future(anext(events))
        while hub.subscriber_count < 1:
            await asyncio.sleep(0)
        for n in range(SUBSCRIBER_BUFFER + 10):
            hub.publish(HallEvent("call", AT, ticket_number=f"A{n:03d}"))
        await asyncio.sleep(0)  # the loop runs the deliveries
        oldest = (await first).ticket_number or ""
        await events.aclose()
        return oldest, f"A{10:03d}"

    oldest, expected = asyncio.run(main())
    assert oldest == expected
    assert HallEvent("call", AT).as_json()["at"] == AT.isoformat()
