"""A 办不成事 case's page on the citizen's phone: the printed case slip's QR opens it.

The QR holds ``HALL_PUBLIC_URL`` + ``/c/<case number>/<signature>``. The signature is an
HMAC-SHA256 (first 16 bytes, base64url, 22 characters) of the case number under a key
derived from the key file's session key (``signing_key``; a purpose of its own, so a
ticket's phone-link signature never opens a case page and the other way round). A case
lives for days, not one service day, so the link has no day in it: it works as long as the
case exists. Without ``HALL_PUBLIC_URL`` no link is made and the slip has no QR.

Routes (all public, so all defended: the phone page's per-address token bucket,
``HALL_PHONE_RATE_PER_S`` / ``HALL_PHONE_BURST``, 429 with ``Retry-After``):

- ``GET /c/{case_number}/{sig}`` — the page (375×667 and up, text ≥ 16 px, Chinese with
  English on one tap, no external resources, the staff page's CSP). A wrong signature, a
  malformed number or an unknown case gets the same plain 404 page as the ticket page.
- ``GET /c/{case_number}/{sig}/state`` — the case's progress: number, status, the matter
  (its catalog name, or 不在事项库), when it was received, taken, each step (respond,
  coordinate, close) with its time, the time limits, and whether the handling can be rated.
  Never the citizen's words, phone or anything about them, never a staff name or a note.
- ``POST /c/{case_number}/{sig}/rating`` ``{"level": …}`` — once the case is closed, the
  citizen's rating of how it was handled, same levels as the kiosk's (``contract.vocab``),
  one per case across both channels: 201; 409 ``already_rated`` (saying where: at the
  kiosk or on a phone), ``not_closed``, or ``rating_closed`` (the rating period is over:
  the phone tail's hash was purged ``HALL_CASE_CITIZEN_LINK_DAYS`` after closing, or the
  case predates ratings). Stored as the kiosk's rating is (``handling_level``,
  ``handling_rated_at``), with ``handling_channel = "phone"``; the tail hash goes with it.
- ``GET /case-page/static/{name}`` — the page's script and style.

Authorization: the signature is the capability — whoever holds the slip's link may see that
case's progress and rate its handling once. The kiosk asks for the phone's last 4 digits
because anyone may type a case number there; the link needs no such proof, and the slip
that carries it prints the masked phone number (with those 4 digits) anyway.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from contract.links import SIG_PATTERN, link_signature
from contract.vocab import LEVEL_NAMES_ZH, LEVELS, Level
from hall.cases import CASE_NUMBER_PATTERN, STATUS_NAMES, matter_names
from hall.citizen_page import html_page, not_found_page, page_html, static_file
from hall.db import transaction
from hall.models import Case, CaseEvent
from hall.phone import rate_limited
from hall.rating_rules import Rejected

log = logging.getLogger(__name__)

SECRET_NAME = "case_link"
_NUMBER = re.compile(CASE_NUMBER_PATTERN.rstrip("$") + r"\Z")
_SIG = re.compile(SIG_PATTERN)
STEP_KINDS = ("take", "respond", "coordinate", "close")
"""The steps a citizen sees (never a contact view, a note or who did it)."""
STATUS_NAMES_EN = {
    "submitted": "Received, waiting to be taken",
    "taken": "Taken by a member of staff",
    "responded": "Responded",
    "coordinating": "Being coordinated",
    "closed": "Closed",
}
STATIC_TYPES = {
    "case.js": "text/javascript; charset=utf-8",
    "case.css": "text/css; charset=utf-8",
}

router = APIRouter(tags=["phone"])


# -- the signature ----------------------------------------------------------------------------
def signing_key(app: Any) -> bytes:
    """Derived from the key file's session key (hall/keys.py); never stored."""
    key: bytes = app.state.keys.subkey(SECRET_NAME)
    return key


def sign(key: bytes, case_number: str) -> str:
    return link_signature(key, f"case-link:v1:{case_number}")


