"""Opt-in text messages (issue 14, item 3): "three people ahead" and "please go to window N".

At the ticket screen a citizen may type a mainland mobile number; the kiosk sends it here
(``POST /api/v1/sms-subscriptions``, kiosk token, through its durable outbox). The number
is stored only AES-256-GCM encrypted with the key file's phone key (``hall.keys``; the
same key and scheme as open 办不成事 cases, bound to the ticket instead of a case) and is
deleted, with every message of the ticket, when the ticket's service day is over — by the
sender's own loop within ``HALL_SMS_POLL_S`` of midnight, and by ``python -m hall purge``
(``hall.retention``). It is never logged: logs show the masked form (138****5678).

When a message is sent (decided from the ticket's state, ``TicketStore.get``, on the queue
events of ``hall.events`` that can bring one due (``QUEUE_EVENTS``; a burst of them is
decided once) and every ``RECHECK_S`` besides, so a lost event is caught up):

- **ahead**: once, when the ticket is waiting with at most ``AHEAD`` (3) people ahead. If
  it already had 3 or fewer ahead when the number was given, none is sent (the citizen
  saw the count on the ticket screen).
- **called**: once per call — call-next, 指定叫号, or a new call after 转窗 / resume —
  naming the window. A **recall** (重呼) of the same call sends nothing more: the citizen
  already has the window in a message, and a hall's SMS platform bills each message.
- Completed or missed (过号) tickets get nothing further.

Texts are in Chinese, or English when the visit was in English; they hold the ticket
number, the window group or window, and nothing personal.

Delivery: each message is a row of ``sms_messages`` (the outbox towards the gateway),
inserted once whatever the number of server processes (a unique key per trigger), claimed
by one sender for ``CLAIM_S``, retried with exponential backoff (``RETRY_BASE_S`` doubling
up to ``RETRY_MAX_S``) while the gateway is down or answers 5xx/408/429, marked sent when
it accepted it. A message not accepted within ``HALL_SMS_GIVE_UP_S`` (default 30 min: a
late "go to window 3" misleads more than it helps), or refused for good (another 4xx), is
given up and logged (masked).

Gateways (``HALL_SMS_BACKEND``):

- ``log`` (default): logs "text message to 138****5678: <text>" — nothing leaves the hall.
- ``webhook``: ``POST`` JSON ``{"id": "...", "to": "13812345678", "text": "...", "language":
  "zh"}`` to ``HALL_SMS_WEBHOOK_URL`` with ``Authorization: Bearer <HALL_SMS_WEBHOOK_TOKEN>``
  (or the token read from ``HALL_SMS_WEBHOOK_TOKEN_FILE``), time-out ``HALL_SMS_TIMEOUT_S``
  (default 5). Any 2xx is accepted; ``id`` is the same on every retry of one message, for
  the platform to drop a repeat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from contract.api import SmsSubscriptionIn, SmsSubscriptionOut, TicketOut
from contract.errors import ConfigError
from contract.fields import mask_mobile
from hall.auth import KioskPrincipal
from hall.db import dialect_insert, run_transaction, transaction
from hall.models import Ticket
from hall.models_sms import SmsMessage, SmsSubscription
from hall.numbering import service_day
from hall.queue_rules import TicketNotFound
from hall.tickets import TicketStore

log = logging.getLogger(__name__)

AHEAD = 3
"""The "three people ahead" message is sent when at most this many are ahead."""
CLAIM_S = 60.0
"""A sender holds a message this long; another process may take it over afterwards."""
RETRY_BASE_S = 5.0
RETRY_MAX_S = 300.0
RECHECK_S = 30.0
"""Every subscription is re-decided at least this often (a lost event is caught up)."""
SEND_BATCH = 20

BACKEND_ENV = "HALL_SMS_BACKEND"
URL_ENV = "HALL_SMS_WEBHOOK_URL"
TOKEN_ENV = "HALL_SMS_WEBHOOK_TOKEN"
TOKEN_FILE_ENV = "HALL_SMS_WEBHOOK_TOKEN_FILE"
TIMEOUT_ENV = "HALL_SMS_TIMEOUT_S"
POLL_ENV = "HALL_SMS_POLL_S"
GIVE_UP_ENV = "HALL_SMS_GIVE_UP_S"

QUEUE_EVENTS = frozenset({"call", "no_show", "complete", "transfer", "resume", "resync"})
"""The events that may bring a message due (a call moves everyone up; a transfer or a
resume changes a queue) or end a subscription. Not ``issue``: a new ticket never brings
anyone closer to their turn, and it is the busiest event (the issuing hot path stays
untouched). Not ``recall`` / ``hold``: they send nothing."""
_WAITING = ("waiting", "transferred", "held")
_OVER = ("completed", "no_show")


# -- gateways ------------------------------------------------------------------------------
class GatewayError(Exception):
    """Not sent this time (gateway down, time-out, 5xx): try again later."""


class GatewayRefused(GatewayError):
    """The gateway refused the message for good (a 4xx other than 408/429)."""


class Gateway(Protocol):
    name: str

    def send(self, message_id: str, phone: str, text: str, language: str) -> None: ...

    def close(self) -> None: ...


class LogGateway:
    """Logs that a message was sent, the number masked. The default: nothing leaves."""

    name = "log"

    def send(self, message_id: str, phone: str, text: str, language: str) -> None:
        log.info("text message %s to %s: %s", message_id, mask_mobile(phone), text)

    def close(self) -> None:
        pass


class WebhookGateway:
    """POSTs each message as JSON to the hall's SMS platform, with a bearer token."""

    name = "webhook"

    def __init__(self, url: str, token: str, timeout_s: float = 5.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {token}"})

    def send(self, message_id: str, phone: str, text: str, language: str) -> None:
        body = {"id": message_id, "to": phone, "text": text, "language": language}
        try:
            resp = self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:  # the text of these errors holds no phone number
            raise GatewayError(f"{type(exc).__name__}") from None
        if resp.is_success:
            return
        if resp.status_code in (408, 429) or resp.status_code >= 500:
            raise GatewayError(f"HTTP {resp.status_code}")
        raise GatewayRefused(f"HTTP {resp.status_code}")

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class SmsSettings:
    backend: Literal["log", "webhook"] = "log"
    webhook_url: str = ""
    webhook_token: str = ""
    timeout_s: float = 5.0
    poll_s: float = 2.0
    give_up_s: float = 1800.0

    def gateway(self) -> Gateway:
        if self.backend == "webhook":
            return WebhookGateway(self.webhook_url, self.webhook_token, self.timeout_s)
        return LogGateway()


def settings_from_env() -> SmsSettings:
    """The settings (environment variables, see the module docstring); ConfigError if wrong."""

    def seconds(name: str, default: float, low: float, high: float) -> float:
        raw = os.environ.get(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name}: a number of seconds, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}: between {low} and {high}, got {value}")
        return value

    backend = (os.environ.get(BACKEND_ENV) or "log").strip().lower()
    if backend not in ("log", "webhook"):
        raise ConfigError(f"{BACKEND_ENV}: 'log' or 'webhook', got {backend!r}")
    url = token = ""
    if backend == "webhook":
        url = (os.environ.get(URL_ENV) or "").strip()
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{URL_ENV}: the SMS platform's http(s) address is needed")
        token = os.environ.get(TOKEN_ENV) or ""
        if not token and (path := os.environ.get(TOKEN_FILE_ENV)):
            try:
                token = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{TOKEN_FILE_ENV}: cannot read {path}: {exc}") from None
        if not token:
            raise ConfigError(f"{TOKEN_ENV} or {TOKEN_FILE_ENV}: the webhook's token is needed")
    return SmsSettings(
        backend=backend,  # type: ignore[arg-type]
        webhook_url=url,
        webhook_token=token,
        timeout_s=seconds(TIMEOUT_ENV, 5.0, 0.1, 60.0),
        poll_s=seconds(POLL_ENV, 2.0, 0.05, 60.0),
        give_up_s=seconds(GIVE_UP_ENV, 1800.0, 10.0, 86_400.0),
    )


