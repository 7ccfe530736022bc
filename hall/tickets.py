"""The queue: issuing tickets, estimating waits, calling and closing them at counters.

Framework-free (no FastAPI here): ``hall.app`` maps the exceptions below to HTTP codes.

Queue order inside a window group: priority tickets (绿色通道) first, then by number. A
counter serving several groups takes the head of each group's queue and calls the one that
is priority, else the one issued earliest. Only the current numbering period counts:
yesterday's unserved tickets of a daily-reset group are no longer in the queue.

Issuing is the hot path (every kiosk, all day). It takes the number, inserts the ticket
and reads its position in ONE transaction, with the same behaviour on both paths:

- ``issue`` (SQLite, and any database): SQLAlchemy Core statements on one connection in
  one transaction; the position is read after the counter row is locked, so every lower
  number of the group is committed and counted.
- ``issue_async`` on PostgreSQL: ONE autocommit statement (``_pg_issue_one_sql``): an
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` CTE increments the counter and feeds the
  ticket's ``INSERT … SELECT``, whose ``RETURNING`` row comes back with the people-ahead
  count and the group's latest service times. It is prepared once per connection and
  sent from the event loop (no thread hop): one network round trip, and the counter row
  is locked only while the server runs the statement and commits, never across a client
  round trip. Retries of a key and the rare priority ticket issued under contention need
  one more read.

Both can check the kiosk's token in the same transaction (``token_hash``), so a token
cached by ``hall.auth`` that was rotated meanwhile is refused at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import random
import statistics
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import Connection, Engine, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.api import TicketOut, TicketRequest
from contract.catalog import Bundle, Catalog, Service, WindowGroup
from hall import call_order
from hall.db import (
    RETRY_SQLSTATES,
    AsyncPgPool,
    SqliteWriter,
    connection_transaction,
    run_connection_transaction,
    transaction,
)
from hall.models import (
    NO_RESET_PERIOD,
    CounterState,
    Kiosk,
    QueueAction,
    Staff,
    Ticket,
    UTCDateTime,
)
from hall.numbering import (
    PG_FORMAT_NUMBER_SQL,
    PG_NEXT_SEQ_CTE,
    format_number,
    next_seq,
    numbering_period,
    service_day,
)
from hall.privacy import hash_id_number

log = logging.getLogger(__name__)

SERVICE_TIME_SAMPLE = 20
"""How many of a group's latest completed tickets the wait estimate looks at."""
MIN_SERVICE_TIME_SAMPLE = 3
"""Below this many completed tickets the catalog's avg_service_s is used instead."""
RETURN_DETAIL = "outcome:return"
"""``queue_actions.detail`` of a ``complete`` whose outcome is 退件 (returned)."""
_CALL_ATTEMPTS = 10
_PG_ISSUE_ATTEMPTS = 5
"""Fast-path attempts: serialization failures, deadlocks and broken connections retry."""


class QueueError(Exception):
    """Base of the errors the API reports to the caller."""


class UnknownService(QueueError):
    pass


class UnknownCounter(QueueError):
    pass


class TicketNotFound(QueueError):
    pass


class InvalidTransition(QueueError):
    pass


class IdempotencyConflict(QueueError):
    pass


class UnknownGroup(QueueError):
    """A transfer names a window group the catalog does not have."""


class NotYourTicket(QueueError):
    """Only the counter that holds a ticket (or a supervisor) may act on it: 403."""


class CounterPaused(QueueError):
    """The counter is on break (暂停服务): it calls nobody and takes no transfers: 409."""


