"""Backups (hall/backup.py) and retention (hall/retention.py): a backup restored passes
verify-ratings, on SQLite and PostgreSQL; the purge deletes tickets' personal links after N
days and ratings after 5 years — oldest first, the chain still verifying — and says what."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hall_support import fresh_pg_database
from ratings_support import FeedbackHall, fb_fixture, fb_pg_fixture  # noqa: F401

from hall.db import make_engine, migrate
from hall.rating_chain import verify_chain
from hall.retention import RetentionSettings, purge
from hall.testing import REPO_ROOT

ID_NUMBER = "11010519491231002X"


def hall_cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hall", *args, "--database-url", db_url],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def rate(fb: FeedbackHall, n: int) -> None:
    for _ in range(n):
        ticket = fb.served_ticket(holder={"id_number": ID_NUMBER, "masked_name": "张*"})
        fb.rate(ticket["id"], "satisfied")


def round_trip(fb: FeedbackHall, restore_url: str, backups: Path) -> None:
    rate(fb, 3)
    done = hall_cli("backup", str(backups), db_url=fb.db_url)
    assert done.returncode == 0, done.stderr
    backup_file = Path(done.stdout.strip())
    assert backup_file.parent == backups and backup_file.stat().st_mode & 0o777 == 0o600
    assert backups.stat().st_mode & 0o777 == 0o700
    rate(fb, 1)  # after the backup: gone again once restored
    restored = hall_cli("restore", str(backup_file), db_url=restore_url)
    assert restored.returncode == 0, restored.stderr
    verified = hall_cli("verify-ratings", db_url=restore_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("3 ratings verified")


def test_an_sqlite_backup_restored_passes_verify_ratings(fb: FeedbackHall, tmp_path: Path) -> None:
    round_trip(fb, fb.db_url, tmp_path / "backups")  # restored over the live file's contents


@pytest.mark.postgres
def test_a_postgres_backup_restored_into_another_database_passes_verify_ratings(
    fb_pg: FeedbackHall, tmp_path: Path
) -> None:
    with fresh_pg_database("hall_restore_test") as other:
        migrate(other)
        round_trip(fb_pg, other, tmp_path / "backups")


def test_purge_deletes_personal_links_after_n_days_and_ratings_after_5_years(
    fb: FeedbackHall,
) -> None:
    rate(fb, 2)
    fb.clock.advance(days=40)
    rate(fb, 1)
    engine = make_engine(fb.db_url)
    settings = RetentionSettings(personal_link_days=30, rating_keep_years=5)
    try:
        first = purge(engine, settings, fb.clock.now)  # the first two tickets are 40 days old
        assert first == {"ticket_personal_links": 2, "ratings": 0, "rating_followups": 0,
                         "case_citizen_links": 0, "sms_numbers": 0}  # fmt: skip
        links = fb.sql("SELECT count(*) FROM tickets WHERE holder_hash IS NOT NULL"
                       " OR masked_name IS NOT NULL")  # fmt: skip
        assert links == [(1,)]
        later = fb.clock.now + dt.timedelta(days=5 * 365 - 20)  # the first two are > 5 years
        second = purge(engine, settings, later)
        assert second == {"ticket_personal_links": 1, "ratings": 2, "rating_followups": 0,
                          "case_citizen_links": 0, "sms_numbers": 0}  # fmt: skip
        assert [seq for (seq,) in fb.sql("SELECT seq FROM ratings")] == [3]
        report = verify_chain(engine)
        assert report.ok and report.purged == 2 and report.count == 1, report.problems
        assert purge(engine, settings, later) == {
            "ticket_personal_links": 0, "ratings": 0, "rating_followups": 0,
            "case_citizen_links": 0, "sms_numbers": 0,
        }  # fmt: skip
        rate(fb, 1)  # the chain goes on after a purge
        assert verify_chain(engine).ok
        fb.sql("DELETE FROM ratings WHERE seq = 3")  # still caught
        assert not verify_chain(engine).ok
    finally:
        engine.dispose()


def test_purge_on_the_command_line_reports_what_it_deleted(fb: FeedbackHall) -> None:
    rate(fb, 1)
    done = hall_cli("purge", db_url=fb.db_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ticket_personal_links": 0, "ratings": 0, "rating_followups": 0,
        "case_citizen_links": 0, "sms_numbers": 0,
    }  # fmt: skip
    bad = subprocess.run(
        [sys.executable, "-m", "hall", "purge", "--database-url", fb.db_url],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "HALL_RATING_KEEP_YEARS": "2"},
    )  # fmt: skip
    assert bad.returncode == 2 and "HALL_RATING_KEEP_YEARS" in bad.stderr


def test_the_server_runs_the_purge_by_itself(
    fb: FeedbackHall, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from fastapi.testclient import TestClient
    from hall_support import ID_HASH_KEY, FakeClock

    import hall.retention
    from hall.app import create_app

    fb.served_ticket(holder={"id_number": ID_NUMBER, "masked_name": "张*"})
    monkeypatch.setattr(hall.retention, "FIRST_RUN_DELAY_S", 0.0)
    monkeypatch.delenv("HALL_PERSONAL_LINK_DAYS", raising=False)
    later = FakeClock(fb.clock.now + dt.timedelta(days=61))  # default: links kept 60 days
    app = create_app(fb.db_url, clock=later, id_hash_key=ID_HASH_KEY)
    with TestClient(app):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if fb.sql("SELECT count(*) FROM tickets WHERE holder_hash IS NOT NULL") == [(0,)]:
                break
            time.sleep(0.05)
    assert fb.sql("SELECT holder_hash, masked_name FROM tickets") == [(None, None)]