def case_url(app: Any, case_number: str) -> str | None:
    """The case's signed phone link, or None when ``HALL_PUBLIC_URL`` is not set."""
    base = getattr(app.state, "public_url", None)
    if not base:
        return None
    return f"{base}/c/{case_number}/{sign(signing_key(app), case_number)}"


def valid(app: Any, case_number: str, sig: str) -> bool:
    if not (_NUMBER.match(case_number) and _SIG.match(sig)):
        return False
    return hmac.compare_digest(sign(signing_key(app), case_number), sig)


# -- what the page shows ----------------------------------------------------------------------
def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _local(app: Any, value: dt.datetime | None) -> str | None:
    """The hall's local time as the page shows it (no time-zone work in the browser)."""
    if value is None:
        return None
    return value.astimezone(app.state.queue.tz).strftime("%Y-%m-%d %H:%M")


def _rating_state(case: Case) -> str:
    if case.handling_level is not None:
        return "rated"
    if case.status != "closed":
        return "later"
    return "open" if case.phone_tail_hash is not None else "closed"


def case_state(app: Any, case_number: str) -> dict[str, Any]:
    with transaction(app.state.engine, readonly=True) as session:
        case = session.scalar(select(Case).where(Case.case_number == case_number))
        if case is None:
            raise HTTPException(404, "not found")
        steps = [
            {"kind": kind, "at": _utc(at), "at_text": _local(app, at)}
            for kind, at in session.execute(
                select(CaseEvent.kind, CaseEvent.at)
                .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(STEP_KINDS))
                .order_by(CaseEvent.id)
                .limit(50)
            )
        ]
    matter, matter_en = matter_names(
        getattr(app.state, "catalog", None), case.item_id, case.not_in_catalog
    )
    return {
        "case_number": case.case_number,
        "status": case.status,
        "status_name": STATUS_NAMES[case.status],
        "status_name_en": STATUS_NAMES_EN[case.status],
        "matter": matter,
        "matter_en": matter_en,
        "submitted_at": _utc(case.submitted_at),
        "submitted_text": _local(app, case.submitted_at),
        "respond_due_text": _local(app, case.respond_due_at),
        "taken_at": _utc(case.taken_at),
        "responded_at": _utc(case.responded_at),
        "coordinated_at": _utc(case.coordinated_at),
        "closed_at": _utc(case.closed_at),
        "respond_due_at": _utc(case.respond_due_at),
        "close_due_on": case.close_due_on.isoformat(),
        "steps": steps,
        "rating": {
            "state": _rating_state(case),
            "level": case.handling_level,
            "channel": case.handling_channel,
            "levels": [{"level": lv, "name": LEVEL_NAMES_ZH[lv]} for lv in LEVELS],
        },
    }


# -- rating -----------------------------------------------------------------------------------
class CaseRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Level


def already_rated(channel: str | None) -> Rejected:
    if channel == "kiosk":
        zh = "这件反映已经在大厅的自助终端评价过了。每件反映只能评价一次，谢谢您！"
        en = "This case was already rated at a kiosk in the hall. A case is rated once only."
    else:
        zh = "这件反映已经评价过了。每件反映只能评价一次，谢谢您！"
        en = "This case has already been rated. A case is rated once only."
    return Rejected(409, "already_rated", zh, detail_en=en, channel=channel)


def rate(app: Any, case_number: str, level: str, now: dt.datetime) -> dict[str, Any]:
    with transaction(app.state.engine) as session:
        case = session.scalar(select(Case).where(Case.case_number == case_number).with_for_update())
        if case is None:
            raise HTTPException(404, "not found")
        if case.handling_level is not None:
            raise already_rated(case.handling_channel)
        if case.status != "closed":
            raise Rejected(
                409, "not_closed", "反映办结后才能评价办理情况。",
                detail_en="The handling can be rated once the case is closed.",
            )  # fmt: skip
        if case.phone_tail_hash is None:
            raise Rejected(
                409, "rating_closed", "这件反映的评价期已过。",
                detail_en="The period for rating this case is over.",
            )  # fmt: skip
        case.handling_level, case.handling_rated_at = level, now
        case.handling_channel = "phone"
        case.phone_tail_hash = None  # rated once: nothing of the number is left
    log.info("case %s: handling rated on a phone", case_number)
    return {"case_number": case_number, "level": level, "rated_at": _utc(now)}


