"""A request-body limit, enforced before authentication and while the body streams in.

The outermost ASGI middleware of the hall server (``hall.app.create_app``): before any
route, dependency or token check runs, a request announcing more than the limit in
``Content-Length`` is answered 413 at once, without reading its body; a body without a
length (chunked) is counted as it arrives and refused as soon as it passes the limit. So an
anonymous client can make the server hold at most one limit's worth of its bytes.

The limit is ``HALL_MAX_BODY_BYTES`` (default 256 KiB: the largest legitimate body, a
pre-check report of 60 materials, is a few KB); a route that needs more gets its own entry
in ``ROUTE_LIMITS`` (none does today). The 413 answer is JSON with a code and a message, and
closes the connection (the rest of the body is not read).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from contract.errors import ConfigError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_ENV = "HALL_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
ROUTE_LIMITS: dict[tuple[str, str], int] = {}
"""(method, path) → a larger limit for a route that needs one (exact path)."""


def max_body_from_env() -> int:
    """The limit in bytes; 0 (``HALL_MAX_BODY_BYTES=0``) turns it off, for measurements
    only (benchmarks/faults.py compares throughput with and without it)."""
    raw = os.environ.get(MAX_BODY_ENV)
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{MAX_BODY_ENV}: a whole number of bytes, got {raw!r}") from None
    if value != 0 and not 1024 <= value <= 64 * 1024 * 1024:
        raise ConfigError(f"{MAX_BODY_ENV}: between 1024 and 67108864 bytes, got {value}")
    return value


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        route_limits: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = ROUTE_LIMITS if route_limits is None else route_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.route_limits.get((scope["method"], scope["path"]), self.max_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await _refuse(send, 400, "bad_length", "Content-Length is not a number")
                    return
                if int(value) > limit:
                    await _refuse(send, 413, "body_too_large", _message(limit))
                    return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Past the limit: answer 413 now, and tell the app the client went away (it
            # stops reading; whatever it answers then is dropped by ``guarded_send``).
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, 413, "body_too_large", _message(limit))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


def _message(limit: int) -> str:
    return f"request body larger than {limit} bytes: refused before reading it"


async def _refuse(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
