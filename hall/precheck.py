"""材料预审 results at the hall server: attached to tickets, read by the window, counted.

``POST /api/v1/tickets/{id}/precheck`` (kiosk token, only the kiosk that issued the ticket):
the kiosk's pre-check result for the ticket's item — codes only (per-material index,
document type, status, core flag; overall; pages; engine; time). The body's schema forbids
any other field, so a recognised name or ID number cannot be stored by mistake. The first
result of a ticket is kept (sending it again answers the stored one): it is the first-visit
check the 一次性备齐率 counts.

``GET /api/v1/tickets/{id}/precheck`` (staff): what the window sees.

``GET /api/v1/precheck/stats`` (staff): the 一次性备齐率 (first-visit completeness rate) —
the share of pre-checked tickets whose verdict was complete or complete with 容缺 (every
core material there) — per service day, per item, and per day and item, with the counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contract.api import MaterialResult, PrecheckIn, PrecheckOut
from contract.fields import Day, TicketId
from hall.auth import KioskPrincipal, StaffPrincipal
from hall.db import transaction
from hall.models import Precheck, Ticket
from hall.numbering import service_day

router = APIRouter(prefix="/api/v1", tags=["precheck"])

READY = ("complete", "can_queue_with_rongque")  # counted as 一次性备齐 (core all there)


class RateRow(BaseModel):
    day: dt.date | None = None
    service_id: str | None = None
    prechecked: int
    complete: int
    can_queue_with_rongque: int
    core_missing: int
    ready: int  # complete + can_queue_with_rongque
    rate: float  # ready / prechecked, 0..1


class PrecheckStats(BaseModel):
    date_from: dt.date
    date_to: dt.date
    total: RateRow
    by_day: list[RateRow]
    by_item: list[RateRow]
    by_day_item: list[RateRow]


def _out(row: Precheck, number: str) -> PrecheckOut:
    return PrecheckOut(
        ticket_id=row.ticket_id, ticket_number=number, kiosk_id=row.kiosk_id,
        service_id=row.service_id, service_day=row.service_day,
        overall=row.overall, ready=row.overall in READY,  # type: ignore[arg-type]
        pages=row.pages, engine=row.engine,
        materials=[MaterialResult(**m) for m in row.materials],
        checked_at=row.checked_at, received_at=row.received_at,
    )  # fmt: skip


@router.post(
    "/tickets/{ticket_id}/precheck",
    response_model=PrecheckOut,
    status_code=status.HTTP_201_CREATED,
)
def attach_precheck(
    ticket_id: TicketId,
    body: PrecheckIn,
    kiosk: KioskPrincipal,
    request: Request,
    response: Response,
) -> PrecheckOut:
    """Attach a pre-check to a ticket this kiosk issued (kiosk token). Idempotent."""
    if body.kiosk_id is not None and body.kiosk_id != kiosk.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="kiosk_id does not match the token")
    try:
        return _attach(ticket_id, body, kiosk.id, request, response)
    except IntegrityError:  # the same result sent twice at once (PostgreSQL): answer the first
        return _attach(ticket_id, body, kiosk.id, request, response)


def _attach(
    ticket_id: str, body: PrecheckIn, kiosk_id: str, request: Request, response: Response
) -> PrecheckOut:
    with transaction(request.app.state.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such ticket")
        if ticket.kiosk_id != kiosk_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="not this kiosk's ticket")
        check_item(ticket.service_id, body)
        existing = session.scalar(select(Precheck).where(Precheck.ticket_id == ticket_id))
        if existing is not None:
            response.status_code = status.HTTP_200_OK
            return _out(existing, ticket.number)
        row = precheck_row(ticket, body, request.app.state.clock())
        session.add(row)
        session.flush()
        return _out(row, ticket.number)


def check_item(service_id: str, body: PrecheckIn) -> None:
    """409 unless the pre-check is for the ticket's item."""
    if service_id != body.service_id:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="the pre-check is for another item")


def precheck_row(ticket: Ticket, body: PrecheckIn, received_at: dt.datetime) -> Precheck:
    """The row of ``body`` for ``ticket`` (checked with ``check_item``), from its kiosk;
    also used for a ticket issued offline with its pre-check (hall/offline.py)."""
    return Precheck(
        ticket_id=ticket.id, kiosk_id=ticket.kiosk_id, service_id=body.service_id,
        service_day=ticket.service_day, overall=body.overall, pages=body.pages,
        engine=body.engine, materials=[m.model_dump() for m in body.materials],
        checked_at=body.checked_at if body.checked_at.tzinfo else
        body.checked_at.replace(tzinfo=dt.UTC),
        received_at=received_at,
    )  # fmt: skip


@router.get("/tickets/{ticket_id}/precheck", response_model=PrecheckOut)
def read_precheck(ticket_id: TicketId, _staff: StaffPrincipal, request: Request) -> PrecheckOut:
    """The pre-check attached to a ticket, for the window (staff token)."""
    with transaction(request.app.state.engine, readonly=True) as session:
        found = session.execute(
            select(Precheck, Ticket.number)
            .join(Ticket, Ticket.id == Precheck.ticket_id)
            .where(Precheck.ticket_id == ticket_id)
        ).first()
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no pre-check for this ticket")
        return _out(found[0], found[1])


def _row(counts: dict[str, int], **key: object) -> RateRow:
    n = sum(counts.values())
    ready = counts["complete"] + counts["can_queue_with_rongque"]
    return RateRow(
        **key,  # type: ignore[arg-type]
        prechecked=n, complete=counts["complete"],
        can_queue_with_rongque=counts["can_queue_with_rongque"],
        core_missing=counts["core_missing"], ready=ready,
        rate=round(ready / n, 4) if n else 0.0,
    )  # fmt: skip


@router.get("/precheck/stats", response_model=PrecheckStats)
def precheck_stats(
    _staff: StaffPrincipal,
    request: Request,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
) -> PrecheckStats:
    """一次性备齐率 per service day and item (staff token); default: the last 30 days."""
    today = service_day(request.app.state.clock(), request.app.state.queue.tz)  # the hall's day
    end = date_to or today
    start = date_from or end - dt.timedelta(days=29)
    if start > end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="from is after to")
    query = select(Precheck.service_day, Precheck.service_id, Precheck.overall).where(
        Precheck.service_day >= start, Precheck.service_day <= end
    )
    zero = {"complete": 0, "can_queue_with_rongque": 0, "core_missing": 0}
    total = dict(zero)
    days: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict(zero))
    items: dict[str, dict[str, int]] = defaultdict(lambda: dict(zero))
    both: dict[tuple[dt.date, str], dict[str, int]] = defaultdict(lambda: dict(zero))
    with transaction(request.app.state.engine, readonly=True) as session:
        for day, service_id, overall in session.execute(query):
            for counts in (total, days[day], items[service_id], both[(day, service_id)]):
                counts[overall] += 1
    return PrecheckStats(
        date_from=start,
        date_to=end,
        total=_row(total),
        by_day=[_row(c, day=d) for d, c in sorted(days.items())],
        by_item=[_row(c, service_id=s) for s, c in sorted(items.items())],
        by_day_item=[_row(c, day=d, service_id=s) for (d, s), c in sorted(both.items())],
    )
