"""The queue's rules as plain functions, the same for every ticket store (``hall.tickets``,
``hall.tickets_sqlite``, ``hall.tickets_pg``): the errors the API reports, the staff
actions a ticket's state allows, a new ticket's values, the wait estimate, the API view of
a ticket and where a transfer goes. No database here; the call order is
``hall.call_order`` and the numbering ``hall.numbering``.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from contract.api import TicketOut, TicketRequest
from contract.catalog import Bundle, Catalog, Service, WindowGroup
from hall.numbering import numbering_period, service_day
from hall.privacy import hash_id_number

SERVICE_TIME_SAMPLE = 20
"""How many of a group's latest completed tickets the wait estimate looks at."""
MIN_SERVICE_TIME_SAMPLE = 3
"""Below this many completed tickets the catalog's avg_service_s is used instead."""
RETURN_DETAIL = "outcome:return"
"""``queue_actions.detail`` of a ``complete`` whose outcome is 退件 (returned)."""


class QueueError(Exception):
    """Base of the errors the API reports to the caller."""


class UnknownService(QueueError):
    pass


class UnknownCounter(QueueError):
    pass


class TicketNotFound(QueueError):
    pass


class InvalidTransition(QueueError):
    pass


class IdempotencyConflict(QueueError):
    pass


class UnknownGroup(QueueError):
    """A transfer names a window group the catalog does not have."""


class NotYourTicket(QueueError):
    """Only the counter that holds a ticket (or a supervisor) may act on it: 403."""


class CounterPaused(QueueError):
    """The counter is on break (暂停服务): it calls nobody and takes no transfers: 409."""

    @classmethod
    def of(cls, counter_id: str) -> CounterPaused:
        return cls(f"counter {counter_id} is on break (暂停服务); open it first (恢复服务)")


class KioskNotAuthorized(QueueError):
    """The kiosk token given to ``issue`` no longer matches (rotated): 401."""


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in UTC, whatever clock or database produced them."""
    return value.astimezone(dt.UTC) if value is not None else None


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[str]
    to: str


TRANSITIONS = {
    "recall": Transition(frozenset({"called"}), "called"),
    "no-show": Transition(frozenset({"called"}), "no_show"),
    "complete": Transition(frozenset({"called"}), "completed"),
    "hold": Transition(frozenset({"called"}), "held"),
    "resume": Transition(frozenset({"held"}), "waiting"),
    "transfer": Transition(frozenset({"called", "held"}), "waiting"),
}
"""Staff actions on a called ticket; anything else is an invalid transition (409)."""


class CatalogIndex:
    """The catalog's look-ups a store needs on every ticket, precomputed (the catalog does
    linear scans), and the display names of a ticket in its language, cached."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.groups: dict[str, WindowGroup] = {g.id: g for g in catalog.groups}
        self.entries: dict[str, Service | Bundle] = {
            e.id: e for e in (*catalog.services, *catalog.bundles)
        }
        self._names: dict[tuple[str, str, bool], tuple[str, str, str]] = {}

    def names(self, service_id: str, group_id: str, en: bool) -> tuple[str, str, str]:
        """(service name, window group name, location) in the ticket's language."""
        cache_key = (service_id, group_id, en)
        names = self._names.get(cache_key)
        if names is None:
            names = self._names[cache_key] = self._lookup_names(service_id, group_id, en)
        return names

    def _lookup_names(self, service_id: str, group_id: str, en: bool) -> tuple[str, str, str]:
        entry = self.entries.get(service_id)
        if entry is None:  # the catalog changed since the ticket was issued
            service_name = service_id
        else:
            service_name = entry.name_en if en else entry.name
        group = self.groups.get(group_id)
        if group is None:
            return service_name, group_id, ""
        if en:
            return service_name, group.name_en, group.location_en
        return service_name, group.name, group.location


