"""Bearer-token authentication: kiosks issue and read tickets, staff work the counters.

Tokens are looked up by their SHA-256 digest (``hall.db.hash_token``); the database never
holds a usable token. Missing or unknown token → 401; a valid token of the wrong kind → 403.

Issuing tickets (the hot path) uses ``VerifiedKiosk`` instead: kiosk tokens seen valid are
kept in a per-process ``TokenCache`` (digest → kiosk id; filled on a miss from the
database), and the cached answer is only a hint — ``TicketStore.issue*`` (``hall.tickets``) checks the
token again inside the issuing transaction, at no extra round trip. So a rotated token
(``python -m hall add-kiosk``, from any process) stops issuing at once everywhere: the
issue is refused with 401 and the entry dropped. The one visible difference to a
database look-up per request: a request with a just-rotated, still cached token whose
body is invalid gets 422 instead of 401 (it gets no ticket either way). Every other
endpoint keeps looking the token up per request (``authenticate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, select

from hall.db import hash_token, transaction
from hall.models import Kiosk, Staff

_bearer = HTTPBearer(auto_error=False, description="kiosk or staff token from `python -m hall`")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a kiosk (id = kiosk id) or a member of staff (id = staff row id)."""

    kind: Literal["kiosk", "staff"]
    id: str
    auditor: bool = False  # staff who read everything and change nothing (read with the token)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token (kiosk or staff)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing bearer token")
    principal = await lookup(request.app, hash_token(credentials.credentials))
    if principal is None:
        raise _unauthorized("invalid token")
    return principal


async def require_kiosk(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Only kiosks issue tickets (each ticket records its kiosk)."""
    if principal.kind != "kiosk":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a kiosk token is required")
    return principal


async def require_staff(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> Principal:
    """Counter actions are for staff only; an auditor's token reads but changes nothing
    (any method but GET / HEAD is refused with 403). No I/O: on the event loop, not a
    worker thread of its own."""
    if principal.kind != "staff":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a staff token is required")
    if request.method not in ("GET", "HEAD") and principal.auditor:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="an auditor reads everything and changes nothing"
        )
    return principal


def is_auditor(engine: Engine, staff_id: int) -> bool:
    with transaction(engine, readonly=True) as session:
        return bool(session.scalar(select(Staff.auditor).where(Staff.id == staff_id)))


AnyPrincipal = Annotated[Principal, Depends(authenticate)]
KioskPrincipal = Annotated[Principal, Depends(require_kiosk)]
StaffPrincipal = Annotated[Principal, Depends(require_staff)]


# -- the issuing fast path: cached kiosk tokens, re-verified by the issuing transaction -----
TOKEN_CACHE_MAX = 4096
"""Entries kept per process; more means stale entries piled up, and the cache restarts."""


class TokenCache:
    """Digests of kiosk tokens seen valid → kiosk id; hints, never the last word.

    Only kiosk tokens that the database confirmed are added (an invalid token adds
    nothing, so it cannot be used to fill memory); an entry is dropped when the issuing
    transaction finds the token rotated. Used from the event loop only.
    """

    def __init__(self, max_entries: int = TOKEN_CACHE_MAX) -> None:
        self.max_entries = max_entries
        self._kiosks: dict[str, str] = {}

    def get(self, digest: str) -> str | None:
        return self._kiosks.get(digest)

    def put(self, digest: str, kiosk_id: str) -> None:
        if len(self._kiosks) >= self.max_entries:
            self._kiosks.clear()
        self._kiosks[digest] = kiosk_id

    def discard(self, digest: str) -> None:
        self._kiosks.pop(digest, None)

    def __len__(self) -> int:
        return len(self._kiosks)


def token_cache(app: FastAPI) -> TokenCache:
    """The app's cache (created on first use)."""
    cache: TokenCache | None = getattr(app.state, "token_cache", None)
    if cache is None:
        cache = app.state.token_cache = TokenCache()
    return cache


@dataclass(frozen=True)
class KioskToken:
    """A kiosk as the cache (or the database) says; ``token_hash`` goes to ``TicketStore.issue``
    for the authoritative check. ``rejected()`` is what to raise when that check fails."""

    id: str
    token_hash: str
    cache: TokenCache = field(repr=False, compare=False)

    def rejected(self) -> HTTPException:
        self.cache.discard(self.token_hash)
        return _unauthorized("invalid token")


_LOOKUP_PG = """SELECT 'kiosk', id, FALSE FROM kiosks WHERE token_hash = %(digest)s
UNION ALL
SELECT 'staff', id::text, auditor FROM staff WHERE token_hash = %(digest)s
LIMIT 1"""


async def lookup(app: FastAPI, digest: str) -> Principal | None:
    """The token's holder. On PostgreSQL one statement sent from the event loop on the
    fast-path connections (``hall.db.AsyncPgPool``: no worker thread, no transaction
    round trips — a counter's every request pays for this); elsewhere ``_lookup`` on a
    worker thread. It only reads, so a connection a database restart broke is retried
    once on a fresh one."""
    pool = getattr(app.state, "pg_pool", None)
    if pool is None:
        return await run_in_threadpool(_lookup, app.state.engine, digest)
    import psycopg

    for attempt in (1, 2):
        try:
            row = await pool.fetch_one(_LOOKUP_PG, {"digest": digest})
            break
        except psycopg.OperationalError:
            if attempt == 2:
                raise
            pool.drop_idle()
    if row is None:
        return None
    return Principal(row[0], str(row[1]), bool(row[2]))


def _lookup(engine: Engine, digest: str) -> Principal | None:
    with transaction(engine, readonly=True) as session:
        kiosk_id = session.scalar(select(Kiosk.id).where(Kiosk.token_hash == digest))
        if kiosk_id is not None:
            return Principal("kiosk", kiosk_id)
        # the auditor flag with the token, in the same read: a counter action costs one
        # transaction for its caller, not two
        staff = session.execute(
            select(Staff.id, Staff.auditor).where(Staff.token_hash == digest)
        ).first()
    return Principal("staff", str(staff.id), bool(staff.auditor)) if staff is not None else None


async def require_kiosk_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KioskToken:
    """A kiosk token, from the cache or (on a miss) the database; 401 / 403 as usual."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing bearer token")
    digest = hash_token(credentials.credentials)
    cache = token_cache(request.app)
    kiosk_id = cache.get(digest)
    if kiosk_id is None:
        principal = await lookup(request.app, digest)
        if principal is None:
            raise _unauthorized("invalid token")
        if principal.kind != "kiosk":
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a kiosk token is required")
        kiosk_id = principal.id
        cache.put(digest, kiosk_id)
    return KioskToken(kiosk_id, digest, cache)


VerifiedKiosk = Annotated[KioskToken, Depends(require_kiosk_token)]
"""For routes that pass ``token_hash`` to ``TicketStore.issue*`` (which re-checks it)."""
