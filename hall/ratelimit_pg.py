"""Rate limits shared by every server process on PostgreSQL (issue 15, item 6).

With several ``hall serve`` processes on one PostgreSQL database, in-memory buckets
(``hall.ratelimit.Buckets``) would let each process allow the full rate. Here a bucket
lives in one row of the UNLOGGED table ``rate_buckets`` (migration 0100), keyed by limit
kind and key, and is refilled and charged by one atomic upsert on the database's clock:

    INSERT … ON CONFLICT (kind, key) DO UPDATE SET
        granted = min(want, floor(level)) if level >= 1 else 0,
        tokens  = level - granted, at = now()        -- level: refilled since ``at``
    RETURNING granted, tokens

No advisory lock and no transaction beyond the one statement: concurrent requests of all
processes queue on the row lock for the duration of that statement.

**Per-request cost.** A round trip per request would double the cost of issuing a ticket
(one prepared statement itself). So a process *leases* tokens: it asks for
``lease`` tokens at once (capacity / 50, at least 1: 12 for a kiosk token, 6 for a public
address, 1 for logins) and spends them locally for up to ``LEASE_S`` seconds; tokens
leased by a process and not spent in that time are lost to everyone, so the combined rate
is the limit, slightly less under a spread load, never more. Requests of one key arriving
while its lease is being asked wait for that answer and share it (one statement, not one
lease each).

The ``refused`` and ``staff_login_fail`` limits are charged after a 401 (one statement
each, rare) and *read* before every request: that read uses the level this process last
got back from the database, so another process's charges are seen at this process's next
charge (an attacker spreading guesses over N processes gets at most N − 1 more).

**When PostgreSQL is away** (restarting, unreachable), every statement is bounded by
``DB_TIMEOUT_S``; on an error the process falls back to its in-memory buckets for
``FALLBACK_S`` seconds (per process, as before) and then tries the database again:
limits never turn a database outage into failed requests.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from hall.db import AsyncPgPool
from hall.ratelimit import Buckets, Limit

log = logging.getLogger(__name__)

LEASE_S = 1.0
DB_TIMEOUT_S = 1.0
FALLBACK_S = 2.0
PRUNE_EVERY = 2000
"""Every this many statements, rows idle for an hour (full again by then) are deleted."""

_LEVEL = (
    "LEAST(%(cap)s::float8, b.tokens + EXTRACT(EPOCH FROM now() - b.at)::float8 * %(rate)s::float8)"
)
_GRANT = f"(CASE WHEN {_LEVEL} >= 1 THEN LEAST(%(want)s::float8, floor({_LEVEL})) ELSE 0 END)"
TAKE_SQL = f"""
INSERT INTO rate_buckets AS b (kind, key, tokens, granted, at)
VALUES (%(kind)s, %(key)s, %(cap)s::float8 - %(first)s, %(first)s, now())
ON CONFLICT (kind, key) DO UPDATE SET
    granted = {_GRANT}::int,
    tokens = {_LEVEL} - {_GRANT},
    at = now()
RETURNING granted, tokens
"""
CHARGE_SQL = f"""
INSERT INTO rate_buckets AS b (kind, key, tokens, granted, at)
VALUES (%(kind)s, %(key)s, GREATEST(0, %(cap)s::float8 - 1), 1, now())
ON CONFLICT (kind, key) DO UPDATE SET
    granted = 1, tokens = GREATEST(0, {_LEVEL} - 1), at = now()
