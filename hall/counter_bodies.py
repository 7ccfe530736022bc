"""Request and response bodies only the hall's own counter pages use (转窗, counter state).

The bodies the kiosk exchanges with the hall are the shared contract: ``contract.api``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from contract.fields import CounterId, ShortId, text


class TransferRequest(BaseModel):
    """转窗: to another window group or to one named counter, with a short reason."""

    model_config = ConfigDict(extra="forbid")

    to_group: ShortId | None = None
    to_counter: CounterId | None = None
    reason: text(100) = Field(default="", description="why (staff's words, no personal data)")


class CounterStatus(BaseModel):
    counter_id: str
    paused: bool
    staff_id: int | None
    groups: list[str]
    changed_at: dt.datetime | None
