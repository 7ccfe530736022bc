"""办不成事反映: cases for matters the normal windows could not solve.

Intake (kiosk token, ``POST /api/v1/cases``) accepts a case only when at least one of the
three acceptance conditions holds — the citizen already tried the normal channel
(``tried_normal_channel``), several departments' duties overlap (``overlapping_duties``),
or the policy leaves room (``policy_room``) — and the citizen consented to the privacy
notice. The server numbers cases per hall-local day without gaps (BC20261123-0007), and
sets the time limits from the submission time: respond within ``HALL_CASE_RESPOND_HOURS``
(clock hours, default 1), coordinate within ``HALL_CASE_COORDINATE_DAYS`` and close within
``HALL_CASE_CLOSE_DAYS`` working days (default 3 and 7; due days count in full).

首接负责制: the first member of staff who takes a case owns it; only the owner records
respond, coordinate and close. Anyone may read a case's progress by its number at a kiosk,
so that answer holds no personal data and no notes.

The phone number, and why it is stored in full while the case is open: the owner must
call the citizen back within the response time and again with the outcome — the citizen has
usually left the hall, and a masked number cannot be dialled. So the number is kept in
full while the case is open, is shown only to the case's owner (``GET …/contact``, each
view recorded as a ``contact_viewed`` event), never appears in lists, exports or logs, and
is deleted when the case closes. While open it is stored only encrypted (AES-256-GCM with
the key file's phone key, ``hall.keys``; bound to the case number), with its masked form
(138****8000, printed on the slip) and a keyed hash (HMAC-SHA256 with a key derived from
the ID-hash key, ``hall.feedback``); closing the case deletes all three — nothing of the
number is left to guess from.

What went wrong (issue 17): the case names the matter — a catalog item id (事项库) or
``not_in_catalog`` — and the citizen's own words (typed on the kiosk's keyboard; ID and
phone numbers are scrubbed here, as in rating comments). The item id is checked for its
form only, not against today's catalog: a case kept in a kiosk's outbox while the catalog
changed must still arrive. The severity (``ordinary``, ``urgent``, ``many_or_vulnerable``)
sets the response clock (``HALL_CASE_RESPOND_HOURS``, ``HALL_CASE_URGENT_RESPOND_HOURS``,
``HALL_CASE_MANY_RESPOND_HOURS``); a case above ordinary alerts the supervisors at once on
the staff monitoring page (``urgent_case_alerts``) until someone takes it.

Rating how a closed case was handled (``POST …/{number}/handling-rating``, kiosk token):
the citizen proves the case is theirs with its number and the last 4 digits of the
call-back number. The number itself is erased when the case closes, so at intake the server
keeps, apart from it, a keyed hash of the tail bound to the case number (HMAC-SHA256 with
the phone-hash key, ``hash_tail``). Four digits are few: without the key the hash cannot be
tested offline, and online the server allows ``TAIL_TRIES`` wrong tails per case, then
refuses (429). The tail hash is deleted once the case is rated (one rating per case); the
level and its time stay with the case. The same rating can be made on the citizen's phone
through the signed link on the printed slip (``hall/case_page.py``); ``handling_channel``
says where it was made. The daily purge (``hall/retention.py``) deletes a closed case's tail
hash ``HALL_CASE_CITIZEN_LINK_DAYS`` after it closed, which ends its rating period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.api import (
    CaseCreated,
    CaseHandlingRated,
    CaseHandlingRatingIn,
    CaseIn,
    CaseOptions,
    CaseProgress,
)
from contract.fields import mask_mobile, text
from contract.scrub import scrub_text
from contract.vocab import (
    CASE_ALERT_SEVERITIES,
    CASE_CONDITIONS,
    CASE_DESCRIPTION_MAX,
    CASE_MAX_CATEGORIES,
    CASE_SEVERITIES,
    MOBILE_PATTERN,
)
from hall.auth import AnyPrincipal, KioskPrincipal, StaffPrincipal
from hall.db import dialect_insert, run_transaction, transaction
from hall.feedback_settings import FeedbackSettings, get_settings, request_now
from hall.keys import HallKeys
from hall.models import Case, CaseEvent, CaseSequence, Ticket
from hall.rating_rules import Rejected
from hall.retention import settings_from_env as retention_settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

MOBILE = re.compile(MOBILE_PATTERN)
"""Mainland China mobile numbers."""
CASE_NUMBER_PATTERN = r"^[A-Z]{1,4}\d{8}-\d{4,}$"
DESCRIPTION_MAX = CASE_DESCRIPTION_MAX
MAX_CATEGORIES = CASE_MAX_CATEGORIES
CONDITIONS = CASE_CONDITIONS
STATUS_NAMES = {
    "submitted": "已提交，待受理",
    "taken": "已受理",
    "responded": "已响应",
    "coordinating": "协调办理中",
    "closed": "已办结",
}
EventKind = Literal["take", "respond", "coordinate", "close"]


# -- bodies -------------------------------------------------------------------------------
class CaseEventOut(BaseModel):
    kind: str
    staff_id: int
    note: str | None
    at: dt.datetime


class CaseDetail(CaseProgress):
    """Staff view (no full phone number: that is ``GET …/contact``, for the owner)."""

    id: int
    kiosk_id: str
    ticket_id: str | None
    tried_normal_channel: bool
    overlapping_duties: bool
    policy_room: bool
    categories: list[str]
    description: str
    phone_masked: str | None = Field(description="None once the case is closed (erased)")
    owner_id: int | None
    handling_level: str | None = Field(default=None, description="the citizen's rating")
    item_id: str | None = None
    not_in_catalog: bool = False
    severity: str = "ordinary"
    overdue_steps: list[Literal["respond", "coordinate", "close"]]
    events: list[CaseEventOut] | None = Field(default=None, description="single case only")


class CaseEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    note: text(500) | None = Field(
        default=None, description="required for respond, coordinate, close"
    )


class CaseContact(BaseModel):
    case_number: str
    phone: str


# -- helpers ------------------------------------------------------------------------------
def normalize_phone(raw: str) -> str | None:
    """Digits of a mainland mobile (spaces, dashes, +86 allowed), or None if invalid."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if MOBILE.match(digits) else None


