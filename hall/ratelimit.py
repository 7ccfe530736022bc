"""Rate limits: per client address and per token, answered with 429 and Retry-After.

A token bucket per key (``Bucket``: ``capacity`` requests at once, then ``per_s`` a
second). On SQLite (one server process) the buckets are kept in memory; on PostgreSQL
they are shared by every server process through the database (``hall.ratelimit_pg``), so
that N processes together allow the limit, not N times it (``HALL_RATE_LIMIT_STORE=memory``
keeps them per process there too). ``RateLimits`` is an ASGI
middleware that charges, before the route runs:

- ``login``: each POST to /staff/login or /counter/login, per client address;
- ``token``: each request with an ``Authorization`` header, per token (its SHA-256);
- ``public``: each request without one (boards, pages, spoken calls), per client address;
- ``refused``: each answer 401 (unknown token, no session), per client address, so that
  guessing tokens is slow whatever the route; while this bucket is empty the address gets
  429 everywhere (``/api/v1/health`` excepted — monitoring polls it and it costs nothing);
- ``staff_login_fail``: each refused /staff/login, per address — the staff token login's
  lockout (5 wrong tokens, then one more try every 3 minutes).

The figures (``DEFAULT_LIMITS``) leave a kiosk's uploads after a day offline and a staff
page's polling far below them; ``HALL_RATE_LIMITS=off`` switches them off (tests of other
things, never a hall); ``HALL_RATE_LIMITS=public=20:0.5,login=5:0.1`` sets some to
``capacity:per_s`` (the others keep their defaults); ``create_app(rate_limits=...)`` too.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_KEYS = 20_000
"""Buckets kept per kind; beyond it the full (idle) ones are dropped, then all."""


@dataclass(frozen=True)
class Limit:
    capacity: float
    per_s: float


DEFAULT_LIMITS: dict[str, Limit] = {
    "login": Limit(capacity=10, per_s=1 / 6),
    "token": Limit(capacity=600, per_s=10),
    "public": Limit(capacity=300, per_s=10),
    "refused": Limit(capacity=30, per_s=1 / 10),
    "staff_login_fail": Limit(capacity=5, per_s=1 / 180),
}

LOGIN_PATHS = frozenset({"/staff/login", "/counter/login"})
EXEMPT_PATHS = frozenset({"/api/v1/health"})


class Buckets:
    """Token buckets of one limit, keyed by client address or token digest."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def _level(self, key: str, now: float) -> float:
        found = self._state.get(key)
        if found is None:
            return self.limit.capacity
        tokens, at = found
        return min(self.limit.capacity, tokens + (now - at) * self.limit.per_s)

    def retry_after(self, key: str) -> int:
        """0 when a request may go now, else whole seconds until one may."""
        level = self._level(key, self.clock())
        if level >= 1:
            return 0
        return max(1, math.ceil((1 - level) / self.limit.per_s))

    def take(self, key: str) -> int:
        """Charge one request; 0 if it may go, else seconds to wait (nothing charged)."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1:
            return max(1, math.ceil((1 - level) / self.limit.per_s))
        if len(self._state) >= MAX_KEYS and key not in self._state:
            self._prune(now)
        self._state[key] = (level - 1, now)
        return 0

    async def atake(self, key: str) -> int:
        return self.take(key)

    async def acharge(self, key: str) -> None:
        self.charge(key)

    def set_level(self, key: str, tokens: float) -> None:
        """The bucket holds ``tokens`` now (as another store counted them)."""
        self._state[key] = (tokens, self.clock())
        if len(self._state) > MAX_KEYS:
            self._prune(self.clock())

    def charge(self, key: str) -> None:
        """Charge one request that already happened (never below empty)."""
        now = self.clock()
        self._state[key] = (max(0.0, self._level(key, now) - 1), now)
        if len(self._state) > MAX_KEYS:
            self._prune(now)

    def _prune(self, now: float) -> None:
        full = [k for k in self._state if self._level(k, now) >= self.limit.capacity]
        for key in full:
            del self._state[key]
        if len(self._state) >= MAX_KEYS:
            self._state.clear()


def limits_from_env() -> dict[str, Limit] | None:
    """``DEFAULT_LIMITS`` with HALL_RATE_LIMITS's ``kind=capacity:per_s`` over them, or None
    when HALL_RATE_LIMITS=off. Raises ValueError on a setting that does not parse."""
    raw = os.environ.get("HALL_RATE_LIMITS", "").strip()
    if raw.lower() == "off":
        return None
    chosen = dict(DEFAULT_LIMITS)
    if raw.lower() == "on":
        return chosen
    for item in filter(None, (part.strip() for part in raw.split(","))):
        kind, _, figures = item.partition("=")
        capacity, _, per_s = figures.partition(":")
        try:
            limit = Limit(capacity=float(capacity), per_s=float(per_s))
        except ValueError:
            limit = None
        if kind.strip() not in DEFAULT_LIMITS or limit is None or limit.capacity < 1 \
                or limit.per_s <= 0:  # fmt: skip
            raise ValueError(
                f"HALL_RATE_LIMITS: {item!r} is not KIND=CAPACITY:PER_S with KIND one of"
                f" {', '.join(DEFAULT_LIMITS)} (or 'off')"
            )
        chosen[kind.strip()] = limit
    return chosen


class RateLimits:
    """ASGI middleware applying the limits above (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.monotonic,
        shared: Any = None,
    ) -> None:
        """``shared``: a ``hall.ratelimit_pg.SharedStore`` (PostgreSQL) — the buckets live
        in the database, shared by the server processes; None — in this process."""
        self.app = app
        chosen = {**DEFAULT_LIMITS, **(limits or {})}
        self.buckets: dict[str, Any]
        self._shared = shared is not None
        if shared is None:
            self.buckets = {kind: Buckets(limit, clock) for kind, limit in chosen.items()}
        else:
            from hall.ratelimit_pg import SharedBuckets

            self.buckets = {
                kind: SharedBuckets(kind, limit, shared, clock) for kind, limit in chosen.items()
            }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "-"
        path = scope["path"]
        wait = self.buckets["refused"].retry_after(address)
        staff_login = path == "/staff/login" and scope["method"] == "POST"
        if not wait and staff_login:
            wait = self.buckets["staff_login_fail"].retry_after(address)
        if not wait and path in LOGIN_PATHS and scope["method"] == "POST":
            wait = await self.buckets["login"].atake(address)
        if not wait:
            authorization = _header(scope, b"authorization")
            if authorization is not None:
                digest = hashlib.sha256(authorization).hexdigest()
                wait = await self._take("token", digest)
            else:
                wait = await self._take("public", address)
        if wait:
            await _too_many(send, wait)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await self.buckets["refused"].acharge(address)
                if staff_login:
                    await self.buckets["staff_login_fail"].acharge(address)
            await send(message)

        await self.app(scope, receive, watch)

    def _take(self, kind: str, key: str) -> Awaitable[int]:
        if self._shared:
            return self.buckets[kind].atake(key)  # type: ignore[no-any-return]
        return _done(self.buckets[kind].take(key))  # in memory: no coroutine per request


class _done:  # noqa: N801 - an awaitable of a value already known
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __await__(self) -> Any:
        return self.value
        yield  # pragma: no cover - makes this a generator


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _too_many(send: Send, wait: int) -> None:
    body = b'{"detail":"too many requests; try again later"}'
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(wait).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
