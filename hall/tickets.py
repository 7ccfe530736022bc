"""The queue: issuing tickets, estimating waits, calling and closing them at counters.

Framework-free (no FastAPI here): ``hall.app`` maps the exceptions below to HTTP codes.

Queue order inside a window group: priority tickets (绿色通道) first, then by number. A
counter serving several groups takes the head of each group's queue and calls the one that
is priority, else the one issued earliest. Only the current numbering period counts:
yesterday's unserved tickets of a daily-reset group are no longer in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import statistics
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall.db import run_transaction, transaction
from hall.models import Ticket
from hall.numbering import format_number, next_seq, numbering_period, service_day
from hall.privacy import hash_id_number
from hall.schemas import TicketOut, TicketRequest
from kiosk.catalog import Catalog, WindowGroup

log = logging.getLogger(__name__)

SERVICE_TIME_SAMPLE = 20
"""How many of a group's latest completed tickets the wait estimate looks at."""
MIN_SERVICE_TIME_SAMPLE = 3
"""Below this many completed tickets the catalog's avg_service_s is used instead."""
_CALL_ATTEMPTS = 10


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


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Times leave the API in UTC, whatever clock or database produced them."""
    return value.astimezone(dt.UTC) if value is not None else None


@dataclass(frozen=True)
class _Transition:
    allowed_from: frozenset[str]
    to: str


TRANSITIONS = {
    "recall": _Transition(frozenset({"called"}), "called"),
    "no-show": _Transition(frozenset({"called"}), "no_show"),
    "complete": _Transition(frozenset({"called"}), "completed"),
}
"""Staff actions on a called ticket; anything else is an invalid transition (409)."""


class Queue:
    """Ticket operations on one database, for one catalog and hall time zone."""

    def __init__(self, engine: Engine, catalog: Catalog, tz: ZoneInfo, id_hash_key: bytes):
        self.engine = engine
        self.catalog = catalog
        self.tz = tz
        self._id_hash_key = id_hash_key

    # -- issuing ------------------------------------------------------------------------
    def issue(self, kiosk_id: str, req: TicketRequest, now: dt.datetime) -> tuple[TicketOut, bool]:
        """Issue a ticket, or return the one this (kiosk, idempotency key) already got.

        Returns (ticket, created). The counter increment and the insert share one
        transaction; a concurrent retry that loses the race on the idempotency constraint
        rolls back (returning its number) and reads the winner's ticket.
        """
        try:
            entry = self.catalog.entry(req.service_id)
        except KeyError:
            raise UnknownService(
                f"unknown service_id {req.service_id!r} (catalog {self.catalog.version})"
            ) from None
        group = self.catalog.group(entry.group)
        holder_hash = (
            hash_id_number(self._id_hash_key, req.holder.id_number) if req.holder else None
        )
        day = service_day(now, self.tz)
        period = numbering_period(group.daily_reset, day)

        def work(session: Session) -> tuple[Ticket, bool]:
            existing = self._by_idempotency_key(session, kiosk_id, req.idempotency_key)
            if existing is not None:
                return existing, False
            seq = next_seq(session, group.prefix, period)
            ticket = Ticket(
                id=str(uuid.uuid4()),
                kiosk_id=kiosk_id,
                idempotency_key=req.idempotency_key,
                service_id=entry.id,
                window_group=group.id,
                prefix=group.prefix,
                period=period,
                service_day=day,
                seq=seq,
                number=format_number(group.prefix, seq),
                priority=req.priority,
                language=req.language,
                holder_hash=holder_hash,
                masked_name=req.holder.masked_name if req.holder else None,
                status="waiting",
                recall_count=0,
                issued_at=now,
            )
            session.add(ticket)
            session.flush()
            return ticket, True

        try:
            ticket, created = run_transaction(self.engine, work)
        except IntegrityError:
            with transaction(self.engine, readonly=True) as session:
                found = self._by_idempotency_key(session, kiosk_id, req.idempotency_key)
            if found is None:  # the (prefix, period, seq) guard fired: counter out of step
                log.error("ticket number conflict for prefix %s period %s", group.prefix, period)
                raise
            log.info("concurrent retry of %s lost the race; returning it", found.number)
            ticket, created = found, False
        if not created and ticket.service_id != req.service_id:
            raise IdempotencyConflict(
                f"idempotency_key {req.idempotency_key!r} was used for {ticket.service_id!r}"
            )
        if created:
            log.info("issued %s (%s) to kiosk %s", ticket.number, group.id, kiosk_id)
        return self.describe(ticket), created

    @staticmethod
    def _by_idempotency_key(session: Session, kiosk_id: str, key: str) -> Ticket | None:
        return session.scalar(
            select(Ticket).where(Ticket.kiosk_id == kiosk_id, Ticket.idempotency_key == key)
        )

    # -- reading ------------------------------------------------------------------------
    def get(self, ticket_id: str) -> TicketOut:
        with transaction(self.engine, readonly=True) as session:
            ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketNotFound(f"no ticket {ticket_id!r}")
        return self.describe(ticket)

    def describe(self, ticket: Ticket) -> TicketOut:
        """The API view of a ticket, with a live people-ahead count and wait estimate."""
        ahead, wait_s = 0, 0
        if ticket.status == "waiting":
            with transaction(self.engine, readonly=True) as session:
                ahead = self._people_ahead(session, ticket)
                wait_s = self._estimated_wait_s(session, ticket.window_group, ahead)
        en = ticket.language == "en"
        try:
            entry = self.catalog.entry(ticket.service_id)
            service_name = entry.name_en if en else entry.name
        except KeyError:  # the catalog changed since the ticket was issued
            service_name = ticket.service_id
        try:
            group = self.catalog.group(ticket.window_group)
            group_name = group.name_en if en else group.name
            location = group.location_en if en else group.location
        except KeyError:
            group_name, location = ticket.window_group, ""
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
            estimated_wait_s=wait_s,
            issued_at=ticket.issued_at.astimezone(dt.UTC),
            status=ticket.status,  # type: ignore[arg-type]
            priority=ticket.priority,
            language=ticket.language,  # type: ignore[arg-type]
            masked_name=ticket.masked_name,
            kiosk_id=ticket.kiosk_id,
            counter=ticket.counter,
            called_at=_utc(ticket.called_at),
            completed_at=_utc(ticket.completed_at),
            recall_count=ticket.recall_count,
        )

    @staticmethod
    def _people_ahead(session: Session, ticket: Ticket) -> int:
        """Waiting tickets of the same group and period that will be called first."""
        earlier = Ticket.seq < ticket.seq
        ahead = (
            and_(Ticket.priority.is_(True), earlier)
            if ticket.priority
            else or_(Ticket.priority.is_(True), earlier)
        )
        count = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.window_group == ticket.window_group,
                Ticket.period == ticket.period,
                Ticket.status == "waiting",
                Ticket.id != ticket.id,
                ahead,
            )
        )
        return int(count or 0)

    def _estimated_wait_s(self, session: Session, group_id: str, ahead: int) -> int:
        """ceil(ahead / counters) × median service time of the group, seconds."""
        if ahead == 0:
            return 0
        try:
            group = self.catalog.group(group_id)
        except KeyError:
            return 0
        rounds = math.ceil(ahead / len(group.counters))
        return round(rounds * self.service_time_s(session, group))

    @staticmethod
    def service_time_s(session: Session, group: WindowGroup) -> float:
        """Median of the last 20 real service times (completed − called), seconds.

        Falls back to the catalog's ``avg_service_s`` while fewer than 3 are known.
        """
        rows = session.execute(
            select(Ticket.called_at, Ticket.completed_at)
            .where(
                Ticket.window_group == group.id,
                Ticket.status == "completed",
                Ticket.called_at.is_not(None),
                Ticket.completed_at.is_not(None),
            )
            .order_by(Ticket.completed_at.desc())
            .limit(SERVICE_TIME_SAMPLE)
        ).all()
        durations = [(done - called).total_seconds() for called, done in rows if called and done]
        if len(durations) < MIN_SERVICE_TIME_SAMPLE:
            return float(group.avg_service_s)
        return float(statistics.median(durations))

    # -- counters -----------------------------------------------------------------------
    def counter_groups(self, counter_id: str) -> list[WindowGroup]:
        groups = [g for g in self.catalog.groups if counter_id in g.counters]
        if not groups:
            raise UnknownCounter(f"unknown counter {counter_id!r}")
        return groups

    def call_next(self, counter_id: str, staff_id: int, now: dt.datetime) -> TicketOut | None:
        """Call the next waiting ticket for this counter, or None when nobody waits.

        The ticket is claimed with a conditional UPDATE (still waiting?), so two counters
        calling at once never get the same ticket: the loser simply picks again.
        """
        groups = self.counter_groups(counter_id)
        day = service_day(now, self.tz)
        for _ in range(_CALL_ATTEMPTS):
            with transaction(self.engine) as session:
                heads = [
                    self._head(session, g, numbering_period(g.daily_reset, day)) for g in groups
                ]
                candidates = [t for t in heads if t is not None]
                if not candidates:
                    return None
                chosen = min(candidates, key=lambda t: (not t.priority, t.issued_at, t.seq))
                claimed = session.scalar(
                    update(Ticket)
                    .where(Ticket.id == chosen.id, Ticket.status == "waiting")
                    .values(status="called", counter=counter_id, staff_id=staff_id, called_at=now)
                    .returning(Ticket.id)
                )
                if claimed is not None:
                    session.refresh(chosen)
            if claimed is not None:
                log.info("counter %s called %s", counter_id, chosen.number)
                return self.describe(chosen)
        raise InvalidTransition("too many concurrent calls; try again")

    @staticmethod
    def _head(session: Session, group: WindowGroup, period: str) -> Ticket | None:
        return session.scalar(
            select(Ticket)
            .where(
                Ticket.window_group == group.id,
                Ticket.period == period,
                Ticket.status == "waiting",
            )
            .order_by(Ticket.priority.desc(), Ticket.seq)
            .limit(1)
        )

    def act(self, ticket_id: str, action: str, staff_id: int, now: dt.datetime) -> TicketOut:
        """recall / no-show / complete a called ticket; 409-worthy if its state forbids it."""
        rule = TRANSITIONS[action]
        values: dict[str, object] = {"status": rule.to, "staff_id": staff_id}
        if action == "recall":
            values["recall_count"] = Ticket.recall_count + 1
        elif action == "complete":
            values["completed_at"] = now
        elif action == "no-show":
            values["no_show_at"] = now
        with transaction(self.engine) as session:
            changed = session.scalar(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status.in_(rule.allowed_from))
                .values(**values)
                .returning(Ticket.id)
            )
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            if changed is None:
                raise InvalidTransition(
                    f"cannot {action} ticket {ticket.number}: it is {ticket.status}"
                )
            session.refresh(ticket)
        log.info("ticket %s: %s by staff %s", ticket.number, action, staff_id)
        return self.describe(ticket)
