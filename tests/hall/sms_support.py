"""A tiny real HTTP server standing in for a hall's SMS platform: it records every request
(body and headers) and answers 200, or 503 while ``failing``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_POLL = threading.Event()  # never set: its wait() is the poll interval below


def wait_until(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``condition`` every 20 ms until it holds (a deadline, no fixed sleep for a
    result): the hall's text message sender runs on its own loop."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        _POLL.wait(0.02)
    return value


@dataclass
class Recorded:
    body: dict[str, Any]
    authorization: str
    status: int


@dataclass
class SmsPlatform:
    url: str
    failing: bool = False
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.requests if r.status == 200]

    def all(self) -> list[Recorded]:
        with self.lock:
            return list(self.requests)


@contextmanager
def sms_platform() -> Iterator[SmsPlatform]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    platform = SmsPlatform(url=f"http://127.0.0.1:{server.server_address[1]}/sms/send")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            code = 503 if platform.failing else 200
            with platform.lock:
                platform.requests.append(
                    Recorded(body, self.headers.get("Authorization", ""), code)
                )
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if code == 200 else b'{"error": "down"}')

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
