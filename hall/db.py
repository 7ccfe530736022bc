"""Engines, transactions, migrations and the administrative helpers of the hall database.

SQLite (one hall, one process or a few) runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the file lock
instead of failing half-way. PostgreSQL (several processes) uses READ COMMITTED with row
locks; the rare serialization or deadlock failure is retried by ``run_transaction``.

Issuing tickets, the hot path, has two helpers of its own: ``SqliteWriter``, one thread
per process that commits many tickets per SQLite transaction (group commit: one fsync for
all; ``hall.tickets_sqlite``), and ``AsyncPgPool``, psycopg connections used straight from
the event loop for PostgreSQL's one-statement issue (``hall.tickets_pg``, and the rating
store ``hall.ratings_pg``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from hall.models import Kiosk, Staff
from osfiles.private_files import private_file

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///hall.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long an SQLite writer waits for the file lock before giving up, milliseconds."""

MIGRATION_LOCK_KEY = 0x4A11_5E2F
"""pg_advisory_xact_lock key that serialises concurrent ``migrate`` calls."""

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PG_FAST_POOL_SIZE_ENV = "HALL_PG_POOL_SIZE"
DEFAULT_PG_FAST_POOL_SIZE = 8
"""Connections per server process for the fast path (see AsyncPgPool): issuing, ratings,
call-next and its NOTIFY, token look-ups."""

RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_SQLITE_WRITE_LOCKS: dict[str, threading.Lock] = {}  # per database file, see transaction()
_SQLITE_WRITE_LOCKS_GUARD = threading.Lock()


PG_CONNECT_TIMEOUT_S = 3
PG_POOL_TIMEOUT_S = 5


class DatabaseError(Exception):
    """The database URL is wrong or the database cannot be reached; message is one line."""


def normalize_url(database_url: str) -> str:
    """Default PostgreSQL URLs to the psycopg 3 driver (the only one we ship)."""
    for plain in ("postgresql://", "postgres://"):
        if database_url.startswith(plain):
            return "postgresql+psycopg://" + database_url[len(plain) :]
    return database_url


def make_engine(database_url: str) -> Engine:
    """An engine set up for the server's transaction rules (see the module docstring)."""
    try:
        url = make_url(normalize_url(database_url))
    except Exception as exc:  # ArgumentError, ValueError: the URL does not parse
        raise DatabaseError(f"invalid database URL {database_url!r}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if url.get_backend_name() == "postgresql":
        # A database that is restarting or unreachable must cost a request seconds, not
        # minutes (it is answered 503, hall/app.py): connecting gives up after
        # PG_CONNECT_TIMEOUT_S (unless the URL sets connect_timeout; the fast path's
        # AsyncPgPool likewise), waiting for a pooled connection after PG_POOL_TIMEOUT_S.
        # pool_pre_ping replaces connections a restart broke.
        connect_args = (
            {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        )
        try:
            return create_engine(
                url,
                connect_args=connect_args,
                pool_size=10,
                max_overflow=5,
                pool_pre_ping=True,
                pool_recycle=1800,
                pool_timeout=PG_POOL_TIMEOUT_S,
            )
        except ImportError as exc:
            raise DatabaseError(f"PostgreSQL driver missing: {exc}") from None
    raise DatabaseError(
        f"unsupported database {url.get_backend_name()!r} in {url.render_as_string()!r};"
        " use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
    )


def _sqlite_engine(url: Any) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        private_file(Path(url.database))  # 0600: personal data (osfiles/private_files.py)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module; we emit our own below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted personal data (a closed case's phone number, purged links) is overwritten
        # with zeros, not left in free pages of the file for a copy to find.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def database_kind(engine: Engine) -> str:
    """'sqlite' or 'postgresql', as reported by /health."""
    return engine.dialect.name


@contextmanager
def transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success and rolled back on error.

    ``readonly`` starts a deferred transaction on SQLite so readers do not queue behind
    writers; on PostgreSQL it makes no difference. SQLite writers of one process first
    queue on a thread lock: SQLite's own busy handler polls with sleeps of up to 100 ms,
    which would idle the server under load.
    """
    if readonly:
        bind = engine.execution_options(sqlite_begin="DEFERRED")
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session
        return
    with _write_lock(engine), Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


def _write_lock(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url.database)
    with _SQLITE_WRITE_LOCKS_GUARD:
        return _SQLITE_WRITE_LOCKS.setdefault(key, threading.Lock())


def is_retryable(exc: BaseException) -> bool:
    """Serialization failure, deadlock, or SQLite still locked after the busy timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRY_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _retrying(open_transaction: Callable[[], Any], work: Callable[[Any], T], attempts: int) -> T:
    """``work`` in a fresh ``open_transaction()`` each attempt; transient concurrency
    failures (``is_retryable``) are retried with jittered backoff."""
    for attempt in range(1, attempts + 1):
        try:
            with open_transaction() as handle:
                return work(handle)
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.warning("transaction retry %d/%d after %s", attempt, attempts, type(exc.orig))
            time.sleep(0.01 * 2**attempt * (0.5 + secrets.randbelow(100) / 100))
    raise AssertionError("unreachable")


def run_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 5) -> T:
    """Run ``work`` in a fresh transaction, retrying transient concurrency failures."""
    return _retrying(lambda: transaction(engine), work, attempts)


@contextmanager
def connection_transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Connection]:
    """Like ``transaction`` but a Core ``Connection``, no ORM session.

    The hot paths use it: SQLAlchemy Core statements cost a fraction of ORM unit-of-work
    flushes. Same rules: ``readonly`` starts a deferred transaction on SQLite; SQLite
    writers queue on the process's thread lock, then ``BEGIN IMMEDIATE``.
    """
    if readonly:
        bind = engine.execution_options(sqlite_begin="DEFERRED")
        with bind.connect() as conn, conn.begin():
            yield conn
        return
    with _write_lock(engine), engine.connect() as conn, conn.begin():
        yield conn