class KioskNotAuthorized(QueueError):
    """The kiosk token given to ``issue`` no longer matches (rotated): 401."""


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in UTC, whatever clock or database produced them."""
    return value.astimezone(dt.UTC) if value is not None else None


@dataclass(frozen=True)
class _Transition:
    allowed_from: frozenset[str]
    to: str


TRANSITIONS = {
    "recall": _Transition(frozenset({"called"}), "called"),
    "no-show": _Transition(frozenset({"called"}), "no_show"),
    "complete": _Transition(frozenset({"called"}), "completed"),
    "hold": _Transition(frozenset({"called"}), "held"),
    "resume": _Transition(frozenset({"held"}), "waiting"),
    "transfer": _Transition(frozenset({"called", "held"}), "waiting"),
}
"""Staff actions on a called ticket; anything else is an invalid transition (409)."""


# -- SQLAlchemy Core statements (built once; parameters bound at execution) ----------------
_T = Ticket.__table__
_VIEW_COLUMNS = (
    _T.c.id,
    _T.c.number,
    _T.c.service_id,
    _T.c.window_group,
    _T.c.period,
    _T.c.service_day,
    _T.c.seq,
    _T.c.priority,
    _T.c.language,
    _T.c.masked_name,
    _T.c.status,
    _T.c.kiosk_id,
    _T.c.counter,
    _T.c.called_at,
    _T.c.completed_at,
    _T.c.recall_count,
    _T.c.issued_at,
    _T.c.transferred_at,
)
"""What ``describe`` needs of a ticket row."""
_VIEW_NAMES = tuple(c.name for c in _VIEW_COLUMNS)

_BY_KEY = select(*_VIEW_COLUMNS).where(
    _T.c.kiosk_id == bindparam("kiosk_id"), _T.c.idempotency_key == bindparam("key")
)
_BY_ID = select(*_VIEW_COLUMNS).where(_T.c.id == bindparam("id"))
_INSERT_TICKET = _T.insert()
_TOKEN_OK = select(Kiosk.id).where(
    Kiosk.id == bindparam("kiosk_id"), Kiosk.token_hash == bindparam("token_hash")
)


def _count_waiting(priority: bool, before_seq: bool) -> Any:
    """Waiting tickets of a group and period with this priority flag (and a lower number).

    Each count is one range of the index ix_tickets_queue
    (window_group, period, status, priority, seq).
    """
    where = [
        _T.c.window_group == bindparam("window_group"),
        _T.c.period == bindparam("period"),
        _T.c.status == "waiting",
        _T.c.priority.is_(priority),
    ]
    if before_seq:
        where.append(_T.c.seq < bindparam("seq"))
    return select(func.count()).select_from(_T).where(*where).scalar_subquery()


_AHEAD_OF_PRIORITY = select(_count_waiting(True, before_seq=True))
"""A priority ticket waits behind earlier priority tickets only."""
_AHEAD_OF_REGULAR = select(
    _count_waiting(True, before_seq=False) + _count_waiting(False, before_seq=True)
)
"""A regular ticket waits behind every priority ticket and earlier regular ones."""
_SERVICE_TIMES = (
    select(_T.c.called_at, _T.c.completed_at)
    .where(
        _T.c.window_group == bindparam("window_group"),
        _T.c.status == "completed",
        _T.c.called_at.is_not(None),
        _T.c.completed_at.is_not(None),
    )
    .order_by(_T.c.completed_at.desc())
    .limit(SERVICE_TIME_SAMPLE)
)


# -- PostgreSQL fast path (raw SQL for psycopg, parameters in %(name)s style) --------------
_PG_NEW_KEY = (
    "NOT EXISTS (SELECT 1 FROM tickets WHERE kiosk_id = %(kiosk_id)s AND idempotency_key = %(key)s)"
)
_PG_TOKEN_OK = (
    "EXISTS (SELECT 1 FROM kiosks WHERE id = %(kiosk_id)s AND token_hash = %(token_hash)s)"
)


def _pg_describe_sql(check_token: bool) -> str:
    """The ticket of (kiosk, key) with what ``describe`` computes: the people-ahead count
    (same two index ranges as ``_AHEAD_OF_*``) and, when someone is ahead, the group's
    latest service times in seconds (as ``_SERVICE_TIMES``); plus whether the token is
    (still) the kiosk's. For retries, and to re-read a priority ticket's position."""
    authorized = (
        "EXISTS (SELECT 1 FROM kiosks k WHERE k.id = t.kiosk_id AND k.token_hash = %(token_hash)s)"
        if check_token
        else "TRUE"
    )
    columns = ", ".join(f"t.{name}" for name in _VIEW_NAMES)
    return f"""SELECT {columns}, a.ahead,
    CASE WHEN a.ahead > 0 THEN ARRAY(
        SELECT EXTRACT(EPOCH FROM c.completed_at - c.called_at) FROM tickets c
        WHERE c.window_group = t.window_group AND c.status = 'completed'
            AND c.called_at IS NOT NULL AND c.completed_at IS NOT NULL
        ORDER BY c.completed_at DESC LIMIT {SERVICE_TIME_SAMPLE}) END AS durations,
    {authorized} AS authorized