def hash_phone(key: bytes, phone: str) -> str:
    """HMAC-SHA256 (hex) of the normalized mobile, domain-separated from ID hashes."""
    return hmac.new(key, b"phone:" + phone.encode("ascii"), hashlib.sha256).hexdigest()


def hash_tail(key: bytes, case_number: str, tail: str) -> str:
    """HMAC-SHA256 (hex) of a phone's last 4 digits, bound to one case number."""
    message = f"tail:{case_number}:{tail}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


TAIL_TRIES = 5
"""Wrong phone tails allowed per case before rating it is refused for good."""


def format_case_number(prefix: str, day: dt.date, seq: int) -> str:
    """BC20261123-0007: prefix, hall-local day, at least four digits (never truncated)."""
    return f"{prefix}{day:%Y%m%d}-{seq:04d}"


def next_case_seq(session: Session, day: dt.date) -> int:
    """Reserve the day's next case number inside the caller's transaction (gap-free: a
    rolled-back intake gives its number back; concurrent intakes queue on the row)."""
    stmt = dialect_insert(session.get_bind(), CaseSequence).values(day=day, last_seq=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day"], set_={"last_seq": CaseSequence.last_seq + 1}
    ).returning(CaseSequence.last_seq)
    return int(session.execute(stmt).scalar_one())


SEVERITY_NAMES_EN = {
    "ordinary": "ordinary",
    "urgent": "urgent",
    "many_or_vulnerable": "involves many people or a vulnerable person",
}


def matter_names(catalog: Any, item_id: str | None, not_in_catalog: bool) -> tuple[str, str]:
    """What the case is about, in Chinese and English: the catalog item's name (事项库),
    不在事项库, or — for a case from before issue 17, or an item since removed from the
    catalog — a plain note (the id is shown, never a guess)."""
    if not_in_catalog:
        return "不在事项库", "not in the catalog"
    if item_id is None:
        return "未注明事项", "no matter given"
    try:
        entry = catalog.entry(item_id)
    except (KeyError, AttributeError):
        return f"{item_id}（事项库中已无此项）", f"{item_id} (no longer in the catalog)"
    return entry.name, entry.name_en


