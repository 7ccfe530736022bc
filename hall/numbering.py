"""Queue numbers: a window group's prefix and a sequence per service day (A001, A002 …).

The "service day" is the calendar day in the hall's local time zone (Asia/Shanghai by
default), not UTC: a hall opening at 08:30 in Beijing is at 00:30 UTC. Groups with
``daily_reset = false`` number in one perpetual period instead.

``next_seq`` increments a counter row per (prefix, period) with a single
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the row stays locked until the issuing
transaction commits, so numbers are unique across processes and a rolled-back issue
gives its number back — no gaps.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hall.db import dialect_insert
from hall.models import NO_RESET_PERIOD, TicketSequence

DEFAULT_TIMEZONE = "Asia/Shanghai"


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


def next_seq(session: Session, prefix: str, period: str) -> int:
    """Reserve the next sequence number of (prefix, period) inside the caller's transaction."""
    stmt = dialect_insert(session.get_bind(), TicketSequence).values(
        prefix=prefix, period=period, last_seq=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["prefix", "period"],
        set_={"last_seq": TicketSequence.last_seq + 1},
    ).returning(TicketSequence.last_seq)
    seq = session.execute(stmt).scalar_one()
    return int(seq)
