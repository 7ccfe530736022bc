"""The citizen's live page on their phone: the printed ticket's QR opens it.

The QR holds ``HALL_PUBLIC_URL`` + ``/t/<ticket id>/<signature>``. The signature is an
HMAC-SHA256 (first 16 bytes, base64url, 22 characters) of the ticket id and the ticket's
service day under a server secret (``signing_key``). It is checked against *today's*
service day in the hall's time zone, so the link stops working when the ticket's day ends
— no expiry date in the URL, and nothing personal in it (the id is a random UUID).
Without ``HALL_PUBLIC_URL`` no public link is made and tickets keep the old
``HALLTICKET:<id>`` QR (the kiosk still reads both).

Routes (all public, so all defended: every one is rate-limited per client address,
``HALL_PHONE_RATE_PER_S`` / ``HALL_PHONE_BURST``, 429 with ``Retry-After``; on PostgreSQL
the buckets are shared by the server processes, ``SharedLimiter``, unless
``HALL_RATE_LIMIT_STORE=memory``):

- ``GET /t/{id}/{sig}`` — the page (375×667 and up, ≥ 16 px text, Chinese, English on one
  tap, no external resources, the staff page's CSP). A wrong or expired signature, or an
  unknown ticket, gets the same plain 404 page.
- ``GET /t/{id}/{sig}/state`` — number, item, window group and location, status, the
  counter when called, people ahead, estimated wait, whether it can be rated. Never the
  masked name or anything else about the person.
- ``GET /t/{id}/{sig}/events`` — Server-Sent Events from the hall's hub (``hall.events``)
  through one fan-out per window group (hall/phone_view.py, not a hub subscriber per
  phone): ``ticket`` (its call, recall, transfer, missed, completion, hold, resume: kind
  and counter), ``queue`` (a call, transfer or resume in its group: a hint to refresh the
  position, at most one per group per ``HINT_MIN_S``), ``resync``, ``heartbeat``, and
  ``expired`` (then the stream ends) once the ticket's day is over.
- ``POST /t/{id}/{sig}/rating`` — after 办结, the rating with channel ``phone`` through
  ``hall.rating_store.submit_rating`` (same rules, same chain, one rating per ticket across
  kiosk, window and phone: a second gets 409 ``already_rated`` with a message for the
  citizen). Stored with the device ``phone-page`` (a kiosk row whose token is never used).
- ``GET /t/o/{lease}/{id}/{sig}`` — an offline ticket's QR: the kiosk signed lease id and
  the ticket id it chose with its lease's link key (``offline_link_key``); "not yet
  synced" until the ticket has reached this server, then a 303 to the live page.
- ``GET /phone/static/{name}`` — the page's script and style.

The page state comes from per-group snapshots in memory (hall/phone_view.py), not SQL
per request.

Authorization: the signature is the capability — whoever holds the ticket's link may see
that ticket's progress and rate it once; nothing else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.routing import Route

from contract.api import RatingIn, TicketOut
from contract.errors import ConfigError
from contract.links import SIG_PATTERN, link_signature, offline_link_signature
from contract.vocab import BAD_LEVELS, COMMENT_MAX, LEVEL_NAMES_ZH, LEVELS, MAX_REASONS, Level
from hall.board import heartbeat_s
from hall.citizen_page import (
    NO_STORE,
    RATING_CHOICES,
    html_page,
    not_found_page,
    page_html,
    static_file,
)
from hall.db import (
    dialect_insert,
    hash_token,
    new_token,
    run_transaction,
    transaction,
)
from hall.events import RESYNC, HallEvent, publish
from hall.feedback_settings import current_settings
from hall.models import Kiosk, NumberLease, Ticket
from hall.numbering import service_day
from hall.phone_view import (  # noqa: F401 - the kinds and HINT_MIN_S are documented here
    HINT_MIN_S,
    OWN_KINDS,
    QUEUE_KINDS,
    Entry,
    NotFound,
    PhoneView,
    names_of,
)
from hall.queue_rules import TicketNotFound
from hall.ratelimit import Limit
from hall.ratelimit_pg import SharedBuckets, SharedStore
from hall.rating_rules import Rejected
from hall.rating_store import submit_rating
from hall.token_bucket import TokenBuckets, client_key, too_many

CHANNEL = "phone"
DEVICE_ID = "phone-page"
PUBLIC_URL_ENV = "HALL_PUBLIC_URL"
RATE_ENV = "HALL_PHONE_RATE_PER_S"
BURST_ENV = "HALL_PHONE_BURST"
DEFAULT_RATE_PER_S = 5.0
DEFAULT_BURST = 60
SECRET_NAME = "phone_link"
OFFLINE_SECRET_NAME = "offline_phone_link"
_LEASE_ID = re.compile(r"^[1-9][0-9]{0,9}\Z")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_TICKET_ID = re.compile(r"^[0-9a-fA-F-]{32,36}\Z")
_SIG = re.compile(SIG_PATTERN)
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


class SharedLimiter:
    """The phone routes' per-address limit shared by every server process on PostgreSQL:
    buckets of kind ``phone`` in ``rate_buckets`` (hall/ratelimit_pg.py, with its lease
    and its in-memory fallback while the database is away), so that two processes together
    allow the limit once."""

    KIND = "phone"

    def __init__(self, store: SharedStore, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets = SharedBuckets(self.KIND, Limit(capacity=burst, per_s=rate), store)
        self.refused = 0  # as TokenBuckets'

    async def dependency(self, request: Request) -> None:
        """FastAPI dependency: 429 with ``Retry-After`` when this client is over the limit."""
        wait = await self.buckets.atake(client_key(request))
        if wait > 0:
            self.refused += 1
            raise too_many(wait)


def limiter_from_env(store: SharedStore | None = None) -> TokenBuckets | SharedLimiter:
    """``HALL_PHONE_RATE_PER_S`` / ``HALL_PHONE_BURST`` per client address: shared through
    ``store`` (PostgreSQL, hall/ratelimit_pg.py), else in this process."""
    try:
        rate = float(os.environ.get(RATE_ENV) or DEFAULT_RATE_PER_S)
        burst = int(os.environ.get(BURST_ENV) or DEFAULT_BURST)
        memory = TokenBuckets(rate, burst)  # checks the figures
    except ValueError:
        raise ConfigError(
            f"{RATE_ENV} must be a number > 0 and {BURST_ENV} a whole number >= 1"
        ) from None
    return memory if store is None else SharedLimiter(store, rate, burst)


def install(app: Any) -> None:
    """Read the settings into ``app.state`` (create_app calls it, after ``rate_store``;
    ConfigError if bad)."""
    app.state.public_url = public_url_from_env()
    app.state.phone_limiter = limiter_from_env(app.state.rate_store)
    app.state.phone_view = PhoneView(app, phone_state)
    # the hot path first in the route table: matched before the app's other routes, and
    # without FastAPI's dependency solving (the rate limit and signature checks are the
    # same as the declared route's below, which documents it and stays the fallback)
    app.router.routes.insert(
        0, Route("/t/{ticket_id}/{sig}/state", fast_phone_state, methods=["GET"])
    )


# -- the signature ----------------------------------------------------------------------------
def signing_key(app: Any) -> bytes:
    """The server secret the links are signed with (the one place it is read from): derived
    from the key file's session key (hall/keys.py), never stored in the database."""
    key: bytes | None = getattr(app.state, "phone_key", None)
    if key is None:
        key = app.state.phone_key = app.state.keys.subkey(SECRET_NAME)
    return key