def new_ticket_values(
    index: CatalogIndex,
    tz: ZoneInfo,
    id_hash_key: bytes,
    kiosk_id: str,
    req: TicketRequest,
    now: dt.datetime,
) -> tuple[WindowGroup, dict[str, Any]]:
    """Everything of a new ticket but its id, number and seq; UnknownService if the
    catalog has no such item or bundle."""
    entry = index.entries.get(req.service_id)
    if entry is None:
        raise UnknownService(
            f"unknown service_id {req.service_id!r} (catalog {index.catalog.version})"
        )
    group = index.groups[entry.group]
    holder = req.holder
    day = service_day(now, tz)
    return group, {
        "kiosk_id": kiosk_id,
        "idempotency_key": req.idempotency_key,
        "service_id": entry.id,
        "window_group": group.id,
        "prefix": group.prefix,
        "period": numbering_period(group.daily_reset, day),
        "service_day": day,
        "priority": req.priority,
        "language": req.language,
        "holder_hash": hash_id_number(id_hash_key, holder.id_number) if holder else None,
        "masked_name": holder.masked_name if holder else None,
        "status": "waiting",
        "recall_count": 0,
        "issued_at": now,
    }


def service_time_s(group: WindowGroup, durations: list[float]) -> float:
    """Median of the group's latest real service times (completed − called), seconds;
    the catalog's ``avg_service_s`` while fewer than MIN_SERVICE_TIME_SAMPLE are known."""
    if len(durations) < MIN_SERVICE_TIME_SAMPLE:
        return float(group.avg_service_s)
    return float(statistics.median(durations))


def wait_s(group: WindowGroup | None, ahead: int, durations: list[float]) -> int:
    """ceil(ahead / counters) × the group's service time (``service_time_s``), seconds.

    ``durations`` are the group's latest real service times (newest first)."""
    if ahead == 0 or group is None:
        return 0
    rounds = math.ceil(ahead / len(group.counters))
    return round(rounds * service_time_s(group, durations))


def ticket_out(index: CatalogIndex, ticket: Any, ahead: int, wait: int) -> TicketOut:
    """The API view of a ticket (an ORM Ticket or any row with the view's columns)."""
    service_name, group_name, location = index.names(
        ticket.service_id, ticket.window_group, ticket.language == "en"
    )
    return TicketOut(
        id=ticket.id,
        number=ticket.number,
        service_id=ticket.service_id,
        service_name=service_name,
        window_group=ticket.window_group,
        window_group_name=group_name,
        location=location,
        service_day=ticket.service_day,
        people_ahead=ahead,
        estimated_wait_s=wait,
        issued_at=ticket.issued_at.astimezone(dt.UTC),
        status=(
            "transferred"
            if ticket.status == "waiting" and getattr(ticket, "transferred_at", None)
            else ticket.status
        ),
        priority=ticket.priority,
        language=ticket.language,
        masked_name=ticket.masked_name,
        kiosk_id=ticket.kiosk_id,
        counter=ticket.counter,
        called_at=utc(ticket.called_at),
        completed_at=utc(ticket.completed_at),
        recall_count=ticket.recall_count,
    )


def transfer_target(
    index: CatalogIndex, to_group: str | None, to_counter: str | None, reason: str | None
) -> tuple[WindowGroup, str]:
    """转窗: the group a transfer goes to and the ``queue_actions.detail`` that records it.

    Exactly one of ``to_group`` / ``to_counter`` (InvalidTransition otherwise); an unknown
    one is UnknownGroup / UnknownCounter."""
    if (to_group is None) == (to_counter is None):
        raise InvalidTransition("a transfer names either to_group or to_counter")
    if to_counter is not None:
        own = [g for g in index.catalog.groups if to_counter in g.counters]
        if not own:
            raise UnknownCounter(f"unknown counter {to_counter!r}")
        group = own[0]
        where = f"counter:{to_counter}"
    else:
        found = index.groups.get(to_group or "")
        if found is None:
            raise UnknownGroup(
                f"unknown window group {to_group!r}; groups: {', '.join(index.groups)}"
            )
        group = found
        where = f"group:{group.id}"
    return group, f"{where} {reason or ''}".strip()
