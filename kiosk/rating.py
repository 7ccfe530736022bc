"""好差评 from the kiosk: find the visit, and deliver the rating through the durable outbox.

Finding the visit: a typed ticket number, the ticket's QR code read from the scanner
(``lookup_scanned``: capture, decode with ``kiosk.qr``, look up by ticket id), or the ID card
(``visits_of``: the holder's tickets of today). The hall server answers all three at
``POST /api/v1/ratings/visits``; a card's ID number travels in that request's body only — the
server hashes it at once (HMAC, its own key) as it does when a ticket is taken, so the kiosk
never needs the hash key and nothing about the holder is kept here or logged.

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

from devices.errors import DeviceError, DeviceTimeout
from kiosk.hall_client import HallRejected, HallUnavailable
from kiosk.identity import Holder
from kiosk.journeys.rating import RatingDraft, ScanFailed, TodaysTicket
from kiosk.outbox import Message, Outbox, Undeliverable
from kiosk.qr import QrError, ticket_id_from_image

log = logging.getLogger(__name__)


class RatingsApi(Protocol):
    def find_visits(self, ticket_number: str | None = None, *, ticket_id: str | None = None,
                    holder: Holder | None = None) -> list[dict[str, Any]]: ...  # fmt: skip

    def submit_rating(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def rating_options(self) -> dict[str, Any]: ...


def _visit_result(visit: dict[str, Any]) -> dict[str, Any]:
    state = visit.get("rating_state")
    return {
        "ticket_id": visit["ticket_id"],
        "number": visit.get("number"),
        "service_id": visit.get("service_id"),
        "rated": state == "rated",
        "not_served": state == "not_served",
        "followup": state == "followup_rateable",
    }


class RatingService:
    def __init__(self, hall: RatingsApi, outbox: Outbox, kick: Callable[[], None] = lambda: None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 scan: Callable[[], bytes] | None = None) -> None:  # fmt: skip
        self.hall = hall
        self.outbox = outbox
        self.kick = kick
        self.now = now
        self.scan = scan  # the scanner's capture(): one page as PNG/JPEG bytes
        self.on_settled: Callable[[str, str], None] = lambda key, outcome: None

    # -- used by the flow (off the GUI thread for lookup) -----------------------------------
    def options(self) -> dict[str, Any]:
        """The hall server's reasons and comment limit (``GET /api/v1/ratings/options``)."""
        return self.hall.rating_options()

    def lookup(self, number: str) -> dict[str, Any] | None:
        """Today's ticket with this number: {ticket_id, service_id, rated}; None if unknown."""
        visits = self.hall.find_visits(number)
        return _visit_result(visits[0]) if visits else None

    def lookup_scanned(self) -> dict[str, Any]:
        """Capture a page, read the ticket's QR, look the ticket up. Raises ScanFailed
        (no_page, no_qr, not_ticket, scanner); with the hall server down returns
        ``{"ticket_id": …, "offline": True}`` — the id alone lets the rating be sent later."""
        if self.scan is None:
            raise ScanFailed("scanner")
        try:
            image = self.scan()
        except DeviceTimeout as exc:
            raise ScanFailed("no_page") from exc
        except DeviceError as exc:
            raise ScanFailed("scanner") from exc
        try:
            ticket_id = ticket_id_from_image(image)
        except QrError as exc:
            code = "no_qr" if exc.code == "not_image" else exc.code
            raise ScanFailed(code) from exc
        try:
            visits = self.hall.find_visits(ticket_id=ticket_id)
        except HallUnavailable:
            return {"ticket_id": ticket_id, "number": None, "offline": True}
        except HallRejected as exc:
            if exc.status == 404:
                raise ScanFailed("unknown_ticket") from exc
            raise
        if not visits:
            raise ScanFailed("unknown_ticket")
        return _visit_result(visits[0])

    def visits_of(self, holder: Holder) -> list[TodaysTicket]:
        """The card holder's tickets of today, oldest first."""
        return [
            TodaysTicket(
                ticket_id=str(v["ticket_id"]),
                number=str(v["number"]),
                service_id=str(v.get("service_id", "")),
                service_name=str(v.get("service_name", "")),
                state=str(v.get("rating_state", "rateable")),
            )  # fmt: skip
            for v in self.hall.find_visits(holder=holder)
        ]

    def submit(self, key: str, draft: RatingDraft, language: str) -> None:
        body: dict[str, Any] = {
            "level": draft.level,
            "reasons": list(draft.reasons),
            "rated_at": self.now().isoformat(),
        }
        if draft.full_comment:
            body["comment"] = draft.full_comment
        if draft.rating_count == 2:
            body["rating_count"] = 2
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
