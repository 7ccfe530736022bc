"""Engines, transactions, migrations and the administrative helpers of the hall database.

SQLite (one hall, one process or a few) runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the file lock
instead of failing half-way. PostgreSQL (several processes) uses READ COMMITTED with row
locks; the rare serialization or deadlock failure is retried by ``run_transaction``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from hall.models import Kiosk, ServerSecret, Staff

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///hall.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long an SQLite writer waits for the file lock before giving up, milliseconds."""

MIGRATION_LOCK_KEY = 0x4A11_5E2F
"""pg_advisory_xact_lock key that serialises concurrent ``migrate`` calls."""

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_SQLITE_WRITE_LOCKS: dict[str, threading.Lock] = {}  # per database file, see transaction()
_SQLITE_WRITE_LOCKS_GUARD = threading.Lock()


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
        try:
            return create_engine(
                url, pool_size=10, max_overflow=5, pool_pre_ping=True, pool_recycle=1800
            )
        except ImportError as exc:
            raise DatabaseError(f"PostgreSQL driver missing: {exc}") from None
    raise DatabaseError(
        f"unsupported database {url.get_backend_name()!r} in {url.render_as_string()!r};"
        " use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
    )


def _sqlite_engine(url: Any) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module; we emit our own below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
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
    if sqlstate in _RETRY_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def run_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 5) -> T:
    """Run ``work`` in a fresh transaction, retrying transient concurrency failures."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.warning("transaction retry %d/%d after %s", attempt, attempts, type(exc.orig))
            time.sleep(0.01 * 2**attempt * (0.5 + secrets.randbelow(100) / 100))
    raise AssertionError("unreachable")


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


def add_staff(database_url: str, name: str) -> str:
    """Register a member of staff (a counter login) and return their new token."""
    if not name or len(name) > 100:
        raise ValueError("staff name must be 1 to 100 characters")
    token = new_token()
    engine = make_engine(database_url)
    try:
        with _connect_errors(database_url), transaction(engine) as session:
            session.add(
                Staff(name=name, token_hash=hash_token(token), created_at=dt.datetime.now(dt.UTC))
            )
    finally:
        engine.dispose()
    log.info("staff token issued (staff names are not logged)")
    return token


# -- server secrets -------------------------------------------------------------------------
def get_or_create_secret(engine: Engine, name: str, nbytes: int = 32) -> bytes:
    """A random secret generated once and stored in ``server_secrets``.

    Processes starting together may both try to create it: the primary key lets one win,
    and every process then reads the winner's value.
    """
    with transaction(engine, readonly=True) as session:
        found = session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if found is None:
        candidate = secrets.token_hex(nbytes)
        with transaction(engine) as session:
            stmt = dialect_insert(engine, ServerSecret).values(
                name=name, value=candidate, created_at=dt.datetime.now(dt.UTC)
            )
            stmt = stmt.on_conflict_do_nothing(index_elements=["name"])
            session.execute(stmt)
        with transaction(engine, readonly=True) as session:
            found = session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
        log.info("server secret %r ready", name)
    assert found is not None
    return bytes.fromhex(found)


def dialect_insert(bind: Engine | Connection, table: Any) -> Any:
    """The dialect's INSERT construct, which offers ``ON CONFLICT`` (both SQLite and PG)."""
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