def sign(key: bytes, ticket_id: str, day: dt.date) -> str:
    return link_signature(key, f"phone-link:v1:{ticket_id}:{day.isoformat()}")


# -- an offline ticket's link ----------------------------------------------------------------
def offline_link_key(app: Any, lease_id: int) -> bytes:
    """The key a kiosk signs the links of one number lease's offline tickets with. Derived
    from the server secret and the lease id: handed to the kiosk with the lease (over its
    token-authenticated channel), never stored by the server — it derives it again to
    check a link. One lease's key signs that lease's tickets only."""
    base: bytes | None = getattr(app.state, "offline_link_base_key", None)
    if base is None:
        base = app.state.offline_link_base_key = app.state.keys.subkey(OFFLINE_SECRET_NAME)
    return hmac.new(base, f"offline-link-lease:v1:{lease_id}".encode(), hashlib.sha256).digest()


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


def phone_state(app: Any, entry: Entry) -> dict[str, Any]:
    """The page state of a ticket of the group snapshot (hall/phone_view.py)."""
    ticket = names_of(app.state.queue, entry.row).model_copy(
        update={
            "status": "transferred"
            if entry.row.status == "waiting" and entry.row.transferred_at is not None
            else entry.row.status,
            "people_ahead": entry.ahead,
            "estimated_wait_s": entry.wait_s,
        }
    )
    rated = entry.rated and ticket.status == "completed"
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
    return html_page(PAGE)


