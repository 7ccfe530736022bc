"""Helpers shared by the hall tests: a clock moved by hand and a small API driver.

(Named hall_support, not conftest, so test modules can import it unambiguously.)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hall.fuzzing import RATE_LIMITS_ON_UNREACHED  # noqa: F401 (the tests import it here)
from hall.testing import create_postgres_database, drop_postgres_database

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

ID_HASH_KEY = bytes(range(32))


def pg_admin_url() -> str:
    """The PostgreSQL superuser URL the test command exports (KIOSK_TEST_PG_URL). Without it
    the test is skipped, except under CI=true, where PostgreSQL tests must run."""
    url = os.environ.get("KIOSK_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "KIOSK_TEST_PG_URL is not set but CI=true: PostgreSQL tests must run in CI."
                " Start PostgreSQL (./test does) and export KIOSK_TEST_PG_URL="
                "postgresql+psycopg://postgres@127.0.0.1:PORT/postgres"
            )
        pytest.skip("KIOSK_TEST_PG_URL not set (PostgreSQL test)")
    return url


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new empty PostgreSQL database for one test, dropped afterwards."""
    admin = pg_admin_url()
    url = create_postgres_database(admin, prefix=prefix)
    try:
        yield url
    finally:
        drop_postgres_database(admin, url)


def cut_connections(url: str) -> int:
    """Terminate every other connection to the database at ``url`` (as a PostgreSQL
    restart would); how many were cut."""
    from sqlalchemy import create_engine, text

    from hall.db import normalize_url

    engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


@dataclass
class FakeClock:
    """The server's "now"; starts on a weekday morning in Beijing."""

    now: dt.datetime = field(
        default_factory=lambda: dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    )

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Hall:
    """A running app with one kiosk and one staff token, plus small request helpers."""

    client: TestClient
    db_path: Path
    db_url: str
    clock: FakeClock
    kiosk_token: str
    staff_token: str
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def kiosk(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.kiosk_token}"}

    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_token}"}

    def issue(self, service_id: str, *, expect: int = 201, **body: Any) -> dict[str, Any]:
        body = {"service_id": service_id, "idempotency_key": f"key-{next(self._keys)}", **body}
        resp = self.client.post("/api/v1/tickets", json=body, headers=self.kiosk())
        assert resp.status_code == expect, resp.text
        return resp.json()

    def call_next(self, counter: str) -> Any:
        resp = self.client.post(f"/api/v1/counters/{counter}/call-next", headers=self.staff())
        assert resp.status_code in (200, 204), resp.text
        return resp.json() if resp.status_code == 200 else None

    def act(self, ticket_id: str, action: str, *, expect: int = 200) -> dict[str, Any]:
        resp = self.client.post(f"/api/v1/tickets/{ticket_id}/{action}", headers=self.staff())
        assert resp.status_code == expect, resp.text
        return resp.json()


def staff_login(client: Any, token: str, **kwargs: Any) -> Any:
    """Log in on /staff/ as a browser does: the login form first (its hidden form token,
    without which the server refuses the post as cross-site), then the post."""
    form = client.get("/staff/login", follow_redirects=False)
    if form.status_code == 303:  # already signed in: the form sends the browser on
        return form
    found = re.search(r'name="login" value="([^"]*)"', form.text)
    data = {"token": token, "login": found.group(1) if found else ""}
    return client.post("/staff/login", data=data, follow_redirects=False, **kwargs)


def staff_csrf(page_html: str) -> str:
    """The logout form's token on a rendered /staff/ page."""
    found = re.search(r'name="csrf" value="([^"]*)"', page_html)
    assert found, "no CSRF token on the page"
    return found.group(1)


# -- the counter workstation page (/counter/), as its browser drives it ---------------------
def counter_login_token(client: Any) -> str:
    page = client.get("/counter/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def counter_sign_in(
    client: Any, number: str, password: str, counter: str = "5", *, expect: int = 303
) -> Any:
    """Sign in with 工号 and password at ``counter`` (the login form's token first)."""
    form = {
        "csrf": counter_login_token(client),
        "number": number,
        "password": password,
        "counter": counter,
    }
    resp = client.post("/counter/login", data=form, follow_redirects=False)
    assert resp.status_code == expect, resp.text[:500]
    return resp


def counter_csrf(client: Any) -> str:
    """The signed-in page's CSRF token (its buttons send it)."""
    page = client.get("/counter/")
    found = re.search(r'data-csrf="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def counter_act(client: Any, action: str, csrf: str, expect: int = 200, **body: Any) -> Any:
    """One button of the page (call-next, complete …): its message and the page's state."""
    resp = client.post(f"/counter/api/{action}", json=body, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == expect, resp.text
    return resp.json()
