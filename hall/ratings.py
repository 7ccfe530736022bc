"""好差评: kiosks submit ratings; staff export them upward and read statistics.

Rules (PRODUCT.md, 国办发〔2019〕51号):

- five levels, stored as neutral names (``contract.vocab.LEVELS``); a bad review
  (不满意, 非常不满意) needs at least one reason from the hall's list, else 422;
- one rating per visit (一次一评): a second rating of the same ticket gets 409, while a
  retry with the same ``idempotency_key`` gets the first result back (200);
- the citizen may rate once more (``rating_count`` 2) after a bad review was answered;
- only kiosk tokens submit; staff tokens get 403 and can never alter a rating — the API
  has no update or delete, and the hash chain (``hall.rating_chain``) shows any edit made
  in the database;
- the self-service area itself can be rated (``target`` = "self_service_area", no ticket).

A ticket must have been called to a window (status called or completed) to be rated, so
every rating is attributable to a window, a member of staff and an item.

Times: ``rated_at`` is when the citizen rated, as the kiosk reports it (its durable outbox
may deliver hours later), bounded by ``HALL_RATING_MAX_AGE_DAYS`` and the clock skew;
``received_at`` is the server's time. Exports show hall-local ``YYYYMMDDThhmmss``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, Row, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from contract.api import RatingIn, RatingOptions, RatingOut, VisitOut, VisitQuery
from contract.fields import Day
from contract.vocab import (
    BAD_LEVELS,
    COMMENT_MAX,
    GOOD_LEVELS,
    LEVEL_NAMES_ZH,
    LEVELS,
)
from hall.auth import AnyPrincipal, KioskPrincipal, StaffPrincipal, VerifiedKiosk
from hall.db import run_transaction, transaction
from hall.feedback_settings import (
    CODE_PRESETS,
    FeedbackSettings,
    get_settings,
    request_now,
)
from hall.models import Kiosk, Rating, RatingFollowup, Ticket
from hall.privacy import hash_id_number
from hall.rating_chain import append_rating
from hall.scrub import scrub_text
from hall.tickets import KioskNotAuthorized

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/ratings", tags=["ratings"])

SERVED_STATUSES = frozenset({"called", "completed"})
"""A ticket can be rated once it reached a window."""


class Rejected(Exception):
    """A request the rules refuse; becomes ``{"detail": message, "code": code, …}``.

    ``message`` is written for the citizen (the kiosk may show it as is), in Chinese.
    """

    def __init__(self, status_code: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> JSONResponse:
        body = {"detail": self.message, "code": self.code, **self.extra}
        return JSONResponse(body, status_code=self.status_code)


# -- request and response bodies ----------------------------------------------------------
class LevelCounts(BaseModel):
    key: str | None = Field(description="window, service id, staff id or ISO day; null: none")
    total: int
    counts: dict[str, int]
    satisfaction_rate: float | None = Field(
        description="(非常满意 + 满意 + 基本满意) / total, 0–1; null when total is 0"
    )


class RatingStats(BaseModel):
    by: Literal["window", "service", "staff", "day"]
    date_from: dt.date | None
    date_to: dt.date | None
    groups: list[LevelCounts]
    overall: LevelCounts


# -- submitting ---------------------------------------------------------------------------
def _rating_out(values: dict[str, Any], followup_id: int | None) -> RatingOut:
    return RatingOut(
        id=values["id"],
        seq=values["seq"],
        hash=values["hash"],
        target=values["target"],
        ticket_id=values["ticket_id"],
        ticket_number=values["ticket_number"],
        level=values["level"],
        reasons=json.loads(values["reasons"]),
        comment=values["comment"],
        rating_count=values["rating_count"],
        rated_at=values["rated_at"].astimezone(dt.UTC),
        received_at=values["received_at"].astimezone(dt.UTC),
        counter=values["counter"],
        service_id=values["service_id"],
        kiosk_id=values["kiosk_id"],
        channel=values["channel"],
        followup_id=followup_id,
    )


def _check_content(body: RatingIn, settings: FeedbackSettings) -> tuple[list[str], str | None]:
    """Reasons and comment, cleaned; Rejected (422) when the rules refuse them."""
    reasons = list(dict.fromkeys(r.strip() for r in body.reasons if r.strip()))
    unknown = [r for r in reasons if r not in settings.reasons]
    if unknown:
        raise Rejected(
            422,
            "unknown_reason",
            "评价原因不在可选范围内：" + "、".join(unknown),
            allowed=list(settings.reasons),
        )
    if body.level in BAD_LEVELS and not reasons:
        raise Rejected(
            422,
            "reasons_required",
            "选择“不满意”或“非常不满意”时，请至少选择一项原因，方便我们改进。",
            allowed=list(settings.reasons),
        )
    comment = scrub_text(body.comment.strip()) if body.comment else None
    return reasons, comment or None


def _rated_at(body: RatingIn, settings: FeedbackSettings, now: dt.datetime) -> dt.datetime:
    if body.rated_at is None:
        return now
    if body.rated_at > now + dt.timedelta(seconds=settings.clock_skew_s):
        raise Rejected(422, "rated_at_in_future", "评价时间晚于服务器时间：请检查终端时钟。")
    if body.rated_at < now - dt.timedelta(days=settings.rating_max_age_days):
        raise Rejected(
            422,
            "rated_at_too_old",
            f"评价时间早于 {settings.rating_max_age_days} 天前，无法受理。",
        )
    return min(body.rated_at, now)


_R = Rating.__table__
_F = RatingFollowup.__table__
_T = Ticket.__table__
_TICKET_COLUMNS = (
    _T.c.id, _T.c.number, _T.c.service_day, _T.c.status, _T.c.holder_hash, _T.c.counter,
    _T.c.staff_id, _T.c.service_id, _T.c.window_group, _T.c.issued_at,
)  # fmt: skip


def _lookup_day(
    settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> dt.date:
    """The day a typed ticket number belongs to: given, else the day the citizen rated
    (an outbox may deliver the next day, when the same number names someone else)."""
    if body.service_day is not None:
        return body.service_day
    rated_at = getattr(body, "rated_at", None)
    return settings.local_day(rated_at or now)


def _ticket_filter(
    settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> Any:
    """WHERE clause for the ticket a rating or visit query names (id, or number + day)."""
    if body.ticket_id is not None:
        return _T.c.id == body.ticket_id
    assert body.ticket_number is not None
    day = _lookup_day(settings, now, body)
    newest = (
        select(_T.c.id)
        .where(_T.c.number == body.ticket_number.upper(), _T.c.service_day == day)
        .order_by(_T.c.issued_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _T.c.id == newest


_RATINGS_JOIN = _T.outerjoin(_R, _R.c.ticket_id == _T.c.id).outerjoin(_F, _F.c.rating_id == _R.c.id)
_TICKET_WITH_RATINGS = select(
    *_TICKET_COLUMNS,
    _R.c.rating_count,
    _R.c.rated_at.label("rating_rated_at"),
    _F.c.status.label("followup_status"),
).select_from(_RATINGS_JOIN)
_BY_ID = _TICKET_WITH_RATINGS.where(_T.c.id == bindparam("ticket_id"))
_BY_NUMBER = _TICKET_WITH_RATINGS.where(
    _T.c.id
    == select(_T.c.id)
    .where(_T.c.number == bindparam("number"), _T.c.service_day == bindparam("day"))
    .order_by(_T.c.issued_at.desc())
    .limit(1)
    .scalar_subquery()
)
_TOKEN_OK = select(Kiosk.id).where(
    Kiosk.id == bindparam("kiosk_id"), Kiosk.token_hash == bindparam("token_hash")
)
_REPLAY = (
    select(_R, _F.c.id.label("followup_id"))
    .select_from(_R.outerjoin(_F, _F.c.rating_id == _R.c.id))
    .where(_R.c.kiosk_id == bindparam("kiosk_id"), _R.c.idempotency_key == bindparam("key"))
)


def _ticket_not_found() -> Rejected:
    return Rejected(404, "ticket_not_found", "没有找到这张票，请核对票号。")


def find_ticket(
    conn: Connection, settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> Row[Any]:
    """The ticket a rating or visit query names; Rejected (404) if there is none."""
    row = conn.execute(select(*_TICKET_COLUMNS).where(_ticket_filter(settings, now, body))).first()
    if row is None:
        raise _ticket_not_found()
    return row


def _ticket_with_ratings(
    conn: Connection, settings: FeedbackSettings, now: dt.datetime, body: RatingIn
) -> tuple[Row[Any], dict[int, Row[Any]]]:
    """The ticket and its ratings by rating_count (with follow-up status), one query."""
    if body.ticket_id is not None:
        rows = conn.execute(_BY_ID, {"ticket_id": body.ticket_id}).all()
    else:
        assert body.ticket_number is not None
        day = _lookup_day(settings, now, body)
        rows = conn.execute(_BY_NUMBER, {"number": body.ticket_number.upper(), "day": day}).all()
    if not rows:
        raise _ticket_not_found()
    return rows[0], {r.rating_count: r for r in rows if r.rating_count is not None}


def check_rateable(ticket: Row[Any], ratings: dict[int, Row[Any]], rating_count: int) -> None:
    """Rejected (409) unless this ticket may get a rating with this ``rating_count``."""
    if ticket.status not in SERVED_STATUSES:
        raise Rejected(
            409,
            "not_served",
            f"{ticket.number} 号还没有在窗口办理，办理后再来评价吧。",
            ticket_number=ticket.number,
        )
    if rating_count in ratings:
        raise _already_rated(ticket.number, ratings[rating_count].rating_rated_at)
    if rating_count == 2:
        first = ratings.get(1)
        if first is None or first.followup_status not in ("answered", "closed"):
            raise Rejected(
                409,
                "followup_rating_not_open",
                "只有差评经核实整改并反馈后，才能再次评价。",
                ticket_number=ticket.number,
            )


def _already_rated(number: str | None, rated_at: dt.datetime) -> Rejected:
    return Rejected(
        409,
        "already_rated",
        f"{number} 号这次办事已经评价过了，感谢您的反馈！每次办事只能评价一次。",
        ticket_number=number,
        rated_at=rated_at.astimezone(dt.UTC).isoformat(),
    )


def _followup_due(settings: FeedbackSettings, rated_at: dt.datetime) -> tuple[dt.date, dt.date]:
    day = settings.local_day(rated_at)
    return (
        settings.calendar.add_working_days(day, settings.followup_plan_days),
        settings.calendar.add_working_days(day, settings.followup_rectify_days),
    )


def _replay(conn: Connection, kiosk_id: str, body: RatingIn) -> RatingOut | None:
    """The rating this (kiosk, key) already made, or None; Rejected if the key was reused
    for a different rating."""
    row = conn.execute(_REPLAY, {"kiosk_id": kiosk_id, "key": body.idempotency_key}).first()
    if row is None:
        return None
    same = row.target == body.target and row.rating_count == body.rating_count
    if body.ticket_id is not None:
        same = same and row.ticket_id == body.ticket_id
    if body.ticket_number is not None:
        same = same and (row.ticket_number or "").upper() == body.ticket_number.upper()
    if not same:
        raise Rejected(
            409,
            "idempotency_conflict",
            f"idempotency_key {body.idempotency_key!r} was used for another rating",
        )
    values = {c.name: row._mapping[c.name] for c in _R.columns}
    return _rating_out(values, row.followup_id)


def new_rating_values(
    settings: FeedbackSettings, kiosk_id: str, body: RatingIn, now: dt.datetime
) -> dict[str, Any]:
    """Every column of a new rating but the chain's (and the ticket's, see
    ``take_ticket_values``); Rejected (422) when its content breaks the rules."""
    reasons, comment = _check_content(body, settings)
    rated_at = _rated_at(body, settings, now)
    return {
        "id": str(uuid.uuid4()),
        "kiosk_id": kiosk_id,
        "idempotency_key": body.idempotency_key,
        "target": body.target,
        "ticket_id": None,
        "ticket_number": None,
        "ticket_day": None,
        "channel": settings.channel,
        "rater": "anonymous",
        "rated_at": rated_at,
        "received_at": now,
        "rating_day": settings.local_day(rated_at),
        "rating_count": body.rating_count,
        "level": body.level,
        "reasons": json.dumps(reasons, ensure_ascii=False),
        "comment": comment,
        "division_code": settings.division_code,
        "counter": None,
        "staff_id": None,
        "service_id": None,
        "window_group": None,
    }


def take_ticket_values(values: dict[str, Any], ticket: Any) -> None:
    """The rated ticket's columns, copied into the rating (``ticket``: a ticket row)."""
    values.update(
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        ticket_day=ticket.service_day,
        rater=ticket.holder_hash or "anonymous",
        counter=ticket.counter,
        staff_id=ticket.staff_id,
        service_id=ticket.service_id,
        window_group=ticket.window_group,
    )