async def fast_phone_state(request: Request) -> Response:
    """``GET /t/{id}/{sig}/state`` as a plain Starlette route (see ``install``): what the
    page loads on every update, so the busiest public route. Authorization: the ticket's
    valid, unexpired signature (as ``get_phone_state``)."""
    try:
        await rate_limited(request)
        ticket_id, sig = request.path_params["ticket_id"], request.path_params["sig"]
        now = _checked(request, ticket_id, sig)
        body = await request.app.state.phone_view.state_json(ticket_id, now)
    except NotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)
    except HTTPException as exc:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return Response(body, media_type="application/json")


@router.get("/t/{ticket_id}/{sig}/state", dependencies=[Depends(rate_limited)])
async def get_phone_state(request: Request, ticket_id: TicketId, sig: Sig) -> Response:
    """The ticket's progress. Authorization: the ticket's valid, unexpired signature."""
    now = _checked(request, ticket_id, sig)
    try:
        body = await request.app.state.phone_view.state_json(ticket_id, now)
    except NotFound:
        raise HTTPException(404, "not found") from None
    return Response(body, media_type="application/json")


@router.get(
    "/t/{ticket_id}/{sig}/events",
    response_class=StreamingResponse,
    dependencies=[Depends(rate_limited)],
)
async def phone_events(request: Request, ticket_id: TicketId, sig: Sig) -> StreamingResponse:
    """Push stream for this ticket. Authorization: the ticket's valid, unexpired signature."""
    now = _checked(request, ticket_id, sig)
    try:
        ticket = (await request.app.state.phone_view.entry(ticket_id, now)).row
    except NotFound:
        raise HTTPException(404, "not found") from None
    view = request.app.state.phone_view
    beat = heartbeat_s()
    clock = request.app.state.clock
    expires = day_end(request.app, ticket.service_day)

    def message(event: HallEvent | None) -> bytes:
        if event is None:  # a position hint of its group (hall/phone_view.py, coalesced)
            return HINT
        if event.kind == RESYNC:
            return _sse("resync", {})
        data: dict[str, Any] = {"kind": event.kind, "counter": event.counter_id}
        if event.kind == "transfer":
            data["to_group"] = event.extra.get("to_group")
            data["to_counter"] = event.extra.get("to_counter")
        return _sse("ticket", data)

    async def stream() -> Any:
        # one fan-out per group in the view, not a hub subscriber per phone: a call wakes
        # its own phone, and the group's phones once per HINT_MIN_S
        with view.stream(ticket_id, ticket.window_group) as phone:
            hello = {"at": clock().astimezone(dt.UTC).isoformat(), "heartbeat_s": beat}
            yield b"retry: 1000\n" + _sse("hello", hello)
            queue = phone.queue
            while True:
                try:
                    async with asyncio.timeout(beat):
                        item = await queue.get()
                except TimeoutError:
                    if clock() >= expires:  # the ticket's day is over: so is its page
                        yield _sse("expired", {})
                        return
                    yield _sse("heartbeat", {})
                    continue
                batch = [item]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                hint = any(e is None for e in batch)
                out = [message(e) for e in batch if e is not None]
                if hint:
                    out.append(HINT)
                if clock() >= expires:  # (a busy group may leave no time for a heartbeat)
                    out.append(_sse("expired", {}))
                    yield b"".join(out)
                    return
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


