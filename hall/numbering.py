"""Queue numbers: a window group's prefix and a sequence per service day (A001, A002 …).

The "service day" is the calendar day in the hall's local time zone (Asia/Shanghai by
default), not UTC: a hall opening at 08:30 in Beijing is at 00:30 UTC. Groups with
``daily_reset = false`` number in one perpetual period instead.

A counter row per (prefix, period) is incremented with a single
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the row stays locked until the issuing
transaction commits, so numbers are unique across processes and a rolled-back issue
gives its number back — no gaps. ``next_seq`` runs it as a statement of its own (SQLite,
and the generic path); on PostgreSQL the issuing fast path embeds the same upsert as
``PG_NEXT_SEQ_CTE`` in the statement that inserts the ticket (``hall.tickets_pg``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam
from sqlalchemy.orm import Session

from hall.db import dialect_insert
from hall.models import NO_RESET_PERIOD, TicketSequence

DEFAULT_TIMEZONE = "Asia/Shanghai"

PG_NEXT_SEQ_CTE = """
    INSERT INTO ticket_sequences AS s (prefix, period, last_seq)
    SELECT %(prefix)s, %(period)s, 1
    WHERE {guard}
    ON CONFLICT (prefix, period) DO UPDATE SET last_seq = s.last_seq + 1
    RETURNING last_seq
"""
"""PostgreSQL: ``next_seq`` as a CTE body; it increments only when ``{guard}`` holds."""

PG_FORMAT_NUMBER_SQL = (
    "%(prefix)s || CASE WHEN {seq} < 1000 THEN lpad({seq}::text, 3, '0') ELSE {seq}::text END"
)
"""PostgreSQL: ``format_number`` as an SQL expression of the sequence column ``{seq}``."""

_NEXT_SEQ_STATEMENTS: dict[str, Any] = {}


def service_day(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The hall's local calendar day at the aware instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("service_day needs an aware datetime")
    return now.astimezone(tz).date()


def numbering_period(daily_reset: bool, day: dt.date) -> str:
    """The key numbers restart with: the ISO service day, or one perpetual period."""
    return day.isoformat() if daily_reset else NO_RESET_PERIOD


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000: at least three digits, never truncated."""
    return f"{prefix}{seq:03d}"


def _next_seq_statement(conn: Connection) -> Any:
    """The upsert, built once per dialect (parameters bound at execution)."""
    name = conn.dialect.name
    stmt = _NEXT_SEQ_STATEMENTS.get(name)
    if stmt is None:
        insert = dialect_insert(conn, TicketSequence).values(
            prefix=bindparam("prefix"), period=bindparam("period"), last_seq=1
        )
        stmt = insert.on_conflict_do_update(
            index_elements=["prefix", "period"],
            set_={"last_seq": TicketSequence.last_seq + 1},
        ).returning(TicketSequence.last_seq)
        _NEXT_SEQ_STATEMENTS[name] = stmt
    return stmt


def next_seq(conn: Connection | Session, prefix: str, period: str) -> int:
    """Reserve the next sequence number of (prefix, period) inside the caller's transaction."""
    if isinstance(conn, Session):
        conn = conn.connection()
    seq = conn.execute(_next_seq_statement(conn), {"prefix": prefix, "period": period})
    return int(seq.scalar_one())
