"""Run real ``python -m hall serve`` processes for tests, benchmarks and training setups.

Like ``fastapi.testclient`` this ships with the package so that every caller starts the
server the same way: a subprocess on a free port, ready once /api/v1/health answers,
stopped with SIGTERM (then SIGKILL) when the ``with`` block ends. Its combined output goes
to a log file that callers may inspect (e.g. to check no ID number was logged).

``load`` sends many requests from concurrent clients: one event loop (uvloop when
installed) driving every client's keep-alive connection with a minimal HTTP/1.1 protocol
(requests pre-encoded, responses split by Content-Length, JSON decoded only after the
clock stops). That costs about 0.1 ms of client CPU per request, against ~0.3 ms for
``http.client`` in threads (measured here, 50 clients) and 5–7 ms for 50
``httpx.AsyncClient`` s, so on a small machine the server, not the load generator, is
what gets measured. Latency is taken when the last byte of the response arrives; with
``rate`` (open loop) it counts from the request's scheduled time, so a server that falls
behind is charged for the queue too.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


def test_key_file(database_url: str) -> Path:
    """Where ``ServerProcess`` keeps the keys of a PostgreSQL test database (one file per
    database URL, shared by every process serving it; deleted with the database)."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hall-test-keys-{digest}.json"


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
        key_file: str | Path | None = None,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        ca_file: str | Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        """``key_file``: the hall's keys (``hall.keys``); by default beside an SQLite file,
        and for PostgreSQL one file per database URL in the temporary directory, so that
        every process of a test serving that database shares it. ``certfile``/``keyfile``
        serve HTTPS (``base_url`` https://localhost:…), checked against ``ca_file``."""
        self.database_url = database_url
        self.port = port or free_port()
        self.certfile, self.keyfile, self.ca_file = certfile, keyfile, ca_file
        self.extra_args = list(extra_args)
        if key_file is None and not database_url.startswith("sqlite"):
            key_file = test_key_file(database_url)
        self.key_file = key_file
        scheme, host = ("https", "localhost") if certfile else ("http", "127.0.0.1")
        self.base_url = f"{scheme}://{host}:{self.port}"
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
        if self.key_file:
            cmd += ["--key-file", str(self.key_file)]
        if self.certfile:
            cmd += ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile)]
        cmd += self.extra_args
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
                verify: Any = (
                    ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
                )
                health = httpx.get(f"{self.base_url}/api/v1/health", timeout=1.0, verify=verify)
                if health.status_code == 200:
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


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def post_body(
    port: int, path: str, total: int, *, chunked: bool, token: str = "", timeout_s: float = 30
) -> tuple[int, float, int]:
    """POST ``total`` bytes (a JSON array's worth of "1,") as fast as the server takes
    them, until it answers. Returns (status, seconds to the answer, bytes sent)."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    if token:
        head.append(f"Authorization: Bearer {token}")
    piece = b"1," * (1024 * 512)
    data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sock = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    sent, answer = 0, b""
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        pending = memoryview(b"")
        while time.monotonic() - started < timeout_s:
            want_write = sent < total or len(pending) > 0
            readable, writable, _ = select.select([sock], [sock] if want_write else [], [], 1.0)
            if readable:
                chunk = sock.recv(65536)
                answer += chunk
                if b"\r\n\r\n" in answer or not chunk:
                    break
            elif writable:
                if not pending:
                    pending = memoryview(data)
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    want_write = False
                    sock.setblocking(True)
                    sock.settimeout(5)
                    answer += sock.recv(65536)
                    break
                pending = pending[n:]
                sent += n
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer[9:12]), time.monotonic() - started, sent


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
    test_key_file(database_url).unlink(missing_ok=True)


def check_tickets(
    database_url: str, key_prefix: str, acknowledged: dict[str, str]
) -> dict[str, int]:
    """The fault tests' verdict on the tickets table: ``duplicates`` (two tickets for one
    idempotency key, or one number twice in a window group's day), ``gaps`` (a number
    missing in a group's day), ``acknowledged_lost`` (a ticket answered to a client —
    ``acknowledged``: key → number — not stored, or stored with another number)."""
    from collections import defaultdict

    from sqlalchemy import text

    from hall.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT idempotency_key, number FROM tickets WHERE idempotency_key LIKE :p"),
                {"p": f"{key_prefix}%"},
            ).all()
            all_rows = conn.execute(
                text("SELECT window_group, service_day, seq FROM tickets")
            ).all()
    finally:
        engine.dispose()
    by_key: dict[str, list[str]] = defaultdict(list)
    for key, number in rows:
        by_key[key].append(number)
    per_group: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for group, day, seq in all_rows:
        per_group[(group, day)].append(seq)
    duplicates = sum(len(v) - 1 for v in by_key.values()) + sum(
        len(seqs) - len(set(seqs)) for seqs in per_group.values()
    )
    gaps = sum(max(seqs) - len(set(seqs)) for seqs in per_group.values())
    lost = sum(1 for key, number in acknowledged.items() if by_key.get(key) != [number])
    return {"stored": len(rows), "duplicates": duplicates, "gaps": gaps, "acknowledged_lost": lost}


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, a free port), to stop
    and start under running hall servers (tests/hall/test_postgres_restart.py,
    benchmarks/faults.py) without touching the suite's shared one. As the ``postgres``
    user when run as root (PostgreSQL refuses root). Use as a context manager."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="hall-pg-cluster-"))
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            import shutil

            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip

    def start(self) -> PostgresCluster:
        if not (self.dir / "data").exists():
            subprocess.run(
                [*self._as, str(self.bin / "initdb"), "-D", str(self.dir / "data"),
                 "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"],
                check=True, stdout=subprocess.DEVNULL, timeout=120,
            )  # fmt: skip
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
        self._ctl("-l", str(self.dir / "log"), "-w", "-o", opts, "start")
        return self

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: sessions are ended, the server shuts down cleanly."""
        self._ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        import shutil

        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass(frozen=True)