def new_followup(
    settings: FeedbackSettings, values: dict[str, Any], now: dt.datetime
) -> dict[str, Any] | None:
    """The follow-up a bad review gets (its deadlines in working days), or None."""
    if values["level"] not in BAD_LEVELS:
        return None
    plan_due, rectify_due = _followup_due(settings, values["rated_at"])
    return {"created_at": now, "plan_due_on": plan_due, "rectify_due_on": rectify_due}


def log_rating(rating: RatingOut, kiosk_id: str) -> None:
    log.info(
        "rating seq %d: %s %s (%s) from kiosk %s",
        rating.seq, rating.target, rating.ticket_number or "-", rating.level, kiosk_id,
    )  # fmt: skip


def submit_rating(
    engine: Engine,
    settings: FeedbackSettings,
    kiosk_id: str,
    body: RatingIn,
    now: dt.datetime,
    token_hash: str | None = None,
) -> tuple[RatingOut, bool]:
    """Store and chain a rating, or return the one this key already made.

    Returns (rating, created). Raises Rejected for what the rules refuse, and
    KioskNotAuthorized when ``token_hash`` (a cached kiosk token, see ``hall.auth``) no
    longer matches the kiosk. The checks run before the chain is touched, so the
    serialised part stays short; a concurrent duplicate that slips past them hits a unique
    constraint and is answered as a replay (same key) or 409 (same ticket). On PostgreSQL
    the checks and the append are autocommit statements (``hall.rating_chain.append_rating``
    is atomic by itself; ``hall.ratings_pg`` is the event-loop version the server uses); on
    SQLite all of it is one write transaction.
    """

    def work(conn: Connection) -> tuple[RatingOut, bool]:
        if token_hash is not None:
            params = {"kiosk_id": kiosk_id, "token_hash": token_hash}
            if conn.execute(_TOKEN_OK, params).first() is None:
                raise KioskNotAuthorized("invalid token")
        replay = _replay(conn, kiosk_id, body)
        if replay is not None:  # before the checks: a retry gets its answer even if the
            return replay, False  # rules (reasons list, max age) changed meanwhile
        values = new_rating_values(settings, kiosk_id, body, now)
        if body.target == "ticket":
            ticket, ratings = _ticket_with_ratings(conn, settings, now, body)
            check_rateable(ticket, ratings, body.rating_count)
            take_ticket_values(values, ticket)
        followup_id = append_rating(conn, values, new_followup(settings, values, now))
        return _rating_out(values, followup_id), True

    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                rating, created = work(conn.execution_options(isolation_level="AUTOCOMMIT"))
        else:
            rating, created = run_transaction(engine, lambda session: work(session.connection()))
    except IntegrityError:
        # A concurrent request won a race on a unique constraint; answer as if it came first.
        with transaction(engine, readonly=True) as session:
            conn = session.connection()
            replay = _replay(conn, kiosk_id, body)
            if replay is not None:
                return replay, False
            if body.target == "ticket":
                ticket, ratings = _ticket_with_ratings(conn, settings, now, body)
                if body.rating_count in ratings:
                    raise _already_rated(
                        ticket.number, ratings[body.rating_count].rating_rated_at
                    ) from None
        raise
    if created:
        log_rating(rating, kiosk_id)
    return rating, created


