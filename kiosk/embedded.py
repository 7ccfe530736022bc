"""The embedded hall: a ``HallClient`` pointed at a hall server in this process.

The server itself is given by the composition root (``python -m kiosk`` passes
``hall.embedded.EmbeddedHallServer``): the kiosk core knows it only as a ``HallServer``.

Start-up is deferred: ``EmbeddedHall`` starts the server in a thread so the home screen
shows at once (importing FastAPI/SQLAlchemy and migrating takes about a second here), and
its calls wait for the server — they run on worker threads, never the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from kiosk.hall_client import HallClient, HallUnavailable

log = logging.getLogger(__name__)


class HallServer(Protocol):
    """A hall server this process runs; ``url`` and ``token`` are set once ``start`` returns."""

    url: str
    token: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


HallServerFactory = Callable[[Path, Path, str], HallServer]
"""(data directory, catalog file, kiosk id) → a server not yet started."""


class EmbeddedHall(HallClient):
    """A hall client that is usable at once; its calls wait until the server has started."""

    def __init__(self, server: HallServer, timeout_s: float, ready_timeout_s: float = 30.0) -> None:
        super().__init__("", "", timeout_s)
        self.server = server
        self.ready_timeout_s = ready_timeout_s
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._start, name="embedded-hall-start", daemon=True)

    def start(self) -> None:
        """Start the server in the background (once); calls made before wait for it."""
        if not self._thread.is_alive() and not self._ready.is_set():
            self._thread.start()

    def _start(self) -> None:
        try:
            self.server.start()
            self._base_url = self.server.url
            self._http = self._open(self.server.url, self.server.token)
        except BaseException as exc:  # reported to every caller, and to staff in the log
            log.exception("the embedded hall server failed to start")
            self._error = exc
        finally:
            self._ready.set()

    def _connection(self) -> httpx.Client:
        self.start()
        if not self._ready.wait(self.ready_timeout_s):
            raise HallUnavailable("the embedded hall server is still starting")
        if self._http is None:
            raise HallUnavailable(f"the embedded hall server failed to start: {self._error}")
        return self._http

    @property
    def base_url(self) -> str:
        self._connection()
        return self._base_url

    @property
    def token(self) -> str:
        self._connection()
        return self.server.token

    def stop_server(self) -> None:
        """Stop the server but keep the client (tests of a dead hall server)."""
        self._ready.wait(self.ready_timeout_s)
        self.server.stop()

    def close(self) -> None:
        if self._thread.ident is not None:  # started: let it finish before stopping
            self._thread.join(timeout=self.ready_timeout_s)
        super().close()
        self.server.stop()