def run_connection_transaction(
    engine: Engine, work: Callable[[Connection], T], *, attempts: int = 5
) -> T:
    """``run_transaction`` for Core work on a ``Connection``; same retry rules."""
    return _retrying(lambda: connection_transaction(engine), work, attempts)


class SqliteWriter:
    """One thread that runs this process's write transactions of one kind on SQLite,
    several per transaction (group commit).

    SQLite takes one writer at a time and each commit waits for an fsync (1–3 ms on an
    ordinary disk), so with many concurrent kiosks a thread per request mostly queues on
    the write lock (``transaction``), and pays a GIL hand-over each time. Here one thread
    takes every waiting unit of work (up to ``max_batch``), runs each in a SAVEPOINT of one
    ``BEGIN IMMEDIATE`` transaction and commits once: each unit sees the ones before it
    (numbers stay gap-free and people-ahead exact), a unit that fails is rolled back to
    its savepoint alone, and no caller hears of success before the commit that makes its
    work durable. If the commit fails, every unit of the batch gets the error; a
    retryable error (database still locked) retries the whole batch.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 64, attempts: int = 5) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.attempts = attempts
        self._queue: queue.SimpleQueue[tuple[Callable[[Connection], Any], Future[Any]] | None]
        self._queue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in the writer's next transaction; its result."""
        return await asyncio.wrap_future(self.submit(work))

    def submit(self, work: Callable[[Connection], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="hall-sqlite-writer", daemon=True
                )
                self._thread.start()
            self._queue.put((work, future))
        return future

    def stop(self) -> None:
        """Finish what was submitted, then end the thread."""
        with self._guard:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_batch([(w, f) for w, f in batch if f.set_running_or_notify_cancel()])
            if stop:
                return

    def _run_batch(self, batch: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        for attempt in range(1, self.attempts + 1):
            outcomes: list[tuple[bool, Any]] = []
            try:
                with connection_transaction(self.engine) as conn:
                    # Savepoints on the driver directly: SQLAlchemy's would cost more
                    # than the work (SQLite needs no more than the statement).
                    driver = conn.connection.driver_connection
                    for work, _future in batch:
                        driver.execute("SAVEPOINT hall_unit")  # type: ignore[union-attr]
                        try:
                            result = work(conn)
                        except Exception as exc:
                            driver.execute("ROLLBACK TO hall_unit")  # type: ignore[union-attr]
                            driver.execute("RELEASE hall_unit")  # type: ignore[union-attr]
                            outcomes.append((False, exc))
                        else:
                            driver.execute("RELEASE hall_unit")  # type: ignore[union-attr]
                            outcomes.append((True, result))
            except Exception as exc:
                if attempt < self.attempts and is_retryable(exc):
                    log.warning("write batch retry %d/%d after %s", attempt, self.attempts, exc)
                    time.sleep(0.01 * 2**attempt * (0.5 + secrets.randbelow(100) / 100))
                    continue
                for _work, future in batch:
                    future.set_exception(exc)
                return
            for (_work, future), (ok, value) in zip(batch, outcomes, strict=True):
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            return


class AsyncPgPool:
    """A small pool of psycopg ``AsyncConnection`` s (autocommit) for the ticket hot path.

    Why not the engine's pool: issuing a ticket on PostgreSQL is one prepared statement
    (see ``hall.tickets_pg``) sent straight from the event loop with no thread hop, one
    network round trip; SQLAlchemy's pool would add a thread and a ``pre_ping`` round trip
    per checkout. Connections are opened lazily, at most ``size`` at once; waiting callers
    queue (FIFO, connections handed over directly). A connection that broke or is left
    inside a transaction is closed instead of returned to the pool. Callers retry their
    work on ``psycopg.OperationalError`` with the next connection, so a database restart
    costs a retry, not an error — which is why the work must be idempotent.

    The pool belongs to one event loop (uvicorn's, in a server process); used from another
    loop (e.g. a new ``TestClient``), it drops its old connections and starts afresh.
    """

    def __init__(self, engine: Engine, size: int | None = None) -> None:
        import psycopg

        self._psycopg_connect = psycopg.AsyncConnection.connect
        self._status_idle = psycopg.pq.TransactionStatus.IDLE
        if size is None:
            size = int(os.environ.get(PG_FAST_POOL_SIZE_ENV) or DEFAULT_PG_FAST_POOL_SIZE)
        if size < 1:
            raise ValueError(f"{PG_FAST_POOL_SIZE_ENV} must be at least 1")
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        cparams = dict(cparams)
        cparams.pop("context", None)  # SQLAlchemy's adapters; plain psycopg types here
        cparams.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)  # see make_engine
        self._cargs = list(cargs)
        self._cparams = cparams
        self.size = size
        self._idle: list[Any] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._idle = []  # connections of a finished loop; garbage-collected
            self._open = 0
            self._waiters = deque()
            self._loop = loop

    async def _acquire(self) -> Any:
        self._bind_loop()
        if self._idle:
            return self._idle.pop()  # LIFO: the warmest connection
        if self._open < self.size:
            self._open += 1
            return await self._connect_slot()
        waiter: asyncio.Future[Any] = self._loop.create_future()  # type: ignore[union-attr]
        self._waiters.append(waiter)
        try:
            conn = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._hand_over(waiter.result())  # handed to us as we were cancelled
            raise
        if conn is None:  # a slot was handed over: open its connection
            return await self._connect_slot()
        return conn

    async def _connect_slot(self) -> Any:
        """Open a connection for a slot the caller holds; give the slot back on failure."""
        try:
            return await self._psycopg_connect(*self._cargs, autocommit=True, **self._cparams)
        except BaseException:
            self._hand_over(None)
            raise

    def _hand_over(self, conn: Any) -> None:
        """Give a connection (or, with None, a free slot) to the first waiter, else keep it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        if conn is None:
            self._open -= 1
        else:
            self._idle.append(conn)

    def _release(self, conn: Any) -> None:
        if self._loop is not asyncio.get_running_loop():
            return  # the pool moved on to another event loop meanwhile
        if conn.closed or conn.pgconn.transaction_status != self._status_idle:
            self._release_slot(conn)
        else:
            self._hand_over(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A connection for one unit of work; returned to the pool afterwards."""
        conn = await self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    async def fetch_one(
        self, sql: str, params: dict[str, Any], backend_pids: list[int] | None = None
    ) -> Any:
        """One autocommit statement; its first row or None. A connection the statement
        failed on is closed, never reused (its state is unknown). ``backend_pids``: the
        server process the statement went to is appended (to end it after a lost answer)."""
        import psycopg

        async with self.connection() as conn:
            if backend_pids is not None:
                backend_pids.append(conn.info.backend_pid)
            try:
                cursor = await conn.execute(sql, params)
                return await cursor.fetchone()
            except psycopg.Error:
                await conn.close()
                raise

    def drop_idle(self) -> None:
        """Forget the idle connections: after one was found broken (a database restart),
        the others most likely are too; the next callers open fresh ones."""
        idle, self._idle = self._idle, []
        for conn in idle:
            self._release_slot(conn)

    def _release_slot(self, conn: Any) -> None:
        if not conn.closed:
            task = self._loop.create_task(conn.close())  # type: ignore[union-attr]
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self._hand_over(None)

    async def close(self) -> None:
        """Close the idle connections (at shutdown)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.close()


# -- migrations -------------------------------------------------------------------------
def alembic_config() -> Config:
    """Alembic configured in code (no alembic.ini): scripts in hall/migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS_DIR))
    return cfg


