"""Request and response bodies of the hall server's HTTP API (pydantic 2).

The hall server's routes declare them (they are its OpenAPI schema); the kiosk's client
builds its requests from them and validates the answers with them. Bodies only staff
pages use stay in the hall package.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from contract.catalog import DocType
from contract.fields import (
    Count,
    Day,
    Key,
    MaskedName,
    MobilePhone,
    Moment,
    RowId,
    ShortId,
    TicketId,
    Version,
    line,
    text,
)
from contract.idnumber import compact_id_number, is_masked_name
from contract.sealed import SEALED_MAX
from contract.vocab import (
    CASE_DESCRIPTION_MAX,
    CASE_MAX_CATEGORIES,
    CATALOG_ID_PATTERN,
    COMMENT_MAX,
    MAX_REASONS,
    CaseSeverity,
    Level,
    PrecheckOverall,
    PrecheckStatus,
    RatingTarget,
)

_ID_NUMBER = re.compile(r"^[0-9A-Z]{6,32}$")


class Holder(BaseModel):
    """Who the ticket is for. The ID number is hashed on arrival and never stored."""

    model_config = ConfigDict(extra="forbid")

    id_number: line(40) = Field(
        description="ID or permit number as read from the card; hashed at once, never stored",
        repr=False,
    )
    masked_name: MaskedName = Field(
        default="",
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

    service_id: ShortId = Field(description="item or bundle id")
    idempotency_key: Key = Field(description="unique per kiosk and ticket; retries repeat it")
    holder: Holder | None = None
    priority: bool = Field(default=False, description="绿色通道: called before other tickets")
    language: Literal["zh", "en"] = "zh"


class NumberLeaseRequest(BaseModel):
    """A kiosk asks for a block of numbers of one window group, to issue offline tickets
    from while the hall server is unreachable (``POST /api/v1/kiosks/{id}/number-leases``)."""

    model_config = ConfigDict(extra="forbid")

    window_group: ShortId
    size: int = Field(ge=1, le=200, description="how many numbers")


class NumberLeaseOut(BaseModel):
    """Numbers ``first_seq``…``last_seq`` of ``prefix``/``period`` are this kiosk's alone;
    they may be used on ``service_day`` only (the hall's local day, zone ``timezone``)."""

    lease_id: int
    window_group: str
    prefix: str
    period: str
    service_day: dt.date
    first_seq: int
    last_seq: int
    timezone: str
    link_base: str | None = Field(
        default=None,
        max_length=200,
        description="the hall's public address (HALL_PUBLIC_URL) for the offline tickets'"
        " QR links; None when the hall has none (the kiosk prints HALLTICKET:<key>)",
    )
    link_key: str | None = Field(
        default=None,
        max_length=64,
        description="base64url key this lease's offline tickets' links are signed with"
        " (HMAC-SHA256; the server derives it again from its secret and the lease id)",
    )
    holder_key: str | None = Field(
        default=None,
        max_length=64,
        description="the server's X25519 public key (base64url) an offline ticket's holder ID"
        " number is sealed with (contract.sealed): the kiosk keeps only the sealed bytes",
    )


class SmsSubscriptionIn(BaseModel):
    """短信提醒: a citizen's mobile number for one ticket, from the kiosk that issued it
    (through its outbox; hall/sms.py). Exactly one of ``ticket_id`` / ``ticket_key``."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: TicketId | None = Field(
        default=None, description="the ticket's id, as the server issued it"
    )
    ticket_key: Key | None = Field(
        default=None,
        description="instead of ticket_id, for a ticket issued offline: its idempotency key"
        " (the kiosk's outbox delivers the ticket first)",
    )
    phone: MobilePhone
    language: Literal["zh", "en"] = "zh"


class SmsSubscriptionOut(BaseModel):
    ticket_number: str
    phone_masked: str = Field(description="e.g. 138****5678; the number is never returned")


class OfflineTicketRequest(BaseModel):
    """A ticket a kiosk issued offline from a lease, delivered when the server is back.
    Idempotent by (kiosk, ``idempotency_key``); ``issued_at`` is when the citizen got it."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Key
    service_id: ShortId = Field(description="item or bundle id")
    lease_id: RowId
    seq: int = Field(ge=1, le=1_000_000)
    issued_at: Moment
    priority: bool = False
    language: Literal["zh", "en"] = "zh"
    ticket_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="the ticket's id, chosen by the kiosk (a random UUID) so that its printed"
        " QR link names it before it has reached the server; the server makes one if absent",
    )
    replaces_key: Key | None = Field(
        default=None,
        description="the key the kiosk first tried online: a ticket the server issued for it"
        " after the kiosk gave up waiting is nobody's and leaves the queue (过号)",
    )
    masked_name: MaskedName | None = Field(
        default=None,
        description="the card holder's name masked as on an online ticket (张*; empty when the"
        " number was typed; absent when nobody was identified) — never the full name, never"
        " the ID number (the kiosk keeps no personal data in its outbox)",
    )
    precheck: PrecheckIn | None = Field(
        default=None,
        description="the 材料预审 result for this ticket, as the online path attaches it with"
        " POST /api/v1/tickets/{id}/precheck (codes only); stored with the ticket",
    )
    holder_sealed: str | None = Field(
        default=None,
        max_length=SEALED_MAX,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the card holder's ID number sealed with the lease's holder_key (bound to"
        " idempotency_key): the server opens it, keeps only its keyed hash (so a card read at"
        " the rating screen finds the ticket) and drops it; absent when nobody was identified",
    )


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
    status: Literal["waiting", "called", "completed", "no_show", "held", "transferred"] = Field(
        description="transferred = waiting again after 转窗 (keeps number and issue time);"
        " held = 挂起 by its counter, back at the head of the queue once resumed"
    )
    priority: bool
    language: Literal["zh", "en"]
    masked_name: str | None
    kiosk_id: str
    counter: str | None = None
    called_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    recall_count: int = 0
    public_url: str | None = Field(
        default=None,
        max_length=300,
        description="the signed link to the citizen's live page (the ticket's QR), when the"
        " hall has a public address (HALL_PUBLIC_URL); valid on the ticket's service day",
    )


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["sqlite", "postgresql"]
    catalog_version: str


# -- 好差评 ratings (hall/ratings.py) --------------------------------------------------------
class RatingIn(BaseModel):
    """A citizen's rating, sent by a kiosk (through its outbox; retries repeat the key)."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Key = Field(description="unique per kiosk and rating; retries repeat it")
    target: RatingTarget = "ticket"
    ticket_id: TicketId | None = Field(
        default=None, description="from the ticket's QR code (target ticket)"
    )
    ticket_number: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{1,8}\d{1,6}$",
        description="typed by the citizen, e.g. B042 (target ticket; instead of ticket_id)",
    )
    service_day: Day | None = Field(
        default=None,
        description="with ticket_number: the ticket's day (default: the day of rated_at)",
    )
    level: Level
    reasons: list[line(64)] = Field(
        default_factory=list,
        max_length=MAX_REASONS,
        description="from GET /api/v1/ratings/options; at least one for a bad review",
    )
    comment: text(COMMENT_MAX) | None = None
    rating_count: Literal[1, 2] = Field(
        default=1, description="1 first rating; 2 the follow-up rating after a bad review"
    )
    rated_at: Moment | None = Field(
        default=None, description="when the citizen rated (kiosk clock); default: received"
    )
    kiosk_id: ShortId | None = Field(
        default=None, description="must match the token's kiosk if given"
    )

    @model_validator(mode="after")
    def _target_fields(self) -> RatingIn:
        if self.target == "ticket":
            if (self.ticket_id is None) == (self.ticket_number is None):
                raise ValueError("target 'ticket' needs exactly one of ticket_id, ticket_number")
        else:
            if self.ticket_id or self.ticket_number or self.service_day:
                raise ValueError("target 'self_service_area' takes no ticket")
            if self.rating_count != 1:
                raise ValueError("the self-service area is rated once (rating_count 1)")
        return self


class RatingOut(BaseModel):
    """A stored rating as the kiosk sees it (no rater, no staff id)."""

    id: str
    seq: int = Field(description="position in the tamper-evident chain")
    hash: str = Field(description="SHA-256 of the record; a receipt")
    target: RatingTarget
    ticket_id: str | None
    ticket_number: str | None
    level: Level
    reasons: list[str]
    comment: str | None
    rating_count: int
    rated_at: dt.datetime
    received_at: dt.datetime
    counter: str | None
    service_id: str | None
    kiosk_id: str
    channel: str
    followup_id: int | None = Field(description="set for a bad review (核实、整改、反馈)")


class VisitQuery(BaseModel):
    """Find the visits a citizen may rate: by ID card, typed number or QR (ticket id)."""

    model_config = ConfigDict(extra="forbid")

    holder: Holder | None = Field(default=None, description="card read: today's tickets")
    ticket_number: str | None = Field(default=None, pattern=r"^[A-Za-z]{1,8}\d{1,6}$")
    service_day: Day | None = None
    ticket_id: TicketId | None = None

    @model_validator(mode="after")
    def _one_way(self) -> VisitQuery:
        given = [v for v in (self.holder, self.ticket_number, self.ticket_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of holder, ticket_number, ticket_id")
        return self


class VisitOut(BaseModel):
    ticket_id: str
    number: str
    service_day: dt.date
    service_id: str
    service_name: str
    counter: str | None
    status: str
    issued_at: dt.datetime
    rating_state: Literal["rateable", "not_served", "rated", "followup_rateable"] = Field(
        description="rateable: POST a rating; followup_rateable: POST with rating_count 2"
    )


class RatingOptions(BaseModel):
    levels: list[dict[str, str]]
    bad_levels: list[str]
    reasons: list[str]
    comment_max: int
    division_code: str


# -- 办不成事 cases (hall/cases.py) -----------------------------------------------------------
class CaseIn(BaseModel):
    """A 办不成事 report from a kiosk (through its outbox; retries repeat the key)."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Key
    tried_normal_channel: bool = False
    overlapping_duties: bool = False
    policy_room: bool = False
    categories: list[line(64)] = Field(
        default_factory=list,
        max_length=CASE_MAX_CATEGORIES,
        description="GET /api/v1/cases/options",
    )
    description: text(CASE_DESCRIPTION_MAX, min_length=1) = Field(
        description="what went wrong, in the citizen's words; ID and phone numbers are scrubbed",
    )
    item_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=CATALOG_ID_PATTERN,
        description="the matter (catalog item id, 事项库) that could not be done",
    )
    not_in_catalog: bool = Field(
        default=False, description="the citizen said the matter is not in the catalog"
    )
    severity: CaseSeverity = Field(
        default="ordinary", description="sets the response clock; urgent ones alert at once"
    )
    phone: line(20) = Field(description="mainland mobile, e.g. 13800138000", repr=False)
    privacy_consent: bool = Field(description="the citizen accepted the privacy notice")
    ticket_id: TicketId | None = Field(
        default=None, description="the 办不成事 window ticket, if one was issued"
    )
    submitted_at: Moment | None = Field(
        default=None, description="when the citizen submitted (kiosk clock); default: received"
    )
    kiosk_id: ShortId | None = None


