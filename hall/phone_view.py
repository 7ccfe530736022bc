"""What the phone pages read, kept in memory: one snapshot per window group, shared by
every phone of the group, instead of four SQL queries per page request.

A snapshot is one read transaction: the group's tickets of the day (and its older
waiting tickets, for groups whose numbers do not reset daily), the group's service time
(``TicketStore.service_time_s``) and which of its tickets are rated. From it every ticket's
people-ahead count and wait estimate are computed at once, by the same rules as
``TicketStore.describe`` (hall/tickets.py): a ticket waits behind the earlier numbers of its
period (every priority ticket first), a transferred ticket by the call order
(hall/call_order.py). A ticket's page state is then serialized once per snapshot and
served from memory.

When it is renewed (the snapshot is "stale"):

- an event of the hub (``hall.events``) in its group — call, recall, no-show, complete,
  transfer (both groups), hold, resume, rating — or a ``resync``: the phone's own push
  stream is woken by the same delivery, after the invalidation;
- a ticket the snapshot does not hold (issued since: issuing publishes no event);
- its age passes ``MAX_AGE_S``.

Stale-while-revalidate: a request finding the snapshot stale is answered from it and a
renewal starts in the background (one build at a time per group, background builds at
least ``REBUILD_GAP_S`` apart, in a worker thread), so a build never holds up the page
requests of a busy group. Bounds on what is served stale:

- a ticket's own event is never: after its call (or recall) its page is answered from
  the previous snapshot with the call applied (``PATCHED_KINDS``: called, its counter,
  nobody ahead — what the renewal will say), after any other own event (transfer,
  completion, …) its request waits for a snapshot read after that event (only that phone
  waits). The event itself is pushed at once, and the page's reload shows the same;
- a position hint (``queue``) goes out only once the group's snapshot holds the change
  it tells of, so the group's phones reload into the new people-ahead counts;
- no snapshot whose read began more than ``MAX_STALE_S`` ago is served (the request
  waits for the renewal): the bound on how late a change without an event (a priority
  ticket issued, an offline ticket synced) shows in the people-ahead count. While a
  group has phones' push streams open, its snapshot is renewed in the background once
  stale (checked every ``MAX_AGE_S``), so a read after a quiet spell does not wait;
- a ticket the snapshot does not hold, or a new service day, waits for a build.

A ticket's page state is serialized once and kept across builds while its row, people
ahead, wait and rating are unchanged (and the feedback settings are the same object).
The view belongs to one event loop (the server's); used from another it starts
afresh. With several server processes each has its own view; on PostgreSQL the hub
relays every process's events, so every view is invalidated.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import DateTime, or_, select, type_coerce

from hall import call_order
from hall.db import connection_transaction
from hall.events import RESYNC, HallEvent
from hall.feedback_settings import current_settings
from hall.models import NO_RESET_PERIOD, Rating, Ticket, UTCDateTime
from hall.numbering import numbering_period, service_day

OWN_KINDS = frozenset(
    {"call", "recall", "no_show", "complete", "transfer", "hold", "resume", "rating"}
)
"""A ticket's own events its phone's stream carries."""
QUEUE_KINDS = frozenset({"call", "transfer", "resume"})
"""Events of other tickets in its group that change the people ahead (a hint to reload)."""
HINT_MIN_S = 2.0
"""At most one position hint per group this often (a busy group's calls are coalesced; the
page spreads its reloads over 3 s anyway); a ticket's own events are never held back."""
HINT_BATCH = 25
HINT_BATCH_GAP_S = 0.005
"""A position hint reaches a group's phones ``HINT_BATCH`` streams at a time, one batch
every ``HINT_BATCH_GAP_S`` (500 phones in about 0.1 s): each stream's write costs the
event loop ~60 µs, so all 500 at once held every other request — a kiosk's ticket, a
counter's call — for 20–40 ms (measured: every event-loop stall over 20 ms of the phone
benchmark followed a hint). The page spreads its reloads over seconds anyway."""
STREAM_BUFFER = 256
"""Items a slow phone stream may fall behind before it loses the oldest (it then reloads
its state on the next one anyway)."""

