"""短信提醒 at the kiosk: the citizen's mobile number for their ticket, to the hall server.

The number goes through the durable outbox (kind ``sms``), after the ticket: an online
ticket's number is sent at once (the sender is kicked), an offline ticket's right after
the ticket itself reaches the server (the number waits while the ticket waits in the
outbox; the request names the ticket by its idempotency key then). The outbox keeps the plain number only until the
server confirms it (like a case's call-back number, ``kiosk.outbox``); a refusal for good
keeps the masked form in the dead letter. The number is never logged nor printed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from contract.fields import is_mobile, mask_mobile
from kiosk.hall_client import HallRejected
from kiosk.outbox import Message, NotYet, Outbox, Undeliverable
from kiosk.tickets import Ticket

log = logging.getLogger(__name__)

KIND = "sms"


class SmsApi(Protocol):
    def subscribe_sms(self, body: dict[str, Any]) -> dict[str, Any]: ...


class SmsService:
    def __init__(self, hall: SmsApi, outbox: Outbox, kick: Callable[[], None] = lambda: None):
        self.hall = hall
        self.outbox = outbox
        self.kick = kick

    def request(self, ticket: Ticket, phone: str, language: str) -> str:
        """Keep the number for ``ticket`` durably and send it; returns its masked form.
        ValueError for a number that is not a mainland mobile number (checked before)."""
        if not is_mobile(phone):
            raise ValueError("not a mainland mobile number")
        ref = {"ticket_key": ticket.id} if ticket.offline else {"ticket_id": ticket.id}
        payload = {**ref, "phone": phone, "language": "en" if language == "en" else "zh"}
        self.outbox.put(KIND, f"{ticket.id}:sms", payload)  # one number per ticket
        self.kick()
        log.info("text messages requested for ticket %s", ticket.number)
        return mask_mobile(phone)

    def send(self, message: Message) -> None:
        """The outbox's sender of ``sms``: raise to retry later, Undeliverable to give up.
        An offline ticket's number waits while the ticket itself waits in the outbox (its
        backoff may end later than this message's): sent first, the server would not know
        the ticket yet and refuse the number for good."""
        ticket_key = message.payload.get("ticket_key")
        if ticket_key is not None and self.outbox.state(str(ticket_key)) == "waiting":
            raise NotYet(ticket_key)
        try:
            self.hall.subscribe_sms(dict(message.payload))
        except HallRejected as exc:  # 404/403/409/422: never going to work; keep it masked
            keep = {**message.payload, "phone": mask_mobile(str(message.payload.get("phone")))}
            raise Undeliverable(f"{exc.status} {exc.code or 'refused'}", keep) from None
