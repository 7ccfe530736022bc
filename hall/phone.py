"""The citizen's live page on their phone: the printed ticket's QR opens it.

The QR holds ``HALL_PUBLIC_URL`` + ``/t/<ticket id>/<signature>``. The signature is an
HMAC-SHA256 (first 16 bytes, base64url, 22 characters) of the ticket id and the ticket's
service day under a server secret (``signing_key``). It is checked against *today's*
service day in the hall's time zone, so the link stops working when the ticket's day ends
— no expiry date in the URL, and nothing personal in it (the id is a random UUID).
Without ``HALL_PUBLIC_URL`` no public link is made and tickets keep the old
``HALLTICKET:<id>`` QR (the kiosk still reads both).

Routes (all public, so all defended: every one is rate-limited per client address,
``HALL_PHONE_RATE_PER_S`` / ``HALL_PHONE_BURST``, 429 with ``Retry-After``):

- ``GET /t/{id}/{sig}`` — the page (375×667 and up, ≥ 16 px text, Chinese, English on one
  tap, no external resources, the staff page's CSP). A wrong or expired signature, or an
  unknown ticket, gets the same plain 404 page.
- ``GET /t/{id}/{sig}/state`` — number, item, window group and location, status, the
  counter when called, people ahead, estimated wait, whether it can be rated. Never the
  masked name or anything else about the person.
- ``GET /t/{id}/{sig}/events`` — Server-Sent Events from the hall's hub (``hall.events``),
  filtered to this ticket: ``ticket`` (its call, recall, transfer, missed, completion,
  hold, resume: kind and counter), ``queue`` (a call, transfer or resume in its group:
  a hint to refresh the position, at most one per ``HINT_MIN_S``), ``resync``, ``heartbeat``, and ``expired`` (then the
  stream ends) once the ticket's day is over.
- ``POST /t/{id}/{sig}/rating`` — after 办结, the rating with channel ``phone`` through
  ``hall.ratings.submit_rating`` (same rules, same chain, one rating per ticket across
  kiosk, window and phone: a second gets 409 ``already_rated`` with a message for the
  citizen). Stored with the device ``phone-page`` (a kiosk row whose token is never used).
- ``GET /phone/static/{name}`` — the page's script and style.

Authorization: the signature is the capability — whoever holds the ticket's link may see
that ticket's progress and rate it once; nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from contract.api import RatingIn, TicketOut
from contract.errors import ConfigError
from contract.vocab import BAD_LEVELS, COMMENT_MAX, LEVEL_NAMES_ZH, LEVELS, MAX_REASONS, Level
from hall.board import SECURITY_HEADERS, STATIC_DIR, heartbeat_s
from hall.db import (
    dialect_insert,
    hash_token,
    new_token,
    run_transaction,
    transaction,
)
from hall.events import RESYNC, HallEvent, publish
from hall.feedback_settings import current_settings
from hall.models import Kiosk, Rating
from hall.numbering import service_day
from hall.queue_rules import TicketNotFound
from hall.rating_rules import Rejected
from hall.rating_store import submit_rating
from hall.token_bucket import TokenBuckets

CHANNEL = "phone"
DEVICE_ID = "phone-page"
PUBLIC_URL_ENV = "HALL_PUBLIC_URL"
RATE_ENV = "HALL_PHONE_RATE_PER_S"
BURST_ENV = "HALL_PHONE_BURST"
DEFAULT_RATE_PER_S = 5.0
DEFAULT_BURST = 60
SECRET_NAME = "phone_link"
SIG_BYTES = 16
_TICKET_ID = re.compile(r"^[0-9a-fA-F-]{32,36}\Z")
_SIG = re.compile(r"^[A-Za-z0-9_-]{22}\Z")
OWN_KINDS = frozenset(
    {"call", "recall", "no_show", "complete", "transfer", "hold", "resume", "rating"}
)
QUEUE_KINDS = frozenset({"call", "transfer", "resume"})
"""Events of other tickets in its group that change the people ahead (a hint to reload)."""
HINT_MIN_S = 2.0
"""At most one position hint per phone this often (a busy group's calls are coalesced; the
page spreads its reloads over 3 s anyway); its own ticket's events are never held back."""
STATIC_TYPES = {
    "phone.js": "text/javascript; charset=utf-8",
    "phone.css": "text/css; charset=utf-8",
}

router = APIRouter(tags=["phone"])


# -- settings ---------------------------------------------------------------------------------
def public_url_from_env() -> str | None:
    """``HALL_PUBLIC_URL`` (e.g. ``https://hall.example.gov.cn``), without a trailing
    slash; None when unset. ConfigError for anything but an http(s) address."""
    raw = (os.environ.get(PUBLIC_URL_ENV) or "").strip().rstrip("/")
    if not raw:
        return None
    pattern = r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~/\-]*)?$"
    if len(raw) > 200 or not re.match(pattern, raw):  # the link must fit a small QR
        raise ConfigError(
            f"{PUBLIC_URL_ENV} must be the hall's public http(s) address,"
            f" e.g. https://hall.example.gov.cn (got {raw[:80]!r})"
        )
    return raw


