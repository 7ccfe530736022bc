"""The ticket store on PostgreSQL: ``SqlTicketStore`` with one-statement paths for issuing
and for a counter's call-next.

``issue_async`` (its ``_issue_fast``) sends ONE autocommit statement (``_pg_issue_one_sql``)
from the event loop on a fast-path connection (``hall.db.AsyncPgPool``, shared with the
rating store): an ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` CTE increments the counter
and feeds the ticket's ``INSERT … SELECT``, whose ``RETURNING`` row comes back with the
people-ahead count and the group's latest service times. It is prepared once per connection
and sent with no thread hop: one network round trip, and the counter row is locked only
while the server runs the statement and commits, never across a client round trip. Retries
of a key and the rare priority ticket issued under contention need one more read.

The rules are ``hall.queue_rules``' (the same a new ticket's values, wait estimate and API
view as the other stores); ``issue`` (sync) and everything else are
``hall.tickets.SqlTicketStore``'s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from contract.api import TicketOut
from contract.catalog import Catalog, WindowGroup
from hall.db import RETRY_SQLSTATES, AsyncPgPool
from hall.models import NO_RESET_PERIOD
from hall.numbering import PG_FORMAT_NUMBER_SQL, PG_NEXT_SEQ_CTE, numbering_period, service_day
from hall.queue_rules import (
    SERVICE_TIME_SAMPLE,
    CounterPaused,
    KioskNotAuthorized,
    ticket_out,
    wait_s,
)
from hall.tickets import VIEW_COLUMNS, VIEW_NAMES, SqlTicketStore

log = logging.getLogger(__name__)

_PG_ISSUE_ATTEMPTS = 5
"""Fast-path attempts: serialization failures, deadlocks and broken connections retry."""

# -- the statements (raw SQL for psycopg, parameters in %(name)s style) ---------------------
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
    columns = ", ".join(f"t.{name}" for name in VIEW_NAMES)
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
_PG_VIEW_WIDTH = len(VIEW_COLUMNS)  # then ahead, durations, authorized (or in_flight)


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
    returned = ", ".join(VIEW_NAMES)
    columns = ", ".join(f"ins.{name}" for name in VIEW_NAMES)
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


def _pg_call_next_sql() -> str:
    """One autocommit statement: a counter of one window group calls its next ticket.

    What ``SqlTicketStore.call_next`` does in a transaction of six statements: unless the
    counter is paused, the head of the group's queue in calling order (the ORDER BY is
    ``_waiting_query``'s, the SQL form of ``hall.call_order.order_key``) is read ``FOR UPDATE
    SKIP LOCKED`` (a head another counter is claiming is passed over), claimed, the counter
    bound to this member of staff and the call logged. Returns one row: whether the counter
    is paused, then the called ticket's view columns (NULLs when nobody is waiting)."""
    returned = ", ".join(f"t.{name}" for name in VIEW_NAMES)
    columns = ", ".join(f"claimed.{name}" for name in VIEW_NAMES)
    return f"""WITH state AS (
    SELECT COALESCE((SELECT paused FROM counter_state WHERE counter_id = %(counter)s), FALSE)
        AS paused
),
head AS (
    SELECT q.id FROM tickets q
    WHERE q.window_group = %(group)s AND q.period IN (%(today)s, %(no_reset)s)
        AND q.status = 'waiting' AND (q.period = %(period)s OR q.service_day = %(day)s)
        AND (q.target_counter IS NULL OR q.target_counter = %(counter)s)
        AND NOT (SELECT paused FROM state)
    ORDER BY q.front_at IS NULL, q.front_at, q.priority DESC, q.issued_at, q.seq
    LIMIT 1
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE tickets t SET status = 'called', counter = %(counter)s, staff_id = %(staff_id)s,
        called_at = %(now)s, first_called_at = COALESCE(t.first_called_at, %(now)s),
        target_counter = NULL, front_at = NULL
    FROM head WHERE t.id = head.id AND t.status = 'waiting'
    RETURNING {returned}
),
bound AS (
    INSERT INTO counter_state (counter_id, paused, staff_id, changed_at)
    SELECT %(counter)s, FALSE, %(staff_id)s, %(now)s FROM claimed
    ON CONFLICT (counter_id) DO UPDATE
        SET staff_id = EXCLUDED.staff_id, changed_at = EXCLUDED.changed_at
        WHERE counter_state.staff_id IS DISTINCT FROM EXCLUDED.staff_id
),
logged AS (
    INSERT INTO queue_actions (kind, ticket_id, counter_id, staff_id, detail, at)
    SELECT 'call', claimed.id, %(counter)s, %(staff_id)s, NULL, %(now)s FROM claimed
)
SELECT state.paused, {columns} FROM state LEFT JOIN claimed ON TRUE"""


_PG_CALL_NEXT = _pg_call_next_sql()
_PG_CALLED_BY_ATTEMPT = f"""SELECT FALSE, {", ".join(f"t.{name}" for name in VIEW_NAMES)}
FROM queue_actions a JOIN tickets t ON t.id = a.ticket_id
WHERE a.kind = 'call' AND a.counter_id = %(counter)s AND a.staff_id = %(staff_id)s
    AND a.at = %(now)s
LIMIT 1"""
"""The call ``_PG_CALL_NEXT`` made with these parameters, if it was made: after a lost
connection, whether the statement committed before its answer was lost (the request's
time, to the microsecond, tells one attempt of a counter from another)."""
_PG_END_BACKEND = "SELECT pg_terminate_backend(%(pid)s, 5000)"
"""Before that look: the lost attempt's server process, if it still runs (only the client
side lost the connection), is ended and waited for (up to 5 s), so it cannot commit the
call after the look found none."""


