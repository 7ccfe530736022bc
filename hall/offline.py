"""Offline tickets (issue 14): number leases for kiosks, and the tickets they issued from
them while this server was unreachable.

- ``POST /api/v1/kiosks/{kiosk_id}/number-leases`` (kiosk token, only for itself): advance
  the window group's sequence of today by ``size`` in one transaction — the same row the
  server's own issuing increments (``hall.numbering``), so a leased number is never issued
  by the server or leased twice — and record the block as the kiosk's for today only.
- ``POST /api/v1/tickets/offline`` (kiosk token): a ticket the kiosk issued from one of its
  leases, with its real issue time. Idempotent by (kiosk, key): a resend gets the same
  ticket (200). The ticket joins the queue by its issue time, like every other (the call
  rule, ``hall.call_order``, orders by the ORIGINAL issue time), so a citizen who waited
  offline is not sent to the back. A number outside the kiosk's lease, a lease of another
  day or group, or a number already used is refused (409/422), never inserted twice
  (``uq_tickets_number``).

An offline ticket carries what an online one does for its window, minus what would be
personal data on the kiosk's disk: the holder's masked name (``masked_name``, 张*; the same
validation as the online ``holder.masked_name``: only what masking produces) and the
材料预审 result (``precheck``, codes only), stored in the same transaction as the ticket,
exactly as ``POST /api/v1/tickets/{id}/precheck`` stores it (hall/precheck.py) — the
counter sees both when it calls the ticket. The holder's ID number never reaches the
kiosk's outbox in the clear: each lease carries the server's public key (``holder_key``),
the kiosk seals the number with it (``contract.sealed``), and this server opens the box,
keeps only the keyed hash an online ticket gets (so a card read at the rating screen lists
an offline ticket too) and drops the number. ``replaces_key``: the kiosk's online attempt for the same citizen timed out;
if the server did issue that ticket after all, nobody holds it, and it leaves the queue
as 过号 when the offline ticket arrives.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contract.api import NumberLeaseOut, NumberLeaseRequest, OfflineTicketRequest, TicketOut
from contract.sealed import SealError, public_key_of, unseal
from hall.auth import KioskPrincipal
from hall.db import dialect_insert, transaction
from hall.keys import derive_key
from hall.models import NumberLease, Ticket, TicketSequence
from hall.numbering import format_number, numbering_period, service_day
from hall.phone import offline_link_key
from hall.precheck import check_item, precheck_row
from hall.privacy import hash_id_number
from hall.tickets import TicketStore

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["offline"])

HOLDER_NUMBER_MAX = 40  # as contract.api.Holder.id_number
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
"""An offline ticket's issue time may be this far in the server's future (kiosk clocks)."""


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return aware datetimes")
    return now


def lease_numbers(
    app: Any, kiosk_id: str, group_id: str, size: int, now: dt.datetime
) -> NumberLeaseOut:
    """Advance the group's sequence by ``size`` and record the block as ``kiosk_id``'s."""
    queue: TicketStore = app.state.queue
    group = next((g for g in queue.catalog.groups if g.id == group_id), None)
    if group is None:
        raise HTTPException(422, detail="unknown window group")
    day = service_day(now, queue.tz)
    period = numbering_period(group.daily_reset, day)
    with transaction(app.state.engine) as session:
        conn = session.connection()
        stmt = (
            dialect_insert(conn, TicketSequence)
            .values(prefix=group.prefix, period=period, last_seq=size)
            .on_conflict_do_update(
                index_elements=["prefix", "period"],
                set_={"last_seq": TicketSequence.last_seq + size},
            )
            .returning(TicketSequence.last_seq)
        )
        last = int(conn.execute(stmt).scalar_one())
        lease = NumberLease(
            kiosk_id=kiosk_id,
            window_group=group.id,
            prefix=group.prefix,
            period=period,
            service_day=day,
            first_seq=last - size + 1,
            last_seq=last,
            created_at=now,
        )
        session.add(lease)
        session.flush()
        lease_id = lease.id
    log.info("leased %s%d…%d to kiosk %s", group.prefix, last - size + 1, last, kiosk_id)
    return NumberLeaseOut(
        lease_id=lease_id,
        window_group=group.id,
        prefix=group.prefix,
        period=period,
        service_day=day,
        first_seq=last - size + 1,
        last_seq=last,
        timezone=str(queue.tz.key),
        link_base=getattr(app.state, "public_url", None),
        link_key=base64.urlsafe_b64encode(offline_link_key(app, lease_id)).decode(),
        holder_key=public_key_of(holder_seal_key(app)),
    )


def holder_seal_key(app: Any) -> bytes:
    """The X25519 private key offline tickets' holders are sealed to (contract.sealed),
    derived from the ID-hash key: it never leaves the server, and a key rotation, which
    expires the ID hashes, also retires it."""
    return derive_key(app.state.keys.id_hash, "offline-holder-seal")


def holder_hash_of(app: Any, req: OfflineTicketRequest) -> str | None:
    """The keyed hash of the sealed holder's ID number, the number itself dropped at once;
    None when there is none or it cannot be opened (keys rotated since the lease, altered
    bytes): the ticket still joins the queue, unlinked, as before sealing existed."""
    if req.holder_sealed is None:
        return None
    try:
        number = unseal(holder_seal_key(app), req.holder_sealed, req.idempotency_key)
        if not 0 < len(number) <= HOLDER_NUMBER_MAX or not number.isprintable():
            raise SealError("not an ID or permit number")
        # hashed as an online ticket's holder is (hall.queue_rules): the same person links
        return hash_id_number(app.state.keys.id_hash, number)
    except SealError as exc:
        log.warning("offline ticket's sealed holder not usable (%s): kept unlinked", exc)
        return None


def insert_offline(
    app: Any, kiosk_id: str, req: OfflineTicketRequest, now: dt.datetime
) -> tuple[TicketOut, bool]:
    """The offline ticket into the queue (created), or the one this key already made."""
    queue: TicketStore = app.state.queue
    with transaction(app.state.engine) as session:
        existing = session.scalars(
            select(Ticket).where(
                Ticket.kiosk_id == kiosk_id, Ticket.idempotency_key == req.idempotency_key
            )
        ).first()
        if existing is not None:
            return queue.describe(existing, session), False
        lease = session.get(NumberLease, req.lease_id)
        if lease is None or lease.kiosk_id != kiosk_id:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="not this kiosk's lease")
        if not lease.first_seq <= req.seq <= lease.last_seq:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="number outside the lease")
        entry = next(
            (
                e
                for e in (*queue.catalog.services, *queue.catalog.bundles)
                if e.id == req.service_id
            ),
            None,
        )
        if entry is None or entry.group != lease.window_group:
            raise HTTPException(422, detail="service not of the lease's group")
        if req.issued_at > now + MAX_CLOCK_SKEW:
            raise HTTPException(422, detail="issued in the future")
        if service_day(req.issued_at, queue.tz) != lease.service_day:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="lease of another day")
        if req.precheck is not None:  # as for an online ticket's (hall/precheck.py)
            if req.precheck.kiosk_id not in (None, kiosk_id):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN, detail="kiosk_id does not match the token"
                )
            check_item(entry.id, req.precheck)
        ticket = Ticket(
            id=req.ticket_id or str(uuid.uuid4()),
            kiosk_id=kiosk_id,
            idempotency_key=req.idempotency_key,
            service_id=entry.id,
            window_group=lease.window_group,
            prefix=lease.prefix,
            period=lease.period,
            service_day=lease.service_day,
            seq=req.seq,
            number=format_number(lease.prefix, req.seq),
            priority=req.priority,
            language=req.language,
            holder_hash=holder_hash_of(app, req),
            masked_name=req.masked_name,
            status="waiting",
            recall_count=0,
            issued_at=req.issued_at.astimezone(dt.UTC),
        )
        session.add(ticket)
        try:
            session.flush()
        except IntegrityError:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="number (or ticket id) already used"
            ) from None
        if req.precheck is not None:
            session.add(precheck_row(ticket, req.precheck, now))
        if req.replaces_key:
            _withdraw_ghost(session, kiosk_id, req.replaces_key, now)
        out = queue.describe(ticket, session)
    log.info("offline ticket %s from kiosk %s joined the queue", out.number, kiosk_id)
    return out, True


def _withdraw_ghost(session: Any, kiosk_id: str, key: str, now: dt.datetime) -> None:
    """The kiosk gave up waiting for the server's answer to ``key`` and issued offline; if
    the server did issue that ticket, nobody holds it: still waiting, it leaves the queue
    as 过号 (no counter calls it)."""
    ghost = session.scalars(
        select(Ticket).where(Ticket.kiosk_id == kiosk_id, Ticket.idempotency_key == key)
    ).first()
    if ghost is not None and ghost.status == "waiting":
        ghost.status = "no_show"
        ghost.no_show_at = now
        log.info("ticket %s of kiosk %s was never handed out: 过号", ghost.number, kiosk_id)


@router.post(
    "/kiosks/{kiosk_id}/number-leases",
    response_model=NumberLeaseOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "not a kiosk token, or another kiosk's"},
        422: {"description": "unknown window group or invalid size"},
    },
)
def number_lease(
    kiosk_id: str, body: NumberLeaseRequest, kiosk: KioskPrincipal, request: Request
) -> NumberLeaseOut:
    """A block of today's numbers of one window group for this kiosk (kiosk token)."""
    if kiosk.id != kiosk_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="kiosk id does not match the token")
    return lease_numbers(request.app, kiosk_id, body.window_group, body.size, _now(request))


@router.post(
    "/tickets/offline",
    response_model=TicketOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": TicketOut, "description": "resent: the ticket this key already made"},
        403: {"description": "not a kiosk token, or the pre-check names another kiosk"},
        409: {
            "description": "not this kiosk's lease, number outside it or already used, or"
            " the pre-check is for another item"
        },
        422: {"description": "invalid body (e.g. a name that is not masked)"},
    },
)
def offline_ticket(
    body: OfflineTicketRequest, kiosk: KioskPrincipal, request: Request, response: Response
) -> TicketOut:
    """A ticket this kiosk issued offline from its lease, with its issue time (kiosk token)."""
    ticket, created = insert_offline(request.app, kiosk.id, body, _now(request))
    if not created:
        response.status_code = status.HTTP_200_OK
    return ticket