def install(app: FastAPI) -> None:
    """Read the settings now (a wrong one stops the start); the gateway opens at start-up."""
    app.state.sms_settings = settings_from_env()


# -- the number, sealed ----------------------------------------------------------------------
def _binding(ticket_id: str) -> str:
    # the case phone scheme's associated data (hall.keys) with a ticket instead of a case
    # number: a sealed number cannot be moved to another ticket, nor to a case
    return f"sms|{ticket_id}"


def seal(app: Any, phone: str, ticket_id: str) -> str:
    sealed: str = app.state.keys.encrypt_phone(phone, _binding(ticket_id))
    return sealed


def unseal(app: Any, sealed: str, ticket_id: str) -> str:
    phone: str = app.state.keys.decrypt_phone(sealed, _binding(ticket_id))
    return phone


# -- texts ---------------------------------------------------------------------------------
def message_text(kind: str, ticket: TicketOut, language: str) -> str:
    if language == "en":
        if kind == "called":
            return (
                f"Service hall: number {ticket.number}, please go to window {ticket.counter} now."
            )
        return (
            f"Service hall: {AHEAD} or fewer people are ahead of number {ticket.number}."
            f" Please come to the waiting area ({ticket.location})."
        )
    if kind == "called":
        return f"【政务服务大厅】请{ticket.number}号到{ticket.counter}号窗口办理。"
    return (
        f"【政务服务大厅】您的{ticket.number}号前面还有{AHEAD}人以内，"
        f"请到{ticket.window_group_name}（{ticket.location}）附近等候。"
    )