# -- visits -------------------------------------------------------------------------------
def _visit_states(conn: Connection, tickets: list[Row[Any]]) -> dict[str, str]:
    """rateable / not_served / rated / followup_rateable for each ticket id."""
    ids = [t.id for t in tickets]
    rows = conn.execute(
        select(_R.c.ticket_id, _R.c.rating_count, _F.c.status)
        .select_from(_R.outerjoin(_F, _F.c.rating_id == _R.c.id))
        .where(_R.c.ticket_id.in_(ids))
    ).all()
    ratings: dict[str, dict[int, str | None]] = {}
    for ticket_id, count, followup_status in rows:
        ratings.setdefault(ticket_id, {})[count] = followup_status
    states = {}
    for ticket in tickets:
        counts = ratings.get(ticket.id, {})
        if ticket.status not in SERVED_STATUSES:
            states[ticket.id] = "not_served"
        elif not counts:
            states[ticket.id] = "rateable"
        elif 1 in counts and 2 not in counts and counts[1] in ("answered", "closed"):
            states[ticket.id] = "followup_rateable"
        else:
            states[ticket.id] = "rated"
    return states


def _service_name(request: Request, service_id: str) -> str:
    try:
        return str(request.app.state.catalog.entry(service_id).name)
    except KeyError:  # the catalog changed since the ticket was issued
        return service_id