class CaseProgress(BaseModel):
    """What anyone with the case number may see: status and times, no personal data."""

    case_number: str
    status: Literal["submitted", "taken", "responded", "coordinating", "closed"]
    status_name: str
    submitted_at: dt.datetime
    owner_assigned: bool
    respond_due_at: dt.datetime
    coordinate_due_on: dt.date
    close_due_on: dt.date
    taken_at: dt.datetime | None
    responded_at: dt.datetime | None
    coordinated_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    handling_rated: bool = Field(default=False, description="the citizen rated the handling")


class CaseCreated(CaseProgress):
    """The intake answer: progress plus what the kiosk prints on the slip."""

    categories: list[str]
    phone_masked: str
    item_id: str | None = None
    not_in_catalog: bool = False
    severity: CaseSeverity = "ordinary"
    public_url: str | None = Field(
        default=None,
        description="the signed link to the case's phone page (progress, rating the"
        " handling) for the slip's QR; null when the hall has no HALL_PUBLIC_URL",
    )


class CaseHandlingRatingIn(BaseModel):
    """The citizen rates how a closed case was handled: proven by the case number (in the
    path) and the last 4 digits of the call-back phone number."""

    model_config = ConfigDict(extra="forbid")

    phone_tail: str = Field(pattern=r"^\d{4}$", description="last 4 digits", repr=False)
    level: Level


