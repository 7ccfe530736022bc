"""The ticket store on SQLite: ``SqlTicketStore`` with a faster issuing path.

``issue`` runs its statements on the driver's cursor (``_SqliteIssue``): SQLAlchemy's
execution machinery costs ~0.1 ms a statement, more than SQLite itself, and the issuing
transaction has six. ``issue_async`` (its ``_issue_fast``) runs the same transaction body on
the process's writer thread, batched with the other kiosks' (group commit,
``hall.db.SqliteWriter``). Everything else (reading, calling, staff actions) is
``hall.tickets.SqlTicketStore``'s.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import Connection, Engine

from contract.api import TicketOut
from contract.catalog import Catalog, WindowGroup
from hall.db import SqliteWriter
from hall.numbering import format_number
from hall.queue_rules import SERVICE_TIME_SAMPLE, KioskNotAuthorized, ticket_out, wait_s
from hall.tickets import BY_KEY, TICKETS, SqlTicketStore, issue_key


class _SqliteIssue:
    """``issue``'s statements on SQLite, run on the driver's cursor directly.

    Values are converted with SQLAlchemy's own type processors, so they are stored exactly
    as the Core statements of ``SqlTicketStore.issue`` would store them.
    """

    TOKEN_OK = "SELECT 1 FROM kiosks WHERE id = ? AND token_hash = ?"
    KEY_USED = "SELECT 1 FROM tickets WHERE kiosk_id = ? AND idempotency_key = ?"
    NEXT_SEQ = (
        "INSERT INTO ticket_sequences (prefix, period, last_seq) VALUES (?, ?, 1)"
        " ON CONFLICT (prefix, period) DO UPDATE SET last_seq = last_seq + 1"
        " RETURNING last_seq"
    )
    COLUMNS = (
        "id", "kiosk_id", "idempotency_key", "service_id", "window_group", "prefix", "period",
        "service_day", "seq", "number", "priority", "language", "holder_hash", "masked_name",
        "status", "recall_count", "issued_at",
    )  # fmt: skip
    INSERT = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    _WAITING = "SELECT count(*) FROM tickets WHERE window_group = ? AND period = ?"
    AHEAD_OF_PRIORITY = f"{_WAITING} AND status = 'waiting' AND priority = 1 AND seq < ?"
    AHEAD_OF_REGULAR = (
        f"SELECT ({_WAITING} AND status = 'waiting' AND priority = 1)"
        f" + ({_WAITING} AND status = 'waiting' AND priority = 0 AND seq < ?)"
    )
    SERVICE_TIMES = (
        "SELECT called_at, completed_at FROM tickets WHERE window_group = ?"
        " AND status = 'completed' AND called_at IS NOT NULL AND completed_at IS NOT NULL"
        f" ORDER BY completed_at DESC LIMIT {SERVICE_TIME_SAMPLE}"
    )

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        identity = lambda value: value  # noqa: E731
        self.bind = {
            name: TICKETS.c[name].type.dialect_impl(dialect).bind_processor(dialect) or identity
            for name in ("service_day", "priority", "issued_at")
        }
        load_time = TICKETS.c.called_at.type.dialect_impl(dialect).result_processor(dialect, None)
        self.load_time = load_time or identity

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        bind = self.bind
        return tuple(
            bind[name](values[name]) if name in bind else values[name] for name in self.COLUMNS
        )


class SqliteTicketStore(SqlTicketStore):
    """``TicketStore`` on SQLite (``hall.app.create_app`` picks it for an SQLite URL)."""

    def __init__(self, engine: Engine, catalog: Catalog, tz: ZoneInfo, id_hash_key: bytes):
        super().__init__(engine, catalog, tz, id_hash_key)
        self._writer = SqliteWriter(engine)
        self._statements = _SqliteIssue(engine)

    async def aclose(self) -> None:
        """Stop the writer thread (the app's shutdown)."""
        await anyio.to_thread.run_sync(self._writer.stop)

    def _issue_work(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> Callable[[Connection], tuple[TicketOut, bool]]:
        return functools.partial(self._cursor_work, group, values, issue_key(values), token_hash)

    async def _issue_fast(
        self, group: WindowGroup, values: dict[str, Any], token_hash: str | None
    ) -> tuple[TicketOut, bool]:
        """``issue``'s transaction body on the writer thread, batched with the other
        kiosks' (group commit)."""
        return await self._writer.run(self._issue_work(group, values, token_hash))

    def _cursor_work(
        self,
        group: WindowGroup,
        values: dict[str, Any],
        key: dict[str, str],
        token_hash: str | None,
        conn: Connection,
    ) -> tuple[TicketOut, bool]:
        """``SqlTicketStore._issue_work``'s body on SQLite's cursor (same statements, same
        order)."""
        sql = self._statements
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            kiosk_id = key["kiosk_id"]
            if token_hash is not None:
                if cursor.execute(sql.TOKEN_OK, (kiosk_id, token_hash)).fetchone() is None:
                    raise KioskNotAuthorized("invalid token")
            if cursor.execute(sql.KEY_USED, (kiosk_id, key["key"])).fetchone() is not None:
                existing = conn.execute(BY_KEY, key).one()  # a retry: the general way
                return self.describe(existing, conn), False
            period = values["period"]
            (seq,) = cursor.execute(sql.NEXT_SEQ, (group.prefix, period)).fetchone()
            row = {
                **values,
                "id": str(uuid.uuid4()),
                "seq": seq,
                "number": format_number(group.prefix, seq),
            }
            cursor.execute(sql.INSERT, sql.row(row))
            if values["priority"]:
                params: tuple[Any, ...] = (group.id, period, seq)
                (ahead,) = cursor.execute(sql.AHEAD_OF_PRIORITY, params).fetchone()
            else:
                params = (group.id, period, group.id, period, seq)
                (ahead,) = cursor.execute(sql.AHEAD_OF_REGULAR, params).fetchone()
            wait = 0
            if ahead:
                load = sql.load_time
                durations = [
                    (load(done) - load(called)).total_seconds()
                    for called, done in cursor.execute(sql.SERVICE_TIMES, (group.id,))
                ]
                wait = wait_s(group, ahead, durations)
        finally:
            cursor.close()
        view = SimpleNamespace(**row, counter=None, called_at=None, completed_at=None)
        return ticket_out(self.index, view, ahead, wait), True