# -- deciding ----------------------------------------------------------------------------
def _queue(app: Any) -> TicketStore:
    queue: TicketStore = app.state.queue
    return queue


def _add_message(
    session: Session, sub: SmsSubscription, key: str, kind: str, text: str, now: dt.datetime
) -> None:
    stmt = dialect_insert(session.connection(), SmsMessage).values(
        subscription_id=sub.id, dedupe_key=key, kind=kind, text=text, created_at=now,
        attempts=0, next_attempt_at=now, gave_up=False, last_error="",
    )  # fmt: skip
    session.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]))


def _decide(session: Session, sub: SmsSubscription, ticket: TicketOut, now: dt.datetime) -> bool:
    """Queue this subscription's due message, if any. True if something was queued."""
    if ticket.status in _OVER:
        sub.finished = True
        return False
    if ticket.status == "called" and ticket.counter and ticket.called_at is not None:
        stamp = ticket.called_at.astimezone(dt.UTC).isoformat()
        text = message_text("called", ticket, sub.language)
        _add_message(session, sub, f"called:{sub.id}:{ticket.counter}:{stamp}", "called", text, now)
        sub.ahead_done = True
        return True
    if ticket.status in _WAITING and not sub.ahead_done and ticket.people_ahead <= AHEAD:
        text = message_text("ahead", ticket, sub.language)
        _add_message(session, sub, f"ahead:{sub.id}", "ahead", text, now)
        sub.ahead_done = True
        return True
    return False


def decide(app: Any, now: dt.datetime) -> int:
    """Re-decide every open subscription of today; returns how many messages were queued
    (a message already queued by another process counts too, harmlessly)."""
    with transaction(app.state.engine, readonly=True) as session:
        open_ids = session.scalars(
            select(SmsSubscription.id).where(
                SmsSubscription.finished.is_(False), SmsSubscription.expires_at > now
            )
        ).all()
    queued = 0
    queue = _queue(app)
    for sub_id in open_ids:

        def work(session: Session, sub_id: int = sub_id) -> bool:
            sub = session.get(SmsSubscription, sub_id)
            if sub is None or sub.finished:
                return False
            try:
                ticket = queue.get(sub.ticket_id)
            except TicketNotFound:
                sub.finished = True
                return False
            return _decide(session, sub, ticket, now)

        queued += run_transaction(app.state.engine, work)
    return queued


# -- sending -------------------------------------------------------------------------------
def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1)))


def send_due(app: Any, gateway: Gateway, now: dt.datetime, give_up_s: float) -> int:
    """Send the messages that are due, each claimed first (one process sends it). Returns
    how many the gateway accepted."""
    engine = app.state.engine
    with transaction(engine, readonly=True) as session:
        due = (
            session.execute(
                select(SmsMessage.id)
                .where(
                    SmsMessage.sent_at.is_(None),
                    SmsMessage.gave_up.is_(False),
                    SmsMessage.next_attempt_at <= now,
                )
                .order_by(SmsMessage.id)
                .limit(SEND_BATCH)
            )
            .scalars()
            .all()
        )
    sent = 0
    for message_id in due:
        claimed = _claim(engine, message_id, now)
        if claimed is None:
            continue
        kind, text, created_at, attempts, sub_ticket, sub_lang, sealed = claimed
        masked = "***"
        try:
            phone = unseal(app, sealed, sub_ticket)
            masked = mask_mobile(phone)
        except ValueError:
            _finish(engine, message_id, now, error="the number does not decrypt (keys rotated?)")
            log.warning("text message %d given up: its number does not decrypt", message_id)
            continue
        try:
            gateway.send(f"hall-sms-{message_id}", phone, text, sub_lang)
        except GatewayRefused as exc:
            _finish(engine, message_id, now, error=f"refused: {exc}")
            log.warning("text message %d (%s) to %s refused by the gateway: %s",
                        message_id, kind, masked, exc)  # fmt: skip
            continue
        except Exception as exc:  # noqa: BLE001 - any gateway fault: retry later
            reason = f"{type(exc).__name__}: {exc}"[:300]
            if (now - created_at).total_seconds() >= give_up_s:
                _finish(engine, message_id, now, error=f"gave up: {reason}")
                log.warning("text message %d (%s) to %s given up after %d attempts: %s",
                            message_id, kind, masked, attempts, reason)  # fmt: skip
            else:
                _retry_later(engine, message_id, now + _backoff(attempts), reason)
                log.info("text message %d (%s) to %s not sent (attempt %d), retrying: %s",
                         message_id, kind, masked, attempts, reason)  # fmt: skip
            continue
        _finish(engine, message_id, now, sent=True)
        log.info("text message %d (%s) to %s sent via %s", message_id, kind, masked, gateway.name)
        sent += 1
    return sent


