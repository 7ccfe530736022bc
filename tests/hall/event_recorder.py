"""A real subscriber of the app's event hub on a thread of its own (as a board would be)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from hall.events import EventHub, HallEvent


class EventRecorder:
    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.events: list[HallEvent] = []
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5
        while hub.subscriber_count < 1:
            assert time.monotonic() < deadline, "subscriber did not start"
            time.sleep(0.005)

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            events = self.hub.subscribe()
            stopper = asyncio.ensure_future(self._stop.wait())
            while True:
                nxt = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if nxt in done:
                    self.events.append(nxt.result())
                if stopper in done:
                    nxt.cancel()
                    await asyncio.gather(nxt, return_exceptions=True)
                    await events.aclose()
                    return

        self._loop.run_until_complete(main())

    def wait_for(self, count: int, timeout: float = 5.0) -> list[HallEvent]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            assert time.monotonic() < deadline, f"only {self.kinds()} arrived"
            time.sleep(0.005)
        return list(self.events)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def __enter__(self) -> EventRecorder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
