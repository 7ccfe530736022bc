"""``serve --public-only``: the citizen's phone pages from a process of their own beside the
hall's server, on one PostgreSQL database. The QR link leads there, the page shows the
ticket and a call made at a counter on the other process reaches the phone's stream;
nothing but the phone pages (and the health check) answers there.

Needs KIOSK_TEST_PG_URL (./test starts PostgreSQL); skipped without it, except under CI.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from board_support import COUNTER, Driver, SseClient
from hall_support import fresh_pg_database

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import REPO_ROOT, ServerProcess, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def hall_and_public() -> Iterator[tuple[ServerProcess, ServerProcess, Driver]]:
    with fresh_pg_database("hall_public") as url:
        migrate(url)
        kiosk_token = add_kiosk(url, "kiosk-1")
        staff_token = add_staff(url, "测试员")
        port = free_port()
        env = {"HALL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        hall = ServerProcess(url, env=env)
        public = ServerProcess(url, port=port, env=env, extra_args=["--public-only"])
        hall.launch()
        public.launch()
        driver = Driver(hall.base_url, kiosk_token, staff_token)
        try:
            hall.wait_ready()
            public.wait_ready()
            yield hall, public, driver
        finally:
            driver.close()
            hall.stop()
            public.stop()


def test_the_phone_page_is_served_apart_and_a_call_reaches_it(
    hall_and_public: tuple[ServerProcess, ServerProcess, Driver],
) -> None:
    hall, public, driver = hall_and_public
    ticket = driver.issue()
    link = ticket["public_url"]
    assert link.startswith(public.base_url + "/t/"), link
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    state = httpx.get(f"{link}/state", timeout=10).json()
    assert state["number"] == ticket["number"]
    assert state["status"] == "waiting"

    phone = SseClient(public.base_url)
    phone.url = f"{link}/events"  # the phone's push stream, on the public process
    phone.start()
    try:
        phone.wait_for(lambda e: e["event"] == "hello")
        called = driver.call_next(COUNTER)  # at a counter: the hall's process
        assert called["id"] == ticket["id"]
        phone.wait_for(lambda e: e["event"] == "ticket" and e.get("kind") == "call")
    finally:
        phone.stop()
    state = httpx.get(f"{link}/state", timeout=10).json()
    assert state["status"] == "called"
    assert state["counter"] == COUNTER


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/tickets"),  # the kiosks'
        ("POST", f"/api/v1/counters/{COUNTER}/call-next"),  # the counters'
        ("GET", "/api/v1/board/state"),
        ("GET", "/board/"),
        ("GET", "/counter/"),
        ("GET", "/staff/"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
    ],
)
def test_nothing_but_the_phone_pages_answers_on_the_public_process(
    hall_and_public: tuple[ServerProcess, ServerProcess, Driver], method: str, path: str
) -> None:
    hall, public, _driver = hall_and_public
    assert httpx.request(method, public.base_url + path, timeout=10).status_code == 404
    # the same route exists on the hall's process (refused or served, never 404)
    assert httpx.request(method, hall.base_url + path, timeout=10).status_code != 404


def test_public_only_refuses_sqlite_with_a_clear_line(tmp_path: object) -> None:
    cmd = [
        sys.executable, "-m", "hall", "serve", "--public-only",
        "--database-url", f"sqlite:///{tmp_path}/hall.sqlite3", "--port", str(free_port()),
    ]  # fmt: skip
    done = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--public-only needs PostgreSQL" in done.stderr
