"""The PostgreSQL event hub's NOTIFY from the event loop (``PgEventHub.publish_on``, what
the API's call-next uses): another listener on the database gets the event, and when the
NOTIFY cannot be sent the event still reaches this process's own subscribers.

Needs KIOSK_TEST_PG_URL (./test starts PostgreSQL); skipped without it, except under CI.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from hall_support import fresh_pg_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hall.db import AsyncPgPool, make_engine, migrate
from hall.events import HallEvent, PgEventHub

pytestmark = pytest.mark.postgres

AT = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)


async def _one_event(
    url: str, pool_url: str, break_pool: bool = False
) -> tuple[list[str], list[str]]:
    """Publish one call through ``publish_on`` with a pool on ``pool_url``; what a second
    hub on ``url`` (another server process) and the publisher's own subscriber get.
    ``break_pool``: the pool's idle connection is ended first (as by a restart)."""
    engine, pool_engine = make_engine(url), make_engine(pool_url)
    publisher, other = PgEventHub.for_engine(engine), PgEventHub.for_engine(engine)
    pool = AsyncPgPool(pool_engine, size=1)
    try:
        for hub in (publisher, other):
            assert await asyncio.to_thread(hub.wait_listening, 10.0)
        if break_pool:
            pid = (await pool.fetch_one("SELECT pg_backend_pid()", {}))[0]
            with engine.connect() as conn:
                assert conn.execute(
                    text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid}
                ).scalar()
        with publisher.subscription() as own, other.subscription() as theirs:
            await publisher.publish_on(pool, HallEvent("call", AT, ticket_number="B001"))
            got_own = [(await asyncio.wait_for(own.get(), 10)).ticket_number or ""]
            got_theirs: list[str] = []
            try:
                got_theirs.append((await asyncio.wait_for(theirs.get(), 2)).ticket_number or "")
            except TimeoutError:
                pass
        return got_own, got_theirs
    finally:
        await pool.close()
        for hub in (publisher, other):
            await hub.aclose()
        engine.dispose()
        pool_engine.dispose()


def test_a_notify_from_the_event_loop_reaches_every_process() -> None:
    with fresh_pg_database("hall_events") as url:
        migrate(url)
        assert asyncio.run(_one_event(url, url)) == (["B001"], ["B001"])


def test_a_notify_on_a_broken_connection_goes_out_on_a_fresh_one() -> None:
    with fresh_pg_database("hall_events") as url:
        migrate(url)
        assert asyncio.run(_one_event(url, url, break_pool=True)) == (["B001"], ["B001"])


def test_a_notify_that_cannot_be_sent_still_reaches_this_process() -> None:
    with fresh_pg_database("hall_events") as url:
        migrate(url)
        # the fast-path connections lead nowhere (a closed port): the NOTIFY fails
        dead = make_url(url).set(port=1).render_as_string(hide_password=False)
        own, theirs = asyncio.run(_one_event(url, dead))
        assert own == ["B001"]  # delivered here all the same
        assert theirs == []  # the other process could not have it
