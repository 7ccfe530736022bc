"""A small in-memory token bucket per client address, for the hall's public routes.

Each client key (normally the client's IP address as the server sees it) has a bucket of
``burst`` tokens refilled at ``rate`` tokens per second; a request takes one token, and a
request finding the bucket empty is answered 429 with ``Retry-After`` (whole seconds until
a token is back). Buckets live in this process only: with several server processes each
has its own, so the effective limit is per process (a few times the figure at most) — the
phone page uses the shared buckets of ``hall.ratelimit_pg`` instead on PostgreSQL
(``hall.phone.SharedLimiter``).

Memory is bounded: at most ``max_clients`` buckets are kept; the least recently seen one is
dropped first (that client starts again with a full bucket — the limit guards the server
against a flood, it is not an accounting). Behind a reverse proxy every client has the
proxy's address; the proxy then has to do the limiting (``X-Forwarded-For`` is not trusted).

Use from a route::

    limiter = TokenBuckets(rate=10, burst=60)
    @router.get("/x", dependencies=[Depends(limiter.dependency)])

Thread-safe (FastAPI calls dependencies from the event loop and from worker threads).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import HTTPException, Request

DEFAULT_MAX_CLIENTS = 10_000


class TokenBuckets:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_clients < 1:
            raise ValueError("rate must be > 0, burst and max_clients >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)
        self.refused = 0  # how many requests were answered 429 (for monitoring and tests)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if the request may go on, else the seconds until
        the bucket has a token again (the request is refused)."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                wait = 0.0
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
                self.refused += 1
            self._buckets[key] = (tokens, now)  # most recently seen last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    async def dependency(self, request: Request) -> None:
        """FastAPI dependency: 429 with ``Retry-After`` when this client is over the limit."""
        wait = self.take(client_key(request))
        if wait > 0:
            raise too_many(wait)


def client_key(request: Request) -> str:
    """The key a client is limited by: its address as the server sees it."""
    return request.client.host if request.client is not None else "unknown"


def too_many(wait_s: float) -> HTTPException:
    """The 429 answer, with ``Retry-After`` in whole seconds (at least 1)."""
    return HTTPException(
        429,
        "请求太频繁，请稍后再试 / Too many requests, please wait",
        headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
    )
