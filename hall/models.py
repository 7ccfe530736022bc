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
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from contract.vocab import LEVELS, RATING_TARGETS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TICKET_STATUSES = ("waiting", "called", "completed", "no_show", "held")
"""``held`` (挂起): the counter set the citizen aside; ``resume`` puts them back at the head
of the queue, for the counter that held them (``hall.tickets``)."""
NO_RESET_PERIOD = "perpetual"
"""Numbering period of groups with ``daily_reset = false``: their numbers never restart."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


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
    # Counter workstation sign-in (hall.staff_accounts): 工号 + salted scrypt password hash.
    number: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    # Auditor (审计): reads everything, changes nothing (hall.auth, hall.work_queues).
    auditor: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_staff_number", "number", unique=True),)


class ServerSecret(Base):
    """Since the key file (``hall.keys``): only the keys' fingerprint (``key_fingerprint``),
    which reveals nothing. Older versions kept the keys themselves here; the first start
    moves them into the key file and deletes them."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffWebLogout(Base):
    """A /staff/ session cookie ended by logout (its SHA-256), refused until it expires."""

    __tablename__ = "staff_web_logouts"

    cookie_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TicketSequence(Base):
    """Last number issued per ticket prefix and numbering period (a service day).

    Incremented in the same transaction that inserts the ticket, so a rolled-back issue
    leaves no gap and concurrent issuers queue on this one row.
    """

    __tablename__ = "ticket_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class NumberLease(Base):
    """A block of queue numbers leased to a kiosk for offline issuing (``hall.offline``).

    The group's sequence was advanced past ``last_seq`` in the transaction that inserted
    this row, so the server never issues these numbers itself; the kiosk may use them on
    ``service_day`` only. A number comes back as an offline ticket at most once
    (``uq_tickets_number``)."""

    __tablename__ = "number_leases"
    __table_args__ = (Index("ix_number_leases_kiosk", "kiosk_id", "service_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    window_group: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(10))
    service_day: Mapped[dt.date] = mapped_column(Date)
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Ticket(Base):
    """A queue ticket. ``period`` is the numbering period: ISO service day or 'perpetual'."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("kiosk_id", "idempotency_key", name="uq_tickets_kiosk_idempotency"),
        UniqueConstraint("prefix", "period", "seq", name="uq_tickets_number"),
        CheckConstraint(
            "status IN ('waiting', 'called', 'completed', 'no_show', 'held')", name="status"
        ),
        Index("ix_tickets_queue", "window_group", "period", "status", "priority", "seq"),
        Index("ix_tickets_service_times", "window_group", "status", "completed_at"),
        Index("ix_tickets_service_day", "service_day"),  # statistics by day (hall.stats)
        Index("ix_tickets_waiting", "status", "period"),  # waiting now (hall.service_levels)
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
    # Queue operations (hall.tickets): 转窗 keeps number, priority and issued_at;
    # ``target_counter`` reserves a waiting ticket for one counter (转窗 to a named counter,
    # or 恢复 after 挂起); ``front_at`` puts a resumed ticket at the head of the queue.
    transferred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    target_counter: Mapped[str | None] = mapped_column(String(16))
    held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    front_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Statistics (hall.stats): the FIRST call (a transfer does not restart the wait) and
    # 退件 — completed with the outcome "return" (also in queue_actions.detail).
    first_called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    returned: Mapped[bool] = mapped_column(Boolean, default=False)


QUEUE_ACTION_KINDS = (
    "call", "recall", "no_show", "complete", "transfer", "hold", "resume", "pause", "open",
    "sign_in", "sign_out",
)  # fmt: skip


class CounterState(Base):
    """A counter (窗口) as staff left it: on break (``paused``) or open, and who is on duty."""

    __tablename__ = "counter_state"

    counter_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class QueueAction(Base):
    """Every queue action with its staff member, counter and time (append-only), so ratings
    and statistics go to the right window. ``detail`` holds codes (target group or
    counter) and the staff's short reason for a transfer — never citizen data."""

    __tablename__ = "queue_actions"
    __table_args__ = (
        CheckConstraint(_in("kind", QUEUE_ACTION_KINDS), name="kind"),
        Index("ix_queue_actions_counter", "counter_id", "at"),
        Index("ix_queue_actions_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    counter_id: Mapped[str | None] = mapped_column(String(16))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    detail: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CounterSession(Base):
    """A signed-in counter workstation (``/counter/``): the cookie's SHA-256 digest, bound to
    one staff member and one counter; logging out revokes it here, server-side."""

    __tablename__ = "counter_sessions"
    __table_args__ = (Index("ix_counter_sessions_staff", "staff_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    counter_id: Mapped[str] = mapped_column(String(16))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


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


# -- 好差评 ratings, their follow-ups, 办不成事 cases (hall.ratings, hall.followups, hall.cases)
RATING_LEVELS: tuple[str, ...] = LEVELS
FOLLOWUP_STATUSES = ("open", "verified", "rectified", "answered", "closed")
CASE_STATUSES = ("submitted", "taken", "responded", "coordinating", "closed")
CASE_EVENT_KINDS = ("take", "respond", "coordinate", "close", "contact_viewed")


class RatingChainHead(Base):
    """The one row (id = 1) that holds the end of the rating hash chain.

    Appending a rating locks this row (``SELECT … FOR UPDATE``) for the rest of its
    transaction, so ratings from any number of server processes get gap-free ``seq``
    values and each names the hash of the one before: the chain cannot fork.
    """

    __tablename__ = "rating_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    # The retention job (hall/retention.py) deleted ratings seq 1..purged_seq, the oldest,
    # past their keeping time; the chain now starts after purged_hash (that row's hash).
    purged_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    purged_hash: Mapped[str | None] = mapped_column(String(64))


class Rating(Base):
    """A 好差评 rating (GB/T 39046 fields plus window, staff, item, kiosk); append-only.

    ``hash`` = SHA-256 over the canonical form of every other column (``hall.ratings``),
    which includes ``prev_hash``, the hash of rating ``seq - 1``. ``rater`` is the
    ticket holder's keyed hash or "anonymous", never a name or ID number. ``reasons`` is a
    JSON array (text). ``rating_count`` 1 is the first rating of a visit, 2 the citizen's
    follow-up rating after a bad review was answered.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_ratings_seq"),
        UniqueConstraint("kiosk_id", "idempotency_key", name="uq_ratings_kiosk_idempotency"),
        UniqueConstraint("ticket_id", "rating_count", name="uq_ratings_ticket_count"),
        CheckConstraint(_in("level", RATING_LEVELS), name="level"),
        CheckConstraint(_in("target", RATING_TARGETS), name="target"),
        CheckConstraint("rating_count IN (1, 2)", name="rating_count"),
        CheckConstraint(
            "(target = 'ticket' AND ticket_id IS NOT NULL)"
            " OR (target = 'self_service_area' AND ticket_id IS NULL)",
            name="target_ticket",
        ),
        Index("ix_ratings_day_seq", "rating_day", "seq"),
        Index("ix_ratings_second", "rating_count", "ticket_id"),  # superseding ratings
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    ticket_number: Mapped[str | None] = mapped_column(String(16))
    ticket_day: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    rater: Mapped[str] = mapped_column(String(64))
    rated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    rating_day: Mapped[dt.date] = mapped_column(Date)
    rating_count: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(String(400))
    comment: Mapped[str | None] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(6))
    counter: Mapped[str | None] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    service_id: Mapped[str | None] = mapped_column(String(64))
    window_group: Mapped[str | None] = mapped_column(String(64))


class RatingFollowup(Base):
    """核实、整改、反馈 of one bad review, with due days in working days (hall-local dates).

    ``substantiated`` is the outcome of verification: an unfounded review needs no
    rectification but is still answered (feedback) before it closes.
    """

    __tablename__ = "rating_followups"
    __table_args__ = (
        CheckConstraint(_in("status", FOLLOWUP_STATUSES), name="status"),
        Index("ix_rating_followups_status", "status", "plan_due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rating_id: Mapped[str] = mapped_column(ForeignKey("ratings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    plan_due_on: Mapped[dt.date] = mapped_column(Date)
    rectify_due_on: Mapped[dt.date] = mapped_column(Date)
    substantiated: Mapped[bool | None] = mapped_column(Boolean)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    verify_note: Mapped[str | None] = mapped_column(String(500))
    rectified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rectified_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    rectify_note: Mapped[str | None] = mapped_column(String(500))
    feedback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    feedback_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    feedback_note: Mapped[str | None] = mapped_column(String(500))
    # 复核: after the answer (status "answered") another member of staff re-checks the
    # rectification by ``recheck_due_on`` (working days), then the follow-up is closed.
    recheck_due_on: Mapped[dt.date | None] = mapped_column(Date)
    rechecked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rechecked_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recheck_note: Mapped[str | None] = mapped_column(String(500))


class CaseSequence(Base):
    """Last 办不成事 case number issued per hall-local day (gap-free, like tickets)."""

    __tablename__ = "case_sequences"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class Case(Base):
    """A 办不成事 case: a matter normal windows could not solve, with one owner (首接负责制).

    Personal data: the phone number is kept only while the case is open, because its owner
    must call the citizen back, and then only encrypted (``phone_ciphertext``, AES-GCM with
    the key file's phone key, ``hall.keys``); with it ``phone_masked`` (138****8000) and
    ``phone_hash`` (HMAC-SHA256, keyed). Closing the case deletes all three. ``phone`` is
    the plain number of older versions: always NULL once a server of this version started.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("kiosk_id", "idempotency_key", name="uq_cases_kiosk_idempotency"),
        UniqueConstraint("day", "seq", name="uq_cases_day_seq"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        Index("ix_cases_status", "status", "close_due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(24), unique=True)
    day: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    tried_normal_channel: Mapped[bool] = mapped_column(Boolean)
    overlapping_duties: Mapped[bool] = mapped_column(Boolean)
    policy_room: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[str] = mapped_column(String(400))
    description: Mapped[str] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(11))
    phone_ciphertext: Mapped[str | None] = mapped_column(String(96))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    respond_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    coordinate_due_on: Mapped[dt.date] = mapped_column(Date)
    close_due_on: Mapped[dt.date] = mapped_column(Date)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    coordinated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # what the citizen could not get done (issue 17): the catalog item, or "not in the
    # catalog"; the severity that set the response clock (contract.vocab.CASE_SEVERITIES)
    item_id: Mapped[str | None] = mapped_column(String(64))
    not_in_catalog: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    severity: Mapped[str] = mapped_column(String(24), default="ordinary", server_default="ordinary")
    # the citizen's rating of how the case was handled (after it closed): proven by the
    # number and the phone's last 4 digits, kept only as a keyed hash bound to the number
    # (hall.cases.hash_tail) — the phone itself is erased at close; the hash goes once rated
    phone_tail_hash: Mapped[str | None] = mapped_column(String(64))
    tail_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handling_level: Mapped[str | None] = mapped_column(String(24))
    handling_rated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    handling_channel: Mapped[str | None] = mapped_column(String(8))  # kiosk or phone


class CaseEvent(Base):
    """What staff did on a case, in order (and each view of the citizen's phone number)."""

    __tablename__ = "case_events"
    __table_args__ = (
        CheckConstraint(_in("kind", CASE_EVENT_KINDS), name="kind"),
        Index("ix_case_events_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


PRECHECK_OVERALLS = ("complete", "can_queue_with_rongque", "core_missing")


class Precheck(Base):
    """材料预审 result attached to a ticket by the kiosk that issued it (one per ticket).

    Codes only: the item, each checklist material's index, document type, status and core
    flag (``materials``, a JSON list), the overall verdict, pages, engine, kiosk and time —
    never a recognised name or number. ``service_day`` is the ticket's, for the
    一次性备齐率 per day.
    """

    __tablename__ = "prechecks"
    __table_args__ = (
        CheckConstraint(_in("overall", PRECHECK_OVERALLS), name="overall"),
        Index("ix_prechecks_day_service", "service_day", "service_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    service_id: Mapped[str] = mapped_column(String(64))
    service_day: Mapped[dt.date] = mapped_column(Date)
    overall: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(16))
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Evaluator(Base):
    """A window evaluator (现场评价器): a tablet bound to one counter by a device token
    (``python -m hall add-evaluator COUNTER``). Its ratings are stored as the kiosk row of
    the same id (``ratings.kiosk_id``), a row whose own token is never handed out, so the
    evaluator token can do nothing a kiosk does; the monitoring page does not list it."""

    __tablename__ = "evaluators"

    id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), primary_key=True)
    counter: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


# -- staff work queues (hall.work_queues) --------------------------------------------------
REVIEW_TASK_STATUSES = ("open", "closed")


class StaffAuditEntry(Base):
    """Who did what, when, in the staff work queues (append-only). ``target`` is a case
    number, follow-up or review-task id; ``detail`` a short code — never citizen data."""

    __tablename__ = "staff_audit_log"
    __table_args__ = (Index("ix_staff_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ReviewTask(Base):
    """窗口评分复查: a window whose score (satisfaction × 100) was below the threshold in
    two consecutive months (``period`` = the later one, YYYY-MM) gets one review task."""

    __tablename__ = "review_tasks"
    __table_args__ = (
        UniqueConstraint("counter", "period", name="uq_review_tasks_counter_period"),
        CheckConstraint(_in("status", REVIEW_TASK_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    counter: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    score: Mapped[int] = mapped_column(Integer)
    previous_score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(500))


class StatsClosedDay(Base):
    """A service day whose statistics were aggregated into ``stats_day_parts`` (hall.stats):
    closed once, after the day is over; the current day is always computed live."""

    __tablename__ = "stats_closed_days"

    service_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    rating_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    """The last rating (``ratings.seq``) the day's ``stats_day_ratings`` include."""


class StatsDayPart(Base):
    """The queue statistics of one closed service day for one key of one kind (``total``,
    ``hour``, ``group``, ``counter``, ``item``, ``staff``): counts, wait sum and max, and
    the day's waits and service times as sorted little-endian float64 arrays, so that
    percentiles over any range of days are exact, with their counts per 10-second bin (a
    range reads only the values of the bin holding each percentile; figures and codes
    only)."""

    __tablename__ = "stats_day_parts"
    __table_args__ = (Index("ix_stats_day_parts_kind_day", "kind", "service_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    k: Mapped[str | None] = mapped_column(String(64))
    issued: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    missed: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[int] = mapped_column(Integer)
    items_handled: Mapped[int] = mapped_column(Integer)
    bundle_visits: Mapped[int] = mapped_column(Integer)
    returned: Mapped[int] = mapped_column(Integer)
    wait_sum: Mapped[float] = mapped_column(Double)
    wait_max: Mapped[float | None] = mapped_column(Double)
    waits: Mapped[bytes] = mapped_column(LargeBinary)
    services: Mapped[bytes] = mapped_column(LargeBinary)
    wait_bins: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Count of ``waits`` per ``hall.stats_daily.BIN_S`` bin (little-endian uint16, up to
    the last non-empty bin; None: not binned, the whole array is read)."""
    service_bins: Mapped[bytes | None] = mapped_column(LargeBinary)


class StatsDayRating(Base):
    """The ratings of one closed service day (``rating_day``) for one key of one kind
    (``window``, ``service``, ``staff``, ``day``) and one level, counted as
    ``hall.ratings.rating_stats`` counts them (a superseded first rating left out) up to the
    day's ``stats_closed_days.rating_seq``; later ones are added live (hall.stats_daily)."""

    __tablename__ = "stats_day_ratings"
    __table_args__ = (Index("ix_stats_day_ratings_kind_day", "kind", "service_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    k: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)