def _id_hash_key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "rating_id_hash_key", None)
    if key is None:
        raise RuntimeError("hall.feedback.feedback_router(app) was not called")
    return key


# -- statistics and export ----------------------------------------------------------------
_STATS_KEYS = {
    "window": Rating.counter,
    "service": Rating.service_id,
    "staff": Rating.staff_id,
    "day": Rating.rating_day,
}


def _period_filter(date_from: dt.date | None, date_to: dt.date | None) -> list[Any]:
    conditions: list[Any] = []
    if date_from is not None:
        conditions.append(Rating.rating_day >= date_from)
    if date_to is not None:
        conditions.append(Rating.rating_day <= date_to)
    return conditions


def _counts(key: str | None, counts: dict[str, int]) -> LevelCounts:
    full = {level: counts.get(level, 0) for level in LEVELS}
    total = sum(full.values())
    good = sum(full[level] for level in GOOD_LEVELS)
    return LevelCounts(
        key=key,
        total=total,
        counts=full,
        satisfaction_rate=round(good / total, 4) if total else None,
    )


def rating_stats(
    engine: Engine,
    by: Literal["window", "service", "staff", "day"],
    date_from: Day | None = None,
    date_to: Day | None = None,
    target: Literal["ticket", "self_service_area", "all"] = "all",
) -> RatingStats:
    """Counts per level and satisfaction rate per window, item, staff or day.

    One visit counts once: when the citizen rated again after a bad review was answered
    (rating_count 2), that later rating replaces the first in the statistics.
    """
    key_col = _STATS_KEYS[by]
    later = aliased(Rating)
    # A first rating is superseded when its ticket has a second one. NOT IN over the few
    # second ratings is one hashed set on PostgreSQL, not a correlated probe per rating
    # (a year is ~200k ratings: the statistics' p95 target, hall/stats.py).
    seconds = select(later.ticket_id).where(later.rating_count == 2, later.ticket_id.is_not(None))
    kept = or_(
        Rating.rating_count == 2,
        Rating.ticket_id.is_(None),
        Rating.ticket_id.not_in(seconds.scalar_subquery()),
    )
    conditions = [kept, *_period_filter(date_from, date_to)]
    if target != "all":
        conditions.append(Rating.target == target)
    query = (
        select(key_col, Rating.level, func.count())
        .where(*conditions)
        .group_by(key_col, Rating.level)
    )
    groups: dict[str | None, dict[str, int]] = {}
    overall: dict[str, int] = {}
    with transaction(engine, readonly=True) as session:
        for key, level, count in session.execute(query):
            shown = None if key is None else (key.isoformat() if by == "day" else str(key))
            groups.setdefault(shown, {})[level] = int(count)
            overall[level] = overall.get(level, 0) + int(count)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, _sort_key(kv[0])))
    return RatingStats(
        by=by,
        date_from=date_from,
        date_to=date_to,
        groups=[_counts(key, counts) for key, counts in ordered],
        overall=_counts(None, overall),
    )


