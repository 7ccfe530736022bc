"""Tables of kiosk monitoring: each kiosk's latest heartbeat and a short problem history.

Kept in the database (not in process memory) so that every server process of a
multi-worker hall sees the same state. Created by migration ``0020_monitoring``; that
migration imports this module so the models are registered whenever the schema is built.

Whether a kiosk is *lost* is not stored: it is computed when read, from ``last_seen``,
the kiosk's own heartbeat interval and the server clock (see ``hall.monitoring``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hall.models import Base, UTCDateTime


class KioskStatus(Base):
    """The latest heartbeat of one kiosk (one row per kiosk that ever sent one).

    ``devices`` maps device kind → state code (``{"printer": "paper_out", ...}``);
    ``alerts`` is the kiosk's list of short codes; ``problems`` the Chinese sentences the
    server derived from both, as shown to staff.
    """

    __tablename__ = "kiosk_status"

    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    interval_s: Mapped[float] = mapped_column(Float)
    devices: Mapped[dict[str, Any]] = mapped_column(JSON)
    outbox_backlog: Mapped[int] = mapped_column(Integer)
    alerts: Mapped[list[str]] = mapped_column(JSON)
    catalog_version: Mapped[str | None] = mapped_column(String(64))
    problems: Mapped[list[str]] = mapped_column(JSON)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class KioskProblemEvent(Base):
    """One problem of one kiosk, from the heartbeat that first reported it until the one
    that no longer did (``ended_at`` is NULL while it lasts). ``code`` is stable
    (``printer:paper_out``, ``lost``); ``text`` is the Chinese sentence shown to staff.
    Only the newest events of each kiosk are kept (``MonitoringSettings.history_per_kiosk``).
    """

    __tablename__ = "kiosk_problem_events"
    __table_args__ = (Index("ix_kiosk_problem_events_kiosk", "kiosk_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    code: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