def severity_names(severity: str) -> tuple[str, str]:
    return CASE_SEVERITIES.get(severity, severity), SEVERITY_NAMES_EN.get(severity, severity)


def overdue_steps(
    case: Case, now: dt.datetime, today: dt.date
) -> list[Literal["respond", "coordinate", "close"]]:
    late: list[Literal["respond", "coordinate", "close"]] = []
    if case.status == "closed":
        return late
    if case.responded_at is None and now > case.respond_due_at:
        late.append("respond")
    if case.coordinated_at is None and today > case.coordinate_due_on:
        late.append("coordinate")
    if today > case.close_due_on:
        late.append("close")
    return late


def _overdue_condition(now: dt.datetime, today: dt.date) -> Any:
    return and_(
        Case.status != "closed",
        or_(
            and_(Case.responded_at.is_(None), Case.respond_due_at < now),
            and_(Case.coordinated_at.is_(None), Case.coordinate_due_on < today),
            Case.close_due_on < today,
        ),
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.UTC) if value is not None else None


def _progress_fields(case: Case, now: dt.datetime, today: dt.date) -> dict[str, Any]:
    return {
        "case_number": case.case_number,
        "status": case.status,
        "status_name": STATUS_NAMES[case.status],
        "submitted_at": case.submitted_at.astimezone(dt.UTC),
        "owner_assigned": case.owner_id is not None,
        "respond_due_at": case.respond_due_at.astimezone(dt.UTC),
        "coordinate_due_on": case.coordinate_due_on,
        "close_due_on": case.close_due_on,
        "taken_at": _utc(case.taken_at),
        "responded_at": _utc(case.responded_at),
        "coordinated_at": _utc(case.coordinated_at),
        "closed_at": _utc(case.closed_at),
        "overdue": bool(overdue_steps(case, now, today)),
        "handling_rated": case.handling_level is not None,
    }


def _detail(
    case: Case, now: dt.datetime, today: dt.date, events: list[CaseEvent] | None
) -> CaseDetail:
    return CaseDetail(
        **_progress_fields(case, now, today),
        id=case.id, kiosk_id=case.kiosk_id, ticket_id=case.ticket_id,
        tried_normal_channel=case.tried_normal_channel,
        overlapping_duties=case.overlapping_duties, policy_room=case.policy_room,
        categories=json.loads(case.categories), description=case.description,
        phone_masked=case.phone_masked, owner_id=case.owner_id,
        item_id=case.item_id, not_in_catalog=case.not_in_catalog, severity=case.severity,
        handling_level=case.handling_level,
        overdue_steps=overdue_steps(case, now, today),
        events=None if events is None else [
            CaseEventOut(kind=e.kind, staff_id=e.staff_id, note=e.note, at=e.at.astimezone(dt.UTC))
            for e in events
        ],
    )  # fmt: skip


def _created(case: Case, now: dt.datetime, today: dt.date) -> CaseCreated:
    return CaseCreated(
        **_progress_fields(case, now, today),
        categories=json.loads(case.categories),
        phone_masked=case.phone_masked or "",  # "" only for a retry of a case closed since
        item_id=case.item_id,
        not_in_catalog=case.not_in_catalog,
        severity=case.severity,  # type: ignore[arg-type]
    )