RETURNING granted, tokens
"""
PRUNE_SQL = "DELETE FROM rate_buckets WHERE at < now() - interval '1 hour'"


class SharedStore:
    """The database side: a small connection pool of its own and the fallback clock."""

    def __init__(self, engine: Engine, pool_size: int = 4) -> None:
        self.pool = AsyncPgPool(engine, size=pool_size)
        self.down_until = 0.0  # monotonic: use the in-memory buckets until then
        self.statements = 0
        self.db_errors = 0  # for tests and monitoring

    async def run(self, sql: str, params: dict[str, Any]) -> tuple[int, float] | None:
        """(granted, tokens left), or None when the database cannot answer now."""
        if time.monotonic() < self.down_until:
            return None
        try:
            return await asyncio.wait_for(self._run(sql, params), DB_TIMEOUT_S)
        except Exception as exc:  # OperationalError, timeout: the database is away
            self.db_errors += 1
            self.down_until = time.monotonic() + FALLBACK_S
            self.pool.drop_idle()
            log.warning("rate limits: database unavailable (%s); in-memory limits for %.0f s",
                        type(exc).__name__, FALLBACK_S)  # fmt: skip
            return None

    async def _run(self, sql: str, params: dict[str, Any]) -> tuple[int, float]:
        async with self.pool.connection() as conn:
            row = await (await conn.execute(sql, params)).fetchone()
            self.statements += 1
            if self.statements % PRUNE_EVERY == 0:
                await conn.execute(PRUNE_SQL)
        return int(row[0]), float(row[1])

    async def close(self) -> None:
        await self.pool.close()


class SharedBuckets:
    """One limit's buckets in ``rate_buckets``, with a local lease and a local fallback;
    the interface of ``hall.ratelimit.Buckets`` (``atake``/``acharge``/``retry_after``)."""

    def __init__(
        self,
        kind: str,
        limit: Limit,
        store: SharedStore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.limit = limit
        self.store = store
        self.clock = clock
        self.lease = max(1, int(limit.capacity // 50))
        self._leased: dict[str, tuple[int, float]] = {}  # key -> (tokens, until)
        self._asking: dict[str, asyncio.Future[int]] = {}  # key -> a lease being asked
        self.local = Buckets(limit, clock)  # the fallback, and the view read by retry_after

    def _params(self, key: str, want: int) -> dict[str, Any]:
        first = min(want, math.floor(self.limit.capacity)) if self.limit.capacity >= 1 else 0
        return {"kind": self.kind, "key": key, "cap": self.limit.capacity,
                "rate": self.limit.per_s, "want": want, "first": first}  # fmt: skip

    def _wait(self, level: float) -> int:
        return max(1, math.ceil((1 - level) / self.limit.per_s))

    async def atake(self, key: str) -> int:
        """Charge one request; 0 if it may go, else seconds to wait (nothing charged).

        Requests of one key that find no lease while a lease for it is being asked wait
        for that answer and share it, instead of each leasing ``lease`` tokens at once: a
        burst of simultaneous requests (a browser's page and its files, phones behind one
        carrier address) would otherwise empty the bucket into leases that run out
        unspent, and refuse requests the limit allows."""
        while True:
            now = self.clock()
            tokens, until = self._leased.get(key, (0, 0.0))
            if tokens > 0 and now < until:
                self._leased[key] = (tokens - 1, until)
                return 0
            asking = self._asking.get(key)
            if asking is None:
                break
            refused = await asyncio.shield(asking)
            if refused:
                return refused  # the bucket was empty a moment ago: the same answer
        if self.lease == 1:  # nothing to share: one token per request anyway
            return await self._lease(key)
        asking = self._asking[key] = asyncio.get_running_loop().create_future()
        refused = 0
        try:
            refused = await self._lease(key)
            return refused
        finally:
            del self._asking[key]
            asking.set_result(refused)  # (0 also when this request was cancelled)

    async def _lease(self, key: str) -> int:
        """Ask the database for a lease and take one token of it; as ``atake``."""
        answer = await self.store.run(TAKE_SQL, self._params(key, self.lease))
        if answer is None:
            return self.local.take(key)
        granted, level = answer
        if granted < 1:
            self._leased.pop(key, None)
            return self._wait(level)
        if granted > 1:
            if len(self._leased) >= 20_000:
                self._leased.clear()
            self._leased[key] = (granted - 1, self.clock() + LEASE_S)  # from its grant
        else:
            self._leased.pop(key, None)
        return 0

    def retry_after(self, key: str) -> int:
        """0 when a request may go now, as this process last saw the shared level."""
        return self.local.retry_after(key)

    async def acharge(self, key: str) -> None:
        """Charge one request that already happened (never below empty)."""
        answer = await self.store.run(CHARGE_SQL, self._params(key, 1))
        if answer is None:
            self.local.charge(key)
            return
        self.local.set_level(key, answer[1])
