"""Window evaluators (现场评价器) ``/rate/``: a tablet at each window, bound to its counter.

``python -m hall add-evaluator COUNTER`` registers the counter's evaluator (or rotates its
token) and prints the device token; the tablet opens ``/rate/#token=TOKEN`` once (the
fragment never reaches the server or its logs; the page keeps the token in its local
storage and drops it from the address).

Idle, the page shows the counter, the member of staff on duty (signed in at the counter,
else whoever last called a ticket there today: name, and 工号 where the account has one) and the hall's service commitments (``HALL_SERVICE_COMMITMENTS``, separated by
"；"). It listens to the board stream for its counter (``/api/v1/board/events?counter=``);
when the counter completes a ticket it shows that ticket's number and the five levels, and
a bad review asks for reasons — the kiosk's rules and vocabularies (``hall.ratings``,
``hall.feedback_settings``), not a copy.

Rules:

- the device token rates only its own counter's last completed ticket of the day, and only
  within ``HALL_EVALUATOR_RATE_WINDOW_S`` seconds (default 300) of its completion; the page
  names the ticket it shows, and a rating for any other ticket gets 409;
- the rating goes into the one rating chain with channel ``window``; a ticket has one
  rating across channels, so a second one (kiosk or window) gets 409 ``already_rated``;
- the evaluator is stored as a kiosk row of the same id (``evaluator-COUNTER``) whose own
  token is never handed out: its ratings have a device like every rating, and the
  evaluator token cannot issue tickets or rate as a kiosk. Staff tokens are refused (401).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.api import RatingIn
from contract.fields import Key, line, text
from contract.vocab import BAD_LEVELS, COMMENT_MAX, LEVEL_NAMES_ZH, LEVELS, MAX_REASONS, Level
from hall.board import SECURITY_HEADERS, _page
from hall.citizen_page import RATING_CHOICES
from hall.db import dialect_insert, hash_token, make_engine, new_token, run_transaction, transaction
from hall.events import HallEvent, publish
from hall.feedback_settings import current_settings
from hall.models import CounterState, Evaluator, Kiosk, Rating, Staff, Ticket
from hall.numbering import service_day
from hall.rating_rules import Rejected
from hall.rating_store import submit_rating

CHANNEL = "window"
RATE_WINDOW_ENV = "HALL_EVALUATOR_RATE_WINDOW_S"
DEFAULT_RATE_WINDOW_S = 300
COMMITMENTS_ENV = "HALL_SERVICE_COMMITMENTS"
DEFAULT_COMMITMENTS = ("一次性告知", "首问负责", "限时办结", "文明服务，不推诿")

router = APIRouter(tags=["evaluator"])
_bearer = HTTPBearer(auto_error=False, description="window evaluator token (add-evaluator)")


def evaluator_id(counter: str) -> str:
    return f"evaluator-{counter}"


def add_evaluator(database_url: str, counter: str, known_counters: set[str]) -> str:
    """Register the evaluator of ``counter`` (or rotate its token); return the token."""
    if counter not in known_counters:
        raise ValueError(
            f"unknown counter {counter!r}; counters of the catalog: "
            + ", ".join(sorted(known_counters, key=lambda c: (len(c), c)))
        )
    token = new_token()
    now = dt.datetime.now(dt.UTC)
    device_id = evaluator_id(counter)
    engine = make_engine(database_url)

    def work(session: Session) -> None:
        kiosk = dialect_insert(engine, Kiosk).values(
            # a token nobody gets: the row only anchors the evaluator's ratings
            id=device_id,
            token_hash=hash_token(new_token()),
            created_at=now,
            token_rotated_at=now,
        )
        session.execute(kiosk.on_conflict_do_nothing(index_elements=["id"]))
        stmt = dialect_insert(engine, Evaluator).values(
            id=device_id, counter=counter, token_hash=hash_token(token), created_at=now
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={"token_hash": stmt.excluded.token_hash}
            )
        )

    try:
        run_transaction(engine, work)
    finally:
        engine.dispose()
    return token


def rate_window_s() -> int:
    try:
        return max(10, int(os.environ.get(RATE_WINDOW_ENV) or DEFAULT_RATE_WINDOW_S))
    except ValueError:
        return DEFAULT_RATE_WINDOW_S


def commitments() -> list[str]:
    raw = os.environ.get(COMMITMENTS_ENV)
    if not raw:
        return list(DEFAULT_COMMITMENTS)
    return [c.strip()[:40] for c in raw.replace(";", "；").split("；") if c.strip()][:8]


# -- authorization: the device token --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Device:
    id: str
    counter: str


def _device(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Device:
    if credentials is None:
        raise HTTPException(401, "需要评价器令牌", headers={"WWW-Authenticate": "Bearer"})
    digest = hash_token(credentials.credentials[:200])
    with transaction(request.app.state.engine, readonly=True) as session:
        row = session.execute(
            select(Evaluator.id, Evaluator.counter).where(Evaluator.token_hash == digest)
        ).first()
    if row is None:
        raise HTTPException(
            401, "评价器令牌无效（请用 python -m hall add-evaluator 重新生成）",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return Device(row.id, row.counter)


DeviceDep = Annotated[Device, Depends(_device)]


# -- state -----------------------------------------------------------------------------------
def _last_completed(session: Session, counter: str, day: dt.date) -> Ticket | None:
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.counter == counter,
            Ticket.service_day == day,
            Ticket.status == "completed",
            Ticket.completed_at.is_not(None),
        )
        .order_by(Ticket.completed_at.desc(), Ticket.called_at.desc(), Ticket.seq.desc())
        .limit(1)
    )


def _staff_on_duty(session: Session, counter: str, day: dt.date) -> dict[str, Any] | None:
    """Who is signed in at the counter (``counter_state``), else who last called there
    today: name and 工号 (staff number, when the account has one)."""
    state = session.get(CounterState, counter)
    staff_id = state.staff_id if state is not None else None
    if staff_id is None:
        staff_id = session.scalar(
            select(Ticket.staff_id)
            .where(
                Ticket.counter == counter, Ticket.service_day == day, Ticket.called_at.is_not(None)
            )
            .order_by(Ticket.called_at.desc())
            .limit(1)
        )
    if staff_id is None:
        return None
    staff = session.get(Staff, staff_id)
    if staff is None:
        return None
    return {"name": staff.name, "staff_number": staff.number}


def _rated(session: Session, ticket_id: str) -> bool:
    return (
        session.scalar(select(Rating.id).where(Rating.ticket_id == ticket_id).limit(1)) is not None
    )


def evaluator_state(app: Any, device: Device, now: dt.datetime) -> dict[str, Any]:
    day = service_day(now, app.state.queue.tz)
    settings = current_settings(app)
    with transaction(app.state.engine, readonly=True) as session:
        staff = _staff_on_duty(session, device.counter, day)
        ticket = _last_completed(session, device.counter, day)
        pending = None
        if ticket is not None and ticket.completed_at is not None:
            expires = ticket.completed_at + dt.timedelta(seconds=rate_window_s())
            if now < expires and not _rated(session, ticket.id):
                pending = {
                    "ticket_number": ticket.number,
                    "completed_at": ticket.completed_at.astimezone(dt.UTC).isoformat(),
                    "expires_at": expires.astimezone(dt.UTC).isoformat(),
                }
    return {
        "counter": device.counter,
        "staff": staff,
        "commitments": commitments(),
        "pending": pending,
        "levels": [{"level": lv, "name": LEVEL_NAMES_ZH[lv]} for lv in LEVELS],
        "bad_levels": [lv for lv in LEVELS if lv in BAD_LEVELS],
        "reasons": list(settings.reasons),
        "comment_max": COMMENT_MAX,
    }


@router.get("/api/v1/evaluator/state")
async def get_evaluator_state(device: DeviceDep, request: Request) -> dict[str, Any]:
    """The evaluator's screen: counter, staff on duty, commitments, the ticket to rate.

    Authorization: the evaluator's device token; it sees only its own counter.
    """
    return await run_in_threadpool(evaluator_state, request.app, device, request.app.state.clock())


# -- rating ----------------------------------------------------------------------------------
class WindowRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_number: str = Field(pattern=r"^[A-Za-z]{1,8}\d{1,6}$", description="as shown")
    idempotency_key: Key
    level: Level
    reasons: list[line(64)] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: text(COMMENT_MAX) | None = None


def rate(app: Any, device: Device, body: WindowRatingIn, now: dt.datetime) -> Any:
    day = service_day(now, app.state.queue.tz)
    with transaction(app.state.engine, readonly=True) as session:
        ticket = _last_completed(session, device.counter, day)
        if ticket is None or ticket.number != body.ticket_number.upper():
            raise Rejected(
                409,
                "not_this_counters_ticket",
                f"{body.ticket_number} 号不是本窗口刚办结的业务，不能在这里评价。",
                ticket_number=body.ticket_number,
            )
        assert ticket.completed_at is not None
        if now > ticket.completed_at + dt.timedelta(seconds=rate_window_s()):
            raise Rejected(
                409,
                "rating_window_closed",
                f"{ticket.number} 号办结已超过 {rate_window_s() // 60} 分钟，请到自助终端评价。",
                ticket_number=ticket.number,
            )
        ticket_id, number, group = ticket.id, ticket.number, ticket.window_group
    settings = dataclasses.replace(current_settings(app), channel=CHANNEL)
    rating_in = RatingIn(
        idempotency_key=body.idempotency_key,
        ticket_id=ticket_id,
        level=body.level,
        reasons=body.reasons,
        comment=body.comment,
    )
    rating, created = submit_rating(app.state.engine, settings, device.id, rating_in, now)
    if created:
        publish(
            app,
            HallEvent(
                "rating", now.astimezone(dt.UTC), ticket_number=number,
                counter_id=device.counter, group_id=group, extra={"channel": CHANNEL},
            ),
        )  # fmt: skip
    return rating, created


@router.post(
    "/api/v1/evaluator/ratings",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "retry: the rating this key already made"},
        401: {"description": "not an evaluator token"},
        409: {
            "description": "already_rated (by any channel), not_this_counters_ticket,"
            " rating_window_closed; detail is a message for the citizen"
        },
        422: {"description": "reasons_required, unknown_reason, or invalid body"},
    },
)
async def create_window_rating(
    body: WindowRatingIn, device: DeviceDep, request: Request, response: Response
) -> Any:
    """Rate this counter's ticket just completed (window channel).

    Authorization: the evaluator's device token, and only for the last ticket its own
    counter completed, within the rating window.
    """
    try:
        rating, created = await run_in_threadpool(
            rate, request.app, device, body, request.app.state.clock()
        )
    except Rejected as exc:
        return exc.response()
    if not created:
        response.status_code = status.HTTP_200_OK
    return rating


RATE_BODY = f"""
<header class="top">
  <h1><span data-zh="窗口" data-en="Counter">窗口</span> <span id="counter">…</span></h1>
  <button id="lang" type="button">English</button>
