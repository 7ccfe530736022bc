"""A queue ticket as the hall server issued it, and what the printer needs from it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ticket:
    id: str
    number: str
    service_id: str
    window_group: str
    people_ahead: int
    estimated_wait_s: int
    issued_at: dt.datetime
    priority: bool = False
    masked_name: str = ""
    public_url: str = ""  # the signed link to the citizen's phone page (HALL_PUBLIC_URL)
    offline: bool = False  # issued by the kiosk from its number lease (``kiosk.offline``)
    # an offline ticket's id at the server, chosen by the kiosk (``id`` is its outbox key)
    server_id: str = ""

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Ticket:
        return cls(
            id=str(body["id"]),
            number=str(body["number"]),
            service_id=str(body["service_id"]),
            window_group=str(body["window_group"]),
            people_ahead=int(body["people_ahead"]),
            estimated_wait_s=int(body["estimated_wait_s"]),
            issued_at=dt.datetime.fromisoformat(str(body["issued_at"])),
            priority=bool(body.get("priority", False)),
            masked_name=str(body.get("masked_name") or ""),
            public_url=str(body.get("public_url") or "")[:300],
        )

    @property
    def estimated_wait_min(self) -> int:
        return math.ceil(self.estimated_wait_s / 60)

    @property
    def qr_data(self) -> str:
        """What the ticket's QR carries: the server's signed link to the citizen's live page
        (``<hall public address>/t/<id>/<signature>``), which the kiosk's scanner also
        reads for a rating; an offline ticket's link signed with its lease's key
        (``<address>/t/o/<lease>/<id>/<signature>``, kiosk/offline.py); ``HALLTICKET:<id>``
        when the hall has no public address (an offline ticket's: the id it will have at
        the server, ``server_id``; its outbox key only for one kept before it had one)."""
        return self.public_url or f"HALLTICKET:{self.server_id or self.id}"