class Reply:
    """One response of ``load``: status, decoded JSON body (or None), latency in ms."""

    status: int
    body: Any
    latency_ms: float


class _HttpClientProtocol(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time (what ``load`` needs)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes, float]] | None = None
        self.sent_at = 0.0  # perf_counter of the request in flight, 0.0 when idle
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._transport = transport  # type: ignore[assignment]

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes, float]]:
        """Send one request; the future gives (status, body, perf_counter at completion)."""
        assert self._transport is not None and self._waiter is None
        self._waiter = self._loop.create_future()
        self.sent_at = time.perf_counter()
        self._transport.write(data)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None:
            return
        parsed = _parse_response(self._buffer)
        if parsed is None:
            return  # incomplete
        status, body, used, close = parsed
        done_at = time.perf_counter()
        del self._buffer[:used]
        waiter, self._waiter, self.sent_at = self._waiter, None, 0.0
        if not waiter.done():
            waiter.set_result((status, body, done_at))
        if close:
            self.close()

    def fail(self, exc: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self._waiter = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.fail(exc or ConnectionError("the server closed the connection"))

    def close(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.close()
        self.closed = True


def _parse_response(buffer: bytearray) -> tuple[int, bytes, int, bool] | None:
    """(status, body, bytes used, connection closes) of the first complete response."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    start = end + 4
    close = headers.get("connection", "").lower() == "close"
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", start, close
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body, pos = bytearray(), start
        while True:
            line_end = buffer.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buffer[pos:line_end]).split(b";")[0], 16)
            chunk_start = line_end + 2
            if len(buffer) < chunk_start + size + 2:
                return None
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return None
                return status, bytes(body), trailer_end + 4, close
            body += buffer[chunk_start : chunk_start + size]
            pos = chunk_start + size + 2
    length = int(headers.get("content-length", "0"))
    if len(buffer) < start + length:
        return None
    return status, bytes(buffer[start : start + length]), start + length, close


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def load(
    base_urls: Sequence[str],
    tokens: Sequence[str],
    count: int,
    make_request: Callable[[int], tuple[str, str, dict[str, Any] | None]],
    *,
    clients: int = 50,
    timeout_s: float = 60.0,
    rate: float | None = None,
) -> tuple[float, list[Reply]]:
    """Send ``count`` requests from ``clients`` concurrent clients, each on its own
    keep-alive connection, spread round-robin over ``base_urls`` and bearer ``tokens``
    (kiosk or staff tokens; client n uses the n-th, cyclically). ``make_request(i)`` gives
    (method, path, json body or None) for request i.

    Closed loop by default: each client sends its next request as soon as the last one is
    answered. With ``rate`` (requests/s), open loop: request i is due at start + i / rate
    and its latency counts from then. Connections are opened before the clock starts.
    Returns (wall seconds, replies in request order). Runs its own event loop in the
    calling thread.
    """
    loop = _new_event_loop()
    try:
        return loop.run_until_complete(
            _load(loop, base_urls, tokens, count, make_request, clients, timeout_s, rate)
        )
    finally:
        loop.close()


async def _load(
    loop: asyncio.AbstractEventLoop,
    base_urls: Sequence[str],
    tokens: Sequence[str],
    count: int,
    make_request: Callable[[int], tuple[str, str, dict[str, Any] | None]],
    clients: int,
    timeout_s: float,
    rate: float | None,
) -> tuple[float, list[Reply]]:
    raw: list[tuple[int, bytes, float] | None] = [None] * count
    next_index = itertools.count()
    protocols: list[_HttpClientProtocol] = []
    targets = [urlsplit(url) for url in base_urls]
    for n in range(clients):
        target = targets[n % len(targets)]
        _, proto = await loop.create_connection(
            lambda: _HttpClientProtocol(loop), target.hostname or "127.0.0.1", target.port
        )
        protocols.append(proto)

    async def client(n: int, proto: _HttpClientProtocol, started: float) -> None:
        target = targets[n % len(targets)]
        host = f"{target.hostname}:{target.port}"
        fixed = f"Host: {host}\r\nAuthorization: Bearer {tokens[n % len(tokens)]}\r\n"
        while (i := next(next_index)) < count:
            method, path, body = make_request(i)
            payload = json.dumps(body).encode() if body is not None else b""
            head = f"{method} {path} HTTP/1.1\r\n{fixed}"
            if body is not None:
                head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            data = head.encode("latin-1") + b"\r\n" + payload
            due = None
            if rate is not None:
                due = started + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if proto.closed:  # the server said Connection: close; open a new one
                _, proto = await loop.create_connection(
                    lambda: _HttpClientProtocol(loop), target.hostname, target.port
                )
                protocols.append(proto)
            waiter = proto.request(data)
            sent_at = proto.sent_at
            status, response, done_at = await waiter
            raw[i] = (status, response, (done_at - (due or sent_at)) * 1000)

    async def watchdog() -> None:
        while True:
            await asyncio.sleep(min(1.0, timeout_s))
            now = time.perf_counter()
            for proto in protocols:
                if proto.sent_at and now - proto.sent_at > timeout_s:
                    proto.fail(TimeoutError(f"no response within {timeout_s} s"))
                    proto.close()

    guard = loop.create_task(watchdog())
    started = time.perf_counter()
    results = await asyncio.gather(
        *(client(n, proto, started) for n, proto in enumerate(protocols)), return_exceptions=True
    )
    wall = time.perf_counter() - started
    guard.cancel()
    for proto in protocols:
        proto.close()
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} load clients failed, first: {errors[0]!r}")
    replies = [
        Reply(status, json.loads(body) if body else None, latency_ms)
        for status, body, latency_ms in filter(None, raw)
    ]
    return wall, replies
