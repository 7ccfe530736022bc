"""Bearer-token authentication: kiosks issue and read tickets, staff work the counters.

Tokens are looked up by their SHA-256 digest (``hall.db.hash_token``); the database never
holds a usable token. Missing or unknown token → 401; a valid token of the wrong kind → 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from hall.db import hash_token, transaction
from hall.models import Kiosk, Staff

_bearer = HTTPBearer(auto_error=False, description="kiosk or staff token from `python -m hall`")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a kiosk (id = kiosk id) or a member of staff (id = staff row id)."""

    kind: Literal["kiosk", "staff"]
    id: str


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token (kiosk or staff)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing bearer token")
    digest = hash_token(credentials.credentials)
    with transaction(request.app.state.engine, readonly=True) as session:
        kiosk_id = session.scalar(select(Kiosk.id).where(Kiosk.token_hash == digest))
        if kiosk_id is not None:
            return Principal("kiosk", kiosk_id)
        staff_id = session.scalar(select(Staff.id).where(Staff.token_hash == digest))
    if staff_id is not None:
        return Principal("staff", str(staff_id))
    raise _unauthorized("invalid token")


def require_kiosk(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Only kiosks issue tickets (each ticket records its kiosk)."""
    if principal.kind != "kiosk":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a kiosk token is required")
    return principal


def require_staff(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Counter actions are for staff only."""
    if principal.kind != "staff":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a staff token is required")
    return principal


AnyPrincipal = Annotated[Principal, Depends(authenticate)]
KioskPrincipal = Annotated[Principal, Depends(require_kiosk)]
StaffPrincipal = Annotated[Principal, Depends(require_staff)]
