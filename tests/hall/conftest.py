"""Fixtures for the hall server tests: a real app on a temporary SQLite file, tokens,
and a clock the tests move by hand (no sleeping)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall

from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hall(tmp_path: Path, clock: FakeClock) -> Iterator[Hall]:
    db_path = tmp_path / "hall.sqlite3"
    db_url = f"sqlite:///{db_path}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*")
    app = create_app(db_url, clock=clock, id_hash_key=ID_HASH_KEY)
    with TestClient(app) as client:
        yield Hall(client, db_path, db_url, clock, kiosk_token, staff_token)


@pytest.fixture(autouse=True)
def _hall_logs_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Capture everything the hall server logs, so privacy tests can search it."""
    caplog.set_level(logging.DEBUG, logger="hall")
