"""Follow-up of bad reviews (差评): 核实 (verify), 整改 (rectify), 反馈 (feedback), 复核
(re-check).

Every 不满意 / 非常不满意 rating gets a follow-up when it is stored (``hall.ratings``),
with two due days counted in working days from the day of the rating
(``HALL_FOLLOWUP_PLAN_DAYS``, default 3, and ``HALL_FOLLOWUP_RECTIFY_DAYS``, default 15):

- by the *plan* day the review must be verified (and a rectification planned);
- by the *rectify* day it must be rectified and the citizen answered.

- by the *recheck* day, ``HALL_FOLLOWUP_RECHECK_DAYS`` (default 5) working days after the
  answer, another member of staff must have re-checked it (复核).

Steps go in order: verify → rectify → feedback (answered) → recheck (closed). Verification
may find the review unsubstantiated; then there is nothing to rectify and feedback follows
directly. The re-check is by someone other than who gave the answer. A due day counts in
full: a follow-up is overdue from the next hall-local day on. Once answered, the citizen
may rate again.

The member of staff a review concerns cannot record its steps (403): nobody handles the
complaint about themselves. The rating itself is never changed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from contract.fields import RowId, text
from contract.scrub import scrub_text
from hall.auth import StaffPrincipal
from hall.db import transaction
from hall.feedback_settings import FeedbackSettings, get_settings, request_now
from hall.models import Rating, RatingFollowup
from hall.rating_rules import Rejected

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/followups", tags=["ratings"])

Step = Literal["verify", "rectify", "feedback", "recheck"]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Step
    note: text(500, min_length=1) = Field(description="what was found / done / said")
    substantiated: bool = Field(
        default=True, description="verify only: false when the review proved unfounded"
    )


class FollowupOut(BaseModel):
    id: int
    rating_id: str
    rating_seq: int
    target: str
    ticket_number: str | None
    level: str
    reasons: list[str]
    comment: str | None
    counter: str | None
    staff_id: int | None = Field(description="the staff member the review concerns")
    service_id: str | None
    rated_at: dt.datetime
    status: Literal["open", "verified", "rectified", "answered", "closed"]
    plan_due_on: dt.date = Field(description="verify by this hall-local day (working days)")
    rectify_due_on: dt.date = Field(description="rectify and answer by this day")
    substantiated: bool | None
    verified_at: dt.datetime | None
    verified_by: int | None
    verify_note: str | None
    rectified_at: dt.datetime | None
    rectified_by: int | None
    rectify_note: str | None
    feedback_at: dt.datetime | None
    feedback_by: int | None
    feedback_note: str | None
    recheck_due_on: dt.date | None = Field(description="re-check (复核) by this day, once answered")
    rechecked_at: dt.datetime | None
    rechecked_by: int | None
    recheck_note: str | None
    overdue: bool
    overdue_steps: list[Literal["plan", "rectify", "recheck"]]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def overdue_steps(
    followup: RatingFollowup, today: dt.date
) -> list[Literal["plan", "rectify", "recheck"]]:
    """Which deadlines have passed unmet on the hall-local day ``today``."""
    late: list[Literal["plan", "rectify", "recheck"]] = []
    if followup.status == "closed":
        return late
    if followup.verified_at is None and today > followup.plan_due_on:
        late.append("plan")
    if followup.feedback_at is None and today > followup.rectify_due_on:
        late.append("rectify")
    if followup.recheck_due_on is not None and today > followup.recheck_due_on:
        late.append("recheck")
    return late


def _out(followup: RatingFollowup, rating: Rating, today: dt.date) -> FollowupOut:
    late = overdue_steps(followup, today)
    return FollowupOut(
        id=followup.id, rating_id=rating.id, rating_seq=rating.seq, target=rating.target,
        ticket_number=rating.ticket_number, level=rating.level,
        reasons=json.loads(rating.reasons), comment=rating.comment, counter=rating.counter,
        staff_id=rating.staff_id, service_id=rating.service_id,
        rated_at=rating.rated_at.astimezone(dt.UTC),
        status=followup.status,  # type: ignore[arg-type]
        plan_due_on=followup.plan_due_on, rectify_due_on=followup.rectify_due_on,
        substantiated=followup.substantiated,
        verified_at=_utc(followup.verified_at), verified_by=followup.verified_by,
        verify_note=followup.verify_note,
        rectified_at=_utc(followup.rectified_at), rectified_by=followup.rectified_by,
        rectify_note=followup.rectify_note,
        feedback_at=_utc(followup.feedback_at), feedback_by=followup.feedback_by,
        feedback_note=followup.feedback_note, recheck_due_on=followup.recheck_due_on,
        rechecked_at=_utc(followup.rechecked_at), rechecked_by=followup.rechecked_by,
        recheck_note=followup.recheck_note,
        overdue=bool(late), overdue_steps=late,
    )  # fmt: skip


def overdue_condition(today: dt.date) -> Any:
    """SQL: not closed and a due day before ``today`` unmet (mirrors ``overdue_steps``)."""
    return and_(
        RatingFollowup.status != "closed",
        or_(
            and_(RatingFollowup.verified_at.is_(None), RatingFollowup.plan_due_on < today),
            and_(RatingFollowup.feedback_at.is_(None), RatingFollowup.rectify_due_on < today),
            RatingFollowup.recheck_due_on < today,
        ),
    )


def list_followups(
    session: Session,
    today: dt.date,
    *,
    overdue: bool = False,
    state: Literal["open", "closed", "all"] = "open",
    limit: int = 500,
) -> list[FollowupOut]:
    """Follow-ups, the most urgent (earliest plan day) first."""
    query = select(RatingFollowup, Rating).join(Rating, Rating.id == RatingFollowup.rating_id)
    if state == "open":
        query = query.where(RatingFollowup.status != "closed")
    elif state == "closed":
        query = query.where(RatingFollowup.status == "closed")
    if overdue:
        query = query.where(overdue_condition(today))
    query = query.order_by(RatingFollowup.plan_due_on, RatingFollowup.id).limit(limit)
    return [_out(f, r, today) for f, r in session.execute(query)]


def record_step(
    session: Session,
    followup_id: int,
    body: StepIn,
    staff_id: int,
    now: dt.datetime,
    settings: FeedbackSettings,
) -> tuple[RatingFollowup, Rating]:
    """Apply one step in order; Rejected (403/404/409) when the rules refuse it."""
    found = session.execute(
        select(RatingFollowup, Rating)
        .join(Rating, Rating.id == RatingFollowup.rating_id)
        .where(RatingFollowup.id == followup_id)
        .with_for_update(of=RatingFollowup)
    ).one_or_none()
    if found is None:
        raise Rejected(404, "followup_not_found", f"no follow-up {followup_id}")
    followup, rating = found
    if rating.staff_id is not None and rating.staff_id == staff_id:
        raise Rejected(
            403,
            "concerns_you",
            "this review concerns you: another member of staff records its follow-up",
        )
    note = scrub_text(body.note.strip())  # staff notes: numbers and names scrubbed
    if body.step == "verify":
        if followup.status != "open":
            raise Rejected(409, "invalid_step", f"already verified (status {followup.status})")
        followup.status, followup.substantiated = "verified", body.substantiated
        followup.verified_at, followup.verified_by, followup.verify_note = now, staff_id, note
    elif body.step == "rectify":
        if followup.status != "verified" or followup.substantiated is False:
            reason = (
                "the review was found unsubstantiated: nothing to rectify; record feedback"
                if followup.substantiated is False
                else f"rectify needs a verified follow-up (status {followup.status})"
            )
            raise Rejected(409, "invalid_step", reason)
        followup.status = "rectified"
        followup.rectified_at, followup.rectified_by, followup.rectify_note = now, staff_id, note
    elif body.step == "recheck":
        if followup.status != "answered":
            raise Rejected(
                409, "invalid_step", f"re-check comes after the answer (status {followup.status})"
            )
        if followup.feedback_by == staff_id:
            raise Rejected(
                403, "recheck_by_another", "another member of staff re-checks (复核) this answer"
            )
        followup.status = "closed"
        followup.rechecked_at, followup.rechecked_by, followup.recheck_note = now, staff_id, note
    else:
        ready = followup.status == "rectified" or (
            followup.status == "verified" and followup.substantiated is False
        )
        if not ready:
            raise Rejected(
                409,
                "invalid_step",
                f"feedback comes after rectification (status {followup.status})",
            )
        followup.status = "answered"
        followup.feedback_at, followup.feedback_by, followup.feedback_note = now, staff_id, note
        followup.recheck_due_on = settings.calendar.add_working_days(
            settings.local_day(now), settings.followup_recheck_days
        )
    log.info(
        "follow-up %d (rating seq %d): %s by staff %d", followup.id, rating.seq, body.step, staff_id
    )
    return followup, rating


# -- routes -------------------------------------------------------------------------------
Settings = Annotated[FeedbackSettings, Depends(get_settings)]


@router.get("", response_model=list[FollowupOut])
def get_followups(
    _staff: StaffPrincipal,
    request: Request,
    settings: Settings,
    overdue: bool = False,
    state: Literal["open", "closed", "all"] = "open",
) -> list[FollowupOut]:
    """Follow-ups of bad reviews (staff token); ``overdue=true``: only those past a due day."""
    today = settings.local_day(request_now(request))
    with transaction(request.app.state.engine, readonly=True) as session:
        return list_followups(session, today, overdue=overdue, state=state)


@router.get("/{followup_id}", response_model=FollowupOut)
def get_followup(
    followup_id: RowId, _staff: StaffPrincipal, request: Request, settings: Settings
) -> FollowupOut:
    today = settings.local_day(request_now(request))
    with transaction(request.app.state.engine, readonly=True) as session:
        found = session.execute(
            select(RatingFollowup, Rating)
            .join(Rating, Rating.id == RatingFollowup.rating_id)
            .where(RatingFollowup.id == followup_id)
        ).one_or_none()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no follow-up {followup_id}")
    return _out(found[0], found[1], today)


@router.post(
    "/{followup_id}",
    response_model=FollowupOut,
    responses={
        403: {
            "description": "code concerns_you: the review is about this staff member;"
            " code recheck_by_another: who answered cannot re-check"
        },
        404: {"description": "no such follow-up"},
        409: {"description": "code invalid_step: steps go verify → rectify → feedback → recheck"},
    },
)
def post_step(
    followup_id: RowId, body: StepIn, staff: StaffPrincipal, request: Request, settings: Settings
) -> Any:
    """Record 核实 (verify), 整改 (rectify), 反馈 (feedback) or 复核 (recheck), timestamped
    (staff token)."""
    now = request_now(request)
    try:
        with transaction(request.app.state.engine) as session:
            followup, rating = record_step(session, followup_id, body, int(staff.id), now, settings)
            session.flush()
            return _out(followup, rating, settings.local_day(now))
    except Rejected as exc:
        return exc.response()