# -- routes -----------------------------------------------------------------------------------
# bounded and checked in ``valid`` (a malformed path is a 404 like a wrong signature, not 422)
CaseNumberPath = Annotated[str, Path()]
Sig = Annotated[str, Path()]


def _checked(request: Request, case_number: str, sig: str) -> None:
    if not valid(request.app, case_number, sig):
        raise HTTPException(404, "not found")


@router.get("/c/{case_number}/{sig}", include_in_schema=False, dependencies=[Depends(rate_limited)])
async def case_page(request: Request, case_number: CaseNumberPath, sig: Sig) -> Response:
    """The citizen's case page. Authorization: the case's valid signature."""
    if not valid(request.app, case_number, sig):
        return not_found_page()
    return html_page(PAGE)


@router.get("/c/{case_number}/{sig}/state", dependencies=[Depends(rate_limited)])
async def get_case_state(
    request: Request, response: Response, case_number: CaseNumberPath, sig: Sig
) -> dict[str, Any]:
    """The case's progress. Authorization: the case's valid signature."""
    _checked(request, case_number, sig)
    response.headers["Cache-Control"] = "no-store"
    return await run_in_threadpool(case_state, request.app, case_number)


@router.post(
    "/c/{case_number}/{sig}/rating",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limited)],
    responses={
        404: {"description": "wrong signature, or no such case"},
        409: {"description": "already_rated (at the kiosk or a phone), not_closed or"
              " rating_closed; detail (and detail_en) is a message for the citizen"},
        422: {"description": "invalid body"},
        429: {"description": "too many requests from this address"},
    },
)  # fmt: skip
async def create_case_rating(
    body: CaseRatingIn, request: Request, case_number: CaseNumberPath, sig: Sig
) -> Any:
    """Rate how this closed case was handled, once (across kiosk and phone).

    Authorization: the case's valid signature; this case only.
    """
    _checked(request, case_number, sig)
    now: dt.datetime = request.app.state.clock()
    try:
        return await run_in_threadpool(rate, request.app, case_number, body.level, now)
    except Rejected as exc:
        return exc.response()


@router.get(
    "/case-page/static/{name}", include_in_schema=False, dependencies=[Depends(rate_limited)]
)
def case_static(name: str = Path(max_length=20)) -> Response:
    """The page's script and style.

    Authorization: none — static files without any case data (rate-limited like all)."""
    return static_file(name, STATIC_TYPES)


# -- the page ---------------------------------------------------------------------------------
PAGE = page_html(
    "/case-page/static",
    "case",
    ("办不成事反映", "Case progress"),
    ("连接中断，正在重试…", "Connection lost, retrying…"),
    "polite",
    """<dl>
<dt data-zh="反映事项" data-en="Matter">反映事项</dt><dd id="matter"></dd>
<dt data-zh="受理时间" data-en="Received">受理时间</dt><dd id="received"></dd>
<dt data-zh="响应时限" data-en="Answer by">响应时限</dt><dd id="respond-due"></dd>
<dt data-zh="办结时限" data-en="Close by">办结时限</dt><dd id="close-due"></dd>
</dl>
<h2 data-zh="办理进度" data-en="Progress">办理进度</h2>
<ol id="steps" class="steps"></ol>
<section id="rate" hidden>
<h2 data-zh="请您评价这件反映的办理情况" data-en="Please rate how your case was handled">请您评价这件反映的办理情况</h2>
<div id="levels" class="levels"></div>
</section>
<p id="rate-result" class="result" role="status" hidden></p>
<p class="note" data-zh="本页面只显示办理进度，不含个人信息。每件反映只能评价一次。" data-en="This page shows the progress only and holds no personal data. A case is rated once.">本页面只显示办理进度，不含个人信息。每件反映只能评价一次。</p>
""",
)