def _sort_key(key: str | None) -> tuple[int, str]:
    """Numeric keys (counters, staff ids) in numeric order, others alphabetically."""
    if key is not None and key.isdigit():
        return (0, key.zfill(12))
    return (1, key or "")


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_number", "办件编号"),
    ("channel", "评价渠道"),
    ("rater", "评价人"),
    ("rated_at", "评价时间"),
    ("rating_count", "评价次数"),
    ("satisfaction_code", "满意度代码"),
    ("satisfaction", "满意度"),
    ("text", "评价内容"),
    ("reasons", "评价原因"),
    ("division_code", "行政区划代码"),
    ("target", "评价对象"),
    ("ticket_id", "票据ID"),
    ("window", "窗口"),
    ("staff_id", "工作人员"),
    ("service_id", "事项"),
    ("kiosk_id", "终端"),
    ("seq", "链序号"),
    ("hash", "记录哈希"),
)
"""Export columns: GB/T 39046-2020 table 9 first (ticket, channel, rater, time, count,
code, text, division), then ours. ``header=keys`` uses the left names."""


def export_row(
    row: Any, settings: FeedbackSettings, code_map: dict[str, int], formula_guard: bool
) -> dict[str, Any]:
    """One rating as an export record (hall-local compact time, mapped code)."""
    case_number = (
        f"{row.ticket_day:%Y%m%d}-{row.ticket_number}"
        if row.ticket_number and row.ticket_day
        else ""
    )
    text = row.comment or ""
    if formula_guard and text[:1] in ("=", "+", "-", "@"):
        text = "'" + text  # a spreadsheet must not run a citizen's comment as a formula
    return {
        "case_number": case_number,
        "channel": row.channel,
        "rater": row.rater,
        "rated_at": row.rated_at.astimezone(settings.tz).strftime("%Y%m%dT%H%M%S"),
        "rating_count": row.rating_count,
        "satisfaction_code": code_map[row.level],
        "satisfaction": LEVEL_NAMES_ZH[row.level],
        "text": text,
        "reasons": "；".join(json.loads(row.reasons)),
        "division_code": row.division_code,
        "target": row.target,
        "ticket_id": row.ticket_id or "",
        "window": row.counter or "",
        "staff_id": "" if row.staff_id is None else row.staff_id,
        "service_id": row.service_id or "",
        "kiosk_id": row.kiosk_id,
        "seq": row.seq,
        "hash": row.hash,
    }


