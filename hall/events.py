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
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

SUBSCRIBER_BUFFER = 256  # events a slow subscriber may fall behind before it loses some
PG_CHANNEL = "hall_events"
"""The PostgreSQL LISTEN/NOTIFY channel every server process of a hall listens on."""
PG_RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Back-off of the listener's reconnect attempts, seconds (the last one repeats)."""
RESYNC = "resync"
"""Event kind a hub publishes when it may have missed events (its database listener
reconnected): every page redraws from the full state."""


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HallEvent:
        return cls(
            kind=str(data["kind"]),
            at=dt.datetime.fromisoformat(data["at"]),
            ticket_id=data.get("ticket_id"),
            ticket_number=data.get("ticket_number"),
            counter_id=data.get("counter_id"),
            group_id=data.get("group_id"),
            extra=dict(data.get("extra") or {}),
        )


class EventHub:
    """In-process fan-out. Subscribers are asyncio queues on the server's event loop;
    ``publish`` may be called from any thread. One wake-up per event loop per event,
    however many subscribers that loop has (a board stream each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[_Entry] = set()
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[_Target, ...]] = {}

    def publish(self, event: HallEvent) -> None:
        with self._lock:
            by_loop = self._by_loop
        for loop, targets in by_loop.items():
            try:
                loop.call_soon_threadsafe(_offer_all, targets, event)
            except RuntimeError:  # that loop has closed: its subscribers are gone
                with self._lock:
                    self._subscribers = {s for s in self._subscribers if s[0] is not loop}
                    self._rebuild()

    def _rebuild(self) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Target]] = {}
        for loop, queue, accept in self._subscribers:
            by_loop.setdefault(loop, []).append((queue, accept))
        self._by_loop = {loop: tuple(targets) for loop, targets in by_loop.items()}

    @contextmanager
    def subscription(
        self, accept: Callable[[HallEvent], bool] | None = None
    ) -> Iterator[asyncio.Queue[HallEvent]]:
        """A queue that receives every event from now on (only those ``accept`` passes,
        checked before the reader is woken), while the ``with`` lasts. Call on the event
        loop that reads it."""
        queue: asyncio.Queue[HallEvent] = asyncio.Queue(SUBSCRIBER_BUFFER)
        entry = (asyncio.get_running_loop(), queue, accept)
        with self._lock:
            self._subscribers.add(entry)
            self._rebuild()
        try:
            yield queue
        finally:
            with self._lock:
                self._subscribers.discard(entry)
                self._rebuild()

    async def subscribe(self) -> AsyncIterator[HallEvent]:
        """Events from now on, until the caller stops iterating."""
        with self.subscription() as queue:
            while True:
                yield await queue.get()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def start(self) -> None:
        """Start relaying (a backend with a database listener connects here)."""

    async def aclose(self) -> None:
        """Stop relaying (a backend with a database listener closes it here)."""


class PgEventHub(EventHub):
    """Every server process on one PostgreSQL database sees every event: ``publish``
    sends ``NOTIFY hall_events`` (the caller has already committed), and one listener
    connection per process (a daemon thread, ``LISTEN hall_events``) hands each
    notification to this process's subscribers — including the publisher's own, so all
    processes deliver in the database's order. The listener reconnects by itself; after a
    reconnect it publishes a ``resync`` event (events sent meanwhile are lost, the pages
    redraw from the full state). If NOTIFY cannot be sent, the event still reaches this
    process's subscribers and the failure is logged.
    """

    def __init__(self, conninfo: dict[str, Any]) -> None:
        super().__init__()
        self._conninfo = conninfo
        self._send_lock = threading.Lock()
        self._sender: Any = None
        self._stop = threading.Event()
        self._listening = threading.Event()
        self.reconnects = 0
        self._thread = threading.Thread(target=self._listen, name="hall-events-listen", daemon=True)
        self._started = False

    def start(self) -> None:
        """Start the listener thread (once; the app's start-up calls it)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._thread.start()

    @classmethod
    def for_engine(cls, engine: Any) -> PgEventHub:
        """Connection parameters taken from a SQLAlchemy engine on psycopg 3."""
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        params = dict(cparams)
        params.pop("context", None)
        if cargs:
            params["conninfo"] = cargs[0]
        return cls(params)

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(autocommit=True, connect_timeout=5, **self._conninfo)

    def wait_listening(self, timeout: float) -> bool:
        """Start, then True once the listener connection is up (start-up waits for it)."""
        self.start()
        return self._listening.wait(timeout)

    def publish(self, event: HallEvent) -> None:
        payload = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
        for attempt in range(2):
            try:
                with self._send_lock:
                    if self._sender is None or self._sender.closed:
                        self._sender = self._connect()
                    self._sender.execute("SELECT pg_notify(%s, %s)", (PG_CHANNEL, payload))
                return
            except Exception as exc:  # noqa: BLE001 - any database fault: retry once, then local
                with self._send_lock:
                    self._close_sender()
                if attempt == 1:
                    log.warning(
                        "hall event %s not sent to other server processes: %s", event.kind, exc
                    )
        self.deliver(event)

    async def publish_on(self, pool: Any, event: HallEvent) -> None:
        """``publish`` from the event loop, the NOTIFY sent on one of the fast-path
        connections (``hall.db.AsyncPgPool``): no worker thread, no lock. Like ``publish``
        it tries a fresh connection once (the pool's may be broken by a restart); if it
        still cannot be sent, the event reaches this process's subscribers (logged). The
        caller's cancellation (a server stopping) does not stop it halfway."""
        await asyncio.shield(self._notify_on(pool, event))

    async def _notify_on(self, pool: Any, event: HallEvent) -> None:
        import psycopg

        payload = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
        for attempt in range(2):
            try:
                await pool.fetch_one(
                    "SELECT pg_notify(%(c)s, %(p)s)", {"c": PG_CHANNEL, "p": payload}
                )
                return
            except psycopg.Error as exc:
                pool.drop_idle()
                if attempt == 1:
                    log.warning(
                        "hall event %s not sent to other server processes: %s", event.kind, exc
                    )
        self.deliver(event)

    def deliver(self, event: HallEvent) -> None:
        """Hand an event to this process's subscribers only."""
        super().publish(event)

    def _close_sender(self) -> None:
        if self._sender is not None:
            try:
                self._sender.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._sender = None

    def _listen(self) -> None:
        failures = 0
        first = True
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:  # noqa: BLE001 - database down: try again later
                delay = PG_RECONNECT_S[min(failures, len(PG_RECONNECT_S) - 1)]
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("hall events listener cannot connect (retrying): %s", exc)
                self._stop.wait(delay)
                continue
            try:
                conn.execute(f"LISTEN {PG_CHANNEL}")
                failures = 0
                if not first:
                    self.reconnects += 1
                    log.info("hall events listener reconnected")
                    self.deliver(HallEvent(RESYNC, dt.datetime.now(dt.UTC)))
                first = False
                self._listening.set()
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=0.5, stop_after=64):
                        self._on_notify(note.payload)
            except Exception as exc:  # noqa: BLE001 - connection lost: reconnect
                if not self._stop.is_set():
                    log.warning("hall events listener lost its connection: %s", exc)
                    time.sleep(PG_RECONNECT_S[0])
            finally:
                self._listening.clear()
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass

    def _on_notify(self, payload: str) -> None:
        try:
            event = HallEvent.from_json(json.loads(payload))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring a malformed hall event notification: %s", exc)
            return
        self.deliver(event)

    async def aclose(self) -> None:
        self._stop.set()
        with self._send_lock:
            self._close_sender()
        if self._started:
            await asyncio.to_thread(self._thread.join, 5.0)


