"""The rating rules (好差评) as plain functions, the same for every rating store
(``hall.rating_store``, ``hall.ratings_pg``): what a rating may contain, when it was made,
whether a ticket may be rated, a new rating's values and its follow-up, the API view, and
the refusals (``Rejected``) the API answers with. No database here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

from fastapi.responses import JSONResponse

from contract.api import RatingIn, RatingOut, VisitQuery
from contract.scrub import scrub_text
from contract.vocab import BAD_LEVELS
from hall.feedback_settings import FeedbackSettings

log = logging.getLogger("hall.ratings")

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


def rating_out(values: dict[str, Any], followup_id: int | None) -> RatingOut:
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


def check_content(body: RatingIn, settings: FeedbackSettings) -> tuple[list[str], str | None]:
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


def rating_time(body: RatingIn, settings: FeedbackSettings, now: dt.datetime) -> dt.datetime:
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


def lookup_day(
    settings: FeedbackSettings, now: dt.datetime, body: RatingIn | VisitQuery
) -> dt.date:
    """The day a typed ticket number belongs to: given, else the day the citizen rated
    (an outbox may deliver the next day, when the same number names someone else)."""
    if body.service_day is not None:
        return body.service_day
    rated_at = getattr(body, "rated_at", None)
    return settings.local_day(rated_at or now)


def ticket_not_found() -> Rejected:
    return Rejected(404, "ticket_not_found", "没有找到这张票，请核对票号。")


def check_rateable(ticket: Any, ratings: dict[int, Any], rating_count: int) -> None:
    """Rejected (409) unless this ticket may get a rating with this ``rating_count``
    (``ticket``: a ticket row; ``ratings``: its ratings' rows by ``rating_count``)."""
    if ticket.status not in SERVED_STATUSES:
        raise Rejected(
            409,
            "not_served",
            f"{ticket.number} 号还没有在窗口办理，办理后再来评价吧。",
            ticket_number=ticket.number,
        )
    if rating_count in ratings:
        raise already_rated(ticket.number, ratings[rating_count].rating_rated_at)
    if rating_count == 2:
        first = ratings.get(1)
        if first is None or first.followup_status not in ("answered", "closed"):
            raise Rejected(
                409,
                "followup_rating_not_open",
                "只有差评经核实整改并反馈后，才能再次评价。",
                ticket_number=ticket.number,
            )


def already_rated(number: str | None, rated_at: dt.datetime) -> Rejected:
    return Rejected(
        409,
        "already_rated",
        f"{number} 号这次办事已经评价过了，感谢您的反馈！每次办事只能评价一次。",
        ticket_number=number,
        rated_at=rated_at.astimezone(dt.UTC).isoformat(),
    )


def followup_due(settings: FeedbackSettings, rated_at: dt.datetime) -> tuple[dt.date, dt.date]:
    day = settings.local_day(rated_at)
    return (
        settings.calendar.add_working_days(day, settings.followup_plan_days),
        settings.calendar.add_working_days(day, settings.followup_rectify_days),
    )


def new_rating_values(
    settings: FeedbackSettings, kiosk_id: str, body: RatingIn, now: dt.datetime
) -> dict[str, Any]:
    """Every column of a new rating but the chain's (and the ticket's, see
    ``take_ticket_values``); Rejected (422) when its content breaks the rules."""
    reasons, comment = check_content(body, settings)
    rated_at = rating_time(body, settings, now)
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
    plan_due, rectify_due = followup_due(settings, values["rated_at"])
    return {"created_at": now, "plan_due_on": plan_due, "rectify_due_on": rectify_due}


def log_rating(rating: RatingOut, kiosk_id: str) -> None:
    log.info(
        "rating seq %d: %s %s (%s) from kiosk %s",
        rating.seq, rating.target, rating.ticket_number or "-", rating.level, kiosk_id,
    )  # fmt: skip