# -- intake -------------------------------------------------------------------------------
def _screen(body: CaseIn, settings: FeedbackSettings) -> tuple[str, list[str]]:
    """Phone and categories, validated; Rejected (422) with a reason the citizen can read."""
    if not body.privacy_consent:
        raise Rejected(
            422,
            "consent_required",
            "请阅读并同意个人信息保护说明后再提交，我们只用电话号码回访您。",
        )
    if not (body.tried_normal_channel or body.overlapping_duties or body.policy_room):
        raise Rejected(
            422,
            "no_acceptance_condition",
            "办不成事反映需要至少符合一项受理条件：" + "；".join(CONDITIONS.values()) + "。"
            "如果还没有在窗口办理，请先取号到对应窗口办理。",
            conditions=CONDITIONS,
        )
    categories = list(dict.fromkeys(c.strip() for c in body.categories if c.strip()))
    if not categories:
        raise Rejected(
            422, "category_required", "请至少选择一个问题类别。",
            allowed=list(settings.case_categories),
        )  # fmt: skip
    unknown = [c for c in categories if c not in settings.case_categories]
    if unknown:
        raise Rejected(
            422, "unknown_category", "问题类别不在可选范围内：" + "、".join(unknown),
            allowed=list(settings.case_categories),
        )  # fmt: skip
    if body.item_id is not None and body.not_in_catalog:
        raise Rejected(422, "item_conflict", "请选择一个事项，或说明事项不在目录中，二者选一。")
    phone = normalize_phone(body.phone)
    if phone is None:
        raise Rejected(422, "invalid_phone", "请填写正确的11位手机号码，方便工作人员回访。")
    return phone, categories


def _by_key(session: Session, kiosk_id: str, key: str) -> Case | None:
    return session.scalar(
        select(Case).where(Case.kiosk_id == kiosk_id, Case.idempotency_key == key)
    )


def create_case(
    engine: Engine,
    settings: FeedbackSettings,
    phone_key: bytes,
    kiosk_id: str,
    body: CaseIn,
    now: dt.datetime,
    keys: HallKeys,
) -> tuple[Case, bool]:
    """Screen, number and store a case, or return the one this key already created
    (a retry gets its case even if the screening rules changed meanwhile)."""

    day = settings.local_day(now)  # numbers follow the day the server accepts the case

    def work(session: Session) -> tuple[Case, bool]:
        existing = _by_key(session, kiosk_id, body.idempotency_key)
        if existing is not None:
            return existing, False
        phone, categories = _screen(body, settings)
        description = scrub_text(body.description.strip())
        if not description:
            raise Rejected(422, "description_required", "请简单描述您遇到的问题。")
        submitted = now
        if body.submitted_at is not None:
            if body.submitted_at > now + dt.timedelta(seconds=settings.clock_skew_s):
                raise Rejected(
                    422, "submitted_at_in_future", "提交时间晚于服务器时间：请检查终端时钟。"
                )
            submitted = min(body.submitted_at, now)
        start_day = settings.local_day(submitted)
        if body.ticket_id is not None and session.get(Ticket, body.ticket_id) is None:
            raise Rejected(404, "ticket_not_found", "没有找到这张票。")
        seq = next_case_seq(session, day)
        case = Case(
            case_number=format_case_number(settings.case_prefix, day, seq), day=day, seq=seq,
            kiosk_id=kiosk_id, idempotency_key=body.idempotency_key, ticket_id=body.ticket_id,
            tried_normal_channel=body.tried_normal_channel,
            overlapping_duties=body.overlapping_duties, policy_room=body.policy_room,
            categories=json.dumps(categories, ensure_ascii=False), description=description,
            phone_masked=mask_mobile(phone), phone_hash=hash_phone(phone_key, phone),
            status="submitted", submitted_at=submitted, received_at=now,
            item_id=body.item_id, not_in_catalog=body.not_in_catalog, severity=body.severity,
            respond_due_at=submitted
            + dt.timedelta(hours=settings.respond_hours_for(body.severity)),
            coordinate_due_on=settings.calendar.add_working_days(
                start_day, settings.case_coordinate_days
            ),
            close_due_on=settings.calendar.add_working_days(start_day, settings.case_close_days),
        )  # fmt: skip
        case.phone_ciphertext = keys.encrypt_phone(phone, case.case_number)
        case.phone_tail_hash = hash_tail(phone_key, case.case_number, phone[-4:])
        session.add(case)
        session.flush()
        return case, True

    try:
        case, created = run_transaction(engine, work)
    except IntegrityError:
        with transaction(engine, readonly=True) as session:
            found = _by_key(session, kiosk_id, body.idempotency_key)
        if found is None:
            raise
        log.info("concurrent retry of case %s lost the race; returning it", found.case_number)
        return found, False
    if created:
        log.info("case %s from kiosk %s (%s)", case.case_number, kiosk_id, case.severity)
    return case, created


