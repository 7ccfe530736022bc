"""The rating store on PostgreSQL (``PgRatingStore``): from the event loop, two statements,
no thread hop.

``hall.rating_store.submit_rating`` (SQLAlchemy, on a worker thread) costs a connection
checkout with its ping, a token look-up, a replay look-up, a ticket look-up and the
append — about seven round trips and ~6 ms of server CPU per rating. This path sends
two statements on a fast-path connection (``hall.db.AsyncPgPool``, shared with ticket
issuing):

1. ``LOOKUP``: is the (cached) kiosk token still valid, has this idempotency key been
   used, and the rated ticket with its ratings and follow-up states — one row per rating
   of the ticket (one row of NULLs when there is no ticket);
2. the chain append, with group commit (``ChainAppender``): every rating is serialised on
   the one chain head row, and the head's lock is held until the commit is on disk, so
   one rating per commit caps the hall at one rating per WAL flush. Ratings that arrive
   while a batch is being written wait and go in the next batch: one transaction locks
   the head, hashes them in order (``hall.rating_chain.rating_hash``, the function the
   verifier uses), inserts them and their follow-ups, moves the head and commits once.
   Nobody's rating waits for more than the batch in front of it.

The rules are the same functions as the slow path's (``hall.rating_rules``:
``new_rating_values``, ``check_rateable``, ``new_followup``). Whatever is rare goes to the slow path, which
knows how to answer it: a replayed key, and a unique-constraint race (a concurrent twin
of the same key, or a second rating of the same ticket).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import random
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine

from contract.api import RatingIn, RatingOut
from hall.db import RETRY_SQLSTATES, AsyncPgPool
from hall.feedback_settings import FeedbackSettings
from hall.queue_rules import KioskNotAuthorized
from hall.rating_chain import CHAIN_FIELDS, rating_hash
from hall.rating_rules import (
    check_rateable,
    log_rating,
    lookup_day,
    new_followup,
    new_rating_values,
    rating_out,
    take_ticket_values,
    ticket_not_found,
)
from hall.rating_store import submit_rating

log = logging.getLogger(__name__)

_ATTEMPTS = 5

LOOKUP = """
WITH flags AS (
    SELECT EXISTS (SELECT 1 FROM kiosks
                   WHERE id = %(kiosk_id)s AND token_hash = %(token_hash)s) AS token_ok,
           EXISTS (SELECT 1 FROM ratings
                   WHERE kiosk_id = %(kiosk_id)s AND idempotency_key = %(key)s) AS replay
), rated AS (
    SELECT t.id, t.number, t.service_day, t.status, t.holder_hash, t.counter, t.staff_id,
           t.service_id, t.window_group, r.rating_count, r.rated_at AS rating_rated_at,
           f.status AS followup_status
    FROM tickets t
    LEFT JOIN ratings r ON r.ticket_id = t.id
    LEFT JOIN rating_followups f ON f.rating_id = r.id
    WHERE t.id = COALESCE(
        CAST(%(ticket_id)s AS text),
        (SELECT id FROM tickets
         WHERE number = CAST(%(number)s AS text) AND service_day = CAST(%(day)s AS date)
         ORDER BY issued_at DESC LIMIT 1))
)
SELECT flags.token_ok, flags.replay, rated.* FROM flags LEFT JOIN rated ON true
"""


async def _fetch_all(pool: AsyncPgPool, sql: str, params: dict[str, Any]) -> list[Any]:
    import psycopg
    from psycopg.rows import namedtuple_row

    async with pool.connection() as conn:
        try:
            cursor = conn.cursor(row_factory=namedtuple_row)
            await cursor.execute(sql, params)
            return await cursor.fetchall()
        except psycopg.Error:
            await conn.close()  # never reuse a connection in an unknown state
            raise


async def _with_retries(pool: AsyncPgPool, sql: str, params: dict[str, Any]) -> list[Any]:
    """Serialization failures and lost connections retry (the statement only reads)."""
    return await _retrying(pool, lambda: _fetch_all(pool, sql, params))


async def _retrying(pool: AsyncPgPool, work: Any) -> Any:
    import psycopg

    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await work()
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.OperationalError as exc:
            if attempt == _ATTEMPTS:
                raise
            sqlstate = getattr(exc, "sqlstate", None)
            log.warning("rating retry %d after %s", attempt, sqlstate or type(exc).__name__)
            if sqlstate in RETRY_SQLSTATES:
                await asyncio.sleep(0.005 * 2**attempt * random.uniform(0.5, 1.5))
            else:
                pool.drop_idle()
    raise AssertionError("unreachable")


_LOCK_HEAD = "SELECT last_seq, last_hash FROM rating_chain_head WHERE id = 1 FOR UPDATE"
_INSERT_RATING = (
    f"INSERT INTO ratings (hash, {', '.join(CHAIN_FIELDS)})"
    f" VALUES ({', '.join(['%s'] * (len(CHAIN_FIELDS) + 1))})"
)
_INSERT_FOLLOWUP = (
    "INSERT INTO rating_followups (rating_id, status, created_at, plan_due_on, rectify_due_on)"
    " VALUES (%s, 'open', %s, %s, %s) RETURNING rating_id, id"
)
_MOVE_HEAD = "UPDATE rating_chain_head SET last_seq = %s, last_hash = %s WHERE id = 1"


@dataclass
class _Pending:
    values: dict[str, Any]
    followup: dict[str, Any] | None
    done: asyncio.Future[int | None]


class ChainAppender:
    """Group commit of chain appends for one server process (one event loop).

    ``append`` chains one rating (and its follow-up) and returns the follow-up's id. If a
    batch fails on a unique constraint (a concurrent twin, or a second rating of a
    ticket), its ratings are written again one by one, so only the offender fails.
    """

    MAX_BATCH = 64

    def __init__(self, pool: AsyncPgPool) -> None:
        self.pool = pool
        self._waiting: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, values: dict[str, Any], followup: dict[str, Any] | None) -> int | None:
        loop = asyncio.get_running_loop()
        pending = _Pending(values, followup, loop.create_future())
        self._waiting.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        return await asyncio.shield(pending.done)  # a dropped request never breaks a batch

    async def _drain(self) -> None:
        import psycopg

        while self._waiting:
            batch = self._waiting[: self.MAX_BATCH]
            del self._waiting[: self.MAX_BATCH]
            try:
                ids = await _retrying(self.pool, lambda b=batch: self._write(b))
            except psycopg.errors.UniqueViolation:
                for one in batch:
                    await self._settle([one])
            except Exception as exc:  # noqa: BLE001 — handed to every waiting request
                for one in batch:
                    _resolve(one.done, exc)
            else:
                for one, followup_id in zip(batch, ids, strict=True):
                    _resolve(one.done, followup_id)

    async def _settle(self, batch: list[_Pending]) -> None:
        try:
            (followup_id,) = await _retrying(self.pool, lambda: self._write(batch))
        except Exception as exc:  # noqa: BLE001
            _resolve(batch[0].done, exc)
        else:
            _resolve(batch[0].done, followup_id)

    async def _write(self, batch: list[_Pending]) -> list[int | None]:
        import psycopg

        async with self.pool.connection() as conn:
            try:
                async with conn.transaction():
                    cursor = conn.cursor()
                    await cursor.execute(_LOCK_HEAD)
                    head = await cursor.fetchone()
                    if head is None:
                        raise RuntimeError("rating_chain_head row missing: run the migrations")
                    seq, prev_hash = head
                    for one in batch:
                        seq += 1
                        one.values.update(seq=seq, prev_hash=prev_hash)
                        prev_hash = one.values["hash"] = rating_hash(one.values)
                    rows = [(v["hash"], *(v[f] for f in CHAIN_FIELDS))
                            for v in (one.values for one in batch)]  # fmt: skip
                    await cursor.executemany(_INSERT_RATING, rows)
                    followups = [
                        (one.values["id"], f["created_at"], f["plan_due_on"], f["rectify_due_on"])
                        for one in batch
                        if (f := one.followup) is not None
                    ]
                    ids: dict[str, int] = {}
                    if followups:
                        await cursor.executemany(_INSERT_FOLLOWUP, followups, returning=True)
                        while True:
                            rating_id, followup_id = await cursor.fetchone()  # type: ignore[misc]
                            ids[rating_id] = followup_id
                            if not cursor.nextset():
                                break
                    await cursor.execute(_MOVE_HEAD, (seq, prev_hash))
            except psycopg.Error:
                await conn.close()  # never reuse a connection in an unknown state
                raise
        return [ids.get(one.values["id"]) for one in batch]


def _resolve(future: asyncio.Future[int | None], result: int | None | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class PgRatingStore:
    """``hall.rating_store.RatingStore`` on PostgreSQL: ``hall.rating_store.submit_rating``'s
    answers and errors from the event loop, in two statements (the look-up, then the chain
    append by group commit). ``pool``: the fast-path connections; the app owns them."""

    def __init__(self, engine: Engine, pool: AsyncPgPool) -> None:
        self.engine = engine
        self.appender = ChainAppender(pool)

    async def aclose(self) -> None:
        """Nothing of its own to release (the pool is the app's)."""

    async def submit(
        self,
        settings: FeedbackSettings,
        kiosk_id: str,
        body: RatingIn,
        now: dt.datetime,
        token_hash: str | None = None,
    ) -> tuple[RatingOut, bool]:
        import psycopg

        slow_path = functools.partial(
            submit_rating, self.engine, settings, kiosk_id, body, now, token_hash
        )
        if token_hash is None:  # the look-up checks a token; without one, the slow path
            return await anyio.to_thread.run_sync(slow_path)
        appender = self.appender
        by_number = body.target == "ticket" and body.ticket_id is None
        rows = await _with_retries(appender.pool, LOOKUP, {
            "kiosk_id": kiosk_id,
            "token_hash": token_hash,
            "key": body.idempotency_key,
            "ticket_id": body.ticket_id if body.target == "ticket" else None,
            "number": body.ticket_number.upper() if by_number and body.ticket_number else None,
            "day": lookup_day(settings, now, body) if by_number else None,
        })  # fmt: skip
        first = rows[0]
        if not first.token_ok:
            raise KioskNotAuthorized("invalid token")
        if first.replay:
            return await anyio.to_thread.run_sync(slow_path)
        values = new_rating_values(settings, kiosk_id, body, now)
        if body.target == "ticket":
            if first.id is None:
                raise ticket_not_found()
            ratings = {r.rating_count: r for r in rows if r.rating_count is not None}
            check_rateable(first, ratings, body.rating_count)
            take_ticket_values(values, first)
        followup = new_followup(settings, values, now)
        try:
            followup_id = await appender.append(values, followup)
        except psycopg.errors.UniqueViolation:
            # a concurrent twin of this key, or another rating of this ticket, came first
            return await anyio.to_thread.run_sync(slow_path)
        rating = rating_out(values, followup_id)
        log_rating(rating, kiosk_id)
        return rating, True
