"""Rating stores: ``RatingStore``, the interface the rating route uses, and its
SQLAlchemy implementation for any database; ``hall.ratings_pg.PgRatingStore`` is the one
for PostgreSQL. ``hall.app.create_app`` picks one for its database (``app.state.ratings``).

``submit_rating`` is the SQLAlchemy way of storing and chaining one rating (on a worker
thread); the phone page and the evaluators call it directly, the PostgreSQL store for
what is rare (a replayed key, a unique-constraint race). The rules are
``hall.rating_rules``'.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, Row, bindparam, select
from sqlalchemy.exc import IntegrityError

from contract.api import RatingIn, RatingOut
from hall.db import run_transaction, transaction
from hall.feedback_settings import FeedbackSettings
from hall.models import Kiosk, Rating, RatingFollowup, Ticket
from hall.queue_rules import KioskNotAuthorized
from hall.rating_chain import append_rating
from hall.rating_rules import (
    Rejected,
    already_rated,
    check_rateable,
    log_rating,
    lookup_day,
    new_followup,
    new_rating_values,
    rating_out,
    take_ticket_values,
    ticket_not_found,
)


class RatingStore(Protocol):
    """Where a kiosk's rating goes: checked against the rules, stored, hash-chained."""

    async def submit(
        self,
        settings: FeedbackSettings,
        kiosk_id: str,
        body: RatingIn,
        now: dt.datetime,
        token_hash: str | None = None,
    ) -> tuple[RatingOut, bool]:
        """(rating, created); Rejected for what the rules refuse, KioskNotAuthorized when
        ``token_hash`` (a cached kiosk token) no longer matches the kiosk."""
        ...

    async def aclose(self) -> None: ...


_R = Rating.__table__
_F = RatingFollowup.__table__
_T = Ticket.__table__
TICKET_COLUMNS = (
    _T.c.id, _T.c.number, _T.c.service_day, _T.c.status, _T.c.holder_hash, _T.c.counter,
    _T.c.staff_id, _T.c.service_id, _T.c.window_group, _T.c.issued_at,
)  # fmt: skip


_RATINGS_JOIN = _T.outerjoin(_R, _R.c.ticket_id == _T.c.id).outerjoin(_F, _F.c.rating_id == _R.c.id)
_TICKET_WITH_RATINGS = select(
    *TICKET_COLUMNS,
    _R.c.rating_count,
    _R.c.rated_at.label("rating_rated_at"),
    _F.c.status.label("followup_status"),
).select_from(_RATINGS_JOIN)
_BY_ID = _TICKET_WITH_RATINGS.where(_T.c.id == bindparam("ticket_id"))
_BY_NUMBER = _TICKET_WITH_RATINGS.where(
    _T.c.id
    == select(_T.c.id)
    .where(_T.c.number == bindparam("number"), _T.c.service_day == bindparam("day"))
    .order_by(_T.c.issued_at.desc())
    .limit(1)
    .scalar_subquery()
)
_TOKEN_OK = select(Kiosk.id).where(
    Kiosk.id == bindparam("kiosk_id"), Kiosk.token_hash == bindparam("token_hash")
)
_REPLAY = (
    select(_R, _F.c.id.label("followup_id"))
    .select_from(_R.outerjoin(_F, _F.c.rating_id == _R.c.id))
    .where(_R.c.kiosk_id == bindparam("kiosk_id"), _R.c.idempotency_key == bindparam("key"))
)


def _ticket_with_ratings(
    conn: Connection, settings: FeedbackSettings, now: dt.datetime, body: RatingIn
) -> tuple[Row[Any], dict[int, Row[Any]]]:
    """The ticket and its ratings by rating_count (with follow-up status), one query."""
    if body.ticket_id is not None:
        rows = conn.execute(_BY_ID, {"ticket_id": body.ticket_id}).all()
    else:
        assert body.ticket_number is not None
        day = lookup_day(settings, now, body)
        rows = conn.execute(_BY_NUMBER, {"number": body.ticket_number.upper(), "day": day}).all()
    if not rows:
        raise ticket_not_found()
    return rows[0], {r.rating_count: r for r in rows if r.rating_count is not None}