# -- supervisor alerts --------------------------------------------------------------------
def urgent_case_alerts(engine: Engine, now: dt.datetime) -> list[dict[str, str]]:
    """Alerts for the staff monitoring page: every open case above ordinary severity that
    nobody has taken yet, with its response deadline (no personal data)."""
    query = (
        select(Case)
        .where(
            Case.status == "submitted",
            Case.owner_id.is_(None),
            Case.severity.in_(CASE_ALERT_SEVERITIES),
        )
        .order_by(Case.respond_due_at, Case.id)
        .limit(50)
    )
    with transaction(engine, readonly=True) as session:
        cases = list(session.scalars(query))
    alerts = []
    for case in cases:
        minutes = max(0, int((case.respond_due_at - now).total_seconds() // 60))
        level = CASE_SEVERITIES.get(case.severity, case.severity)
        alerts.append({
            "group_id": f"case:{case.case_number}",
            "text": f"{level}办不成事 {case.case_number} 待受理，{minutes} 分钟内须响应",
            "text_en": f"{case.severity.replace('_', ' ')} unresolved-matter case"
            f" {case.case_number} not taken; respond within {minutes} min",
        })  # fmt: skip
    return alerts


# -- staff events -------------------------------------------------------------------------
def apply_event(
    session: Session, case: Case, body: CaseEventIn, staff_id: int, now: dt.datetime
) -> None:
    """One step of the case by one member of staff; Rejected when the rules refuse it."""
    note = scrub_text((body.note or "").strip()) or None  # staff notes: scrubbed too
    if body.kind == "take":
        if case.owner_id is not None:
            if case.owner_id == staff_id:
                return  # taking twice is harmless
            raise Rejected(
                409, "already_owned", f"case {case.case_number} is owned by staff {case.owner_id}"
            )
        case.owner_id, case.taken_at, case.status = staff_id, now, "taken"
    else:
        if case.owner_id != staff_id:
            raise Rejected(403, "not_owner", "only the case's owner records its steps (首接负责制)")
        if note is None:
            raise Rejected(422, "note_required", f"{body.kind} needs a note")
        if body.kind == "respond":
            if case.status != "taken":
                raise Rejected(409, "invalid_step", f"cannot respond: case is {case.status}")
            case.responded_at, case.status = now, "responded"
        elif body.kind == "coordinate":
            if case.status not in ("responded", "coordinating"):
                raise Rejected(409, "invalid_step", f"cannot coordinate: case is {case.status}")
            case.coordinated_at = case.coordinated_at or now
            case.status = "coordinating"
        else:  # close
            if case.status not in ("responded", "coordinating"):
                raise Rejected(409, "invalid_step", f"cannot close: case is {case.status}")
            case.closed_at, case.status = now, "closed"
            # the call-backs are done: nothing of the phone number stays
            case.phone = case.phone_ciphertext = case.phone_masked = case.phone_hash = None
    session.add(CaseEvent(case_id=case.id, kind=body.kind, staff_id=staff_id, note=note, at=now))
    log.info("case %s: %s by staff %d", case.case_number, body.kind, staff_id)


# -- routes -------------------------------------------------------------------------------
Settings = Annotated[FeedbackSettings, Depends(get_settings)]
CaseNumber = Annotated[str, Path(pattern=CASE_NUMBER_PATTERN, description="e.g. BC20261123-0007")]


def _phone_key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "case_phone_hash_key", None)
    if key is None:
        raise RuntimeError("hall.feedback.feedback_router(app) was not called")
    return key


def _load(session: Session, case_number: str, *, lock: bool = False) -> Case:
    query = select(Case).where(Case.case_number == case_number)
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise Rejected(404, "case_not_found", f"没有找到反映编号 {case_number}，请核对。")
    return case


@router.get("/options", response_model=CaseOptions)
def case_options(_who: AnyPrincipal, settings: Settings) -> CaseOptions:
    """Acceptance conditions, categories and time limits, for the intake screens."""
    return CaseOptions(
        conditions=CONDITIONS,
        categories=list(settings.case_categories),
        description_max=DESCRIPTION_MAX,
        respond_hours=settings.case_respond_hours,
        severities=CASE_SEVERITIES,
        severity_respond_hours={s: settings.respond_hours_for(s) for s in CASE_SEVERITIES},
        coordinate_working_days=settings.case_coordinate_days,
        close_working_days=settings.case_close_days,
    )


@router.post(
    "",
    response_model=CaseCreated,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": CaseCreated, "description": "retry: the case this key already created"},
        403: {"description": "not a kiosk token"},
        422: {
            "description": "code consent_required, no_acceptance_condition, category_required,"
            " unknown_category, item_conflict, invalid_phone, description_required; or invalid body"
        },
    },
)
def post_case(
    body: CaseIn, response: Response, kiosk: KioskPrincipal, request: Request, settings: Settings
) -> Any:
    """Report a matter that could not be done (kiosk token). Retrying with the key is safe."""
    if body.kiosk_id is not None and body.kiosk_id != kiosk.id:
        return Rejected(403, "kiosk_mismatch", "kiosk_id does not match the token").response()
    now = request_now(request)
    try:
        case, created = create_case(
            request.app.state.engine,
            settings,
            _phone_key(request),
            kiosk.id,
            body,
            now,
            request.app.state.keys,
        )
    except Rejected as exc:
        return exc.response()
    if not created:
        response.status_code = status.HTTP_200_OK
    from hall.case_page import case_url  # the page module builds on this one

    created_body = _created(case, now, settings.local_day(now))
    return created_body.model_copy(update={"public_url": case_url(request.app, case.case_number)})


