"""好差评 from the kiosk: find the visit, and deliver the rating through the durable outbox.

A rating is written to the outbox before anything is sent (it survives a dead hall server
and ``kill -9``); the outbox sender posts it to ``POST /api/v1/ratings`` with the outbox
key as idempotency key, so a rating sent twice is stored once. The flow hears back
("confirmed", or "duplicate" when the ticket was already rated) through ``on_settled``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.flow import RatingDraft
from kiosk.hall_client import HallRejected
from kiosk.outbox import Message, Outbox, Undeliverable

log = logging.getLogger(__name__)


class RatingsApi(Protocol):
    def find_visits(self, ticket_number: str) -> list[dict[str, Any]]: ...

    def submit_rating(self, body: dict[str, Any]) -> dict[str, Any]: ...


class RatingService:
    def __init__(self, hall: RatingsApi, outbox: Outbox, kick: Callable[[], None] = lambda: None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:  # fmt: skip
        self.hall = hall
        self.outbox = outbox
        self.kick = kick
        self.now = now
        self.on_settled: Callable[[str, str], None] = lambda key, outcome: None

    # -- used by the flow (off the GUI thread for lookup) -----------------------------------
    def lookup(self, number: str) -> dict[str, Any] | None:
        """Today's ticket with this number: {ticket_id, service_id, rated}; None if unknown."""
        visits = self.hall.find_visits(number)
        if not visits:
            return None
        visit = visits[0]
        state = visit.get("rating_state")
        return {
            "ticket_id": visit["ticket_id"],
            "service_id": visit.get("service_id"),
            "rated": state == "rated",
            "not_served": state == "not_served",
        }

    def submit(self, key: str, draft: RatingDraft, language: str) -> None:
        body: dict[str, Any] = {
            "level": draft.level,
            "reasons": list(draft.reasons),
            "rated_at": self.now().isoformat(),
        }
        if draft.ticket_id:
            body.update(target="ticket", ticket_id=draft.ticket_id)
        elif draft.ticket_number:
            body.update(target="ticket", ticket_number=draft.ticket_number)
        else:
            body["target"] = "self_service_area"
        self.outbox.put("rating", key, body)
        self.kick()

    # -- used by the outbox sender ----------------------------------------------------------
    def send(self, message: Message) -> None:
        """Deliver one outbox message; raise to retry later, Undeliverable to give up."""
        if message.kind != "rating":
            raise Undeliverable(f"unknown message kind {message.kind!r}")
        try:
            self.hall.submit_rating({**message.payload, "idempotency_key": message.key})
        except HallRejected as exc:
            if exc.code == "already_rated":
                self.on_settled(message.key, "duplicate")
            else:
                self.on_settled(message.key, "refused")
            raise Undeliverable(f"{exc.status} {exc.code}: {exc.detail}") from exc
        self.on_settled(message.key, "confirmed")