def _claim(engine: Any, message_id: int, now: dt.datetime) -> tuple[Any, ...] | None:
    def work(session: Session) -> tuple[Any, ...] | None:
        got = session.execute(
            update(SmsMessage)
            .where(
                SmsMessage.id == message_id,
                SmsMessage.sent_at.is_(None),
                SmsMessage.gave_up.is_(False),
                (SmsMessage.claimed_until.is_(None)) | (SmsMessage.claimed_until < now),
            )
            .values(
                claimed_until=now + dt.timedelta(seconds=CLAIM_S),
                attempts=SmsMessage.attempts + 1,
            )
        ).rowcount
        if got != 1:
            return None
        row = session.execute(
            select(
                SmsMessage.kind,
                SmsMessage.text,
                SmsMessage.created_at,
                SmsMessage.attempts,
                SmsSubscription.ticket_id,
                SmsSubscription.language,
                SmsSubscription.phone_ciphertext,
            )  # fmt: skip
            .join(SmsSubscription, SmsSubscription.id == SmsMessage.subscription_id)
            .where(SmsMessage.id == message_id)
        ).one_or_none()
        return tuple(row) if row is not None else None

    return run_transaction(engine, work)


def _finish(
    engine: Any, message_id: int, now: dt.datetime, *, sent: bool = False, error: str = ""
) -> None:
    values: dict[str, Any] = {"claimed_until": None, "last_error": error[:300]}
    if sent:
        values["sent_at"] = now
    else:
        values["gave_up"] = True
    run_transaction(
        engine,
        lambda s: s.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(**values)),
    )


def _retry_later(engine: Any, message_id: int, when: dt.datetime, error: str) -> None:
    run_transaction(
        engine,
        lambda s: s.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message_id)
            .values(claimed_until=None, next_attempt_at=when, last_error=error[:300])
        ),
    )


# -- the day's end -----------------------------------------------------------------------
def purge(engine: Any, now: dt.datetime) -> int:
    """Delete the subscriptions (numbers) whose service day is over, with their messages.
    Returns how many subscriptions went."""

    def work(session: Session) -> int:
        over = select(SmsSubscription.id).where(SmsSubscription.expires_at <= now)
        session.execute(delete(SmsMessage).where(SmsMessage.subscription_id.in_(over)))
        return int(
            session.execute(
                delete(SmsSubscription).where(SmsSubscription.expires_at <= now)
            ).rowcount
        )

    gone = run_transaction(engine, work)
    if gone:
        log.info("text messages: %d number(s) of a past day deleted", gone)
    return gone


def day_end(ticket: TicketOut, tz: Any) -> dt.datetime:
    """The end of the ticket's service day (hall-local midnight), in UTC."""
    midnight = dt.datetime.combine(ticket.service_day + dt.timedelta(days=1), dt.time(0), tz)
    return midnight.astimezone(dt.UTC)


# -- the worker: events in, messages out -------------------------------------------------
def tick(
    app: Any, gateway: Gateway, settings: SmsSettings, *, recheck: bool, clean: bool = True
) -> None:
    now = app.state.clock()
    if clean:
        purge(app.state.engine, now)
    if recheck:
        decide(app, now)
    send_due(app, gateway, now, settings.give_up_s)


@asynccontextmanager
async def _worker(app: FastAPI) -> AsyncIterator[None]:
    settings: SmsSettings = getattr(app.state, "sms_settings", None) or settings_from_env()
    gateway = settings.gateway()
    app.state.sms_gateway = gateway
    hub = app.state.events
    loop = asyncio.get_running_loop()

    async def run() -> None:
        with hub.subscription(lambda e: e.kind in QUEUE_EVENTS) as events:
            last_check = last_purge = -RECHECK_S
            while True:
                woke = False
                try:
                    await asyncio.wait_for(events.get(), timeout=settings.poll_s)
                    woke = True
                    while not events.empty():  # one decision for a burst of events
                        events.get_nowait()
                except TimeoutError:
                    pass
                recheck = woke or loop.time() - last_check >= RECHECK_S
                if recheck:
                    last_check = loop.time()
                # the past day's numbers go within poll_s of midnight: a write transaction
                # at most that often, not on every call of a busy hall as well
                clean = loop.time() - last_purge >= settings.poll_s
                if clean:
                    last_purge = loop.time()
                try:
                    await run_in_threadpool(
                        tick, app, gateway, settings, recheck=recheck, clean=clean
                    )
                except Exception:  # noqa: BLE001 - the next round tries again
                    log.exception("text messages: a round failed")

    task = asyncio.create_task(run(), name="hall-sms")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass
        gateway.close()


