"""Hall events: what the call boards, counter pages, window evaluators and (later) phones
are pushed when the queue changes.

A route that changed the queue publishes one ``HallEvent`` *after* its transaction
committed (``publish(app, event)``; callable from FastAPI's worker threads). The hub
delivers it to every subscriber of this process; with several server processes on
PostgreSQL the hub relays events through LISTEN/NOTIFY so that every process's
subscribers receive every event (see ``app.state.events``). Subscribers that fall behind
lose events, never block the publisher: a page that reconnects redraws from the full state
(``GET /api/v1/board/state``), so an event is a hint to redraw, not the record.

Event kinds: ``issue``, ``call``, ``recall``, ``no_show``, ``complete``, ``transfer``,
``hold``, ``resume``, ``pause``, ``open`` (counters), ``rating`` (a window rating arrived).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

SUBSCRIBER_BUFFER = 256  # events a slow subscriber may fall behind before it loses some


@dataclass(frozen=True)
class HallEvent:
    kind: str
    at: dt.datetime  # aware, UTC
    ticket_id: str | None = None
    ticket_number: str | None = None
    counter_id: str | None = None
    group_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # codes only, never personal data

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class EventHub:
    """In-process fan-out. Subscribers are asyncio queues on the server's event loop;
    ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[HallEvent]]] = set()

    def publish(self, event: HallEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(_offer, queue, event)
            except RuntimeError:  # that loop has closed: its subscriber is gone
                with self._lock:
                    self._subscribers.discard((loop, queue))

    async def subscribe(self) -> AsyncIterator[HallEvent]:
        """Events from now on, until the caller stops iterating."""
        queue: asyncio.Queue[HallEvent] = asyncio.Queue(SUBSCRIBER_BUFFER)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.add(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                self._subscribers.discard(entry)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    async def aclose(self) -> None:
        """Stop relaying (a backend with a database listener closes it here)."""


def _offer(queue: asyncio.Queue[HallEvent], event: HallEvent) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest: the page redraws from the full state anyway
    queue.put_nowait(event)


def publish(app: Any, event: HallEvent) -> None:
    """Publish on the app's hub (``app.state.events``); call after the commit."""
    app.state.events.publish(event)