def limiter_from_env() -> TokenBuckets:
    try:
        rate = float(os.environ.get(RATE_ENV) or DEFAULT_RATE_PER_S)
        burst = int(os.environ.get(BURST_ENV) or DEFAULT_BURST)
        return TokenBuckets(rate, burst)
    except ValueError:
        raise ConfigError(
            f"{RATE_ENV} must be a number > 0 and {BURST_ENV} a whole number >= 1"
        ) from None


def install(app: Any) -> None:
    """Read the settings into ``app.state`` (create_app calls it; ConfigError if bad)."""
    app.state.public_url = public_url_from_env()
    app.state.phone_limiter = limiter_from_env()


# -- the signature ----------------------------------------------------------------------------
def signing_key(app: Any) -> bytes:
    """The server secret the links are signed with (the one place it is read from): derived
    from the key file's session key (hall/keys.py), never stored in the database."""
    key: bytes = app.state.keys.subkey(SECRET_NAME)
    return key


def sign(key: bytes, ticket_id: str, day: dt.date) -> str:
    mac = hmac.new(key, f"phone-link:v1:{ticket_id}:{day.isoformat()}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:SIG_BYTES]).rstrip(b"=").decode()


def public_url(app: Any, ticket: TicketOut) -> str | None:
    """The ticket's signed phone link, or None when ``HALL_PUBLIC_URL`` is not set."""
    base = getattr(app.state, "public_url", None)
    if not base:
        return None
    return f"{base}/t/{ticket.id}/{sign(signing_key(app), ticket.id, ticket.service_day)}"


def with_public_url(app: Any, ticket: TicketOut) -> TicketOut:
    url = public_url(app, ticket)
    return ticket if url is None else ticket.model_copy(update={"public_url": url})


def valid(app: Any, ticket_id: str, sig: str, now: dt.datetime) -> bool:
    """The signature is this ticket's for today's service day (expired otherwise)."""
    if not (_TICKET_ID.match(ticket_id) and _SIG.match(sig)):
        return False
    today = service_day(now, app.state.queue.tz)
    return hmac.compare_digest(sign(signing_key(app), ticket_id, today), sig)


# -- routes -----------------------------------------------------------------------------------
async def rate_limited(request: Request) -> None:
    """Every phone route: the per-address token bucket (429 with Retry-After)."""
    await request.app.state.phone_limiter.dependency(request)


# bounded and checked in ``valid`` (a malformed path is a 404 like a wrong signature, not 422)
TicketId = Annotated[str, Path()]
Sig = Annotated[str, Path()]

NOT_FOUND_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>404</title></head><body>"
    "<p>页面不存在或已过期。Page not found or expired.</p></body></html>"
)


def not_found_page() -> Response:
    return HTMLResponse(
        NOT_FOUND_PAGE, status_code=404, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"}
    )


def _checked(request: Request, ticket_id: str, sig: str) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    if not valid(request.app, ticket_id, sig, now):
        raise HTTPException(404, "not found")
    return now


def _ticket(app: Any, ticket_id: str, now: dt.datetime) -> TicketOut:
    try:
        ticket: TicketOut = app.state.queue.get(ticket_id)
    except TicketNotFound:
        raise HTTPException(404, "not found") from None
    if ticket.service_day != service_day(now, app.state.queue.tz):
        raise HTTPException(404, "not found")
    return ticket