class CaseHandlingRated(BaseModel):
    case_number: str
    level: Level
    rated_at: dt.datetime


class CaseOptions(BaseModel):
    conditions: dict[str, str]
    categories: list[str]
    description_max: int
    respond_hours: float
    severities: dict[str, str] = Field(default_factory=dict, description="level → 中文")
    severity_respond_hours: dict[str, float] = Field(default_factory=dict)
    coordinate_working_days: int
    close_working_days: int


# -- 呼叫工作人员 help requests (hall/help.py) --------------------------------------------------
class HelpRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kiosk_id: ShortId | None = Field(
        default=None, description="must match the token's kiosk if given"
    )
    screen: str = Field(max_length=32, pattern=r"^[a-z_]+$", description="where the citizen is")
    elder: bool = False


class HelpRequestOut(BaseModel):
    id: int
    kiosk_id: str
    screen: str
    elder: bool
    status: Literal["open", "closed"]
    created_at: dt.datetime
    closed_at: dt.datetime | None


# -- kiosk heartbeats (hall/monitoring.py) ------------------------------------------------
CardReaderState = Literal["ok", "offline", "sam_fault", "unknown"]


PrinterState = Literal["ok", "near_end", "paper_out", "cover_open", "offline", "error", "unknown"]


CameraState = Literal["ok", "missing", "unknown"]


