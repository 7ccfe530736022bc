"""呼叫工作人员: kiosks raise help requests; staff list the open ones and close them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from contract.api import HelpRequestIn, HelpRequestOut
from contract.fields import RowId
from hall.auth import KioskPrincipal, StaffPrincipal
from hall.db import transaction
from hall.models import HelpRequest

router = APIRouter(prefix="/api/v1/help-requests", tags=["help"])


def _out(row: HelpRequest) -> HelpRequestOut:
    return HelpRequestOut(
        id=row.id, kiosk_id=row.kiosk_id, screen=row.screen, elder=row.elder,
        status=row.status, created_at=row.created_at, closed_at=row.closed_at,  # type: ignore[arg-type]
    )  # fmt: skip


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


@router.post("", response_model=HelpRequestOut, status_code=status.HTTP_201_CREATED)
def create_help_request(
    body: HelpRequestIn, kiosk: KioskPrincipal, request: Request
) -> HelpRequestOut:
    """A citizen pressed 呼叫工作人员 (kiosk token)."""
    if body.kiosk_id is not None and body.kiosk_id != kiosk.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="kiosk_id does not match the token")
    with transaction(request.app.state.engine) as session:
        row = HelpRequest(kiosk_id=kiosk.id, screen=body.screen, elder=body.elder, status="open",
                          created_at=_now(request))  # fmt: skip
        session.add(row)
        session.flush()
        return _out(row)


@router.get("", response_model=list[HelpRequestOut])
def list_help_requests(
    _staff: StaffPrincipal, request: Request, state: Literal["open", "closed", "all"] = "open"
) -> list[HelpRequestOut]:
    """Help requests, oldest first (staff token)."""
    query = select(HelpRequest).order_by(HelpRequest.created_at, HelpRequest.id)
    if state != "all":
        query = query.where(HelpRequest.status == state)
    with transaction(request.app.state.engine, readonly=True) as session:
        return [_out(row) for row in session.scalars(query)]


@router.post("/{request_id}/close", response_model=HelpRequestOut)
def close_help_request(
    request_id: RowId, staff: StaffPrincipal, request: Request
) -> HelpRequestOut:
    """A member of staff has helped (staff token); closing twice is harmless."""
    with transaction(request.app.state.engine) as session:
        row = session.get(HelpRequest, request_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such help request")
        if row.status == "open":
            row.status, row.closed_at, row.closed_by = "closed", _now(request), int(staff.id)
        return _out(row)
