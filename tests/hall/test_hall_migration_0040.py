"""Migration 0040 on a database that already has tickets referenced by other tables: the
tickets survive, 'held' becomes a valid status (and anything else is still refused), and
the downgrade returns to 0030 with the data. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from hall_support import fresh_pg_database
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hall.db import add_kiosk, alembic_config, make_engine, migrate

NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    else:
        with fresh_pg_database("hall_mig40") as url:
            yield url


def _alembic(db_url: str, verb: str, revision: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            getattr(command, verb)(cfg, revision)
    finally:
        engine.dispose()


def test_upgrade_keeps_referenced_tickets_and_allows_held_then_downgrades(db_url: str) -> None:
    _alembic(db_url, "upgrade", "0030")
    add_kiosk(db_url, "k1")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO tickets (id, kiosk_id, idempotency_key, service_id,"
                    " window_group, prefix, period, service_day, seq, number, priority,"
                    " language, status, recall_count, issued_at) VALUES ('t1', 'k1', 'key',"
                    " 'business-license', 'market', 'B', '2026-12-01', '2026-12-01', 1, 'B001',"
                    " false, 'zh', 'waiting', 0, :now)"
                ),
                {"now": NOW},
            )
            c.execute(
                text(
                    "INSERT INTO prechecks (ticket_id, kiosk_id, service_id, service_day,"
                    " overall, pages, engine, materials, checked_at, received_at) VALUES"
                    " ('t1', 'k1', 'business-license', '2026-12-01', 'complete', 1, 'x', '[]',"
                    " :now, :now)"
                ),
                {"now": NOW},
            )
        engine.dispose()
        migrate(db_url)
        with engine.begin() as c:
            assert c.execute(text("SELECT number, transfer_count FROM tickets")).all() == [
                ("B001", 0)
            ]
            c.execute(text("UPDATE tickets SET status = 'held'"))
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text("UPDATE tickets SET status = 'bogus'"))
        engine.dispose()
        _alembic(db_url, "downgrade", "0030")
        with engine.begin() as c:
            assert c.execute(text("SELECT status FROM tickets")).all() == [("waiting",)]
            assert c.execute(text("SELECT count(*) FROM prechecks")).scalar() == 1
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text("UPDATE tickets SET status = 'held'"))
    finally:
        engine.dispose()
