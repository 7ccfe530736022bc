"""材料预审 results to the hall server, for an online ticket (kiosk/journeys/precheck.py).

The result is attached at once (``POST /api/v1/tickets/{id}/precheck``); when the server
cannot be reached then (it went down between issuing the ticket and this request), the
result is kept in the durable outbox (kind ``precheck``) and delivered when the server is
back, so the window still sees it. Codes only (no name, no ID number): the same body the
request carries. An offline ticket keeps its result with the ticket itself
(kiosk/offline.py); this is for a ticket the server already has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.hall_client import HallRejected, HallUnavailable
from kiosk.outbox import Message, Outbox, Undeliverable

log = logging.getLogger(__name__)

KIND = "precheck"


class PrecheckApi(Protocol):
    def submit_precheck(self, ticket_id: str, body: dict[str, Any]) -> dict[str, Any]: ...


class PrecheckResults:
    def __init__(
        self, hall: PrecheckApi, outbox: Outbox, kick: Callable[[], None] = lambda: None
    ) -> None:
        self.hall = hall
        self.outbox = outbox
        self.kick = kick

    def attach(self, ticket_id: str, body: dict[str, Any]) -> str:
        """``"sent"``, or ``"queued"`` (kept for later: the server is unreachable now).
        HallRejected when the server refused it (not this kiosk's ticket, another item)."""
        try:
            self.hall.submit_precheck(ticket_id, body)
        except HallUnavailable:
            self.outbox.put(KIND, f"{ticket_id}:precheck", {"ticket_id": ticket_id,
                                                            "body": body})  # fmt: skip
            self.kick()
            log.info("pre-check result kept for ticket %s until the server is back", ticket_id)
            return "queued"
        return "sent"

    def send(self, message: Message) -> None:
        """The outbox's sender of ``precheck``: raise to retry later, Undeliverable to give up."""
        payload = message.payload
        try:
            self.hall.submit_precheck(str(payload["ticket_id"]), dict(payload["body"]))
        except HallRejected as exc:  # another kiosk's ticket, another item: never going to work
            raise Undeliverable(f"{exc.status} {exc.code or 'refused'}") from None
