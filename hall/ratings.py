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
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, Row, func, or_, select
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
from hall.db import transaction
from hall.feedback_settings import (
    CODE_PRESETS,
    FeedbackSettings,
    get_settings,
    request_now,
)
from hall.models import Rating, RatingFollowup, Ticket
from hall.privacy import hash_id_number
from hall.queue_rules import KioskNotAuthorized
from hall.rating_rules import SERVED_STATUSES, Rejected, lookup_day, ticket_not_found
from hall.rating_store import TICKET_COLUMNS, RatingStore

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/ratings", tags=["ratings"])


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


# -- finding a ticket ----------------------------------------------------------------------
_R = Rating.__table__
_F = RatingFollowup.__table__
_T = Ticket.__table__


def _ticket_filter(
    settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> Any:
    """WHERE clause for the ticket a rating or visit query names (id, or number + day)."""
    if body.ticket_id is not None:
        return _T.c.id == body.ticket_id
    assert body.ticket_number is not None
    day = lookup_day(settings, now, body)
    newest = (
        select(_T.c.id)
        .where(_T.c.number == body.ticket_number.upper(), _T.c.service_day == day)
        .order_by(_T.c.issued_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _T.c.id == newest


def find_ticket(
    conn: Connection, settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> Row[Any]:
    """The ticket a rating or visit query names; Rejected (404) if there is none."""
    row = conn.execute(select(*TICKET_COLUMNS).where(_ticket_filter(settings, now, body))).first()
    if row is None:
        raise ticket_not_found()
    return row


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
STATS_KEYS = {
    "window": Rating.counter,
    "service": Rating.service_id,
    "staff": Rating.staff_id,
    "day": Rating.rating_day,
}


def kept_condition(upto: int | None = None) -> Any:
    """The ratings the statistics count: a first rating is superseded when its ticket has a
    second one (of ``seq`` ≤ ``upto`` when given: what a day's aggregate saw when closed).
    NOT IN over the few second ratings (index ``ix_ratings_second``) is one hashed set on
    PostgreSQL, not a correlated probe per rating (a year is ~200k ratings)."""
    later = aliased(Rating)
    seconds = select(later.ticket_id).where(later.rating_count == 2, later.ticket_id.is_not(None))
    if upto is not None:
        seconds = seconds.where(later.seq <= upto)
    return or_(
        Rating.rating_count == 2,
        Rating.ticket_id.is_(None),
        Rating.ticket_id.not_in(seconds.scalar_subquery()),
    )


def _period_filter(date_from: dt.date | None, date_to: dt.date | None) -> list[Any]:
    conditions: list[Any] = []
    if date_from is not None:
        conditions.append(Rating.rating_day >= date_from)
    if date_to is not None:
        conditions.append(Rating.rating_day <= date_to)
    return conditions


def level_counts(key: str | None, counts: dict[str, int]) -> LevelCounts:
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
    key_col = STATS_KEYS[by]
    conditions = [kept_condition(), *_period_filter(date_from, date_to)]
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
        groups=[level_counts(key, counts) for key, counts in ordered],
        overall=level_counts(None, overall),
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
    store: RatingStore = request.app.state.ratings
    try:
        rating, created = await store.submit(
            settings, kiosk.id, body, request_now(request), kiosk.token_hash
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
                    select(*TICKET_COLUMNS)
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