VoiceState = Literal["ok", "silent", "unknown"]


AlertCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]


class DeviceStates(BaseModel):
    """Each device's state as the kiosk sees it; a device not sent is ``unknown``."""

    model_config = ConfigDict(extra="ignore")

    card_reader: CardReaderState = "unknown"
    printer: PrinterState = "unknown"
    camera: CameraState = "unknown"
    voice: VoiceState = "unknown"


class Heartbeat(BaseModel):
    """What a kiosk reports every ``interval_s`` seconds. Unknown fields are ignored so an
    older server accepts a newer kiosk."""

    model_config = ConfigDict(extra="ignore")

    version: Version = Field(description="kiosk software version")
    interval_s: float = Field(
        ge=0.5, le=3600, description="seconds until the next heartbeat (the kiosk's setting)"
    )
    devices: DeviceStates = Field(default_factory=DeviceStates)
    outbox_backlog: Count = Field(default=0, description="records waiting for upload")
    alerts: list[AlertCode] = Field(
        default_factory=list, max_length=32, description='short codes, e.g. "printer:paper_out"'
    )
    catalog_version: Version | None = Field(
        default=None, description="version of the catalog the kiosk uses"
    )


class HeartbeatReply(BaseModel):
    catalog_version: str = Field(description="the server's catalog version")
    catalog_etag: str = Field(description="ETag of GET /api/v1/catalog (quoted)")
    problems: list[str] = Field(description="problems the server derived, as staff see them")


# -- 材料预审 results (hall/precheck.py) ------------------------------------------------------
Overall = PrecheckOverall
Status = PrecheckStatus


class MaterialResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=99, description="position in the item's checklist")
    doc_type: DocType
    status: Status
    core: bool


class PrecheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    overall: Overall
    pages: int = Field(ge=0, le=200)
    engine: str = Field(max_length=16, pattern=r"^[a-z_]+$")
    kiosk_id: ShortId | None = Field(default=None, description="must match the token's kiosk")
    checked_at: Moment
    materials: list[MaterialResult] = Field(max_length=60)


class PrecheckOut(BaseModel):
    ticket_id: str
    ticket_number: str
    kiosk_id: str
    service_id: str
    service_day: dt.date
    overall: Overall
    ready: bool  # complete or complete with 容缺
    pages: int
    engine: str
    materials: list[MaterialResult]
    checked_at: dt.datetime
    received_at: dt.datetime
