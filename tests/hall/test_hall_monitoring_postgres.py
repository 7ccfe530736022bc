"""Monitoring on PostgreSQL: the upsert, JSON columns and problem history behave as on SQLite.

Needs KIOSK_TEST_PG_URL (a superuser URL; ./test starts a server and sets it); skipped
without it, except under CI=true where a missing URL is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from hall_support import FakeClock, fresh_pg_database

from hall.app import create_app
from hall.db import add_kiosk, add_staff, make_engine, migrate
from hall.models import Base

pytestmark = pytest.mark.postgres

MONITORING_TABLES = {"kiosk_status", "kiosk_problem_events"}


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database("hall_monitoring") as url:
        yield url


def test_heartbeats_state_and_history_on_postgres(pg_url: str) -> None:
    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diff if any(t in repr(d) for t in MONITORING_TABLES)] == []

    token1 = add_kiosk(pg_url, "kiosk-1")
    add_kiosk(pg_url, "kiosk-2")
    staff = {"Authorization": f"Bearer {add_staff(pg_url, '王*')}"}
    clock = FakeClock()
    app = create_app(pg_url, clock=clock, id_hash_key=bytes(32), migrate_schema=False)
    with TestClient(app) as client:
        kiosk = {"Authorization": f"Bearer {token1}"}
        body = {"version": "1", "interval_s": 10, "outbox_backlog": 20,
                "devices": {"printer": "paper_out"}, "alerts": ["disk:low"]}  # fmt: skip
        for _ in range(2):  # the second is an update of the same row
            resp = client.post("/api/v1/kiosks/kiosk-1/heartbeat", json=body, headers=kiosk)
            assert resp.status_code == 200, resp.text
        listed = {k["id"]: k for k in client.get("/api/v1/kiosks", headers=staff).json()}
        assert listed["kiosk-2"]["state"] == "never_seen"
        assert listed["kiosk-1"]["state"] == "problem"
        assert listed["kiosk-1"]["problems"] == ["打印机缺纸", "终端磁盘空间不足", "待上传 20 条"]
        clock.advance(seconds=31)
        assert client.get("/api/v1/kiosks", headers=staff).json()[0]["state"] == "lost"
        body = {"version": "1", "interval_s": 10, "devices": {"printer": "ok"}}
        client.post("/api/v1/kiosks/kiosk-1/heartbeat", json=body, headers=kiosk)
        detail = client.get("/api/v1/kiosks/kiosk-1", headers=staff).json()
        assert detail["state"] == "ok"
        assert sorted(e["code"] for e in detail["history"]) == [
            "disk:low", "lost", "outbox:backlog", "printer:paper_out"
        ]  # fmt: skip
        assert all(e["ended_at"] is not None for e in detail["history"])
