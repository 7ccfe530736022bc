"""Two real server processes on one PostgreSQL database rate at once: one chain, no fork.

Needs a PostgreSQL superuser URL in KIOSK_TEST_PG_URL (the ./test command starts a server
and sets it); skipped without it, except under CI=true where a missing URL is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hall_support import pg_admin_url
from sqlalchemy import create_engine, text

from hall.db import add_kiosk, add_staff, migrate
from hall.feedback_testing import seed_served_tickets
from hall.testing import (
    REPO_ROOT,
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    load,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

RATINGS = 300
TICKET_RATINGS = 250
CLIENTS = 20


@pytest.fixture(name="pg_admin_url")
def pg_admin_url_fixture() -> str:
    return pg_admin_url()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = create_postgres_database(pg_admin_url, prefix="hall_ratings_test")
    try:
        yield url
    finally:
        drop_postgres_database(pg_admin_url, url)


def _jobs(tickets: list[str]) -> list[dict[str, Any]]:
    """300 ratings (every 5th a bad review), then 30 replays and 30 second ratings of
    already-rated tickets under new keys, interleaved so they race with the originals."""
    ratings: list[dict[str, Any]] = []
    for i in range(RATINGS):
        bad = i % 5 == 0
        body: dict[str, Any] = {
            "idempotency_key": f"r-{i}",
            "level": "dissatisfied" if bad else "very_satisfied",
            "reasons": ["效率"] if bad else [],
        }
        if i % 50 == 1:  # hashed by PostgreSQL, verified by Python: same bytes?
            body["comment"] = '他说"不行" \\ C:\\路径 😀\n第二行\t完'
        if i < TICKET_RATINGS:
            body["ticket_id"] = tickets[i]
        else:
            body["target"] = "self_service_area"
        ratings.append(body)
    jobs: list[dict[str, Any]] = []
    for i, body in enumerate(ratings):
        jobs.append(body)
        if i % 10 == 3 and i < TICKET_RATINGS:
            jobs.append(dict(body))  # replay: same key
            jobs.append({**body, "idempotency_key": f"second-{i}"})  # 一次一评: 409
    return jobs


def test_two_processes_append_one_unforked_chain(pg_url: str) -> None:
    migrate(pg_url)
    tokens = [add_kiosk(pg_url, f"kiosk-{i}") for i in range(4)]
    add_staff(pg_url, "王*")
    tickets = seed_served_tickets(pg_url, "kiosk-0", TICKET_RATINGS, staff_id=1)
    jobs = _jobs(tickets)
    ports = [free_port(), free_port()]
    while ports[0] == ports[1]:
        ports[1] = free_port()
    servers = [ServerProcess(pg_url, port=port) for port in ports]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        # each client keeps one kiosk token, so a key always comes from the same kiosk
        _, replies = load(
            [s.base_url for s in servers],
            tokens[:1],
            len(jobs),
            lambda i: ("POST", "/api/v1/ratings", jobs[i]),
            clients=CLIENTS,
        )
    finally:
        for server in servers:
            server.stop()

    # Per raced ticket exactly one request wins (201). Usually the original key: its replay
    # gets 200 and the second key 409; if the second key got there first, both get 409.
    codes = Counter(r.status for r in replies)
    assert codes[201] == RATINGS, codes
    assert codes[200] + codes[409] == 50 and codes[409] >= 25, codes
    assert set(codes) <= {200, 201, 409}, codes
    created = {r.body["id"]: r.body for r in replies if r.status == 201}
    assert sorted(r["seq"] for r in created.values()) == list(range(1, RATINGS + 1))
    for reply in replies:
        if reply.status == 409:
            assert reply.body["code"] == "already_rated", reply.body
        elif reply.status == 200:
            assert reply.body["id"] in created  # the replay returned the first result

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            count, last_seq = conn.execute(text("SELECT count(*), max(seq) FROM ratings")).one()
            followups = conn.execute(text("SELECT count(*) FROM rating_followups")).scalar_one()
            head = conn.execute(text("SELECT last_seq FROM rating_chain_head")).scalar_one()
    finally:
        engine.dispose()
    assert count == last_seq == head == RATINGS
    assert followups == RATINGS // 5

    verify = subprocess.run(
        [sys.executable, "-m", "hall", "verify-ratings", "--database-url", pg_url],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith(f"{RATINGS} ratings verified")

    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ratings SET level = 'basic' WHERE seq = 150"))
    finally:
        engine.dispose()
    tampered = subprocess.run(
        [sys.executable, "-m", "hall", "verify-ratings", "--database-url", pg_url],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tampered.returncode == 1
    assert "first bad record seq 150" in tampered.stdout
