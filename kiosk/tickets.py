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
    offline: bool = False  # issued by the kiosk from its number lease (``kiosk.offline``)

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
        )

    @property
    def estimated_wait_min(self) -> int:
        return math.ceil(self.estimated_wait_s / 60)

    @property
    def qr_data(self) -> str:
        """What the ticket's QR carries: the ticket id, for status look-up and rating (an
        offline ticket's id is its outbox key; it has no server id until it is synced)."""
        return f"HALLTICKET:{self.id}"