@router.get("", response_model=list[CaseDetail])
def list_cases(
    staff: StaffPrincipal,
    request: Request,
    settings: Settings,
    state: Literal["open", "closed", "all"] = "open",
    overdue: bool = False,
    mine: bool = False,
) -> list[CaseDetail]:
    """Cases for staff, oldest first; ``overdue=true`` only those past a time limit,
    ``mine=true`` only the caller's."""
    now = request_now(request)
    today = settings.local_day(now)
    query = select(Case).order_by(Case.submitted_at, Case.id).limit(500)
    if state == "open":
        query = query.where(Case.status != "closed")
    elif state == "closed":
        query = query.where(Case.status == "closed")
    if overdue:
        query = query.where(_overdue_condition(now, today))
    if mine:
        query = query.where(Case.owner_id == int(staff.id))
    with transaction(request.app.state.engine, readonly=True) as session:
        return [_detail(c, now, today, None) for c in session.scalars(query)]


@router.get("/{case_number}", response_model=CaseProgress)
def case_progress(
    case_number: CaseNumber, _who: AnyPrincipal, request: Request, settings: Settings
) -> Any:
    """Progress by case number (kiosk or staff token): status and times only."""
    now = request_now(request)
    try:
        with transaction(request.app.state.engine, readonly=True) as session:
            case = _load(session, case_number)
    except Rejected as exc:
        return exc.response()
    return CaseProgress(**_progress_fields(case, now, settings.local_day(now)))


@router.get("/{case_number}/detail", response_model=CaseDetail)
def case_detail(
    case_number: CaseNumber, _staff: StaffPrincipal, request: Request, settings: Settings
) -> Any:
    """Everything about a case but the full phone number (staff token)."""
    now = request_now(request)
    try:
        with transaction(request.app.state.engine, readonly=True) as session:
            case = _load(session, case_number)
            events = list(
                session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
            )
    except Rejected as exc:
        return exc.response()
    return _detail(case, now, settings.local_day(now), events)