def day_end(app: Any, day: dt.date) -> dt.datetime:
    """When a service day ends (the next day's midnight in the hall's time zone)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), app.state.queue.tz)


def _rated(app: Any, ticket_id: str) -> bool:
    with transaction(app.state.engine, readonly=True) as session:
        found = session.scalar(select(Rating.id).where(Rating.ticket_id == ticket_id).limit(1))
    return found is not None


def phone_state(app: Any, ticket_id: str, now: dt.datetime) -> dict[str, Any]:
    ticket = _ticket(app, ticket_id, now)
    rated = _rated(app, ticket_id) if ticket.status == "completed" else False
    settings = current_settings(app)
    return {
        # what the citizen may see of their ticket: never the (masked) name
        "number": ticket.number,
        "service_name": ticket.service_name,
        "window_group": ticket.window_group,
        "window_group_name": ticket.window_group_name,
        "location": ticket.location,
        "status": ticket.status,
        "counter": ticket.counter,
        "people_ahead": ticket.people_ahead,
        "estimated_wait_s": ticket.estimated_wait_s,
        "priority": ticket.priority,
        "language": ticket.language,
        "issued_at": ticket.issued_at.astimezone(dt.UTC).isoformat(),
        "expires_at": day_end(app, ticket.service_day).astimezone(dt.UTC).isoformat(),
        "rating": {
            "state": "rated" if rated else ("open" if ticket.status == "completed" else "later"),
            "levels": [{"level": lv, "name": LEVEL_NAMES_ZH[lv]} for lv in LEVELS],
            "bad_levels": [lv for lv in LEVELS if lv in BAD_LEVELS],
            "reasons": list(settings.reasons),
            "comment_max": COMMENT_MAX,
        },
    }


@router.get("/t/{ticket_id}/{sig}", include_in_schema=False, dependencies=[Depends(rate_limited)])
async def phone_page(request: Request, ticket_id: TicketId, sig: Sig) -> Response:
    """The citizen's page. Authorization: the ticket's valid, unexpired signature."""
    if not valid(request.app, ticket_id, sig, request.app.state.clock()):
        return not_found_page()
    return HTMLResponse(PAGE, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


@router.get("/t/{ticket_id}/{sig}/state", dependencies=[Depends(rate_limited)])
async def get_phone_state(request: Request, ticket_id: TicketId, sig: Sig) -> dict[str, Any]:
    """The ticket's progress. Authorization: the ticket's valid, unexpired signature."""
    now = _checked(request, ticket_id, sig)
    return await run_in_threadpool(phone_state, request.app, ticket_id, now)


@router.get(
    "/t/{ticket_id}/{sig}/events",
    response_class=StreamingResponse,
    dependencies=[Depends(rate_limited)],
)
async def phone_events(request: Request, ticket_id: TicketId, sig: Sig) -> StreamingResponse:
    """Push stream for this ticket. Authorization: the ticket's valid, unexpired signature."""
    now = _checked(request, ticket_id, sig)
    ticket = await run_in_threadpool(_ticket, request.app, ticket_id, now)
    scope = {"group": ticket.window_group}
    hub = request.app.state.events
    beat = heartbeat_s()
    clock = request.app.state.clock
    expires = day_end(request.app, ticket.service_day)

    def accept(event: HallEvent) -> bool:
        if event.ticket_id == ticket_id:
            if event.kind == "transfer":  # follow the ticket to its new group
                scope["group"] = str(event.extra.get("to_group") or scope["group"])
            return event.kind in OWN_KINDS
        if event.kind == RESYNC:
            return True
        return event.group_id == scope["group"] and event.kind in QUEUE_KINDS

    def message(event: HallEvent) -> bytes:
        if event.kind == RESYNC:
            return _sse("resync", {})
        if event.ticket_id != ticket_id:
            return HINT
        data: dict[str, Any] = {"kind": event.kind, "counter": event.counter_id}
        if event.kind == "transfer":
            data["to_group"] = event.extra.get("to_group")
            data["to_counter"] = event.extra.get("to_counter")
        return _sse("ticket", data)

    async def stream() -> Any:
        with hub.subscription(accept) as queue:
            hello = {"at": clock().astimezone(dt.UTC).isoformat(), "heartbeat_s": beat}
            yield b"retry: 1000\n" + _sse("hello", hello)
            last_hint = -HINT_MIN_S
            pending = False  # a position hint held back (at most one per HINT_MIN_S)
            while True:
                try:
                    async with asyncio.timeout(beat):
                        event = await queue.get()
                except TimeoutError:
                    if clock() >= expires:  # the ticket's day is over: so is its page
                        yield _sse("expired", {})
                        return
                    if pending:
                        pending, last_hint = False, time.monotonic()
                        yield HINT
                    else:
                        yield _sse("heartbeat", {})
                    continue
                batch = [event]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                out = []
                for e in batch:
                    m = message(e)
                    if m is HINT:
                        pending = True
                    else:
                        out.append(m)
                if pending and time.monotonic() - last_hint >= HINT_MIN_S:
                    pending, last_hint = False, time.monotonic()
                    out.append(HINT)
                if out:
                    yield b"".join(out)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _sse(name: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


HINT = _sse("queue", {})


class PhoneRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(
        min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$", description="per rating"
    )
    level: Level
    reasons: list[str] = Field(default_factory=list, max_length=MAX_REASONS)
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)


def _ensure_device(app: Any) -> None:
    """The kiosk row the phone ratings are stored under (its token is never handed out)."""
    if getattr(app.state, "phone_device_ready", False):
        return
    engine = app.state.engine
    now = dt.datetime.now(dt.UTC)

    def work(session: Any) -> None:
        stmt = dialect_insert(engine, Kiosk).values(
            id=DEVICE_ID, token_hash=hash_token(new_token()), created_at=now, token_rotated_at=now
        )
        session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))

    run_transaction(engine, work)
    app.state.phone_device_ready = True


