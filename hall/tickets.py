"""Ticket stores: issuing tickets, estimating waits, calling and closing them at counters.

Framework-free (no FastAPI here): ``hall.app`` maps the errors of ``hall.queue_rules`` to
HTTP codes.

One interface, ``TicketStore``, and one implementation per backend, chosen once by
``hall.app.create_app``:

- ``SqlTicketStore`` (this module): every operation with SQLAlchemy on any database — the
  reads, calling and staff actions of both backends, and ``issue`` in Core statements;
- ``hall.tickets_sqlite.SqliteTicketStore``: issuing on the SQLite driver's cursor, and
  from the event loop on the process's writer thread (group commit);
- ``hall.tickets_pg.PostgresTicketStore``: issuing from the event loop in ONE statement on
  a fast-path connection (``hall.db.AsyncPgPool``).

The rules (transitions, a new ticket's values, the wait estimate, the API view, transfers)
are the plain functions of ``hall.queue_rules``; the call order is ``hall.call_order``.

Queue order inside a window group: priority tickets (绿色通道) first, then by number. A
counter serving several groups takes the head of each group's queue and calls the one that
is priority, else the one issued earliest. Only the current numbering period counts:
yesterday's unserved tickets of a daily-reset group are no longer in the queue.

Issuing is the hot path (every kiosk, all day). It takes the number, inserts the ticket
and reads its position in ONE transaction, with the same behaviour on every store. Each
store can check the kiosk's token in the same transaction (``token_hash``), so a token
cached by ``hall.auth`` that was rotated meanwhile is refused at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import Connection, Engine, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.api import TicketOut, TicketRequest
from contract.catalog import Catalog, WindowGroup
from hall import call_order
from hall.db import connection_transaction, run_connection_transaction, transaction
from hall.models import (
    NO_RESET_PERIOD,
    CounterState,
    Kiosk,
    QueueAction,
    Staff,
    Ticket,
    UTCDateTime,
)
from hall.numbering import format_number, next_seq, numbering_period, service_day
from hall.queue_rules import (
    RETURN_DETAIL,
    SERVICE_TIME_SAMPLE,
    TRANSITIONS,
    CatalogIndex,
    CounterPaused,
    IdempotencyConflict,
    InvalidTransition,
    KioskNotAuthorized,
    NotYourTicket,
    TicketNotFound,
    UnknownCounter,
    UnknownService,
    new_ticket_values,
    ticket_out,
    transfer_target,
    utc,
    wait_s,
)
from hall.queue_rules import service_time_s as _service_time_s

log = logging.getLogger(__name__)

_CALL_ATTEMPTS = 10


# -- SQLAlchemy Core statements (built once; parameters bound at execution) ----------------
TICKETS = Ticket.__table__
VIEW_COLUMNS = (
    TICKETS.c.id,
    TICKETS.c.number,
    TICKETS.c.service_id,
    TICKETS.c.window_group,
    TICKETS.c.period,
    TICKETS.c.service_day,
    TICKETS.c.seq,
    TICKETS.c.priority,
    TICKETS.c.language,
    TICKETS.c.masked_name,
    TICKETS.c.status,
    TICKETS.c.kiosk_id,
    TICKETS.c.counter,
    TICKETS.c.called_at,
    TICKETS.c.completed_at,
    TICKETS.c.recall_count,
    TICKETS.c.issued_at,
    TICKETS.c.transferred_at,
)
"""What ``describe`` needs of a ticket row."""
VIEW_NAMES = tuple(c.name for c in VIEW_COLUMNS)

BY_KEY = select(*VIEW_COLUMNS).where(
    TICKETS.c.kiosk_id == bindparam("kiosk_id"), TICKETS.c.idempotency_key == bindparam("key")
)
_BY_ID = select(*VIEW_COLUMNS).where(TICKETS.c.id == bindparam("id"))
_INSERT_TICKET = TICKETS.insert()
_TOKEN_OK = select(Kiosk.id).where(
    Kiosk.id == bindparam("kiosk_id"), Kiosk.token_hash == bindparam("token_hash")
)


def _count_waiting(priority: bool, before_seq: bool) -> Any:
    """Waiting tickets of a group and period with this priority flag (and a lower number).

    Each count is one range of the index ix_tickets_queue
    (window_group, period, status, priority, seq).
    """
    where = [
        TICKETS.c.window_group == bindparam("window_group"),
        TICKETS.c.period == bindparam("period"),
        TICKETS.c.status == "waiting",
        TICKETS.c.priority.is_(priority),
    ]
    if before_seq:
        where.append(TICKETS.c.seq < bindparam("seq"))
    return select(func.count()).select_from(TICKETS).where(*where).scalar_subquery()


_AHEAD_OF_PRIORITY = select(_count_waiting(True, before_seq=True))
"""A priority ticket waits behind earlier priority tickets only."""
_AHEAD_OF_REGULAR = select(
    _count_waiting(True, before_seq=False) + _count_waiting(False, before_seq=True)
)
"""A regular ticket waits behind every priority ticket and earlier regular ones."""
_SERVICE_TIMES = (
    select(TICKETS.c.called_at, TICKETS.c.completed_at)
    .where(
        TICKETS.c.window_group == bindparam("window_group"),
        TICKETS.c.status == "completed",
        TICKETS.c.called_at.is_not(None),
        TICKETS.c.completed_at.is_not(None),
    )
    .order_by(TICKETS.c.completed_at.desc())
    .limit(SERVICE_TIME_SAMPLE)
)


def issue_key(values: dict[str, Any]) -> dict[str, str]:
    """``BY_KEY``'s parameters for a new ticket's values (``new_ticket_values``)."""
    return {"kiosk_id": values["kiosk_id"], "key": values["idempotency_key"]}


class TicketStore(Protocol):
    """What the routes, the counter page and the other hall modules do with tickets.

    ``hall.app.create_app`` makes one for its database (``app.state.queue``)."""

    engine: Engine
    catalog: Catalog
    tz: ZoneInfo

    async def aclose(self) -> None: ...

    def issue(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime, *, token_hash: str | None = None
    ) -> tuple[TicketOut, bool]: ...

    async def issue_async(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime, *, token_hash: str | None = None
    ) -> tuple[TicketOut, bool]: ...

    def get(self, ticket_id: str) -> TicketOut: ...

    def describe(self, ticket: Any, conn: Connection | Session | None = None) -> TicketOut: ...

    def counter_groups(self, counter_id: str) -> list[WindowGroup]: ...

    def waiting_for(self, counter_id: str, now: dt.datetime, limit: int = 100) -> list[Ticket]: ...

    def call_next(self, counter_id: str, staff_id: int, now: dt.datetime) -> TicketOut | None: ...

    async def call_next_async(
        self, counter_id: str, staff_id: int, now: dt.datetime
    ) -> TicketOut | None: ...

    def call_ticket(
        self, counter_id: str, ticket_id: str, staff_id: int, now: dt.datetime
    ) -> TicketOut: ...

    def act(
        self,
        ticket_id: str,
        action: str,
        staff_id: int,
        now: dt.datetime,
        *,
        to_group: str | None = None,
        to_counter: str | None = None,
        reason: str | None = None,
        outcome: str | None = None,
    ) -> TicketOut: ...

    def set_paused(
        self, counter_id: str, paused: bool, staff_id: int, now: dt.datetime
    ) -> dict[str, Any]: ...

    def sign_in(
        self, counter_id: str, staff_id: int, now: dt.datetime, *, out: bool = False
    ) -> None: ...

    def counter_status(self, counter_id: str) -> dict[str, Any]: ...


class SqlTicketStore:
    """Ticket operations on one database with SQLAlchemy, for one catalog and hall time
    zone: the whole ``TicketStore`` on any database, and the base of the backends' stores,
    which replace its issuing path with their fast ones."""

    def __init__(self, engine: Engine, catalog: Catalog, tz: ZoneInfo, id_hash_key: bytes):
        self.engine = engine
        self.catalog = catalog
        self.tz = tz
        self._id_hash_key = id_hash_key
        self.index = CatalogIndex(catalog)
        self._groups = self.index.groups

    async def aclose(self) -> None:
        """Release what the store holds (the backends' fast paths); the app's shutdown."""

    # -- issuing ------------------------------------------------------------------------
    def _ticket_values(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime
    ) -> tuple[WindowGroup, dict[str, Any]]:
        return new_ticket_values(self.index, self.tz, self._id_hash_key, kiosk_id, req, now)

    def issue(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime, *, token_hash: str | None = None
    ) -> tuple[TicketOut, bool]:
        """Issue a ticket, or return the one this (kiosk, idempotency key) already got.

        Returns (ticket, created). The counter increment, the insert and the people-ahead
        count share one transaction; a concurrent retry that loses the race on the
        idempotency constraint rolls back (returning its number) and reads the winner's
        ticket. With ``token_hash``, the kiosk's token is checked in the same transaction
        (KioskNotAuthorized if it no longer matches).
        """
        try:
            group, values = self._ticket_values(kiosk_id, req, now)
        except UnknownService:
            if token_hash is not None and not self._token_ok(kiosk_id, token_hash):
                raise KioskNotAuthorized("invalid token") from None
            raise
        ticket, created = self._issue_transaction(group, values, token_hash)
        return self._issued(ticket, created, req, group)

    async def issue_async(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime, *, token_hash: str | None = None
    ) -> tuple[TicketOut, bool]:
        """``issue`` for the event loop: the new ticket's values here, then the backend's
        ``_issue_fast``. An unknown service goes ``issue``'s way on a worker thread (its
        token check reads the database), so both answer it alike."""
        try:
            group, values = self._ticket_values(kiosk_id, req, now)
        except UnknownService:
            call = functools.partial(self.issue, kiosk_id, req, now, token_hash=token_hash)
            return await anyio.to_thread.run_sync(call)
        ticket, created = await self._issue_fast(group, values, token_hash)
        return self._issued(ticket, created, req, group)

    async def _issue_fast(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> tuple[TicketOut, bool]:
        """(ticket, created) for ``issue_async`` of a new ticket's ``values``: here
        ``issue``'s transaction on a worker thread; the backends replace it with their
        fast paths."""
        call = functools.partial(self._issue_transaction, group, values, token_hash)
        return await anyio.to_thread.run_sync(call)

    def _issue_transaction(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> tuple[TicketOut, bool]:
        """``issue``'s transaction (``_issue_work``), and the winner's ticket when a
        concurrent retry of the same key lost the race."""
        try:
            return run_connection_transaction(
                self.engine, self._issue_work(group, values, token_hash)
            )
        except IntegrityError:
            found = self._find_by_key(issue_key(values))
            if found is None:  # the (prefix, period, seq) guard fired: counter out of step
                log.error("ticket number conflict for prefix %s", group.prefix)
                raise
            log.info("concurrent retry of %s lost the race; returning it", found.number)
            return found, False

    def _issue_work(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> Callable[[Connection], tuple[TicketOut, bool]]:
        """The transaction body of ``issue`` (it may run again on a retry)."""
        key = issue_key(values)

        def work(conn: Connection) -> tuple[TicketOut, bool]:
            if token_hash is not None:
                params = {"kiosk_id": key["kiosk_id"], "token_hash": token_hash}
                if conn.execute(_TOKEN_OK, params).first() is None:
                    raise KioskNotAuthorized("invalid token")
            existing = conn.execute(BY_KEY, key).first()
            if existing is not None:
                return self.describe(existing, conn), False
            seq = next_seq(conn, group.prefix, values["period"])
            row = {
                **values,
                "id": str(uuid.uuid4()),
                "seq": seq,
                "number": format_number(group.prefix, seq),
            }
            conn.execute(_INSERT_TICKET, row)
            view = SimpleNamespace(**row, counter=None, called_at=None, completed_at=None)
            return self.describe(view, conn), True

        return work

    def _issued(
        self, ticket: TicketOut, created: bool, req: TicketRequest, group: WindowGroup
    ) -> tuple[TicketOut, bool]:
        if not created and ticket.service_id != req.service_id:
            raise IdempotencyConflict(
                f"idempotency_key {req.idempotency_key!r} was used for {ticket.service_id!r}"
            )
        if created:
            log.info("issued %s (%s) to kiosk %s", ticket.number, group.id, ticket.kiosk_id)
        return ticket, created

    def _find_by_key(self, key: dict[str, str]) -> TicketOut | None:
        with connection_transaction(self.engine, readonly=True) as conn:
            row = conn.execute(BY_KEY, key).first()
            return self.describe(row, conn) if row is not None else None

    def _token_ok(self, kiosk_id: str, token_hash: str) -> bool:
        with connection_transaction(self.engine, readonly=True) as conn:
            params = {"kiosk_id": kiosk_id, "token_hash": token_hash}
            return conn.execute(_TOKEN_OK, params).first() is not None

    # -- reading ------------------------------------------------------------------------
    def get(self, ticket_id: str) -> TicketOut:
        with connection_transaction(self.engine, readonly=True) as conn:
            row = conn.execute(_BY_ID, {"id": ticket_id}).first()
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            return self.describe(row, conn)

    def describe(self, ticket: Any, conn: Connection | Session | None = None) -> TicketOut:
        """The API view of a ticket (an ORM Ticket or a row with the ``VIEW_COLUMNS``),
        with a live people-ahead count and wait estimate read through ``conn`` (inside the
        caller's transaction), or in a short read transaction of its own."""
        ahead, wait = 0, 0
        if ticket.status == "waiting":
            if conn is None:
                with connection_transaction(self.engine, readonly=True) as own:
                    return self.describe(ticket, own)
            if getattr(ticket, "transferred_at", None) is not None:
                ahead = self._ahead_by_rule(conn, ticket)
            else:
                ahead = self._people_ahead(conn, ticket)
            if ahead:
                group = self._groups.get(ticket.window_group)
                durations = self._service_durations(conn, group.id) if group else []
                wait = wait_s(group, ahead, durations)
        return ticket_out(self.index, ticket, ahead, wait)

    def _ahead_by_rule(self, conn: Connection | Session, ticket: Any) -> int:
        """People ahead of a transferred ticket in its new group, by the call rule (its
        number's sequence belongs to another prefix, so the index ranges do not apply)."""
        group = self._groups.get(ticket.window_group)
        period = numbering_period(group.daily_reset, ticket.service_day) if group else None
        rows = conn.execute(
            select(
                TICKETS.c.id, TICKETS.c.priority, TICKETS.c.issued_at, TICKETS.c.seq,
                TICKETS.c.front_at, TICKETS.c.target_counter,
            ).where(
                TICKETS.c.window_group == ticket.window_group,
                TICKETS.c.period.in_({ticket.service_day.isoformat(), NO_RESET_PERIOD}),
                TICKETS.c.status == "waiting",
                or_(TICKETS.c.period == period, TICKETS.c.service_day == ticket.service_day),
            )
        ).all()  # fmt: skip
        candidates = [
            call_order.Candidate(r.id, ticket.window_group, bool(r.priority), r.issued_at,
                                 r.seq, r.front_at, r.target_counter)
            for r in rows
        ]  # fmt: skip
        mine = next((c for c in candidates if c.id == ticket.id), None)
        if mine is None:
            return 0
        key = call_order.order_key(mine)
        return sum(1 for c in candidates if call_order.order_key(c) < key)

    @staticmethod
    def _people_ahead(conn: Connection | Session, ticket: Any) -> int:
        """Waiting tickets of the same group and period that will be called first."""
        stmt = _AHEAD_OF_PRIORITY if ticket.priority else _AHEAD_OF_REGULAR
        params = {"window_group": ticket.window_group, "period": ticket.period, "seq": ticket.seq}
        return int(conn.execute(stmt, params).scalar_one() or 0)

    @staticmethod
    def _service_durations(conn: Connection | Session, group_id: str) -> list[float]:
        rows = conn.execute(_SERVICE_TIMES, {"window_group": group_id}).all()
        return [(done - called).total_seconds() for called, done in rows if called and done]

    @classmethod
    def service_time_s(cls, conn: Connection | Session, group: WindowGroup) -> float:
        """Median of the last 20 real service times (completed − called), seconds.

        Falls back to the catalog's ``avg_service_s`` while fewer than 3 are known.
        """
        return _service_time_s(group, cls._service_durations(conn, group.id))

    # -- counters -----------------------------------------------------------------------
    def counter_groups(self, counter_id: str) -> list[WindowGroup]:
        """The groups this counter calls from (``hall.call_order.counter_scope``)."""
        groups = call_order.counter_scope(self.catalog, counter_id)
        if not groups:
            raise UnknownCounter(f"unknown counter {counter_id!r} (no window group lists it)")
        return groups

    def _waiting_query(self, group: WindowGroup, day: dt.date, counter_id: str) -> Any:
        """Waiting tickets of a group today that this counter may call, in calling order
        (the SQL form of ``call_order.order_key``). Transferred-in tickets keep their own
        numbering period, so the group's period OR today's service day selects them."""
        return (
            select(Ticket)
            .where(
                Ticket.window_group == group.id,
                # Numbering periods are a day or "perpetual": the IN keeps the look-up on
                # the index ix_tickets_queue instead of the group's whole history.
                Ticket.period.in_({day.isoformat(), NO_RESET_PERIOD}),
                Ticket.status == "waiting",
                or_(
                    Ticket.period == numbering_period(group.daily_reset, day),
                    Ticket.service_day == day,
                ),
                or_(Ticket.target_counter.is_(None), Ticket.target_counter == counter_id),
            )
            .order_by(
                Ticket.front_at.is_(None),
                Ticket.front_at,
                Ticket.priority.desc(),
                Ticket.issued_at,
                Ticket.seq,
            )
        )

    @staticmethod
    def _candidate(t: Ticket) -> call_order.Candidate:
        return call_order.Candidate(
            id=t.id,
            window_group=t.window_group,
            priority=t.priority,
            issued_at=t.issued_at,
            seq=t.seq,
            front_at=t.front_at,
            target_counter=t.target_counter,
        )

    def waiting_for(self, counter_id: str, now: dt.datetime, limit: int = 100) -> list[Ticket]:
        """This counter's waiting list in calling order (detached rows; at most ``limit``)."""
        groups = self.counter_groups(counter_id)
        day = service_day(now, self.tz)
        with transaction(self.engine, readonly=True) as session:
            rows = [
                t
                for g in groups
                for t in session.scalars(self._waiting_query(g, day, counter_id).limit(limit))
            ]
            session.expunge_all()
        by_id = {t.id: t for t in rows}
        ordered = call_order.in_order((self._candidate(t) for t in rows), counter_id)
        return [by_id[c.id] for c in ordered[:limit]]

    def counter_paused(self, session: Session, counter_id: str) -> bool:
        state = session.get(CounterState, counter_id)
        return bool(state is not None and state.paused)

    def _bind_counter(
        self, session: Session, counter_id: str, staff_id: int, now: dt.datetime
    ) -> CounterState:
        """The counter's state row, now with this member of staff on duty."""
        state = session.get(CounterState, counter_id)
        if state is None:
            state = CounterState(counter_id=counter_id, paused=False, changed_at=now)
            session.add(state)
        if state.staff_id != staff_id:
            state.staff_id = staff_id
            state.changed_at = now
        return state

    @staticmethod
    def _log(
        session: Session,
        kind: str,
        staff_id: int,
        now: dt.datetime,
        *,
        ticket_id: str | None = None,
        counter_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        session.add(
            QueueAction(
                kind=kind,
                ticket_id=ticket_id,
                counter_id=counter_id,
                staff_id=staff_id,
                detail=detail,
                at=now,
            )
        )

    def _check_open(self, session: Session, counter_id: str) -> None:
        if self.counter_paused(session, counter_id):
            raise CounterPaused.of(counter_id)

    def call_next(self, counter_id: str, staff_id: int, now: dt.datetime) -> TicketOut | None:
        """Call the next waiting ticket for this counter, or None when nobody waits.

        The order is ``hall.call_order``'s rule. The ticket is claimed with a conditional
        UPDATE (still waiting?), so two counters calling at once never get the same
        ticket: the loser simply picks again. CounterPaused while the counter is on break.
        """
        groups = self.counter_groups(counter_id)
        day = service_day(now, self.tz)
        lock = self._lock_heads(groups)
        for _ in range(_CALL_ATTEMPTS):
            with transaction(self.engine) as session:
                self._check_open(session, counter_id)
                heads = []
                for g in groups:
                    query = self._waiting_query(g, day, counter_id).limit(1)
                    if lock:
                        query = query.with_for_update(skip_locked=True)
                    heads.extend(session.scalars(query))
                chosen_c = call_order.pick((self._candidate(t) for t in heads), counter_id)
                if chosen_c is None:
                    return None
                chosen = next(t for t in heads if t.id == chosen_c.id)
                claimed = self._claim(session, chosen, counter_id, staff_id, now)
            if claimed:
                log.info("counter %s called %s", counter_id, chosen.number)
                return self.describe(chosen)
        raise InvalidTransition("too many concurrent calls; try again")

    async def call_next_async(
        self, counter_id: str, staff_id: int, now: dt.datetime
    ) -> TicketOut | None:
        """``call_next`` for the event loop: on a worker thread here (PostgreSQL's store
        sends one statement from the loop instead)."""
        call = functools.partial(self.call_next, counter_id, staff_id, now)
        return await anyio.to_thread.run_sync(call)

    def _lock_heads(self, groups: list[WindowGroup]) -> bool:
        """Whether ``call_next`` reads the head of the queue with ``FOR UPDATE SKIP
        LOCKED`` (a store whose database has it): off here."""
        return False

    def _claim(
        self, session: Session, ticket: Ticket, counter_id: str, staff_id: int, now: dt.datetime
    ) -> bool:
        claimed = session.scalar(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status == "waiting")
            .values(
                status="called",
                counter=counter_id,
                staff_id=staff_id,
                called_at=now,
                first_called_at=func.coalesce(
                    Ticket.first_called_at, bindparam(None, now, type_=UTCDateTime())
                ),
                target_counter=None,
                front_at=None,
            )
            .returning(Ticket.id)
        )
        if claimed is None:
            return False
        self._bind_counter(session, counter_id, staff_id, now)
        self._log(session, "call", staff_id, now, ticket_id=ticket.id, counter_id=counter_id)
        session.refresh(ticket)
        return True

    def call_ticket(
        self, counter_id: str, ticket_id: str, staff_id: int, now: dt.datetime
    ) -> TicketOut:
        """指定叫号: call this waiting ticket at this counter, out of the usual order.

        It must be waiting in a queue this counter calls from, and not reserved for
        another counter (InvalidTransition otherwise)."""
        groups = {g.id for g in self.counter_groups(counter_id)}
        with transaction(self.engine) as session:
            self._check_open(session, counter_id)
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            if ticket.status != "waiting":
                raise InvalidTransition(
                    f"cannot call ticket {ticket.number}: it is {ticket.status}, not waiting"
                )
            if ticket.window_group not in groups:
                raise InvalidTransition(
                    f"ticket {ticket.number} waits for group {ticket.window_group},"
                    f" which counter {counter_id} does not serve"
                )
            if ticket.target_counter not in (None, counter_id):
                raise InvalidTransition(
                    f"ticket {ticket.number} is reserved for counter {ticket.target_counter}"
                )
            if not self._claim(session, ticket, counter_id, staff_id, now):
                raise InvalidTransition(f"ticket {ticket.number} was just called elsewhere")
        log.info("counter %s called %s (chosen)", counter_id, ticket.number)
        return self.describe(ticket)

    def _authorize(self, session: Session, ticket: Ticket, staff_id: int) -> None:
        """Only the counter that holds the ticket may act on it: the staff member who
        called it, whoever is now on duty at its counter, or a supervisor."""
        if ticket.staff_id == staff_id:
            return
        if ticket.counter is not None:
            state = session.get(CounterState, ticket.counter)
            if state is not None and state.staff_id == staff_id:
                return
        staff = session.get(Staff, staff_id)
        if staff is not None and staff.supervisor:
            return
        where = f"counter {ticket.counter}" if ticket.counter else "another counter"
        raise NotYourTicket(f"ticket {ticket.number} is held by {where}, not by you")

    def act(
        self,
        ticket_id: str,
        action: str,
        staff_id: int,
        now: dt.datetime,
        *,
        to_group: str | None = None,
        to_counter: str | None = None,
        reason: str | None = None,
        outcome: str | None = None,
    ) -> TicketOut:
        """recall / no-show / complete / hold / resume / transfer a ticket, as its counter.

        ``outcome="return"`` on complete records a 退件 (the matter was handed back, e.g.
        incomplete materials) as ``RETURN_DETAIL`` in ``queue_actions`` (退件率).

        Checks, with nothing changed on failure: TicketNotFound, NotYourTicket (another
        counter's ticket), InvalidTransition (its state forbids it), and for a transfer
        UnknownGroup / UnknownCounter / CounterPaused. The acting staff member is recorded
        on the ticket (a later rating goes to them) and in ``queue_actions``.
        """
        rule = TRANSITIONS[action]
        values: dict[str, object] = {"status": rule.to}
        detail = None
        if action in ("transfer", "resume"):
            values.update(counter=None, called_at=None, held_at=None, front_at=None)
        if action == "transfer":
            group, detail = transfer_target(self.index, to_group, to_counter, reason)
            values.update(
                window_group=group.id,
                target_counter=to_counter,
                transferred_at=now,
                transfer_count=Ticket.transfer_count + 1,
            )
        elif action == "complete" and outcome == "return":
            detail = f"{RETURN_DETAIL}:{reason}" if reason else RETURN_DETAIL  # reason: a code
        with transaction(self.engine) as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            if ticket.status not in rule.allowed_from:
                raise InvalidTransition(
                    f"cannot {action} ticket {ticket.number}: it is {ticket.status}"
                )
            self._authorize(session, ticket, staff_id)
            target = values.get("target_counter")
            if isinstance(target, str):
                self._check_open(session, target)
            counter = ticket.counter
            if action == "recall":
                values["recall_count"] = Ticket.recall_count + 1
            elif action == "complete":
                values["completed_at"] = now
                values["returned"] = outcome == "return"
            elif action == "no-show":
                values["no_show_at"] = now
            elif action == "hold":
                values["held_at"] = now
            elif action == "resume":
                values.update(front_at=now, target_counter=counter)
            if action not in ("transfer", "resume"):
                values["staff_id"] = staff_id
            changed = session.scalar(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status.in_(rule.allowed_from))
                .values(**values)
                .returning(Ticket.id)
            )
            if changed is None:
                raise InvalidTransition(
                    f"cannot {action} ticket {ticket.number}: it is {ticket.status}"
                )
            self._log(
                session,
                action.replace("-", "_"),
                staff_id,
                now,
                ticket_id=ticket_id,
                counter_id=counter,
                detail=detail,
            )
            session.refresh(ticket)
        log.info("ticket %s: %s by staff %s", ticket.number, action, staff_id)
        return self.describe(ticket)

    def set_paused(
        self, counter_id: str, paused: bool, staff_id: int, now: dt.datetime
    ) -> dict[str, Any]:
        """暂停服务 / 恢复服务; the counter's state as ``counter_status`` gives it."""
        self.counter_groups(counter_id)
        with transaction(self.engine) as session:
            state = self._bind_counter(session, counter_id, staff_id, now)
            if state.paused != paused:
                state.paused = paused
                state.changed_at = now
            self._log(session, "pause" if paused else "open", staff_id, now, counter_id=counter_id)
        log.info("counter %s %s by staff %s", counter_id, "paused" if paused else "open", staff_id)
        return self.counter_status(counter_id)

    def sign_in(
        self, counter_id: str, staff_id: int, now: dt.datetime, *, out: bool = False
    ) -> None:
        """The counter page's sign-in (on duty at this counter) or sign-out, logged."""
        self.counter_groups(counter_id)
        with transaction(self.engine) as session:
            if out:
                state = session.get(CounterState, counter_id)
                if state is not None and state.staff_id == staff_id:
                    state.staff_id = None
                    state.changed_at = now
            else:
                self._bind_counter(session, counter_id, staff_id, now)
            kind = "sign_out" if out else "sign_in"
            self._log(session, kind, staff_id, now, counter_id=counter_id)

    def counter_status(self, counter_id: str) -> dict[str, Any]:
        groups = self.counter_groups(counter_id)
        with transaction(self.engine, readonly=True) as session:
            state = session.get(CounterState, counter_id)
            return {
                "counter_id": counter_id,
                "paused": bool(state and state.paused),
                "staff_id": state.staff_id if state else None,
                "groups": [g.id for g in groups],
                "changed_at": utc(state.changed_at) if state else None,
            }