FROM tickets t
CROSS JOIN LATERAL (SELECT CASE WHEN t.status <> 'waiting' THEN 0 ELSE
    (SELECT count(*) FROM tickets p
        WHERE p.window_group = t.window_group AND p.period = t.period
            AND p.status = 'waiting' AND p.priority AND (NOT t.priority OR p.seq < t.seq))
    + (SELECT count(*) FROM tickets r
        WHERE NOT t.priority AND r.window_group = t.window_group AND r.period = t.period
            AND r.status = 'waiting' AND NOT r.priority AND r.seq < t.seq)
    END AS ahead OFFSET 0) a
WHERE t.kiosk_id = %(kiosk_id)s AND t.idempotency_key = %(key)s"""


_PG_DESCRIBE_BY_KEY = {flag: _pg_describe_sql(flag) for flag in (False, True)}
_PG_VIEW_WIDTH = len(_VIEW_COLUMNS)  # then ahead, durations, authorized (or in_flight)


def _pg_issue_one_sql(check_token: bool) -> str:
    """One autocommit statement: take the next number, insert the ticket and read its
    position, unless this key already has a ticket (or the token does not match); then it
    returns no row. A concurrent twin of the same key fails on uq_tickets_kiosk_idempotency.

    The position is read in the statement's snapshot, taken before the counter row was
    locked; tickets of the group committed in between are invisible to it, but they are
    exactly the numbers ``in_flight`` = new seq − 1 − the counter as the snapshot saw it
    (numbers are committed in order: the next one is only handed out once the previous
    holder of the counter row has committed). All of them are ahead of a regular ticket;
    for a priority ticket only the priority ones are, so the caller reads its position
    again after the commit when ``in_flight`` > 0.
    """
    guard = _PG_NEW_KEY + (f" AND {_PG_TOKEN_OK}" if check_token else "")
    number = PG_FORMAT_NUMBER_SQL.format(seq="seq.last_seq")
    returned = ", ".join(_VIEW_NAMES)
    columns = ", ".join(f"ins.{name}" for name in _VIEW_NAMES)
    return f"""WITH seq AS ({PG_NEXT_SEQ_CTE.format(guard=guard)}),
ins AS (
    INSERT INTO tickets (id, kiosk_id, idempotency_key, service_id, window_group, prefix,
        period, service_day, seq, number, priority, language, holder_hash, masked_name,
        status, recall_count, issued_at)
    SELECT %(id)s, %(kiosk_id)s, %(key)s, %(service_id)s, %(window_group)s, %(prefix)s,
        %(period)s, %(service_day)s, seq.last_seq, {number}, %(priority)s, %(language)s,
        %(holder_hash)s, %(masked_name)s, 'waiting', 0, %(issued_at)s
    FROM seq
    RETURNING {returned}
)
SELECT {columns}, a.seen + a.in_flight AS ahead,
    CASE WHEN a.seen + a.in_flight > 0 THEN ARRAY(
        SELECT EXTRACT(EPOCH FROM c.completed_at - c.called_at) FROM tickets c
        WHERE c.window_group = ins.window_group AND c.status = 'completed'
            AND c.called_at IS NOT NULL AND c.completed_at IS NOT NULL
        ORDER BY c.completed_at DESC LIMIT {SERVICE_TIME_SAMPLE}) END AS durations,
    a.in_flight
