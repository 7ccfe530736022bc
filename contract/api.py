"""Request and response bodies of the HTTP API (pydantic 2); they are the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.idnumber import compact_id_number, is_masked_name

_ID_NUMBER = re.compile(r"^[0-9A-Z]{6,32}$")


class Holder(BaseModel):
    """Who the ticket is for. The ID number is hashed on arrival and never stored."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        description="ID or permit number as read from the card; hashed at once, never stored",
        repr=False,
    )
    masked_name: str = Field(
        default="",
        max_length=32,
        description="masked as printed, e.g. 张* (never the full name); empty when the number was typed",
    )

    @field_validator("id_number")
    @classmethod
    def _id_number_shape(cls, value: str) -> str:
        if not _ID_NUMBER.match(compact_id_number(value)):
            raise ValueError(
                "must be 6 to 32 letters or digits, as read from the card (not masked)"
            )
        return value

    @field_validator("masked_name")
    @classmethod
    def _masked(cls, value: str) -> str:
        if not is_masked_name(value):
            raise ValueError("must be masked with '*' (e.g. 张*); a plain name is not accepted")
        return value


class TicketRequest(BaseModel):
    """A kiosk asks for a ticket. Retries reuse the same ``idempotency_key``."""

    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(min_length=1, max_length=64, description="item or bundle id")
    idempotency_key: str = Field(
        min_length=1, max_length=100, description="unique per kiosk and ticket; retries repeat it"
    )
    holder: Holder | None = None
    priority: bool = Field(default=False, description="绿色通道: called before other tickets")
    language: Literal["zh", "en"] = "zh"


class TicketOut(BaseModel):
    """A ticket as kiosks, counters and display boards see it."""

    id: str
    number: str = Field(description="prefix + at least 3 digits, e.g. A001")
    service_id: str
    service_name: str
    window_group: str = Field(description="window group id, e.g. 'market'")
    window_group_name: str
    location: str
    service_day: dt.date = Field(description="the hall-local day the number belongs to")
    people_ahead: int = Field(description="waiting tickets called before this one")
    estimated_wait_s: int = Field(description="estimated wait, seconds")
    issued_at: dt.datetime
    status: Literal["waiting", "called", "completed", "no_show"]
    priority: bool
    language: Literal["zh", "en"]
    masked_name: str | None
    kiosk_id: str
    counter: str | None = None
    called_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    recall_count: int = 0


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["sqlite", "postgresql"]
    catalog_version: str
