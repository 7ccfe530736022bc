"""办不成事反映 from the kiosk: every case goes through the durable outbox, like a rating.

``create`` writes the case to the outbox (SQLite, WAL, ``synchronous=FULL``) before anything
is sent, kicks the sender, and waits up to ``confirm_s`` seconds for the hall server's
answer (it runs on a worker thread, never the GUI thread):

- confirmed: the citizen gets the case number and, in the same step, a ticket for the
  办不成事 window — both printed on one slip, as before;
- refused for good (e.g. a category the server no longer knows): ``HallRejected`` — the
  flow says so; the message is a dead letter staff can see;
- no answer in time (the hall server is down or slow): ``({"pending": True, "reference":
  …}, None)``. The case stays in the outbox and is sent, with backoff, until the server
  confirms; the citizen's receipt says plainly that it is recorded and will be registered,
  gives the kiosk's local reference (from the outbox key) and the window — never a case
  number the server has not given.

The outbox key is the idempotency key, so a case sent twice (sent, then the kiosk died
before removing it) is created once.

Personal data: the phone number is in the outbox payload — the server needs it for the
call back (首接负责人回访), and a case kept for later must carry it. The outbox is the kiosk's
local durable store, treated like the server's database (which keeps the full number only
while the case is open); the message, with the number, is deleted as soon as the server
confirmed the case. The number is never logged, never printed (the slip shows 138****8000),
and the error text kept for a refused case is its status and code only, because a
validation error could echo the number back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from contract.fields import mask_mobile
from kiosk.hall_client import HallError, HallRejected
from kiosk.journeys.case import CASE_CONDITIONS, CaseDraft
from kiosk.outbox import Message, Outbox, Undeliverable
from kiosk.tickets import Ticket

log = logging.getLogger(__name__)

WINDOW_SERVICE = "unresolved-report"  # the catalog item of the 办不成事反映 window
CASE_CONFIRM_S = 4.0  # seconds to wait for the hall server before giving the "kept" receipt


class CasesApi(Protocol):
    def create_case(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def case_progress(self, number: str) -> dict[str, Any]: ...

    def case_options(self) -> dict[str, Any]: ...

    def rate_case_handling(self, number: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def issue_ticket(self, service_id: str, idempotency_key: str, holder: Any = None,
                     priority: bool = False, language: str = "zh") -> Ticket: ...  # fmt: skip


def local_reference(key: str) -> str:
    """The receipt's reference of a case not yet registered: K + 8 hex digits of the
    visit's session id (the outbox key is ``<session id>:case``; staff find it there)."""
    return "K" + key.split(":", 1)[0][:8].upper()


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    case: dict[str, Any] | None = None
    error: HallRejected | None = None


class CaseService:
    def __init__(
        self,
        hall: CasesApi,
        outbox: Outbox,
        kick: Callable[[], None] = lambda: None,
        confirm_s: float = CASE_CONFIRM_S,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.hall = hall
        self.outbox = outbox
        self.kick = kick
        self.confirm_s = confirm_s
        self.now = now
        self._lock = threading.Lock()
        self._waiting: dict[str, _Waiter] = {}

    # -- used by the flow (on a worker thread) ------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The hall server's categories and time limits (``GET /api/v1/cases/options``)."""
        return self.hall.case_options()

    def create(self, key: str, draft: CaseDraft) -> tuple[dict[str, Any], Ticket | None]:
        body: dict[str, Any] = {c: c in draft.conditions for c in CASE_CONDITIONS}
        own_words = draft.description.strip()
        body.update(
            categories=list(draft.categories),
            # the citizen's own words (scrubbed on the kiosk, and again by the server);
            # when they wrote nothing, the owner records the details when calling back
            description=own_words
            or "自助终端提交：" + "、".join(draft.categories) + "（详情由首接负责人回访时记录）",
            item_id=draft.item_id,
            not_in_catalog=draft.not_in_catalog,
            severity=draft.severity,
            phone=draft.phone,
            privacy_consent=draft.consent,
            submitted_at=self.now().isoformat(),
        )
        waiter = _Waiter()
        with self._lock:
            self._waiting[key] = waiter
        try:
            if not self.outbox.put("case", key, body) and self.outbox.state(key) == "dead":
                raise HallRejected(422, "refused before", "refused")  # tapped again after a refusal
            self.kick()
            if not waiter.done.wait(self.confirm_s):
                log.info("case %s kept in the outbox; the hall server did not confirm in %.0f s",
                         local_reference(key), self.confirm_s)  # fmt: skip
                pending = {"pending": True, "reference": local_reference(key),
                           "phone_masked": mask_mobile(draft.phone), "item_id": draft.item_id,
                           "not_in_catalog": draft.not_in_catalog,
                           "severity": draft.severity}  # fmt: skip
                return pending, None
        finally:
            with self._lock:
                self._waiting.pop(key, None)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.case is not None
        try:
            ticket: Ticket | None = self.hall.issue_ticket(WINDOW_SERVICE, f"{key}:ticket")
        except HallError as exc:  # the case is registered; the window serves without a ticket
            log.warning("no window ticket for case %s: %s", waiter.case.get("case_number"),
                        type(exc).__name__)  # fmt: skip
            ticket = None
        return waiter.case, ticket

    def progress(self, number: str) -> dict[str, Any] | None:
        try:
            return self.hall.case_progress(number)
        except HallRejected as exc:
            if exc.status == 404:
                return None
            raise

    def rate_handling(self, number: str, tail: str, level: str) -> dict[str, Any]:
        """Rate how a closed case was handled; HallRejected (with its code) if refused. Sent
        at once, not through the outbox: the citizen is told the answer at the kiosk."""
        return self.hall.rate_case_handling(number, {"phone_tail": tail, "level": level})

    # -- used by the outbox sender -------------------------------------------------------------
    def send(self, message: Message) -> None:
        """Deliver one case; raise to retry later, Undeliverable to give up (dead letter)."""
        if message.kind != "case":
            raise Undeliverable(f"unknown message kind {message.kind!r}")
        try:
            case = self.hall.create_case({**message.payload, "idempotency_key": message.key})
        except HallRejected as exc:
            self._settle(message.key, error=exc)
            # status and code only: a validation error's detail may echo the phone number;
            # the dead letter keeps the case without the plain number (kept only to send it)
            keep = {**message.payload, "phone": mask_mobile(str(message.payload.get("phone", "")))}
            raise Undeliverable(f"{exc.status} {exc.code or 'refused'}", keep) from None
        log.info("case %s registered as %s", local_reference(message.key),
                 case.get("case_number"))  # fmt: skip
        self._settle(message.key, case=case)

    def _settle(self, key: str, case: dict[str, Any] | None = None,
                error: HallRejected | None = None) -> None:  # fmt: skip
        with self._lock:
            waiter = self._waiting.get(key)
        if waiter is not None:
            waiter.case, waiter.error = case, error
            waiter.done.set()