</header>
<div id="conn" class="conn" role="alert" hidden
     data-zh="连接中断，正在重连" data-en="Connection lost, reconnecting">连接中断，正在重连</div>
<div id="setup" class="setup" hidden data-zh="本评价器尚未绑定窗口：请打开 /rate/#token=令牌（python -m hall add-evaluator 窗口号）" data-en="Not bound to a counter: open /rate/#token=TOKEN (python -m hall add-evaluator COUNTER)"></div>
<main>
  <section id="idle">
    <p class="staff"><span data-zh="当班人员" data-en="Staff on duty">当班人员</span>：<span id="staff">—</span></p>
    <h2 data-zh="服务承诺" data-en="Our commitments">服务承诺</h2>
    <ul id="commitments"></ul>
  </section>
  <section id="rate" hidden>
    <h2><span id="rate-number"></span> <span data-zh="号，请您评价本次服务" data-en=": please rate this service">号，请您评价本次服务</span></h2>
{RATING_CHOICES}
  </section>
  <section id="done" hidden><h2 id="done-text"></h2></section>
</main>
"""


@router.get("/rate/", include_in_schema=False)
def rate_page() -> Response:
    """The evaluator page (public shell; every API call needs the device token)."""
    return HTMLResponse(
        _page("服务评价 Rate our service", RATE_BODY, "rate.css", "citizen.js", "rate.js"),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )
