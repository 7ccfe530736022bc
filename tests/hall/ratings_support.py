"""Fixtures and helpers for the 好差评 / 办不成事 tests (imported by their test modules).

``fb`` (import ``fb_fixture``) is a hall app on a temporary SQLite file with one kiosk, the counter staff member
who serves tickets (``staff``) and a supervisor (``supervisor``) who handles follow-ups of
reviews about others. Settings come from ``FeedbackSettings`` defaults (no env leakage).
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, fresh_pg_database

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.feedback_settings import FeedbackSettings, app_timezone

MARKET = "business-license"  # group market, prefix B, counters 5–9
FEEDBACK_ENV = (
    "HALL_RATING_CODES",
    "HALL_RATING_CODE_MAP",
    "HALL_RATING_REASONS",
    "HALL_DIVISION_CODE",
    "HALL_RATING_MAX_AGE_DAYS",
    "HALL_FOLLOWUP_PLAN_DAYS",
    "HALL_FOLLOWUP_RECTIFY_DAYS",
    "HALL_CASE_CATEGORIES",
    "HALL_CASE_RESPOND_HOURS",
    "HALL_CASE_URGENT_RESPOND_HOURS",
    "HALL_CASE_MANY_RESPOND_HOURS",
    "HALL_CASE_COORDINATE_DAYS",
    "HALL_CASE_CLOSE_DAYS",
    "HALL_FOLLOWUP_RECHECK_DAYS",
    "HALL_WORK_CALENDAR",
    "HALL_HOLIDAYS",
    "HALL_MAKEUP_WORKDAYS",
)
ID_NUMBER = "110105199001011234"


@dataclass
class FeedbackHall:
    client: TestClient
    db_path: Path
    db_url: str
    clock: FakeClock
    kiosk_token: str
    staff_token: str
    supervisor_token: str
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def kiosk(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.kiosk_token}"}

    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_token}"}

    def supervisor(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.supervisor_token}"}

    def key(self, prefix: str = "k") -> str:
        return f"{prefix}-{next(self._keys)}"

    def configure(self, **changes: Any) -> FeedbackSettings:
        """Replace the app's feedback settings (keeps the hall time zone)."""
        app = self.client.app
        current: FeedbackSettings = app.state.feedback  # type: ignore[attr-defined]
        settings = FeedbackSettings(**{**current.__dict__, **changes})
        app.state.feedback = settings  # type: ignore[attr-defined]
        return settings

    # -- tickets ----------------------------------------------------------------------------
    def served_ticket(self, *, complete: bool = True, **body: Any) -> dict[str, Any]:
        """Issue a market ticket, call it at counter 5 (staff) and complete it."""
        body = {"service_id": MARKET, "idempotency_key": self.key("t"), **body}
        resp = self.client.post("/api/v1/tickets", json=body, headers=self.kiosk())
        assert resp.status_code == 201, resp.text
        ticket = resp.json()
        called = self.client.post("/api/v1/counters/5/call-next", headers=self.staff())
        assert called.status_code == 200 and called.json()["id"] == ticket["id"], called.text
        if complete:
            done = self.client.post(
                f"/api/v1/tickets/{ticket['id']}/complete", headers=self.staff()
            )
            assert done.status_code == 200, done.text
            return done.json()
        return called.json()

    # -- ratings ------------------------------------------------------------------------------
    def rate(
        self,
        ticket_id: str | None = None,
        level: str = "satisfied",
        *,
        expect: int = 201,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"idempotency_key": self.key("r"), "level": level, **body}
        if ticket_id is not None:
            payload["ticket_id"] = ticket_id
        resp = self.client.post("/api/v1/ratings", json=payload, headers=headers or self.kiosk())
        assert resp.status_code == expect, resp.text
        result: dict[str, Any] = resp.json()
        return result

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run SQL on the database directly (as someone tampering with it would); ``?``
        placeholders on both SQLite and PostgreSQL."""
        if self.db_url.startswith("postgresql"):
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(self.db_url).set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            with psycopg.connect(dsn, autocommit=True) as pg:
                cursor = pg.execute(statement.replace("?", "%s"), params)
                return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
        conn = sqlite3.connect(self.db_path)
        try:
            rows = conn.execute(statement, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()


def _feedback_hall(
    db_url: str, db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FeedbackHall]:
    for name in FEEDBACK_ENV:
        monkeypatch.delenv(name, raising=False)
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*")  # staff id 1: serves counter 5
    supervisor_token = add_staff(db_url, "李*")  # staff id 2
    app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY)
    app.state.feedback = FeedbackSettings(tz=app_timezone(app), division_code="110105")
    with TestClient(app) as client:
        yield FeedbackHall(
            client, db_path, db_url, clock, kiosk_token, staff_token, supervisor_token
        )


@pytest.fixture(name="fb")
def fb_fixture(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[FeedbackHall]:
    caplog.set_level(logging.DEBUG, logger="hall")
    db_path = tmp_path / "hall.sqlite3"
    yield from _feedback_hall(f"sqlite:///{db_path}", db_path, clock, monkeypatch)


@pytest.fixture(name="fb_pg")
def fb_pg_fixture(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FeedbackHall]:
    """``fb`` on a fresh PostgreSQL database (ratings take the event-loop fast path there);
    ``sql`` speaks to PostgreSQL."""
    with fresh_pg_database("hall_fb_test") as url:
        yield from _feedback_hall(url, tmp_path / "unused", clock, monkeypatch)
