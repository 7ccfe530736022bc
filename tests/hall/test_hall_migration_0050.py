"""Migration 0050 on a database with served tickets: each ticket's first call and 退件 flag
are filled in from queue_actions (a transferred ticket keeps its FIRST call), staff get
the auditor flag (false); the downgrade returns to 0045 with the data. SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hall_support import fresh_pg_database
from sqlalchemy import inspect, text
from test_hall_migration_0040 import _alembic

from hall.db import add_kiosk, make_engine

T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    else:
        with fresh_pg_database("hall_mig50") as url:
            yield url


def _ticket(c: object, tid: str, seq: int, status: str, called: dt.datetime | None) -> None:
    c.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO tickets (id, kiosk_id, idempotency_key, service_id, window_group,"
            " prefix, period, service_day, seq, number, priority, language, status,"
            " recall_count, issued_at, called_at, transfer_count) VALUES (:id, 'k1', :id,"
            " 'business-license', 'market', 'B', '2026-12-01', '2026-12-01', :seq, :num,"
            " false, 'zh', :status, 0, :t0, :called, :moved)"
        ),
        {
            "id": tid,
            "seq": seq,
            "num": f"B{seq:03d}",
            "status": status,
            "t0": T0,
            "called": called,
            "moved": 1 if tid == "moved" else 0,
        },  # fmt: skip
    )


def test_upgrade_fills_first_call_and_returns_then_downgrades(db_url: str) -> None:
    _alembic(db_url, "upgrade", "0045")
    add_kiosk(db_url, "k1")
    minute = dt.timedelta(minutes=1)
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO staff (name, token_hash, created_at, supervisor, failed_logins)"
                    " VALUES ('王*', :h, :t0, false, 0)"
                ),
                {"h": "0" * 64, "t0": T0},
            )
            _ticket(c, "moved", 1, "completed", T0 + 20 * minute)  # called again after 转窗
            _ticket(c, "plain", 2, "completed", T0 + 5 * minute)
            _ticket(c, "waiting", 3, "waiting", None)
            for tid, kind, at, detail in (
                ("moved", "call", T0 + 4 * minute, None),
                ("moved", "transfer", T0 + 6 * minute, "group:livelihood"),
                ("moved", "call", T0 + 20 * minute, None),
                ("moved", "complete", T0 + 25 * minute, "outcome:return"),
                ("plain", "call", T0 + 5 * minute, None),
                ("plain", "complete", T0 + 9 * minute, None),
            ):
                c.execute(
                    text(
                        "INSERT INTO queue_actions (kind, ticket_id, counter_id, staff_id,"
                        " detail, at) VALUES (:kind, :tid, '5', 1, :detail, :at)"
                    ),
                    {"kind": kind, "tid": tid, "detail": detail, "at": at},
                )
        _alembic(db_url, "upgrade", "head")
        with engine.connect() as c:
            rows = {
                r[0]: (r[1], bool(r[2]))
                for r in c.execute(
                    text("SELECT id, first_called_at, returned FROM tickets ORDER BY id")
                )
            }
            auditor = c.execute(text("SELECT auditor FROM staff")).scalar_one()

        def utc(value: object) -> dt.datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            assert isinstance(value, dt.datetime)
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

        assert {k: (utc(v[0]), v[1]) for k, v in rows.items()} == {
            "moved": (T0 + 4 * minute, True),  # the FIRST call, and returned
            "plain": (T0 + 5 * minute, False),
            "waiting": (None, False),
        }
        assert not auditor
        _alembic(db_url, "downgrade", "0045")
        columns = {col["name"] for col in inspect(engine).get_columns("tickets")}
        assert "first_called_at" not in columns and "returned" not in columns
        staff_columns = {col["name"] for col in inspect(engine).get_columns("staff")}
        assert "auditor" not in staff_columns
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 3
    finally:
        engine.dispose()