def make_event_hub(engine: Any) -> EventHub:
    """The hub for this database: LISTEN/NOTIFY on PostgreSQL, in-process on SQLite."""
    if engine.dialect.name == "postgresql":
        return PgEventHub.for_engine(engine)
    return EventHub()


_Target = tuple[asyncio.Queue[HallEvent], Callable[[HallEvent], bool] | None]
_Entry = tuple[
    asyncio.AbstractEventLoop, asyncio.Queue[HallEvent], Callable[[HallEvent], bool] | None
]


def _offer_all(targets: tuple[_Target, ...], event: HallEvent) -> None:
    for queue, accept in targets:
        if accept is not None and not accept(event):
            continue
        if queue.full():
            queue.get_nowait()  # drop the oldest: the page redraws from the full state anyway
        queue.put_nowait(event)


def publish(app: Any, event: HallEvent) -> None:
    """Publish on the app's hub (``app.state.events``); call after the commit."""
    app.state.events.publish(event)


async def publish_async(app: Any, event: HallEvent) -> None:
    """``publish`` from the event loop: on PostgreSQL the NOTIFY goes out on a fast-path
    connection (``PgEventHub.publish_on``); in the process an event is only queued."""
    hub = app.state.events
    pool = getattr(app.state, "pg_pool", None)
    if isinstance(hub, PgEventHub) and pool is not None:
        await hub.publish_on(pool, event)
    else:
        hub.publish(event)