def iter_export(
    engine: Engine,
    settings: FeedbackSettings,
    code_map: dict[str, int],
    date_from: dt.date | None,
    date_to: dt.date | None,
    *,
    formula_guard: bool = False,
    batch: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Export records in chain order, streamed from one read transaction."""
    query = select(Rating.__table__).where(*_period_filter(date_from, date_to)).order_by(Rating.seq)
    with transaction(engine, readonly=True) as session:
        for row in session.execute(query, execution_options={"yield_per": batch}):
            yield export_row(row, settings, code_map, formula_guard)


def _csv_stream(records: Iterator[dict[str, Any]], header: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = [key if header == "keys" else zh for key, zh in EXPORT_COLUMNS]
    writer.writerow(names)
    count = 0
    for record in records:
        writer.writerow([record[key] for key, _ in EXPORT_COLUMNS])
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# -- routes -------------------------------------------------------------------------------
Settings = Annotated[FeedbackSettings, Depends(get_settings)]


@router.get("/options", response_model=RatingOptions)
def rating_options(_who: AnyPrincipal, settings: Settings) -> RatingOptions:
    """What the kiosk offers: levels (with Chinese names), reasons, comment length."""
    return RatingOptions(
        levels=[{"level": level, "name": LEVEL_NAMES_ZH[level]} for level in LEVELS],
        bad_levels=[level for level in LEVELS if level in BAD_LEVELS],
        reasons=list(settings.reasons),
        comment_max=COMMENT_MAX,
        division_code=settings.division_code,
    )


@router.post(
    "",
    response_model=RatingOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": RatingOut, "description": "retry: the rating this key already made"},
        403: {"description": "not a kiosk token (staff can never rate)"},
        404: {"description": "no such ticket (code ticket_not_found)"},
        409: {
            "description": "code already_rated, not_served, followup_rating_not_open or"
            " idempotency_conflict; detail is a message for the citizen"
        },
        422: {"description": "code reasons_required, unknown_reason, rated_at_*; or invalid"},
    },
)
async def create_rating(
    body: RatingIn, response: Response, kiosk: VerifiedKiosk, request: Request, settings: Settings
) -> Any:
    """Submit a rating (kiosk token). Retrying with the same key is safe.

    The token comes from the per-process cache (``hall.auth.VerifiedKiosk``) and is checked
    again with the rating's first statement, so a rotated token is refused at once."""
    if body.kiosk_id is not None and body.kiosk_id != kiosk.id:
        return Rejected(403, "kiosk_mismatch", "kiosk_id does not match the token").response()
    engine, now = request.app.state.engine, request_now(request)
    pool = request.app.state.queue.pg_pool
    try:
        if pool is not None:
            from hall.ratings_pg import chain_appender, submit_rating_pg

            rating, created = await submit_rating_pg(
                chain_appender(request.app.state, pool),
                engine,
                settings,
                kiosk.id,
                body,
                now,
                kiosk.token_hash,
            )
        else:
            rating, created = await run_in_threadpool(
                submit_rating, engine, settings, kiosk.id, body, now, kiosk.token_hash
            )
    except Rejected as exc:
        return exc.response()
    except KioskNotAuthorized:
        raise kiosk.rejected() from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return rating


@router.post(
    "/visits",
    response_model=list[VisitOut],
    responses={404: {"description": "code ticket_not_found: no such ticket number or QR"}},
)
def find_visits(
    body: VisitQuery, kiosk: KioskPrincipal, request: Request, settings: Settings
) -> Any:
    """The visits a citizen can rate (kiosk token): today's tickets of an ID card, or the
    ticket of a typed number / scanned QR. POST because an ID number never goes in a URL."""
    now = request_now(request)
    with transaction(request.app.state.engine, readonly=True) as session:
        conn = session.connection()
        if body.holder is not None:
            holder_hash = hash_id_number(_id_hash_key(request), body.holder.id_number)
            tickets = list(
                conn.execute(
                    select(*_TICKET_COLUMNS)
                    .where(
                        _T.c.holder_hash == holder_hash,
                        _T.c.service_day == settings.local_day(now),
                    )
                    .order_by(_T.c.issued_at)
                    .limit(50)
                )
            )
        else:
            try:
                tickets = [find_ticket(conn, settings, now, body)]
            except Rejected as exc:
                return exc.response()
        states = _visit_states(conn, tickets)
    return [
        VisitOut(
            ticket_id=t.id,
            number=t.number,
            service_day=t.service_day,
            service_id=t.service_id,
            service_name=_service_name(request, t.service_id),
            counter=t.counter,
            status=t.status,
            issued_at=t.issued_at.astimezone(dt.UTC),
            rating_state=states[t.id],  # type: ignore[arg-type]
        )  # fmt: skip
        for t in tickets
    ]


@router.get(
    "/export",
    responses={200: {"content": {"text/csv": {}}, "description": "CSV (or JSON list)"}},
)
def export_ratings(
    _staff: StaffPrincipal,
    request: Request,
    settings: Settings,
    format: Literal["csv", "json"] = "csv",
    date_from: Annotated[Day | None, Query(description="hall-local day, inclusive")] = None,
    date_to: Annotated[Day | None, Query(description="hall-local day, inclusive")] = None,
    codes: Annotated[
        Literal["national", "provincial"] | None,
        Query(description="code direction for this export; default: the hall's setting"),
    ] = None,
    header: Literal["zh", "keys"] = "zh",
) -> Response:
    """Ratings for upward reporting (staff token), in chain order.

    ``codes``: national 1 = 非常满意 … 5 = 非常不满意; provincial 5 = 非常满意 … 1.
    Without it the hall's HALL_RATING_CODES (or explicit HALL_RATING_CODE_MAP) applies.
    The response header X-Rating-Codes names the direction used.
    """
    code_map = dict(CODE_PRESETS[codes]) if codes else dict(settings.code_map)
    direction = codes or settings.code_direction
    engine = request.app.state.engine
    if date_from and date_to and date_from > date_to:
        return JSONResponse({"detail": "date_from is after date_to"}, status_code=422)
    headers = {"X-Rating-Codes": direction}
    if format == "json":
        rows = list(iter_export(engine, settings, code_map, date_from, date_to))
        return JSONResponse(rows, headers=headers)
    span = f"{date_from or 'start'}_{date_to or 'now'}"
    headers["Content-Disposition"] = f'attachment; filename="ratings_{span}.csv"'
    records = iter_export(engine, settings, code_map, date_from, date_to, formula_guard=True)
    return StreamingResponse(
        _csv_stream(records, header), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.get("/stats", response_model=RatingStats)
def stats(
    _staff: StaffPrincipal,
    request: Request,
    by: Literal["window", "service", "staff", "day"] = "window",
    date_from: Day | None = None,
    date_to: Day | None = None,
    target: Literal["ticket", "self_service_area", "all"] = "all",
) -> RatingStats:
    """Counts per level and satisfaction rate per window, item, staff or day (staff token)."""
    return rating_stats(request.app.state.engine, by, date_from, date_to, target)
