"""Run real ``python -m hall serve`` processes for tests, benchmarks and training setups.

Like ``fastapi.testclient`` this ships with the package so that every caller starts the
server the same way: a subprocess on a free port, ready once /api/v1/health answers,
stopped with SIGTERM (then SIGKILL) when the ``with`` block ends. Its combined output goes
to a log file that callers may inspect (e.g. to check no ID number was logged).

``load`` sends many requests from concurrent clients. It uses the standard library's
``http.client`` in threads: about 0.4 ms of client CPU per request against 5–7 ms for
50 ``httpx.AsyncClient`` s, so on a small machine the server, not the load generator, is
what gets measured.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``python -m hall serve`` in a subprocess; use as a context manager."""

    def __init__(
        self,
        database_url: str,
        *,
        port: int | None = None,
        workers: int = 1,
        catalog: str | Path | None = None,
        env: dict[str, str] | None = None,
        log_path: str | Path | None = None,
        log_level: str = "warning",
    ) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.catalog = catalog
        self.env = env or {}
        self.log_level = log_level
        self._own_log = log_path is None  # a temporary log, deleted by stop()
        self.log_path = (
            Path(log_path)
            if log_path
            else Path(tempfile.mkstemp(prefix="hall-server-", suffix=".log")[1])
        )
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        """Launch and wait until the server answers."""
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        """Start the process without waiting (to start several at once)."""
        cmd = [
            sys.executable, "-m", "hall", "serve",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--database-url", self.database_url,
            "--workers", str(self.workers),
            "--log-level", self.log_level,
        ]  # fmt: skip
        if self.catalog:
            cmd += ["--catalog", str(self.catalog)]
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self) -> None:
        """Poll /api/v1/health until it answers 200; raise with the log if the server died."""
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"hall server exited with {self._proc.returncode}:\n{self.log_text()}"
                )
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        output = self.log_text()
        self.stop()
        raise RuntimeError(f"hall server not ready after {START_TIMEOUT_S} s:\n{output}")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL after 10 s.

        A temporary log is deleted; a log at a path the caller chose is kept.
        """
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_postgres_database(admin_url: str, prefix: str = "hall_test") -> str:
    """Create an empty database next to ``admin_url`` (a superuser URL); return its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hall.db import normalize_url

    url = make_url(normalize_url(admin_url))
    name = f"{prefix}_{os.getpid()}_{time.time_ns() % 10**9}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, database_url: str) -> None:
    """Drop a database made by ``create_postgres_database``, disconnecting its sessions."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hall.db import normalize_url

    name = make_url(database_url).database
    engine = create_engine(make_url(normalize_url(admin_url)), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Reply:
    """One response of ``load``: status, decoded JSON body (or None), latency in ms."""

    status: int
    body: Any
    latency_ms: float


def load(
    base_urls: Sequence[str],
    tokens: Sequence[str],
    count: int,
    make_request: Callable[[int], tuple[str, str, dict[str, Any] | None]],
    *,
    clients: int = 50,
    timeout_s: float = 60.0,
) -> tuple[float, list[Reply]]:
    """Send ``count`` requests from ``clients`` threads, each on its own keep-alive
    connection, spread round-robin over ``base_urls`` and bearer ``tokens`` (kiosk or staff
    tokens; client n uses the n-th, cyclically). ``make_request(i)`` gives
    (method, path, json body or None) for request i. Returns (wall seconds, replies in
    request order).
    """
    indexes = itertools.count()
    index_lock = threading.Lock()
    replies: list[Reply | None] = [None] * count
    errors: list[BaseException] = []

    def client(n: int) -> None:
        target = urlsplit(base_urls[n % len(base_urls)])
        conn = HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=timeout_s)
        token = tokens[n % len(tokens)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            while True:
                with index_lock:
                    i = next(indexes)
                if i >= count:
                    return
                method, path, body = make_request(i)
                started = time.perf_counter()
                conn.request(method, path, json.dumps(body) if body is not None else None, headers)
                resp = conn.getresponse()
                raw = resp.read()
                elapsed_ms = (time.perf_counter() - started) * 1000
                decoded = json.loads(raw) if raw else None
                replies[i] = Reply(resp.status, decoded, elapsed_ms)
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} load clients failed, first: {errors[0]!r}")
    return wall, [r for r in replies if r is not None]