FROM ins
CROSS JOIN LATERAL (SELECT
    (SELECT count(*) FROM tickets p
        WHERE p.window_group = ins.window_group AND p.period = ins.period
            AND p.status = 'waiting' AND p.priority)
    + (SELECT count(*) FROM tickets r
        WHERE NOT ins.priority AND r.window_group = ins.window_group AND r.period = ins.period
            AND r.status = 'waiting' AND NOT r.priority) AS seen,
    ins.seq - 1 - COALESCE((SELECT v.last_seq FROM ticket_sequences v
        WHERE v.prefix = %(prefix)s AND v.period = %(period)s), 0) AS in_flight
    OFFSET 0) a"""


_PG_ISSUE_ONE = {flag: _pg_issue_one_sql(flag) for flag in (False, True)}


class _SqliteIssue:
    """``issue``'s statements on SQLite, run on the driver's cursor directly.

    SQLAlchemy's execution machinery costs ~0.1 ms a statement, more than SQLite itself;
    the issuing transaction has six. Values are converted with SQLAlchemy's own type
    processors, so they are stored exactly as the Core statements would store them.
    """

    TOKEN_OK = "SELECT 1 FROM kiosks WHERE id = ? AND token_hash = ?"
    KEY_USED = "SELECT 1 FROM tickets WHERE kiosk_id = ? AND idempotency_key = ?"
    NEXT_SEQ = (
        "INSERT INTO ticket_sequences (prefix, period, last_seq) VALUES (?, ?, 1)"
        " ON CONFLICT (prefix, period) DO UPDATE SET last_seq = last_seq + 1"
        " RETURNING last_seq"
    )
    COLUMNS = (
        "id", "kiosk_id", "idempotency_key", "service_id", "window_group", "prefix", "period",
        "service_day", "seq", "number", "priority", "language", "holder_hash", "masked_name",
        "status", "recall_count", "issued_at",
    )  # fmt: skip
    INSERT = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    _WAITING = "SELECT count(*) FROM tickets WHERE window_group = ? AND period = ?"
    AHEAD_OF_PRIORITY = f"{_WAITING} AND status = 'waiting' AND priority = 1 AND seq < ?"
    AHEAD_OF_REGULAR = (
        f"SELECT ({_WAITING} AND status = 'waiting' AND priority = 1)"
        f" + ({_WAITING} AND status = 'waiting' AND priority = 0 AND seq < ?)"
    )
    SERVICE_TIMES = (
        "SELECT called_at, completed_at FROM tickets WHERE window_group = ?"
        " AND status = 'completed' AND called_at IS NOT NULL AND completed_at IS NOT NULL"
        f" ORDER BY completed_at DESC LIMIT {SERVICE_TIME_SAMPLE}"
    )

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        identity = lambda value: value  # noqa: E731
        self.bind = {
            name: _T.c[name].type.dialect_impl(dialect).bind_processor(dialect) or identity
            for name in ("service_day", "priority", "issued_at")
        }
        load_time = _T.c.called_at.type.dialect_impl(dialect).result_processor(dialect, None)
        self.load_time = load_time or identity

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        bind = self.bind
        return tuple(
            bind[name](values[name]) if name in bind else values[name] for name in self.COLUMNS
        )


class Queue:
    """Ticket operations on one database, for one catalog and hall time zone."""

    def __init__(self, engine: Engine, catalog: Catalog, tz: ZoneInfo, id_hash_key: bytes):
        self.engine = engine
        self.catalog = catalog
        self.tz = tz
        self._id_hash_key = id_hash_key
        # Catalog look-ups, precomputed (the catalog does linear scans).
        self._groups: dict[str, WindowGroup] = {g.id: g for g in catalog.groups}
        self._entries: dict[str, Service | Bundle] = {
            e.id: e for e in (*catalog.services, *catalog.bundles)
        }
        self._names_cache: dict[tuple[str, str, bool], tuple[str, str, str]] = {}
        self._pg_pool = AsyncPgPool(engine) if engine.dialect.name == "postgresql" else None
        sqlite = engine.dialect.name == "sqlite"
        self._sqlite_writer = SqliteWriter(engine) if sqlite else None
        self._sqlite_issue = _SqliteIssue(engine) if sqlite else None

    async def aclose(self) -> None:
        """Close the fast path's connections, stop its thread (the app's shutdown)."""
        if self._pg_pool is not None:
            await self._pg_pool.close()
        if self._sqlite_writer is not None:
            await anyio.to_thread.run_sync(self._sqlite_writer.stop)

    @property
    def pg_pool(self) -> AsyncPgPool | None:
        """The PostgreSQL fast-path connections (also used by ``hall.ratings_pg``)."""
        return self._pg_pool

    # -- issuing ------------------------------------------------------------------------
    def _ticket_values(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime
    ) -> tuple[WindowGroup, dict[str, Any]]:
        """Everything of a new ticket but its id, number and seq; UnknownService if the
        catalog has no such item or bundle."""
        entry = self._entries.get(req.service_id)
        if entry is None:
            raise UnknownService(
                f"unknown service_id {req.service_id!r} (catalog {self.catalog.version})"
            )
        group = self._groups[entry.group]
        holder = req.holder
        day = service_day(now, self.tz)
        return group, {
            "kiosk_id": kiosk_id,
            "idempotency_key": req.idempotency_key,
            "service_id": entry.id,
            "window_group": group.id,
            "prefix": group.prefix,
            "period": numbering_period(group.daily_reset, day),
            "service_day": day,
            "priority": req.priority,
            "language": req.language,
            "holder_hash": (
                hash_id_number(self._id_hash_key, holder.id_number) if holder else None
            ),
            "masked_name": holder.masked_name if holder else None,
            "status": "waiting",
            "recall_count": 0,
            "issued_at": now,
        }

    def issue(
        self,
        kiosk_id: str,
        req: TicketRequest,
        now: dt.datetime,
        *,
        token_hash: str | None = None,
    ) -> tuple[TicketOut, bool]:
        """Issue a ticket, or return the one this (kiosk, idempotency key) already got.

        Returns (ticket, created). The counter increment, the insert and the people-ahead
        count share one transaction; a concurrent retry that loses the race on the
        idempotency constraint rolls back (returning its number) and reads the winner's
        ticket. With ``token_hash``, the kiosk's token is checked in the same transaction
        (KioskNotAuthorized if it no longer matches).
        """
        try:
            group, work = self._issue_work(kiosk_id, req, now, token_hash)
        except UnknownService:
            if token_hash is not None and not self._token_ok(kiosk_id, token_hash):
                raise KioskNotAuthorized("invalid token") from None
            raise
        try:
            ticket, created = run_connection_transaction(self.engine, work)
        except IntegrityError:
            found = self._find_by_key({"kiosk_id": kiosk_id, "key": req.idempotency_key})
            if found is None:  # the (prefix, period, seq) guard fired: counter out of step
                log.error("ticket number conflict for prefix %s", group.prefix)
                raise
            log.info("concurrent retry of %s lost the race; returning it", found.number)
            ticket, created = found, False
        return self._issued(ticket, created, req, group)

    def _issue_work(
        self, kiosk_id: str, req: TicketRequest, now: dt.datetime, token_hash: str | None
    ) -> tuple[WindowGroup, Callable[[Connection], tuple[TicketOut, bool]]]:
        """The transaction body of ``issue`` (it may run again on a retry); UnknownService
        at once if the catalog has no such item or bundle."""
        group, values = self._ticket_values(kiosk_id, req, now)
        key = {"kiosk_id": kiosk_id, "key": req.idempotency_key}
        if self._sqlite_issue is not None:
            return group, functools.partial(self._sqlite_work, group, values, key, token_hash)

        def work(conn: Connection) -> tuple[TicketOut, bool]:
            if token_hash is not None:
                params = {"kiosk_id": kiosk_id, "token_hash": token_hash}
                if conn.execute(_TOKEN_OK, params).first() is None:
                    raise KioskNotAuthorized("invalid token")
            existing = conn.execute(_BY_KEY, key).first()
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

        return group, work

    def _sqlite_work(
        self,
        group: WindowGroup,
        values: dict[str, Any],
        key: dict[str, str],
        token_hash: str | None,
        conn: Connection,
    ) -> tuple[TicketOut, bool]:
        """``_issue_work``'s body on SQLite's cursor (same statements, same order)."""
        sql = self._sqlite_issue
        assert sql is not None
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            kiosk_id = key["kiosk_id"]
            if token_hash is not None:
                if cursor.execute(sql.TOKEN_OK, (kiosk_id, token_hash)).fetchone() is None:
                    raise KioskNotAuthorized("invalid token")
            if cursor.execute(sql.KEY_USED, (kiosk_id, key["key"])).fetchone() is not None:
                existing = conn.execute(_BY_KEY, key).one()  # a retry: the general way
                return self.describe(existing, conn), False
            period = values["period"]
            (seq,) = cursor.execute(sql.NEXT_SEQ, (group.prefix, period)).fetchone()
            row = {
                **values,
                "id": str(uuid.uuid4()),
                "seq": seq,
                "number": format_number(group.prefix, seq),
            }
            cursor.execute(sql.INSERT, sql.row(row))
            if values["priority"]:
                params: tuple[Any, ...] = (group.id, period, seq)
                (ahead,) = cursor.execute(sql.AHEAD_OF_PRIORITY, params).fetchone()
            else:
                params = (group.id, period, group.id, period, seq)
                (ahead,) = cursor.execute(sql.AHEAD_OF_REGULAR, params).fetchone()
            wait_s = 0
            if ahead:
                load = sql.load_time
                durations = [
                    (load(done) - load(called)).total_seconds()
                    for called, done in cursor.execute(sql.SERVICE_TIMES, (group.id,))
                ]
                wait_s = self._wait_s(group.id, ahead, durations)
        finally:
            cursor.close()
        view = SimpleNamespace(**row, counter=None, called_at=None, completed_at=None)
        return self._ticket_out(view, ahead, wait_s), True

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
            row = conn.execute(_BY_KEY, key).first()
            return self.describe(row, conn) if row is not None else None

    def _token_ok(self, kiosk_id: str, token_hash: str) -> bool:
        with connection_transaction(self.engine, readonly=True) as conn:
            params = {"kiosk_id": kiosk_id, "token_hash": token_hash}
            return conn.execute(_TOKEN_OK, params).first() is not None

    async def issue_async(
        self,
        kiosk_id: str,
        req: TicketRequest,
        now: dt.datetime,
        *,
        token_hash: str | None = None,
    ) -> tuple[TicketOut, bool]:
        """``issue`` for the event loop: on PostgreSQL the one-statement fast path; on
        SQLite ``issue``'s transaction body on the process's writer thread, batched with
        the other kiosks' (group commit, ``hall.db.SqliteWriter``)."""
        if self._pg_pool is None and self._sqlite_writer is None:
            call = functools.partial(self.issue, kiosk_id, req, now, token_hash=token_hash)
            return await anyio.to_thread.run_sync(call)
        try:
            if self._sqlite_writer is not None:
                group, work = self._issue_work(kiosk_id, req, now, token_hash)
                ticket, created = await self._sqlite_writer.run(work)
                return self._issued(ticket, created, req, group)
            group, values = self._ticket_values(kiosk_id, req, now)
        except UnknownService:
            if token_hash is not None:
                ok = await anyio.to_thread.run_sync(self._token_ok, kiosk_id, token_hash)
                if not ok:
                    raise KioskNotAuthorized("invalid token") from None
            raise
        params = {
            **values,
            "key": req.idempotency_key,
            "id": str(uuid.uuid4()),
            "token_hash": token_hash,
        }
        ticket, created = await self._pg_issue(params, check_token=token_hash is not None)
        return self._issued(ticket, created, req, group)

    async def _pg_issue(self, params: dict[str, Any], check_token: bool) -> tuple[TicketOut, bool]:
        import psycopg

        issue_sql, describe_sql = _PG_ISSUE_ONE[check_token], _PG_DESCRIBE_BY_KEY[check_token]
        for attempt in range(1, _PG_ISSUE_ATTEMPTS + 1):
            try:
                row = await self._pg_fetch_one(issue_sql, params)
            except psycopg.errors.UniqueViolation:
                # A concurrent twin with the same key won (our number went back); or the
                # number itself collided, which means the counter is out of step.
                row = await self._pg_fetch_one(describe_sql, params)
                if row is None:
                    log.error("ticket number conflict for prefix %s", params["prefix"])
                    raise
                log.info("concurrent retry of %s lost the race; returning it", row[1])
                created = False
            except psycopg.OperationalError as exc:
                if attempt == _PG_ISSUE_ATTEMPTS:
                    raise
                sqlstate = getattr(exc, "sqlstate", None)
                if sqlstate in RETRY_SQLSTATES:
                    log.warning("ticket issue retry %d after %s", attempt, sqlstate)
                    await asyncio.sleep(0.005 * 2**attempt * random.uniform(0.5, 1.5))
                else:  # connection lost (e.g. a database restart): fresh connections
                    log.warning("ticket issue retry %d after %s", attempt, type(exc).__name__)
                    self._pg_pool.drop_idle()  # type: ignore[union-attr]
                continue
            else:
                created = row is not None
                if created and row[-1] and params["priority"]:
                    # Numbers taken while we waited for the counter: which of them are
                    # priority? Read the position again, now that all are committed.
                    row = await self._pg_fetch_one(describe_sql, params)
                elif not created:  # this key's ticket exists (a retry), or a bad token
                    row = await self._pg_fetch_one(describe_sql, params)
            if row is None or not (created or row[-1]):
                raise KioskNotAuthorized("invalid token")
            return self._pg_ticket_out(row), created
        raise AssertionError("unreachable")

    async def _pg_fetch_one(self, sql: str, params: dict[str, Any]) -> Any:
        """One autocommit statement on a fast-path connection; its first row or None."""
        import psycopg

        assert self._pg_pool is not None
        async with self._pg_pool.connection() as conn:
            try:
                cursor = await conn.execute(sql, params)
                return await cursor.fetchone()
            except psycopg.Error:
                await conn.close()  # never reuse a connection in an unknown state
                raise

    def _pg_ticket_out(self, row: Sequence[Any]) -> TicketOut:
        view = SimpleNamespace(**dict(zip(_VIEW_NAMES, row, strict=False)))
        ahead = row[_PG_VIEW_WIDTH] or 0
        wait_s = 0
        if ahead:
            durations = [float(d) for d in row[_PG_VIEW_WIDTH + 1] or ()]
            wait_s = self._wait_s(view.window_group, ahead, durations)
        return self._ticket_out(view, ahead, wait_s)

    # -- reading ------------------------------------------------------------------------
    def get(self, ticket_id: str) -> TicketOut:
        with connection_transaction(self.engine, readonly=True) as conn:
            row = conn.execute(_BY_ID, {"id": ticket_id}).first()
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            return self.describe(row, conn)

    def describe(self, ticket: Any, conn: Connection | Session | None = None) -> TicketOut:
        """The API view of a ticket (an ORM Ticket or a row with the ``_VIEW_COLUMNS``),
        with a live people-ahead count and wait estimate read through ``conn`` (inside the
        caller's transaction), or in a short read transaction of its own."""
        ahead, wait_s = 0, 0
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
                wait_s = self._wait_s(ticket.window_group, ahead, durations)
        return self._ticket_out(ticket, ahead, wait_s)

    def _names(self, service_id: str, group_id: str, en: bool) -> tuple[str, str, str]:
        """(service name, window group name, location) in the ticket's language."""
        cache_key = (service_id, group_id, en)
        names = self._names_cache.get(cache_key)
        if names is None:
            names = self._names_cache[cache_key] = self._lookup_names(service_id, group_id, en)
        return names

    def _lookup_names(self, service_id: str, group_id: str, en: bool) -> tuple[str, str, str]:
        entry = self._entries.get(service_id)
        if entry is None:  # the catalog changed since the ticket was issued
            service_name = service_id
        else:
            service_name = entry.name_en if en else entry.name
        group = self._groups.get(group_id)
        if group is None:
            return service_name, group_id, ""
        if en:
            return service_name, group.name_en, group.location_en
        return service_name, group.name, group.location

    def _ticket_out(self, ticket: Any, ahead: int, wait_s: int) -> TicketOut:
        service_name, group_name, location = self._names(
            ticket.service_id, ticket.window_group, ticket.language == "en"
        )
        return TicketOut(
            id=ticket.id,
            number=ticket.number,
            service_id=ticket.service_id,
            service_name=service_name,
            window_group=ticket.window_group,
            window_group_name=group_name,
            location=location,
            service_day=ticket.service_day,
            people_ahead=ahead,
            estimated_wait_s=wait_s,
            issued_at=ticket.issued_at.astimezone(dt.UTC),
            status=(
                "transferred"
                if ticket.status == "waiting" and getattr(ticket, "transferred_at", None)
                else ticket.status
            ),
            priority=ticket.priority,
            language=ticket.language,
            masked_name=ticket.masked_name,
            kiosk_id=ticket.kiosk_id,
            counter=ticket.counter,
            called_at=_utc(ticket.called_at),
            completed_at=_utc(ticket.completed_at),
            recall_count=ticket.recall_count,
        )

    def _ahead_by_rule(self, conn: Connection | Session, ticket: Any) -> int:
        """People ahead of a transferred ticket in its new group, by the call rule (its
        number's sequence belongs to another prefix, so the index ranges do not apply)."""
        group = self._groups.get(ticket.window_group)
        period = numbering_period(group.daily_reset, ticket.service_day) if group else None
        rows = conn.execute(
            select(
                _T.c.id, _T.c.priority, _T.c.issued_at, _T.c.seq, _T.c.front_at,
                _T.c.target_counter,
            ).where(
                _T.c.window_group == ticket.window_group,
                _T.c.period.in_({ticket.service_day.isoformat(), NO_RESET_PERIOD}),
                _T.c.status == "waiting",
                or_(_T.c.period == period, _T.c.service_day == ticket.service_day),
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

    def _wait_s(self, group_id: str, ahead: int, durations: list[float]) -> int:
        """ceil(ahead / counters) × median service time of the group, seconds.

        ``durations`` are the group's latest real service times (newest first); fewer than
        MIN_SERVICE_TIME_SAMPLE of them and the catalog's avg_service_s is used instead.
        """
        group = self._groups.get(group_id)
        if ahead == 0 or group is None:
            return 0
        rounds = math.ceil(ahead / len(group.counters))
        if len(durations) < MIN_SERVICE_TIME_SAMPLE:
            service_s = float(group.avg_service_s)
        else:
            service_s = float(statistics.median(durations))
        return round(rounds * service_s)

    @staticmethod
    def _service_durations(conn: Connection | Session, group_id: str) -> list[float]:
        rows = conn.execute(_SERVICE_TIMES, {"window_group": group_id}).all()
        return [(done - called).total_seconds() for called, done in rows if called and done]

    @classmethod
    def service_time_s(cls, conn: Connection | Session, group: WindowGroup) -> float:
        """Median of the last 20 real service times (completed − called), seconds.

        Falls back to the catalog's ``avg_service_s`` while fewer than 3 are known.
        """
        durations = cls._service_durations(conn, group.id)
        if len(durations) < MIN_SERVICE_TIME_SAMPLE:
            return float(group.avg_service_s)
        return float(statistics.median(durations))

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
            raise CounterPaused(
                f"counter {counter_id} is on break (暂停服务); open it first (恢复服务)"
            )

    def call_next(self, counter_id: str, staff_id: int, now: dt.datetime) -> TicketOut | None:
        """Call the next waiting ticket for this counter, or None when nobody waits.

        The order is ``hall.call_order``'s rule. The ticket is claimed with a conditional
        UPDATE (still waiting?), so two counters calling at once never get the same
        ticket: the loser simply picks again. CounterPaused while the counter is on break.
        """
        groups = self.counter_groups(counter_id)
        day = service_day(now, self.tz)
        for _ in range(_CALL_ATTEMPTS):
            with transaction(self.engine) as session:
                self._check_open(session, counter_id)
                heads = [
                    t
                    for g in groups
                    for t in session.scalars(self._waiting_query(g, day, counter_id).limit(1))
                ]
                chosen_c = call_order.pick((self._candidate(t) for t in heads), counter_id)
                if chosen_c is None:
                    return None
                chosen = next(t for t in heads if t.id == chosen_c.id)
                claimed = self._claim(session, chosen, counter_id, staff_id, now)
            if claimed:
                log.info("counter %s called %s", counter_id, chosen.number)
                return self.describe(chosen)
        raise InvalidTransition("too many concurrent calls; try again")

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
            detail, values = self._transfer_values(to_group, to_counter, reason, now, values)
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

    def _transfer_values(
        self,
        to_group: str | None,
        to_counter: str | None,
        reason: str | None,
        now: dt.datetime,
        values: dict[str, object],
    ) -> tuple[str, dict[str, object]]:
        if (to_group is None) == (to_counter is None):
            raise InvalidTransition("a transfer names either to_group or to_counter")
        if to_counter is not None:
            own = [g for g in self.catalog.groups if to_counter in g.counters]
            if not own:
                raise UnknownCounter(f"unknown counter {to_counter!r}")
            group = own[0]
            where = f"counter:{to_counter}"
        else:
            found = self._groups.get(to_group or "")
            if found is None:
                raise UnknownGroup(
                    f"unknown window group {to_group!r}; groups: {', '.join(self._groups)}"
                )
            group = found
            where = f"group:{group.id}"
        values = {
            **values,
            "window_group": group.id,
            "target_counter": to_counter,
            "transferred_at": now,
            "transfer_count": Ticket.transfer_count + 1,
        }
        return f"{where} {reason or ''}".strip(), values

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
                "changed_at": _utc(state.changed_at) if state else None,
            }