def rate(app: Any, ticket_id: str, body: PhoneRatingIn, now: dt.datetime) -> Any:
    ticket = _ticket(app, ticket_id, now)
    if ticket.status != "completed":
        raise Rejected(
            409,
            "not_completed",
            f"{ticket.number} 号还没有办结，办结后可以在这里评价。",
            ticket_number=ticket.number,
        )
    _ensure_device(app)
    settings = dataclasses.replace(current_settings(app), channel=CHANNEL)
    rating_in = RatingIn(
        # the key is scoped to the ticket: one phone cannot replay another's rating
        idempotency_key=f"{ticket_id}:{body.idempotency_key}",
        ticket_id=ticket_id,
        level=body.level,
        reasons=body.reasons,
        comment=body.comment,
    )
    rating, created = submit_rating(app.state.engine, settings, DEVICE_ID, rating_in, now)
    if created:
        publish(
            app,
            HallEvent(
                "rating", now.astimezone(dt.UTC), ticket_id=ticket_id,
                ticket_number=ticket.number, counter_id=ticket.counter,
                group_id=ticket.window_group, extra={"channel": CHANNEL},
            ),
        )  # fmt: skip
    return rating, created


@router.post(
    "/t/{ticket_id}/{sig}/rating",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limited)],
    responses={
        200: {"description": "retry: the rating this key already made"},
        404: {"description": "wrong or expired signature, or no such ticket"},
        409: {
            "description": "already_rated (by any channel) or not_completed; detail is a"
            " message for the citizen"
        },  # fmt: skip
        422: {"description": "reasons_required, unknown_reason, or invalid body"},
        429: {"description": "too many requests from this address"},
    },
)
async def create_phone_rating(
    body: PhoneRatingIn,
    request: Request,
    response: Response,
    ticket_id: TicketId,
    sig: Sig,
) -> Any:
    """Rate this ticket's service after 办结 (channel phone).

    Authorization: the ticket's valid, unexpired signature; this ticket only.
    """
    now = _checked(request, ticket_id, sig)
    try:
        rating, created = await run_in_threadpool(rate, request.app, ticket_id, body, now)
    except Rejected as exc:
        return exc.response()
    if not created:
        response.status_code = status.HTTP_200_OK
    return rating


@router.get("/phone/static/{name}", include_in_schema=False, dependencies=[Depends(rate_limited)])
def phone_static(name: str = Path(max_length=20)) -> Response:
    """The page's script and style.

    Authorization: none — static files without any ticket data (rate-limited like all)."""
    if name not in STATIC_TYPES:
        raise HTTPException(404)
    return Response(
        (STATIC_DIR / name).read_bytes(),
        media_type=STATIC_TYPES[name],
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


# -- the page ---------------------------------------------------------------------------------
PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>排队进度 Queue status</title>
<link rel="stylesheet" href="/phone/static/phone.css">
<script src="/phone/static/phone.js" defer></script></head><body>
<header><span data-zh="排队进度" data-en="Queue status">排队进度</span>
<button id="lang" type="button">English</button></header>
<div id="conn" class="conn" role="alert" hidden
 data-zh="连接中断，正在重连…" data-en="Connection lost, reconnecting…">连接中断，正在重连…</div>
<main>
<p class="number"><span id="number">…</span></p>
<p id="status" class="status" aria-live="assertive"></p>
<dl>
<dt data-zh="办理事项" data-en="Service">办理事项</dt><dd id="service"></dd>
<dt data-zh="窗口" data-en="Windows">窗口</dt><dd id="group"></dd>
<dt data-zh="位置" data-en="Location">位置</dt><dd id="location"></dd>
<dt data-zh="前面等候" data-en="People ahead">前面等候</dt><dd id="ahead"></dd>
<dt data-zh="预计等候" data-en="Estimated wait">预计等候</dt><dd id="wait"></dd>
</dl>
<section id="rate" hidden>
<h2 data-zh="请您评价本次服务" data-en="Please rate this service">请您评价本次服务</h2>
<div id="levels" class="levels"></div>
<div id="reasons-box" hidden>
<h3 data-zh="请选择原因（至少一项）" data-en="Please choose at least one reason">请选择原因（至少一项）</h3>
<div id="reasons" class="reasons"></div>
<button id="send" type="button" data-zh="提交评价" data-en="Submit">提交评价</button>
</div>
</section>
<p id="rate-result" class="result" role="status" hidden></p>
<p class="note" data-zh="本页面当天有效，不含个人信息。" data-en="This page is valid today only and holds no personal data.">本页面当天有效，不含个人信息。</p>
</main></body></html>
"""