MAX_AGE_S = 1.0
"""A snapshot older than this is renewed (in the background) when phones read it."""
MAX_STALE_S = 2.0
"""Stale-while-revalidate's bound: no page state is served from a snapshot whose read
began longer ago than this (the request then waits for the renewal). Changes without an
event — a priority ticket issued, an offline ticket synced — show within this."""
REBUILD_GAP_S = 0.5
"""Background renewals of a group begin at least this far apart (a busy group's events
are coalesced into one build; a request that must wait never waits for this gap)."""

SLOW_BUILD_S = 0.2
"""A snapshot build slower than this is logged (a warning: meanwhile the phones are
answered from the previous snapshot, up to MAX_STALE_S, and a called ticket's page waits)."""

log = logging.getLogger(__name__)

_T = Ticket.__table__
_COLUMNS = (
    _T.c.id, _T.c.number, _T.c.service_id, _T.c.window_group, _T.c.period, _T.c.service_day,
    _T.c.seq, _T.c.priority, _T.c.language, _T.c.masked_name, _T.c.status, _T.c.kiosk_id,
    _T.c.counter, _T.c.called_at, _T.c.completed_at, _T.c.recall_count, _T.c.issued_at,
    _T.c.transferred_at, _T.c.front_at, _T.c.target_counter,
)  # fmt: skip
_ID, _STATUS, _PERIOD, _SEQ, _PRIORITY, _TRANSFERRED = (
    [c.name for c in _COLUMNS].index(name)
    for name in ("id", "status", "period", "seq", "priority", "transferred_at")
)
_PG_COLUMNS = tuple(
    type_coerce(c, DateTime(timezone=True)).label(c.name) if isinstance(c.type, UTCDateTime) else c
    for c in _COLUMNS
)
"""On PostgreSQL the driver gives aware datetimes already: read as they come, without
``UTCDateTime``'s conversion of every value to UTC (a fifth of a build's time for 1,300
tickets; only their instants are compared and shown, always converted)."""


class NotFound(Exception):
    """No such ticket, or not one of today's."""


@dataclasses.dataclass(slots=True)
class Entry:
    """One ticket in a snapshot: its row, people ahead and wait, and (once asked) its
    page state as JSON bytes."""

    row: Any
    ahead: int
    wait_s: int
    rated: bool
    state: bytes | None = None
    rendered_with: Any = None  # the feedback settings the state was rendered with


PATCHED_KINDS = frozenset({"call", "recall"})
"""A ticket's own events its page shows at once from the previous snapshot (status called,
its counter, nobody ahead) while the renewal runs; after any other own event (transfer,
completion, …) its page waits for the renewal."""


@dataclasses.dataclass
class Pin:
    """A ticket's own latest event, not yet in its group's snapshot."""

    generation: int  # the group's generation the event made
    event: HallEvent
    patched: tuple[Entry, Entry] | None = None  # (snapshot entry, with the call applied)


class _PatchedRow(SimpleNamespace):
    """A snapshot row with a ticket's own call applied (the attributes of the row)."""

    def _asdict(self) -> dict[str, Any]:
        return dict(vars(self))


def _called(entry: Entry, event: HallEvent) -> Entry:
    """What the renewed snapshot will say of a ticket just called (or recalled): called
    to the event's counter, nobody ahead, no wait; the rest as in ``entry``."""
    row = _PatchedRow(**entry.row._asdict())
    row.status, row.counter, row.called_at = "called", event.counter_id, event.at
    return Entry(row, 0, 0, entry.rated)


@dataclasses.dataclass
class Build:
    """A snapshot build under way: the generation its read began at (until it begins,
    the one it was asked at), its day and its task."""

    generation: int
    day: dt.date
    task: asyncio.Task[Snapshot] = dataclasses.field(init=False)


@dataclasses.dataclass
class Snapshot:
    group_id: str
    day: dt.date
    generation: int
    built: float  # time.monotonic()
    entries: dict[str, Entry]


class Stream:
    """One phone's push stream: its queue of own events, ``None`` for a position hint."""

    def __init__(self, ticket_id: str, group_id: str) -> None:
        self.ticket_id = ticket_id
        self.group_id = group_id
        self.queue: asyncio.Queue[HallEvent | None] = asyncio.Queue(STREAM_BUFFER)

    def offer(self, item: HallEvent | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest: the page reloads its state anyway
        self.queue.put_nowait(item)


class PhoneView:
    """The snapshots of one app (``app.state.phone_view``), used on its event loop."""

    def __init__(self, app: Any, state_of: Callable[[Any, Entry], dict[str, Any]]) -> None:
        self._app = app
        self._state_of = state_of
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscription: Any = None
        self._reset()

    def _reset(self) -> None:
        self._generation: dict[str, int] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._building: dict[str, Build] = {}
        self._build_began: dict[str, float] = {}  # time.monotonic(), per group
        self._renew_timer: dict[str, asyncio.TimerHandle] = {}
        self._warm_timer: dict[str, asyncio.TimerHandle] = {}
        # (group, ticket) -> the generation its own latest event made, that event, and
        # (once asked) the previous snapshot's entry with a call applied: its page is never
        # served from an older snapshot without its event (its call line is never stale)
        self._pinned: dict[tuple[str, str], Pin] = {}
        # group -> the generation its snapshot must reach before a position hint goes out
        self._hint_after_build: dict[str, int] = {}
        self._group_of: dict[str, str] = {}
        self.builds = 0  # for tests and benchmarks
        self.hints_sent = 0  # the same
        self.served_stale = 0  # requests answered from a stale snapshot (the same)
        self.waited = 0  # requests that waited for a build (the same)
        # the phones' streams: one fan-out per group, not one hub subscriber per phone
        self._streams_of_ticket: dict[str, set[Stream]] = {}
        self._streams_of_group: dict[str, set[Stream]] = {}
        self._hint_at: dict[str, float] = {}
        self._hint_timer: dict[str, asyncio.TimerHandle] = {}
        self._batch_timer: dict[str, asyncio.TimerHandle] = {}  # a hint's next batch

    # -- invalidation ---------------------------------------------------------------------
    def _bump(self, group_id: str | None) -> None:
        if group_id:
            self._generation[group_id] = self._generation.get(group_id, 0) + 1

    def _on_event(self, event: HallEvent) -> bool:
        """The hub's filter, called on the loop for every event: marks the snapshots it
        touches stale, and never queues anything (returns False)."""
        if event.kind == RESYNC:
            for group_id in list(self._generation):
                self._bump(group_id)
            for streams in self._streams_of_ticket.values():
                for stream in streams:
                    stream.offer(event)
            return False
        self._bump(event.group_id)
        if event.ticket_id:
            self._bump(self._group_of.pop(event.ticket_id, None))  # its former group
        to_group = event.extra.get("to_group") if event.extra else None
        if isinstance(to_group, str):
            self._bump(to_group)
        # then the phones (after the snapshots are marked: a reload sees the change)
        if event.ticket_id:  # its own page must show this event: never served older
            for group_id in {event.group_id, to_group if isinstance(to_group, str) else None}:
                if group_id and group_id in self._snapshots:
                    self._pinned[(group_id, event.ticket_id)] = Pin(
                        self._generation[group_id], event
                    )
        own = self._streams_of_ticket.get(event.ticket_id) if event.ticket_id else None
        for stream in own or ():
            if event.kind == "transfer":  # the phone follows its ticket to its new group
                self._move(stream, to_group if isinstance(to_group, str) else event.group_id)
            if event.kind in OWN_KINDS:
                stream.offer(event)
        if event.kind in QUEUE_KINDS and event.group_id in self._streams_of_group:
            self._hint(event.group_id)
        return False

    # -- the phones' streams --------------------------------------------------------------
    @contextlib.contextmanager
    def stream(self, ticket_id: str, group_id: str) -> Iterator[Stream]:
        """Register a phone's push stream (call on the loop that reads it)."""
        self.attach()
        stream = Stream(ticket_id, group_id)
        self._streams_of_ticket.setdefault(ticket_id, set()).add(stream)
        self._streams_of_group.setdefault(group_id, set()).add(stream)
        self._keep_warm(group_id)
        try:
            yield stream
        finally:
            self._drop(self._streams_of_ticket, ticket_id, stream)
            self._drop(self._streams_of_group, stream.group_id, stream)

    @property
    def stream_count(self) -> int:
        return sum(len(s) for s in self._streams_of_ticket.values())

    @staticmethod
    def _drop(table: dict[str, set[Stream]], key: str | None, stream: Stream) -> None:
        found = table.get(key) if key is not None else None
        if found is not None:
            found.discard(stream)
            if not found:
                del table[key]  # type: ignore[arg-type]

    def _move(self, stream: Stream, group_id: str | None) -> None:
        if not group_id or group_id == stream.group_id:
            return
        self._drop(self._streams_of_group, stream.group_id, stream)
        stream.group_id = group_id
        self._streams_of_group.setdefault(group_id, set()).add(stream)
        self._keep_warm(group_id)

    def _hint(self, group_id: str) -> None:
        """A position hint to the group's phones: at once, or — if one went out less than
        HINT_MIN_S ago — once that time is up (one timer per group, however many calls)."""
        if group_id in self._hint_timer or self._loop is None:
            return
        delay = self._hint_at.get(group_id, -HINT_MIN_S) + HINT_MIN_S - time.monotonic()
        if delay <= 0:
            self._send_hint(group_id)
        else:
            self._hint_timer[group_id] = self._loop.call_later(delay, self._send_hint, group_id)

    def _send_hint(self, group_id: str, built: bool = False) -> None:
        """Send the hint — once the group's snapshot holds the change it tells of, so that
        the phones' reloads (served from it, stale-while-revalidate) see it."""
        self._hint_timer.pop(group_id, None)
        snap = self._snapshots.get(group_id)
        generation = self._generation.get(group_id, 0)
        if not built and snap is not None and snap.generation < generation:
            self._hint_after_build[group_id] = generation
            if group_id not in self._building:
                self._start_build(group_id, snap.day)
            return
        self._hint_at[group_id] = time.monotonic()
        self.hints_sent += 1
        pending = self._batch_timer.pop(group_id, None)
        if pending is not None:  # the last hint has not reached every phone: this one will
            pending.cancel()
        self._offer_in_batches(group_id, list(self._streams_of_group.get(group_id, ())))

    def _offer_in_batches(self, group_id: str, streams: list[Stream]) -> None:
        """A hint to ``streams``: the first ``HINT_BATCH`` now, the rest in later turns of
        the loop (a stream closed meanwhile is offered to no reader: harmless)."""
        self._batch_timer.pop(group_id, None)
        for stream in streams[:HINT_BATCH]:
            stream.offer(None)
        rest = streams[HINT_BATCH:]
        if rest and self._loop is not None:
            self._batch_timer[group_id] = self._loop.call_later(
                HINT_BATCH_GAP_S, self._offer_in_batches, group_id, rest
            )

    def attach(self) -> None:
        """Listen to the hub on the running loop (again, and empty, if the loop changed)."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        if self._subscription is not None:
            try:
                self._subscription.__exit__(None, None, None)
            except Exception:  # noqa: BLE001, S110 - the old loop's subscription is gone anyway
                pass
        self._reset()
        self._subscription = self._app.state.events.subscription(self._on_event)
        self._subscription.__enter__()
        self._loop = loop

    def close(self) -> None:
        timers = [self._hint_timer, self._renew_timer, self._warm_timer, self._batch_timer]
        for table in timers:
            for timer in table.values():
                timer.cancel()
            table.clear()
        if self._subscription is not None:
            self._subscription.__exit__(None, None, None)
            self._subscription = None
            self._loop = None

    # -- reading --------------------------------------------------------------------------
    async def entry(self, ticket_id: str, now: dt.datetime) -> Entry:
        """Today's ticket, with its people ahead and wait; NotFound otherwise."""
        self.attach()
        today = service_day(now, self._app.state.queue.tz)
        group_id = self._group_of.get(ticket_id)
        if group_id is None:
            group_id = await run_in_threadpool(self._find_group, ticket_id)
            if group_id is None:
                raise NotFound(ticket_id)
        pin = self._pinned.get((group_id, ticket_id)) if self._pinned else None
        if pin is not None and pin.event.kind in PATCHED_KINDS:
            # called since the snapshot: the snapshot's entry with the call applied, while
            # the renewal runs (the called phone does not wait for it either)
            snap = await self._snapshot(group_id, today)
            found = snap.entries.get(ticket_id)
            if found is not None and found.row.service_day == today:
                if snap.generation >= pin.generation:
                    return found
                if pin.patched is None or pin.patched[0] is not found:
                    pin.patched = (found, _called(found, pin.event))
                return pin.patched[1]
        snap = await self._snapshot(group_id, today, ticket_id)
        found = snap.entries.get(ticket_id)
        if found is None:  # issued since the snapshot (or moved): read the group again
            self._bump(group_id)
            snap = await self._snapshot(group_id, today, ticket_id, self._generation[group_id])
            found = snap.entries.get(ticket_id)
            if found is None:
                self._group_of.pop(ticket_id, None)
                group_id = await run_in_threadpool(self._find_group, ticket_id)
                if group_id is None:
                    raise NotFound(ticket_id)
                self._bump(group_id)
                need = self._generation[group_id]
                snap = await self._snapshot(group_id, today, ticket_id, need)
                found = snap.entries.get(ticket_id)
        if found is None or found.row.service_day != today:
            raise NotFound(ticket_id)
        return found

    async def state_json(self, ticket_id: str, now: dt.datetime) -> bytes:
        """The page state of today's ticket as JSON (rendered once, and kept across
        snapshots while the ticket's part of it is unchanged)."""
        found = await self.entry(ticket_id, now)
        settings = current_settings(self._app)  # the rating reasons are in the state
        if found.state is None or found.rendered_with is not settings:
            found.state = json.dumps(
                self._state_of(self._app, found), ensure_ascii=False, separators=(",", ":")
            ).encode()
            found.rendered_with = settings
        return found.state

    async def _snapshot(
        self, group_id: str, day: dt.date, ticket_id: str | None = None, need: int = 0
    ) -> Snapshot:
        """The group's snapshot for ``day``: the current one when fresh; else the previous
        one (stale-while-revalidate: a renewal starts in the background, one at a time per
        group) while it is younger than ``MAX_STALE_S`` and holds ``ticket_id``'s own
        latest event (never served stale) and generation ``need``; else it waits for a
        build that does."""
        pin = self._pinned.get((group_id, ticket_id)) if ticket_id and self._pinned else None
        if pin is not None:
            need = max(need, pin.generation)
        while True:
            generation = self._generation.setdefault(group_id, 0)
            snap = self._snapshots.get(group_id)
            if snap is not None and snap.day == day:
                age = time.monotonic() - snap.built
                if snap.generation == generation and age < MAX_AGE_S:
                    return snap
                if snap.generation >= need and age < MAX_STALE_S:
                    self._revalidate(group_id, day)
                    self.served_stale += 1
                    return snap
            pending = self._building.get(group_id)
            if pending is None or pending.generation < need or pending.day != day:
                pending = self._start_build(group_id, day, wait_for=pending)
            self.waited += 1
            snap = await asyncio.shield(pending.task)
            if snap.day == day and snap.generation >= need:
                # good enough even if something changed while it was built (however long
                # it took): the next request renews it in the background
                return snap

    def _revalidate(self, group_id: str, day: dt.date) -> None:
        """Renew a stale snapshot in the background: at once, or — if the last build began
        less than REBUILD_GAP_S ago — then (one timer per group, however many requests)."""
        if group_id in self._building or group_id in self._renew_timer or self._loop is None:
            return
        delay = self._build_began.get(group_id, -REBUILD_GAP_S) + REBUILD_GAP_S - time.monotonic()
        if delay <= 0:
            self._start_build(group_id, day)
        else:
            self._renew_timer[group_id] = self._loop.call_later(
                delay, self._renew_later, group_id, day
            )

    def _keep_warm(self, group_id: str) -> None:
        """While phones of the group are open, renew its snapshot in the background every
        ``MAX_AGE_S`` once it is stale, so that a page read after a quiet spell is not the
        one that waits for a build (the snapshot never passes ``MAX_STALE_S``)."""
        if group_id not in self._warm_timer and self._loop is not None:
            self._warm_timer[group_id] = self._loop.call_later(MAX_AGE_S, self._warm_tick, group_id)

    def _warm_tick(self, group_id: str) -> None:
        self._warm_timer.pop(group_id, None)
        if not self._streams_of_group.get(group_id):
            return  # the group's last phone has gone: no more renewals
        snap = self._snapshots.get(group_id)
        if snap is not None and (
            snap.generation != self._generation.get(group_id, 0)
            or time.monotonic() - snap.built >= MAX_AGE_S
        ):
            self._revalidate(group_id, snap.day)
        self._keep_warm(group_id)

    def _renew_later(self, group_id: str, day: dt.date) -> None:
        self._renew_timer.pop(group_id, None)
        if group_id not in self._building:
            self._start_build(group_id, day)

    def _start_build(self, group_id: str, day: dt.date, wait_for: Build | None = None) -> Build:
        """Start a build of the group's snapshot as of now (after ``wait_for``, the build
        running: one at a time per group) and install it when done."""
        generation = self._generation.setdefault(group_id, 0)
        build = Build(generation, day)

        async def run() -> Snapshot:
            if wait_for is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(wait_for.task)
            self._build_began[group_id] = time.monotonic()
            # the generation as the read begins: events from now on make it stale again
            build.generation = self._generation.setdefault(group_id, 0)
            try:
                snap = await run_in_threadpool(self._build, group_id, day, build.generation)
            finally:
                if self._building.get(group_id) is build:
                    del self._building[group_id]
            previous = self._snapshots.get(group_id)
            if previous is None or previous.generation <= snap.generation:
                _carry_states(previous, snap)
                self._snapshots[group_id] = snap
                for ticket_id in snap.entries:
                    self._group_of[ticket_id] = group_id
                for key in [k for k in self._pinned if k[0] == group_id]:
                    if self._pinned[key].generation <= snap.generation:
                        del self._pinned[key]
            want = self._hint_after_build.get(group_id)
            if want is not None:  # a position hint waits for the change it tells of
                if snap.generation >= want:
                    del self._hint_after_build[group_id]
                    self._send_hint(group_id, built=True)
                elif group_id not in self._building:
                    self._start_build(group_id, day)
            return snap

        build.task = asyncio.get_running_loop().create_task(run())
        build.task.add_done_callback(_retrieve)
        self._building[group_id] = build
        return build

    # -- the queries (worker thread) ------------------------------------------------------
    def _find_group(self, ticket_id: str) -> str | None:
        with connection_transaction(self._app.state.engine, readonly=True) as conn:
            found: str | None = conn.execute(
                select(_T.c.window_group).where(_T.c.id == ticket_id)
            ).scalar()
        return found

    def _build(self, group_id: str, day: dt.date, generation: int) -> Snapshot:
        self.builds += 1
        queue = self._app.state.queue
        group = next((g for g in self._app.state.catalog.groups if g.id == group_id), None)
        built = time.monotonic()
        with connection_transaction(self._app.state.engine, readonly=True) as conn:
            columns = _PG_COLUMNS if conn.dialect.name == "postgresql" else _COLUMNS
            rows = conn.execute(
                select(*columns).where(
                    _T.c.window_group == group_id,
                    or_(_T.c.service_day == day, _T.c.status == "waiting"),
                )
            ).all()
            rated = set(
                conn.execute(
                    select(Rating.ticket_id)
                    .join(Ticket, Ticket.id == Rating.ticket_id)
                    .where(Ticket.window_group == group_id, Ticket.service_day == day)
                ).scalars()
            )
            service_s = float(queue.service_time_s(conn, group)) if group else 0.0
        # by position, not attribute (a build reads every ticket of the group's day)
        waiting = [r for r in rows if r[_STATUS] == "waiting"]
        by_period: dict[str, tuple[list[int], list[int]]] = {}
        for r in waiting:
            by_period.setdefault(r[_PERIOD], ([], []))[0 if r[_PRIORITY] else 1].append(r[_SEQ])
        for prio, regular in by_period.values():
            prio.sort()
            regular.sort()
        entries: dict[str, Entry] = {}
        counters = len(group.counters) if group is not None else 0
        for row in rows:
            ticket_id = row[_ID]
            if row[_STATUS] != "waiting":  # most of a busy day's tickets: nobody ahead
                entries[ticket_id] = Entry(row, 0, 0, ticket_id in rated)
                continue
            if row[_TRANSFERRED] is not None:
                ahead = _ahead_by_rule(row, waiting, group)
            else:
                prio, regular = by_period[row[_PERIOD]]
                if row[_PRIORITY]:  # as Queue._people_ahead: the priority tickets first
                    ahead = bisect.bisect_left(prio, row[_SEQ])
                else:
                    ahead = len(prio) + bisect.bisect_left(regular, row[_SEQ])
            wait_s = round(math.ceil(ahead / counters) * service_s) if ahead and counters else 0
            entries[ticket_id] = Entry(row, ahead, wait_s, ticket_id in rated)
        took = time.monotonic() - built
        if took > SLOW_BUILD_S:
            log.warning("phone view: group %s snapshot of %d tickets took %.0f ms",
                        group_id, len(rows), took * 1000)  # fmt: skip
        return Snapshot(group_id, day, generation, built, entries)


def _ahead_by_rule(ticket: Any, waiting: list[Any], group: Any) -> int:
    """As ``Queue._ahead_by_rule``: a transferred ticket by the call order."""
    day = ticket.service_day
    period = numbering_period(group.daily_reset, day) if group else None
    candidates = [
        call_order.Candidate(
            r.id, ticket.window_group, bool(r.priority), r.issued_at, r.seq, r.front_at,
            r.target_counter,
        )
        for r in waiting
        if r.period in (day.isoformat(), NO_RESET_PERIOD)
        and (r.period == period or r.service_day == day)
    ]  # fmt: skip
    mine = next((c for c in candidates if c.id == ticket.id), None)
    if mine is None:
        return 0
    key = call_order.order_key(mine)
    return sum(1 for c in candidates if call_order.order_key(c) < key)


def names_of(queue: Any, row: Any) -> Any:
    """The ticket's item, window group and location names through the queue's public
    ``describe`` (a ticket not waiting costs no query)."""
    view = SimpleNamespace(**row._asdict())
    view.status = "called"
    return queue.describe(view)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """A background build's failure is logged (a request waiting for it gets it too)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("phone view: snapshot build failed: %r", exc)


def _carry_states(previous: Snapshot | None, snap: Snapshot) -> None:
    """Keep the serialized page state of every ticket whose row, people ahead, wait and
    rating are what they were in the previous snapshot (most of a group between builds):
    rendering is paid once per change, not once per ticket per build."""
    if previous is None or previous.day != snap.day:
        return
    old_entries = previous.entries
    for ticket_id, entry in snap.entries.items():
        old = old_entries.get(ticket_id)
        if (
            old is not None
            and old.state is not None
            and old.ahead == entry.ahead
            and old.wait_s == entry.wait_s
            and old.rated == entry.rated
            and old.row == entry.row
        ):
            entry.state, entry.rendered_with = old.state, old.rendered_with