def migrate(database_url: str) -> None:
    """Upgrade the schema to the newest revision; safe to run from several processes.

    All migrations run in one transaction holding a lock: a PostgreSQL advisory lock, or on
    SQLite the write lock of ``BEGIN IMMEDIATE``. A second caller waits, then finds the
    schema at head and does nothing.
    """
    engine = make_engine(database_url)
    try:
        with _connect_errors(database_url), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


@contextmanager
def _connect_errors(database_url: str) -> Iterator[None]:
    """Turn driver errors on connect into a one-line DatabaseError (CLI prints it)."""
    try:
        yield
    except OperationalError as exc:
        shown = make_url(normalize_url(database_url)).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot use database {shown}: {reason}") from None


# -- tokens -------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    """SHA-256 hex digest of a bearer token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh bearer token, 256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def add_kiosk(database_url: str, kiosk_id: str) -> str:
    """Register a kiosk, or rotate its token if it exists; return the new token.

    The previous token of that kiosk stops working at once.
    """
    if not kiosk_id or len(kiosk_id) > 64:
        raise ValueError("kiosk id must be 1 to 64 characters")
    token = new_token()
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(database_url)

    def work(session: Session) -> None:
        stmt = dialect_insert(engine, Kiosk).values(
            id=kiosk_id, token_hash=hash_token(token), created_at=now, token_rotated_at=now
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={"token_hash": stmt.excluded.token_hash, "token_rotated_at": now},
            )
        )

    try:
        with _connect_errors(database_url):
            run_transaction(engine, work)
    finally:
        engine.dispose()
    log.info("kiosk %s token issued", kiosk_id)
    return token


