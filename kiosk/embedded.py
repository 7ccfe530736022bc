"""The embedded hall server: the real ``hall`` app on 127.0.0.1 in a background thread.

Used when ``hall.mode = "embedded"`` (the default of ``./run``): SQLite in the kiosk's data
directory, a port chosen by the OS, and this kiosk's token created on start.

Start-up is deferred: ``EmbeddedHall`` starts the server in a thread so the home screen
shows at once (importing FastAPI/SQLAlchemy and migrating takes about a second here), and
its calls wait for the server — they run on worker threads, never the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path
from typing import Any

from kiosk.hall_client import HallClient, HallUnavailable
from kiosk.identity import Holder
from kiosk.tickets import Ticket

log = logging.getLogger(__name__)


class EmbeddedHallServer:
    def __init__(self, data_dir: Path, catalog_path: Path, kiosk_id: str) -> None:
        self.database_url = f"sqlite:///{data_dir / 'hall.sqlite3'}"
        self.catalog_path = catalog_path
        self.kiosk_id = kiosk_id
        self.url = ""
        self.token = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        import uvicorn

        from hall.app import create_app
        from hall.db import add_kiosk, migrate

        migrate(self.database_url)
        self.token = add_kiosk(self.database_url, self.kiosk_id)
        app = create_app(self.database_url, self.catalog_path)
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
        # the listening socket says it is TCP; with proto 0 every answer waited ~40 ms for a
        # delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=3,  # open call-board streams never end by themselves
        )  # fmt: skip
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name="embedded-hall-server",
            daemon=True,
        )
        self._thread.start()
        started = threading.Event()
        while not server.started and self._thread.is_alive():
            started.wait(0.01)
        if not server.started:
            raise RuntimeError("the embedded hall server did not start")
        self.url = f"http://127.0.0.1:{port}"
        log.info(
            "embedded hall server on %s — call board %s/board/, window evaluator %s/rate/"
            " (token: python -m hall add-evaluator --database-url %s COUNTER),"
            " staff page %s/staff/",
            self.url, self.url, self.url, self.database_url, self.url,
        )  # fmt: skip

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None


class EmbeddedHall:
    """A hall client that is usable at once; its calls wait until the server has started."""

    def __init__(
        self, server: EmbeddedHallServer, timeout_s: float, ready_timeout_s: float = 30.0
    ) -> None:
        self.server = server
        self.timeout_s = timeout_s
        self.ready_timeout_s = ready_timeout_s
        self._client: HallClient | None = None
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
            self._client = HallClient(self.server.url, self.server.token, self.timeout_s)
        except BaseException as exc:  # reported to every caller, and to staff in the log
            log.exception("the embedded hall server failed to start")
            self._error = exc
        finally:
            self._ready.set()

    def client(self) -> HallClient:
        self.start()
        if not self._ready.wait(self.ready_timeout_s):
            raise HallUnavailable("the embedded hall server is still starting")
        if self._client is None:
            raise HallUnavailable(f"the embedded hall server failed to start: {self._error}")
        return self._client

    @property
    def base_url(self) -> str:
        return self.client().base_url

    @property
    def token(self) -> str:
        self.client()
        return self.server.token

    def health(self) -> dict[str, Any]:
        return self.client().health()

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
    ) -> Ticket:
        return self.client().issue_ticket(service_id, idempotency_key, holder, priority, language)

    def request_help(self, kiosk_id: str, screen: str, elder: bool) -> dict[str, Any]:
        return self.client().request_help(kiosk_id, screen, elder)

    def find_visits(
        self,
        ticket_number: str | None = None,
        *,
        ticket_id: str | None = None,
        holder: Holder | None = None,
    ) -> list[dict[str, Any]]:
        return self.client().find_visits(ticket_number, ticket_id=ticket_id, holder=holder)

    def rating_options(self) -> dict[str, Any]:
        return self.client().rating_options()

    def case_options(self) -> dict[str, Any]:
        return self.client().case_options()

    def submit_rating(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client().submit_rating(body)

    def heartbeat(self, kiosk_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client().heartbeat(kiosk_id, body)

    def create_case(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client().create_case(body)

    def case_progress(self, number: str) -> dict[str, Any]:
        return self.client().case_progress(number)

    def submit_precheck(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client().submit_precheck(ticket_id, body)

    def get_ticket(self, ticket_id: str) -> Ticket:
        return self.client().get_ticket(ticket_id)

    def stop_server(self) -> None:
        """Stop the server but keep the client (tests of a dead hall server)."""
        self._ready.wait(self.ready_timeout_s)
        self.server.stop()

    def close(self) -> None:
        if self._thread.ident is not None:  # started: let it finish before stopping
            self._thread.join(timeout=self.ready_timeout_s)
        if self._client is not None:
            self._client.close()
        self.server.stop()