def _replay(conn: Connection, kiosk_id: str, body: RatingIn) -> RatingOut | None:
    """The rating this (kiosk, key) already made, or None; Rejected if the key was reused
    for a different rating."""
    row = conn.execute(_REPLAY, {"kiosk_id": kiosk_id, "key": body.idempotency_key}).first()
    if row is None:
        return None
    same = row.target == body.target and row.rating_count == body.rating_count
    if body.ticket_id is not None:
        same = same and row.ticket_id == body.ticket_id
    if body.ticket_number is not None:
        same = same and (row.ticket_number or "").upper() == body.ticket_number.upper()
    if not same:
        raise Rejected(
            409,
            "idempotency_conflict",
            f"idempotency_key {body.idempotency_key!r} was used for another rating",
        )
    values = {c.name: row._mapping[c.name] for c in _R.columns}
    return rating_out(values, row.followup_id)


def submit_rating(
    engine: Engine,
    settings: FeedbackSettings,
    kiosk_id: str,
    body: RatingIn,
    now: dt.datetime,
    token_hash: str | None = None,
) -> tuple[RatingOut, bool]:
    """Store and chain a rating, or return the one this key already made.

    Returns (rating, created). Raises Rejected for what the rules refuse, and
    KioskNotAuthorized when ``token_hash`` (a cached kiosk token, see ``hall.auth``) no
    longer matches the kiosk. The checks run before the chain is touched, so the
    serialised part stays short; a concurrent duplicate that slips past them hits a unique
    constraint and is answered as a replay (same key) or 409 (same ticket). On PostgreSQL
    the checks and the append are autocommit statements (``hall.rating_chain.append_rating``
    is atomic by itself; ``hall.ratings_pg.PgRatingStore`` is the event-loop version the server uses); on
    SQLite all of it is one write transaction.
    """

    def work(conn: Connection) -> tuple[RatingOut, bool]:
        if token_hash is not None:
            params = {"kiosk_id": kiosk_id, "token_hash": token_hash}
            if conn.execute(_TOKEN_OK, params).first() is None:
                raise KioskNotAuthorized("invalid token")
        replay = _replay(conn, kiosk_id, body)
        if replay is not None:  # before the checks: a retry gets its answer even if the
            return replay, False  # rules (reasons list, max age) changed meanwhile
        values = new_rating_values(settings, kiosk_id, body, now)
        if body.target == "ticket":
            ticket, ratings = _ticket_with_ratings(conn, settings, now, body)
            check_rateable(ticket, ratings, body.rating_count)
            take_ticket_values(values, ticket)
        followup_id = append_rating(conn, values, new_followup(settings, values, now))
        return rating_out(values, followup_id), True

    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                rating, created = work(conn.execution_options(isolation_level="AUTOCOMMIT"))
        else:
            rating, created = run_transaction(engine, lambda session: work(session.connection()))
    except IntegrityError:
        # A concurrent request won a race on a unique constraint; answer as if it came first.
        with transaction(engine, readonly=True) as session:
            conn = session.connection()
            replay = _replay(conn, kiosk_id, body)
            if replay is not None:
                return replay, False
            if body.target == "ticket":
                ticket, ratings = _ticket_with_ratings(conn, settings, now, body)
                if body.rating_count in ratings:
                    raise already_rated(
                        ticket.number, ratings[body.rating_count].rating_rated_at
                    ) from None
        raise
    if created:
        log_rating(rating, kiosk_id)
    return rating, created


class SqlRatingStore:
    """``RatingStore`` with SQLAlchemy on any database: ``submit_rating`` on a worker
    thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def submit(
        self,
        settings: FeedbackSettings,
        kiosk_id: str,
        body: RatingIn,
        now: dt.datetime,
        token_hash: str | None = None,
    ) -> tuple[RatingOut, bool]:
        return await run_in_threadpool(
            submit_rating, self.engine, settings, kiosk_id, body, now, token_hash
        )

    async def aclose(self) -> None:
        """Nothing of its own to release (the engine is the app's)."""