class PostgresTicketStore(SqlTicketStore):
    """``TicketStore`` on PostgreSQL (``hall.app.create_app`` picks it for a PostgreSQL
    URL). ``pool``: the fast-path connections; the app owns and closes them."""

    def __init__(
        self,
        engine: Engine,
        catalog: Catalog,
        tz: ZoneInfo,
        id_hash_key: bytes,
        pool: AsyncPgPool,
    ):
        super().__init__(engine, catalog, tz, id_hash_key)
        self._pool = pool

    def _lock_heads(self, groups: list[WindowGroup]) -> bool:
        """A counter of one window group reads its queue's head ``FOR UPDATE SKIP LOCKED``:
        a head another counter is claiming right now is passed over for the next ticket,
        instead of waiting for that counter's commit and then calling again (up to
        ``_CALL_ATTEMPTS`` times) — the head is being called either way. A counter of
        several groups picks among their heads (``hall.call_order.pick``), so locking them
        would hold back the heads it does not pick: it keeps the plain read."""
        return len(groups) == 1

    async def call_next_async(
        self, counter_id: str, staff_id: int, now: dt.datetime
    ) -> TicketOut | None:
        """A counter of one window group: ``_PG_CALL_NEXT``, one statement from the event
        loop (no thread hop, one round trip; ``call_next`` took six statements and a
        worker thread). A counter of several groups picks among their heads in Python
        (``hall.call_order.pick``): ``call_next`` on a worker thread. Serialization
        failures and deadlocks retry (the statement left nothing behind); after a lost
        connection (a database restart) one more attempt on a fresh connection first looks
        whether the call was made (``_PG_CALLED_BY_ATTEMPT``) and answers with that ticket,
        so a retry never calls a second one; a second lost connection is answered 503."""
        import psycopg

        groups = self.counter_groups(counter_id)
        if len(groups) != 1:
            return await super().call_next_async(counter_id, staff_id, now)
        group, day = groups[0], service_day(now, self.tz)
        params = {
            "counter": counter_id,
            "staff_id": staff_id,
            "now": now.astimezone(dt.UTC),
            "group": group.id,
            "today": day.isoformat(),
            "no_reset": NO_RESET_PERIOD,
            "period": numbering_period(group.daily_reset, day),
            "day": day,
        }
        lost = False  # a connection was lost: the call may have been made
        pids: list[int] = []  # the server process of each attempt
        for attempt in range(1, _PG_ISSUE_ATTEMPTS + 1):
            try:
                row = None
                if lost:
                    if pids:
                        await self._pg_fetch_one(_PG_END_BACKEND, {"pid": pids[-1]})
                    row = await self._pg_fetch_one(_PG_CALLED_BY_ATTEMPT, params)
                if row is None:
                    row = await self._pg_fetch_one(_PG_CALL_NEXT, params, pids)
                break
            except psycopg.OperationalError as exc:
                retry = exc.sqlstate in RETRY_SQLSTATES
                if attempt == _PG_ISSUE_ATTEMPTS or (lost and not retry):
                    raise  # a second lost connection: the database is down (503)
                why = exc.sqlstate or "a lost connection"
                log.warning("call-next retry %d after %s", attempt, why)
                if retry:
                    await asyncio.sleep(0.005 * 2**attempt * random.uniform(0.5, 1.5))
                else:
                    lost = True
                    self._pool.drop_idle()
        if row[0]:
            raise CounterPaused.of(counter_id)
        if row[1] is None:
            return None
        view = SimpleNamespace(**dict(zip(VIEW_NAMES, row[1:], strict=True)))
        log.info("counter %s called %s", counter_id, view.number)
        return ticket_out(self.index, view, 0, 0)

    async def _issue_fast(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> tuple[TicketOut, bool]:
        """``issue_async``'s one-statement fast path."""
        params = {
            **values,
            "key": values["idempotency_key"],
            "id": str(uuid.uuid4()),
            "token_hash": token_hash,
        }
        return await self._pg_issue(params, check_token=token_hash is not None)

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
                    self._pool.drop_idle()
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

    async def _pg_fetch_one(
        self, sql: str, params: dict[str, Any], backend_pids: list[int] | None = None
    ) -> Any:
        """One autocommit statement on a fast-path connection; its first row or None."""
        return await self._pool.fetch_one(sql, params, backend_pids)

    def _pg_ticket_out(self, row: Sequence[Any]) -> TicketOut:
        view = SimpleNamespace(**dict(zip(VIEW_NAMES, row, strict=False)))
        ahead = row[_PG_VIEW_WIDTH] or 0
        wait = 0
        if ahead:
            durations = [float(d) for d in row[_PG_VIEW_WIDTH + 1] or ()]
            wait = wait_s(self._groups.get(view.window_group), ahead, durations)
        return ticket_out(self.index, view, ahead, wait)
