"""The retention job: deletes what the settings say is past its time, and says what.

    python -m hall purge        # prints {"ticket_personal_links": n, "ratings": n, ...}

The server also runs it once a day (``router``'s lifespan; every process may, the job is
idempotent). What goes, when (environment variables, read at start):

HALL_PERSONAL_LINK_DAYS   days a ticket keeps its personal links — the card holder's ID
                          hash and masked name — after it was issued (default 60; at least
                          HALL_RATING_MAX_AGE_DAYS, as a late rating by card needs them);
                          the ticket itself (number, service, times) stays for statistics.
HALL_RATING_KEEP_YEARS    years a rating is kept (default 5, the rating rules' minimum; not
                          less). Older ratings are deleted oldest first, with their
                          follow-ups; the chain head records where the chain now starts
                          (``purged_seq``/``purged_hash``) so ``verify-ratings`` still checks
                          everything that is left.

HALL_CASE_CITIZEN_LINK_DAYS
                          days after a 办不成事 case closes that it keeps what ties it to
                          the citizen (default 30, at least 1): the keyed hash of the
                          phone's last 4 digits (the proof for rating how it was handled, at
                          the kiosk or on the phone page) and the failed tries against it.
                          So the handling can be rated for this long after the case closes.
                          The phone number itself (ciphertext, masked form, keyed hash) is
                          deleted when the case closes; the purge clears any left by an
                          older version too. The case record (number, matter, severity,
                          times, steps, rating) stays.

Text message numbers (``hall.sms``) go when their ticket's service day is over (the SMS
sender deletes them within seconds of midnight; this job as well, for a server that was
down then).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from contract.errors import ConfigError
from hall.db import run_transaction
from hall.models import Case, Rating, RatingChainHead, RatingFollowup, Ticket
from hall.sms import purge as purge_sms

log = logging.getLogger(__name__)

PERSONAL_LINK_DAYS_ENV = "HALL_PERSONAL_LINK_DAYS"
RATING_KEEP_YEARS_ENV = "HALL_RATING_KEEP_YEARS"
CASE_CITIZEN_LINK_DAYS_ENV = "HALL_CASE_CITIZEN_LINK_DAYS"
DEFAULT_PERSONAL_LINK_DAYS = 60
DEFAULT_CASE_CITIZEN_LINK_DAYS = 30
MIN_RATING_KEEP_YEARS = 5
DAILY_S = 24 * 3600
FIRST_RUN_DELAY_S = 300.0
"""The first daily run waits this long after start (not to slow a start under load)."""


@dataclass(frozen=True)
class RetentionSettings:
    personal_link_days: int = DEFAULT_PERSONAL_LINK_DAYS
    rating_keep_years: int = MIN_RATING_KEEP_YEARS
    case_citizen_link_days: int = DEFAULT_CASE_CITIZEN_LINK_DAYS


def settings_from_env() -> RetentionSettings:
    def number(name: str, default: int, low: int) -> int:
        raw = os.environ.get(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}: a whole number, got {raw!r}") from None
        if not low <= value <= 100_000:
            raise ConfigError(f"{name}: at least {low}, got {value}")
        return value

    max_age = number("HALL_RATING_MAX_AGE_DAYS", 30, 1)
    return RetentionSettings(
        personal_link_days=number(
            PERSONAL_LINK_DAYS_ENV, max(DEFAULT_PERSONAL_LINK_DAYS, max_age), max_age
        ),
        rating_keep_years=number(
            RATING_KEEP_YEARS_ENV, MIN_RATING_KEEP_YEARS, MIN_RATING_KEEP_YEARS
        ),
        case_citizen_link_days=number(
            CASE_CITIZEN_LINK_DAYS_ENV, DEFAULT_CASE_CITIZEN_LINK_DAYS, 1
        ),
    )


def _years_before(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def purge(engine: Engine, settings: RetentionSettings, now: dt.datetime) -> dict[str, int]:
    """Delete what is past its time; returns the counts of what was deleted."""
    link_cutoff = now - dt.timedelta(days=settings.personal_link_days)
    rating_cutoff = _years_before(now, settings.rating_keep_years)
    case_cutoff = now - dt.timedelta(days=settings.case_citizen_link_days)

    def work(session: Session) -> dict[str, int]:
        links = session.execute(
            update(Ticket)
            .where(
                Ticket.issued_at < link_cutoff,
                or_(Ticket.holder_hash.is_not(None), Ticket.masked_name.is_not(None)),
            )
            .values(holder_hash=None, masked_name=None)
        ).rowcount
        case_links = session.execute(
            update(Case)
            .where(
                Case.status == "closed",
                Case.closed_at < case_cutoff,
                or_(
                    Case.phone_tail_hash.is_not(None),
                    Case.tail_failures != 0,
                    Case.phone.is_not(None),
                    Case.phone_ciphertext.is_not(None),
                    Case.phone_masked.is_not(None),
                    Case.phone_hash.is_not(None),
                ),
            )
            .values(
                phone_tail_hash=None, tail_failures=0, phone=None, phone_ciphertext=None,
                phone_masked=None, phone_hash=None,
            )
        ).rowcount  # fmt: skip
        head = session.scalar(
            select(RatingChainHead).where(RatingChainHead.id == 1).with_for_update()
        )
        ratings = followups = 0
        if head is not None:
            # Only a prefix of the chain goes: up to the first rating still to be kept.
            first_kept = session.scalar(
                select(func.min(Rating.seq)).where(Rating.received_at >= rating_cutoff)
            )
            upto = (first_kept - 1) if first_kept is not None else head.last_seq
            if upto > head.purged_seq:
                last = session.execute(
                    select(Rating.seq, Rating.hash).where(Rating.seq == upto)
                ).one()
                doomed = select(Rating.id).where(Rating.seq <= upto)
                followups = session.execute(
                    delete(RatingFollowup).where(RatingFollowup.rating_id.in_(doomed))
                ).rowcount
                ratings = session.execute(delete(Rating).where(Rating.seq <= upto)).rowcount
                head.purged_seq, head.purged_hash = last.seq, last.hash
        return {
            "ticket_personal_links": links,
            "ratings": ratings,
            "rating_followups": followups,
            "case_citizen_links": case_links,
        }

    done = run_transaction(engine, work)
    done["sms_numbers"] = purge_sms(engine, now)
    log.info(
        "retention: %d ticket personal link(s) (older than %d days), %d rating(s) and %d"
        " follow-up(s) (older than %d years), %d closed case(s)' citizen links (closed over"
        " %d days ago) deleted",
        done["ticket_personal_links"], settings.personal_link_days, done["ratings"],
        done["rating_followups"], settings.rating_keep_years, done["case_citizen_links"],
        settings.case_citizen_link_days,
    )  # fmt: skip
    return done


@asynccontextmanager
async def _daily(app: FastAPI) -> AsyncIterator[None]:
    settings = settings_from_env()

    async def loop() -> None:
        delay = FIRST_RUN_DELAY_S
        while True:
            await asyncio.sleep(delay)
            delay = DAILY_S
            try:
                now = app.state.clock()
                await run_in_threadpool(purge, app.state.engine, settings, now)
            except Exception:  # the next day tries again; staff see it in the log
                log.exception("retention: the daily purge failed")

    task = asyncio.create_task(loop(), name="hall-retention")
    try:
        yield
    finally:
        task.cancel()


router = APIRouter(lifespan=_daily)
"""No routes: ``include_router`` gives the app the daily purge (see the module docstring)."""
