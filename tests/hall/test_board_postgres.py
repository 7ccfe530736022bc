"""Two server processes on one PostgreSQL database: every queue event published by one
reaches the boards connected to the other (LISTEN/NOTIFY), in order, and a board on the
publishing process gets it too.

Needs KIOSK_TEST_PG_URL (./test starts PostgreSQL); skipped without it, except under CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from board_support import COUNTER, OTHER_COUNTER, Driver, connected
from hall_support import fresh_pg_database
from sqlalchemy import create_engine, text

from hall.db import add_kiosk, add_staff, migrate, normalize_url
from hall.testing import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CALLS = 12


def driver_url(url: str) -> str:
    return normalize_url(url)


@pytest.fixture
def two_servers() -> Iterator[tuple[ServerProcess, ServerProcess, str, str]]:
    with fresh_pg_database("hall_board") as url:
        migrate(url)
        kiosk_token = add_kiosk(url, "kiosk-1")
        staff_token = add_staff(url, "测试员")
        a, b = ServerProcess(url), ServerProcess(url)
        a.launch()
        b.launch()
        try:
            a.wait_ready()
            b.wait_ready()
            yield a, b, kiosk_token, staff_token
        finally:
            a.stop()
            b.stop()


def test_every_event_reaches_a_board_on_the_other_process(
    two_servers: tuple[ServerProcess, ServerProcess, str, str],
) -> None:
    a, b, kiosk_token, staff_token = two_servers
    on_b = connected(b.base_url)
    on_a = connected(a.base_url)
    driver = Driver(a.base_url, kiosk_token, staff_token)
    try:
        numbers = [driver.issue()["number"] for _ in range(CALLS)]
        called = []
        for i in range(CALLS):
            ticket = driver.call_next(COUNTER if i % 2 == 0 else OTHER_COUNTER)
            called.append(ticket["number"])
            driver.act(ticket["id"], "complete")
        assert called == numbers
        last = numbers[-1]
        for board in (on_b, on_a):
            board.wait_for(lambda e, n=last: e["event"] == "complete" and e["ticket_number"] == n)
            calls = [e["ticket_number"] for e in board.events if e["event"] == "call"]
            assert calls == numbers  # every call, once, in order
            assert board.kinds() == ["call", "complete"] * CALLS
        # the state is the same from either process
        reader = Driver(b.base_url, kiosk_token, staff_token)
        assert reader.state()["last_calls"][0]["ticket_number"] == last
        reader.close()

        # The database drops the event connections (listener and sender) of both
        # processes: they reconnect by themselves, tell the boards to redraw, and carry on.
        with create_engine(driver_url(a.database_url)).connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND (query LIKE 'LISTEN%' OR query LIKE '%pg_notify%')"
                )
            ).all()
        assert len(killed) >= 2  # one listener per process at least
        for board in (on_a, on_b):
            board.wait_for(lambda e: e["event"] == "resync", timeout=20)
        extra = driver.issue()["number"]
        assert driver.call_next(COUNTER)["number"] == extra
        for board in (on_a, on_b):
            board.wait_for(lambda e, n=extra: e["event"] == "call" and e["ticket_number"] == n)
    finally:
        on_a.stop()
        on_b.stop()
        driver.close()
