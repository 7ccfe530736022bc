"""The tamper-evident rating chain: verify-ratings catches edits, deletions, reordering;
concurrent writers never fork it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from ratings_support import FeedbackHall, fb_fixture  # noqa: F401
from sqlalchemy import select

from hall.db import make_engine
from hall.models import Rating
from hall.rating_chain import (
    CHAIN_FIELDS,
    GENESIS_HASH,
    canonical_bytes,
    canonical_tail,
    rating_hash,
    verify_chain,
)
from hall.testing import REPO_ROOT


def verify_cli(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hall", "verify-ratings", "--database-url", db_url],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def rate_five(fb: FeedbackHall) -> list[dict[str, object]]:
    """Ratings seq 1–5 of tickets B001–B005 (seq 3 is a bad review with a follow-up)."""
    ratings = []
    for i in range(5):
        ticket = fb.served_ticket()
        level = "dissatisfied" if i == 2 else "satisfied"
        reasons = ["效率"] if i == 2 else []
        ratings.append(fb.rate(ticket["id"], level, reasons=reasons))
    assert [r["seq"] for r in ratings] == [1, 2, 3, 4, 5]
    return ratings


def test_an_untouched_chain_verifies(fb: FeedbackHall) -> None:
    ratings = rate_five(fb)
    fb.rate(target="self_service_area", level="basic")
    result = verify_cli(fb.db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("6 ratings verified")
    rows = fb.sql("SELECT seq, prev_hash, hash FROM ratings ORDER BY seq")
    assert rows[0][1] == GENESIS_HASH
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    assert rows[4][2] == ratings[4]["hash"]
    assert fb.sql("SELECT last_seq, last_hash FROM rating_chain_head") == [(6, rows[5][2])]


def test_an_empty_chain_verifies(fb: FeedbackHall) -> None:
    result = verify_cli(fb.db_url)
    assert result.returncode == 0
    assert result.stdout.startswith("0 ratings verified")


def test_editing_one_rows_level_is_caught_at_that_row(fb: FeedbackHall) -> None:
    rate_five(fb)
    fb.sql("UPDATE ratings SET level = 'very_satisfied', reasons = '[]' WHERE seq = 3")
    result = verify_cli(fb.db_url)
    assert result.returncode == 1
    first_line = result.stdout.splitlines()[0]
    assert "first bad record seq 3 (ticket B003)" in first_line
    assert "contents changed" in first_line
    assert "1 problem(s) in 5 ratings" in result.stdout  # one edit, one problem


def test_editing_a_row_and_rehashing_it_is_caught_at_the_next_row(fb: FeedbackHall) -> None:
    rate_five(fb)
    engine = make_engine(fb.db_url)
    try:
        with engine.connect() as conn:
            table = Rating.__table__
            row = dict(conn.execute(select(table).where(table.c.seq == 2)).mappings().one())
    finally:
        engine.dispose()
    row["level"] = "very_satisfied"
    forged = rating_hash(row)
    fb.sql("UPDATE ratings SET level = 'very_satisfied', hash = ? WHERE seq = 2", forged)
    result = verify_cli(fb.db_url)
    assert result.returncode == 1
    assert "first bad record seq 3 (ticket B003)" in result.stdout
    assert "reordered or replaced" in result.stdout


def test_deleting_a_middle_row_is_caught(fb: FeedbackHall) -> None:
    rate_five(fb)
    fb.sql("DELETE FROM rating_followups")  # the follow-up of seq 3 refers to it
    fb.sql("DELETE FROM ratings WHERE seq = 3")
    result = verify_cli(fb.db_url)
    assert result.returncode == 1
    first_line = result.stdout.splitlines()[0]
    assert "seq 4 (ticket B004): seq 3 missing" in first_line


def test_deleting_the_newest_row_is_caught_by_the_chain_head(fb: FeedbackHall) -> None:
    rate_five(fb)
    fb.sql("DELETE FROM ratings WHERE seq = 5")
    result = verify_cli(fb.db_url)
    assert result.returncode == 1
    assert "first bad record seq 5" in result.stdout and "missing" in result.stdout


def test_swapping_two_rows_seq_is_caught(fb: FeedbackHall) -> None:
    rate_five(fb)
    fb.sql("UPDATE ratings SET seq = -2 WHERE seq = 2")
    fb.sql("UPDATE ratings SET seq = 2 WHERE seq = 4")
    fb.sql("UPDATE ratings SET seq = 4 WHERE seq = -2")
    result = verify_cli(fb.db_url)
    assert result.returncode == 1
    assert "first bad record seq 2 (ticket B004)" in result.stdout


def test_verify_on_a_missing_database_is_an_error_not_a_pass(tmp_path: Path) -> None:
    result = verify_cli(f"sqlite:///{tmp_path / 'nothing.sqlite3'}")
    assert result.returncode == 2
    assert "hall:" in result.stderr


def test_the_canonical_form_is_stable() -> None:
    """A golden hash: changing the serialisation would orphan every stored chain."""
    values: dict[str, object] = {name: None for name in CHAIN_FIELDS}
    values.update(
        id="00000000-0000-4000-8000-000000000001", seq=1, prev_hash=GENESIS_HASH,
        kiosk_id="kiosk-1", idempotency_key="k", target="ticket", ticket_id="t",
        ticket_number="B001", ticket_day=dt.date(2026, 11, 23), channel="kiosk",
        rater="anonymous", rated_at=dt.datetime(2026, 11, 23, 1, 2, 3, 456, tzinfo=dt.UTC),
        received_at=dt.datetime(2026, 11, 23, 9, 2, 4, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        rating_day=dt.date(2026, 11, 23), rating_count=1, level="dissatisfied",
        reasons='["态度"]', comment="慢", division_code="110105", counter="5", staff_id=1,
        service_id="business-license", window_group="market",
    )  # fmt: skip
    text = canonical_bytes(values).decode()
    assert text.startswith(f'["hall-rating-v1",1,"{GENESIS_HASH}","00000000-0000-4000-')
    assert ',"2026-11-23T01:02:03.000456Z","2026-11-23T01:02:04.000000Z",' in text
    assert text.endswith(',"[\\"态度\\"]","慢","110105","5",1,"business-license","market"]')
    assert json.loads(text)[3:] == [
        "00000000-0000-4000-8000-000000000001", "kiosk-1", "k", "ticket", "t", "B001",
        "2026-11-23", "kiosk", "anonymous", "2026-11-23T01:02:03.000456Z",
        "2026-11-23T01:02:04.000000Z", "2026-11-23", 1, "dissatisfied", '["态度"]', "慢",
        "110105", "5", 1, "business-license", "market",
    ]  # fmt: skip
    assert text == f'["hall-rating-v1",1,"{GENESIS_HASH}",' + canonical_tail(values)
    assert rating_hash(values) == "ef70d49c7c5dbb8f8cb436037d126553344bd0961c2809894c047bcce8a7e19d"


# -- concurrency ------------------------------------------------------------------------------
def test_concurrent_writers_never_fork_the_chain(fb: FeedbackHall) -> None:
    """Threads of one app and a second app on the same SQLite file, at once."""
    from fastapi.testclient import TestClient
    from hall_support import ID_HASH_KEY

    from hall.app import create_app

    tickets = [fb.served_ticket()["id"] for _ in range(40)]
    second_app = create_app(fb.db_url, clock=fb.clock, id_hash_key=ID_HASH_KEY)
    second_app.state.feedback = fb.client.app.state.feedback  # type: ignore[attr-defined]
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int, client: TestClient) -> None:
        for i in range(n, len(tickets) + 20, 8):
            if i < len(tickets):
                body = {"idempotency_key": f"c-{i}", "ticket_id": tickets[i], "level": "satisfied"}
            else:
                body = {"idempotency_key": f"c-{i}", "target": "self_service_area",
                        "level": "very_dissatisfied", "reasons": ["环境"]}  # fmt: skip
            resp = client.post("/api/v1/ratings", json=body, headers=fb.kiosk())
            # and a duplicate of the same ticket under another key, racing
            dup = client.post(
                "/api/v1/ratings", json={**body, "idempotency_key": f"d-{i}"}, headers=fb.kiosk()
            )
            with lock:
                statuses.extend([resp.status_code, dup.status_code])

    with TestClient(second_app) as other:
        threads = [
            threading.Thread(target=worker, args=(n, fb.client if n % 2 else other))
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses.count(201) == 40 + 20 + 20  # ticket ratings once; area ratings twice
    assert statuses.count(409) == 40
    seqs = [s for (s,) in fb.sql("SELECT seq FROM ratings ORDER BY seq")]
    assert seqs == list(range(1, 81))
    engine = make_engine(fb.db_url)
    try:
        report = verify_chain(engine)
    finally:
        engine.dispose()
    assert report.ok, [p.describe() for p in report.problems]
    assert report.count == report.head_seq == 80
    assert fb.sql("SELECT count(*) FROM rating_followups") == [(40,)]