NOT_SYNCED_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta http-equiv="refresh" content="30">'
    "<title>尚未同步 Not yet synced</title>"
    '<link rel="stylesheet" href="/phone/static/citizen.css"></head><body><main>'
    '<p class="status" id="not-synced">此号为离线取号，尚未同步到大厅服务器，请稍后刷新。</p>'
    '<p lang="en">This number was issued offline and has not yet synced to the hall'
    " server. Please refresh later.</p>"
    '<p><a href="" id="refresh">刷新 Refresh</a></p>'
    "</main></body></html>"
)


def _offline_target(app: Any, lease_id: int, ticket_id: str, now: dt.datetime) -> str | None:
    """The live page's path of the offline ticket once it has reached this server; None
    while not yet synced. HTTPException 404 when the lease is unknown or of another day."""
    day = service_day(now, app.state.queue.tz)
    with transaction(app.state.engine, readonly=True) as session:
        lease = session.get(NumberLease, lease_id)
        if lease is None or lease.service_day != day:
            raise HTTPException(404, "not found")
        found = session.execute(
            select(Ticket.kiosk_id, Ticket.service_day).where(Ticket.id == ticket_id)
        ).first()
    if found is None or found.kiosk_id != lease.kiosk_id or found.service_day != day:
        return None
    return f"/t/{ticket_id}/{sign(signing_key(app), ticket_id, day)}"


@router.get(
    "/t/o/{lease_id}/{ticket_id}/{sig}",
    include_in_schema=False,
    dependencies=[Depends(rate_limited)],
)
async def offline_phone_page(
    request: Request, lease_id: Annotated[str, Path()], ticket_id: TicketId, sig: Sig
) -> Response:
    """An offline ticket's QR: the live page (a redirect to its signed link) once the
    ticket has reached the server, a plain "not yet synced" page before.

    Authorization: the signature of the kiosk's lease key (``offline_link_key``) over the
    lease and ticket id; a wrong one, an unknown lease or another day's is a plain 404."""
    if not (_LEASE_ID.match(lease_id) and _UUID.match(ticket_id) and _SIG.match(sig)):
        return not_found_page()
    lease = int(lease_id)
    if lease > 2**31 - 1:
        return not_found_page()
    expected = offline_link_signature(offline_link_key(request.app, lease), lease, ticket_id)
    if not hmac.compare_digest(expected, sig):
        return not_found_page()
    now = request.app.state.clock()
    try:
        target = await run_in_threadpool(_offline_target, request.app, lease, ticket_id, now)
    except HTTPException:
        return not_found_page()
    if target is None:
        return html_page(NOT_SYNCED_PAGE)
    return Response(status_code=303, headers={**NO_STORE, "Location": target})


@router.get("/phone/static/{name}", include_in_schema=False, dependencies=[Depends(rate_limited)])
def phone_static(name: str = Path(max_length=20)) -> Response:
    """The page's script and style.

    Authorization: none — static files without any ticket data (rate-limited like all)."""
    return static_file(name, STATIC_TYPES)


# -- the page ---------------------------------------------------------------------------------
PAGE = page_html(
    "/phone/static",
    "phone",
    ("排队进度", "Queue status"),
    ("连接中断，正在重连…", "Connection lost, reconnecting…"),
    "assertive",
    f"""<dl>
<dt data-zh="办理事项" data-en="Service">办理事项</dt><dd id="service"></dd>
<dt data-zh="窗口" data-en="Windows">窗口</dt><dd id="group"></dd>
<dt data-zh="位置" data-en="Location">位置</dt><dd id="location"></dd>
<dt data-zh="前面等候" data-en="People ahead">前面等候</dt><dd id="ahead"></dd>
<dt data-zh="预计等候" data-en="Estimated wait">预计等候</dt><dd id="wait"></dd>
</dl>
<section id="rate" hidden>
<h2 data-zh="请您评价本次服务" data-en="Please rate this service">请您评价本次服务</h2>
{RATING_CHOICES}
</section>
<p id="rate-result" class="result" role="status" hidden></p>
<p class="note" data-zh="本页面当天有效，不含个人信息。" data-en="This page is valid today only and holds no personal data.">本页面当天有效，不含个人信息。</p>
""",
)
