"""Database tables of the hall server (SQLAlchemy 2 declarative models).

The schema itself is created by the Alembic migrations in ``hall/migrations/versions``;
these models must match them (a test compares the two).

Personal data: a ticket keeps only a keyed hash of the holder's ID number (HMAC-SHA256,
hex) and the masked name as printed (``张*``). Tokens are stored as SHA-256 hex digests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TICKET_STATUSES = ("waiting", "called", "completed", "no_show")
NO_RESET_PERIOD = "perpetual"
"""Numbering period of groups with ``daily_reset = false``: their numbers never restart."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type: values are stored as naive UTC and given back their
    UTC tzinfo when read, so comparisons and arithmetic behave as on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Kiosk(Base):
    """A lobby kiosk allowed to issue tickets; one bearer token each (rotatable)."""

    __tablename__ = "kiosks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    token_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Staff(Base):
    """A member of staff (counter) allowed to call, recall and close tickets."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ServerSecret(Base):
    """Secrets the server generates once and shares between its processes (hex values)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TicketSequence(Base):
    """Last number issued per ticket prefix and numbering period (a service day).

    Incremented in the same transaction that inserts the ticket, so a rolled-back issue
    leaves no gap and concurrent issuers queue on this one row.
    """

    __tablename__ = "ticket_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    """A queue ticket. ``period`` is the numbering period: ISO service day or 'perpetual'."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("kiosk_id", "idempotency_key", name="uq_tickets_kiosk_idempotency"),
        UniqueConstraint("prefix", "period", "seq", name="uq_tickets_number"),
        CheckConstraint("status IN ('waiting', 'called', 'completed', 'no_show')", name="status"),
        Index("ix_tickets_queue", "window_group", "period", "status", "priority", "seq"),
        Index("ix_tickets_service_times", "window_group", "status", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[str] = mapped_column(String(64))
    window_group: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(10))
    service_day: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    holder_hash: Mapped[str | None] = mapped_column(String(64))
    masked_name: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    counter: Mapped[str | None] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    no_show_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class HelpRequest(Base):
    """呼叫工作人员: a citizen at a kiosk asked for a member of staff.

    ``screen`` says where the citizen is stuck (e.g. "identify"); ``elder`` whether they
    use 长辈版. Staff list the open ones and close them when they have helped.
    """

    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_help_requests_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    screen: Mapped[str] = mapped_column(String(32))
    elder: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
