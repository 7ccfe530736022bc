"""The hall server in-process: the real ``hall`` app on 127.0.0.1 in a background thread.

The kiosk's composition root (``python -m kiosk``) hands this class to the kiosk core when
``hall.mode = "embedded"`` (the default of ``./run``): SQLite in the kiosk's data
directory, a port chosen by the OS, and this kiosk's token created on start. The kiosk
talks to it over HTTP like to any hall server (``kiosk.embedded.EmbeddedHall``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path
from typing import Any

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

        from hall.app import create_app  # imported here: a second of imports, off the GUI path
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