def add_staff(
    database_url: str,
    name: str,
    *,
    number: str | None = None,
    password: str | None = None,
    supervisor: bool = False,
    auditor: bool = False,
) -> str:
    """Register a member of staff and return their new bearer token (for machines).

    ``auditor``: reads everything (statistics, work queues, audit log), changes nothing.

    With ``number`` (工号) and ``password`` they can also sign in at the counter page
    (``/counter/``); the password is stored as a salted scrypt hash
    (``hall.staff_accounts``). A 工号 that exists already is a ValueError.
    """
    from hall.staff_accounts import hash_password

    if not name or len(name) > 100:
        raise ValueError("staff name must be 1 to 100 characters")
    if number is not None and not (number.isascii() and number.isalnum() and len(number) <= 32):
        raise ValueError("staff number (工号) must be 1 to 32 letters or digits")
    if password is not None and number is None:
        raise ValueError("a password needs a staff number (--number) to sign in with")
    if auditor and supervisor:
        raise ValueError("an auditor changes nothing: not also a supervisor")
    password_hash = hash_password(password) if password is not None else None
    token = new_token()
    engine = make_engine(database_url)
    try:
        with _connect_errors(database_url), transaction(engine) as session:
            if number is not None and session.scalar(
                select(Staff.id).where(Staff.number == number)
            ):
                raise ValueError(f"staff number {number} exists already")
            session.add(
                Staff(
                    name=name,
                    token_hash=hash_token(token),
                    created_at=dt.datetime.now(dt.UTC),
                    number=number,
                    password_hash=password_hash,
                    supervisor=supervisor,
                    auditor=auditor,
                    failed_logins=0,
                )
            )
    finally:
        engine.dispose()
    log.info("staff token issued (staff names are not logged)")
    return token


def dialect_insert(bind: Engine | Connection, table: Any) -> Any:
    """The dialect's INSERT construct, which offers ``ON CONFLICT`` (both SQLite and PG)."""
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