@router.get(
    "/{case_number}/contact",
    response_model=CaseContact,
    responses={403: {"description": "not the owner"}, 410: {"description": "erased (closed)"}},
)
def case_contact(case_number: CaseNumber, staff: StaffPrincipal, request: Request) -> Any:
    """The citizen's full phone number, for the case's owner only; each view is recorded."""
    now = request_now(request)
    try:
        with transaction(request.app.state.engine) as session:
            case = _load(session, case_number)
            if case.owner_id != int(staff.id):
                raise Rejected(403, "not_owner", "only the case's owner may call the citizen")
            if case.phone_ciphertext is None:
                raise Rejected(410, "erased", "the phone number was erased when the case closed")
            session.add(
                CaseEvent(case_id=case.id, kind="contact_viewed", staff_id=int(staff.id), at=now)
            )
            keys: HallKeys = request.app.state.keys
            phone = keys.decrypt_phone(case.phone_ciphertext, case.case_number)
    except Rejected as exc:
        return exc.response()
    log.info("case %s: contact viewed by staff %s", case_number, staff.id)
    return CaseContact(case_number=case_number, phone=phone)


@router.post(
    "/{case_number}/events",
    response_model=CaseDetail,
    responses={
        403: {"description": "code not_owner"},
        404: {"description": "no such case"},
        409: {"description": "code already_owned or invalid_step"},
        422: {"description": "code note_required"},
    },
)
def post_event(
    case_number: CaseNumber,
    body: CaseEventIn,
    staff: StaffPrincipal,
    request: Request,
    settings: Settings,
) -> Any:
    """take (首接: become the owner), respond, coordinate, close — with a note (staff)."""
    now = request_now(request)
    try:
        with transaction(request.app.state.engine) as session:
            case = _load(session, case_number, lock=True)
            apply_event(session, case, body, int(staff.id), now)
            session.flush()
            events = list(
                session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
            )
            return _detail(case, now, settings.local_day(now), events)
    except Rejected as exc:
        return exc.response()


def not_ratable_at_kiosk(case: Case, now: dt.datetime) -> Rejected:
    """Why a closed case without its phone-tail hash cannot be rated at the kiosk: the
    rating period is over (the daily purge deleted the hash ``HALL_CASE_CITIZEN_LINK_DAYS``
    after closing, hall/retention.py), or the case never had one."""
    days = retention_settings().case_citizen_link_days
    if case.closed_at is not None and now - case.closed_at >= dt.timedelta(days=days):
        return Rejected(409, "rating_closed", "这件反映的评价期已过，谢谢您的关注！")
    return Rejected(409, "not_ratable", "这件反映无法在本机评价，请到窗口办理。")


@router.post(
    "/{case_number}/handling-rating",
    response_model=CaseHandlingRated,
    responses={
        403: {"description": "code tail_mismatch (or not a kiosk token)"},
        404: {"description": "no such case"},
        409: {"description": "code not_closed, already_rated, rating_closed or not_ratable"},
        429: {"description": "code too_many_tries"},
    },
)
def rate_handling(
    case_number: CaseNumber, body: CaseHandlingRatingIn, _kiosk: KioskPrincipal, request: Request
) -> Any:
    """The citizen rates how their closed case was handled (kiosk token; number + tail)."""
    now = request_now(request)
    key = _phone_key(request)
    try:
        with transaction(request.app.state.engine) as session:
            case = _load(session, case_number, lock=True)
            if case.handling_level is not None:
                where = "（已在手机上评价）" if case.handling_channel == "phone" else ""
                raise Rejected(409, "already_rated", f"这件反映已经评价过了{where}，谢谢您！")
            if case.status != "closed":
                raise Rejected(409, "not_closed", "反映办结后才能评价办理情况。")
            if case.phone_tail_hash is None:
                raise not_ratable_at_kiosk(case, now)
            if case.tail_failures >= TAIL_TRIES:
                raise Rejected(429, "too_many_tries", "尝试次数过多，请到办不成事反映窗口评价。")
            if not hmac.compare_digest(
                case.phone_tail_hash, hash_tail(key, case.case_number, body.phone_tail)
            ):
                case.tail_failures += 1
                failed = Rejected(403, "tail_mismatch", "手机号后四位不对，请核对。")
            else:
                case.handling_level, case.handling_rated_at = body.level, now
                case.handling_channel = "kiosk"
                case.phone_tail_hash = None  # rated once: nothing of the number is left
                failed = None
        if failed is not None:
            raise failed
    except Rejected as exc:
        return exc.response()
    log.info("case %s: handling rated", case_number)
    return CaseHandlingRated(case_number=case_number, level=body.level, rated_at=now)