# -- the route -------------------------------------------------------------------------------
router = APIRouter(prefix="/api/v1", tags=["sms"], lifespan=_worker)


def _refuse(status_code: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status_code)


def subscribe(
    app: Any, kiosk_id: str, body: SmsSubscriptionIn, now: dt.datetime
) -> tuple[SmsSubscriptionOut, bool] | JSONResponse:
    """Store the number for the ticket (once per ticket); queue what is due already."""
    queue = _queue(app)
    ticket_id = body.ticket_id
    if ticket_id is None:
        with transaction(app.state.engine, readonly=True) as session:
            ticket_id = session.scalar(
                select(Ticket.id).where(
                    Ticket.kiosk_id == kiosk_id, Ticket.idempotency_key == body.ticket_key
                )
            )
    try:
        if ticket_id is None:
            raise TicketNotFound("no ticket with that key")
        ticket = queue.get(ticket_id)
    except TicketNotFound:
        return _refuse(404, "no_ticket", "没有找到这张号票。")
    if ticket.kiosk_id != kiosk_id:
        return _refuse(403, "not_your_ticket", "只能为本机取的号登记短信提醒。")
    if ticket.status in _OVER or ticket.service_day != service_day(now, queue.tz):
        return _refuse(409, "ticket_over", "这张号票已办结或不是今天的，不再发短信。")
    masked = mask_mobile(body.phone)

    def work(session: Session) -> tuple[bool, str]:
        stmt = dialect_insert(session.connection(), SmsSubscription).values(
            ticket_id=ticket.id, kiosk_id=kiosk_id, language=body.language,
            phone_ciphertext=seal(app, body.phone, ticket.id), created_at=now,
            expires_at=day_end(ticket, queue.tz), finished=False,
            # 3 or fewer ahead already: the ticket screen showed it, no message for that
            ahead_done=ticket.status in _WAITING and ticket.people_ahead <= AHEAD,
        )  # fmt: skip
        inserted = stmt.on_conflict_do_nothing(index_elements=["ticket_id"]).returning(
            SmsSubscription.id
        )
        created = session.execute(inserted).scalar() is not None
        sub = session.scalar(select(SmsSubscription).where(SmsSubscription.ticket_id == ticket.id))
        if sub is None:
            return created, masked
        if created:
            _decide(session, sub, ticket, now)  # already called: the message goes now
            return created, masked
        try:  # a resend (or a second number) keeps the first: answer with its mask
            return created, mask_mobile(unseal(app, sub.phone_ciphertext, ticket.id))
        except ValueError:
            return created, "***"

    created, masked = run_transaction(app.state.engine, work)
    log.info("text messages %s for ticket %s (%s)", "requested" if created else "already on",
             ticket.number, masked)  # fmt: skip
    return SmsSubscriptionOut(ticket_number=ticket.number, phone_masked=masked), created


@router.post(
    "/sms-subscriptions",
    response_model=SmsSubscriptionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SmsSubscriptionOut, "description": "the ticket already has a number"},
        403: {"description": "another kiosk's ticket"},
        404: {"description": "no such ticket (yet)"},
        409: {"description": "the ticket is over, or not of today"},
        422: {"description": "not a mainland mobile number (1[3-9] and 9 digits), or no ticket"},
    },
)
def create_subscription(
    body: SmsSubscriptionIn, request: Request, response: Response, kiosk: KioskPrincipal
) -> Any:
    """短信提醒: text the ticket's holder when 3 are ahead and when called (kiosk token).
    Once per ticket: a resend gets 200 and keeps the first number."""
    if (body.ticket_id is None) == (body.ticket_key is None):
        return _refuse(422, "ticket", "give exactly one of ticket_id or ticket_key")
    now = request.app.state.clock()
    result = subscribe(request.app, kiosk.id, body, now)
    if isinstance(result, JSONResponse):
        return result
    out, created = result
    if not created:
        response.status_code = status.HTTP_200_OK
    return out
