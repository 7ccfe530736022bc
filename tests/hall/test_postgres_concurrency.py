"""Two real server processes on one PostgreSQL database: unique, gap-free numbers.

Needs a PostgreSQL superuser URL in KIOSK_TEST_PG_URL (the ./test command starts a server
and sets it); skipped without it, except under CI=true where a missing URL is a failure.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hall_support import pg_admin_url
from sqlalchemy import create_engine, text

from hall.db import add_kiosk, migrate
from hall.testing import (
    REPO_ROOT,
    Reply,
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    load,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TICKETS = 2000
CLIENTS = 50
# One item per window group; "unresolved-report" is the group without daily reset.
SERVICES = [
    "business-license",
    "real-estate-registration",
    "hukou-transfer",
    "id-card-renewal",
    "result-pickup",
    "unresolved-report",
    "newborn-bundle",
]


@pytest.fixture(name="pg_admin_url")
def pg_admin_url_fixture() -> str:
    return pg_admin_url()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = create_postgres_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_postgres_database(pg_admin_url, url)


@pytest.fixture
def two_servers(pg_url: str) -> Iterator[tuple[list[ServerProcess], list[str]]]:
    """Two ``python -m hall serve`` processes started at once on a fresh, empty database.

    Both migrate on start, so this also exercises concurrent migrations.
    """
    ports = [free_port(), free_port()]
    while ports[0] == ports[1]:
        ports[1] = free_port()
    servers = [ServerProcess(pg_url, port=port) for port in ports]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        tokens = [add_kiosk(pg_url, f"kiosk-{i}") for i in range(4)]
        yield servers, tokens
    finally:
        for server in servers:
            server.stop()


def _issue_all(
    servers: list[ServerProcess], tokens: list[str], jobs: list[dict[str, Any]]
) -> list[Reply]:
    """POST every job from CLIENTS concurrent clients, alternating between the servers."""
    _, replies = load(
        [s.base_url for s in servers],
        tokens,
        len(jobs),
        lambda i: ("POST", "/api/v1/tickets", jobs[i]),
        clients=CLIENTS,
    )
    assert len(replies) == len(jobs)
    return replies


def test_two_processes_issue_unique_gap_free_numbers(
    two_servers: tuple[list[ServerProcess], list[str]], pg_url: str
) -> None:
    servers, tokens = two_servers
    health = [httpx.get(f"{s.base_url}/api/v1/health").json() for s in servers]
    assert {h["database"] for h in health} == {"postgresql"}
    jobs = [
        {
            "service_id": SERVICES[i % len(SERVICES)],
            "idempotency_key": f"job-{i}",
            "priority": i % 9 == 0,
        }
        for i in range(TICKETS)
    ]
    started = time.monotonic()
    replies = _issue_all(servers, tokens, jobs)
    elapsed = time.monotonic() - started

    bad = [(r.status, r.body) for r in replies if r.status != 201]
    assert not bad, f"{len(bad)} responses were not 201, e.g. {bad[:3]}"
    tickets = [r.body for r in replies]
    per_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in tickets:
        per_group[(t["window_group"], t["service_day"])].append(int(t["number"][1:]))
    for (group, day), numbers in per_group.items():
        assert len(numbers) == len(set(numbers)), f"duplicate numbers in {group} on {day}"
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"gap in {group} on {day}"
    assert len({t["id"] for t in tickets}) == TICKETS
    assert len({g for g, _ in per_group}) == 6  # every window group was exercised
    # Nobody was called, so at its issue a regular ticket had every lower number of its
    # group ahead, a priority ticket every lower priority number — exactly, however the
    # 50 clients raced (the fast path counts numbers taken while it waited for the counter).
    priority_seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in sorted(tickets, key=lambda t: int(t["number"][1:])):
        key, seq = (t["window_group"], t["service_day"]), int(t["number"][1:])
        if t["priority"]:
            assert t["people_ahead"] == len(priority_seqs[key]), t
            priority_seqs[key].append(seq)
        else:
            assert t["people_ahead"] == seq - 1, t

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
            last = conn.execute(text("SELECT sum(last_seq) FROM ticket_sequences")).scalar_one()
    finally:
        engine.dispose()
    assert stored == last == TICKETS
    print(f"{TICKETS} tickets from {CLIENTS} clients over 2 processes in {elapsed:.1f} s")


def test_concurrent_retries_across_processes_get_one_ticket_per_key(
    two_servers: tuple[list[ServerProcess], list[str]],
) -> None:
    """Each key is retried 10 times at once on both servers: one 201, nine 200, one number."""
    servers, tokens = two_servers
    keys = 20
    jobs = [
        {"service_id": "tax-invoice", "idempotency_key": f"retry-{k}"}
        for k, _ in itertools.product(range(keys), range(10))
    ]
    replies = _issue_all(servers, tokens[:1], jobs)
    by_key: dict[str, list[Reply]] = defaultdict(list)
    for job, reply in zip(jobs, replies, strict=True):
        by_key[job["idempotency_key"]].append(reply)
    for key, same in by_key.items():
        codes = sorted(r.status for r in same)
        assert codes == [200] * 9 + [201], (key, codes)
        assert len({r.body["id"] for r in same}) == 1
    numbers = sorted(int(same[0].body["number"][1:]) for same in by_key.values())
    assert numbers == list(range(1, keys + 1))  # losers of the race left no gaps


def test_concurrent_migrate_calls(pg_url: str) -> None:
    code = f"from hall.db import migrate; migrate({pg_url!r})"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    migrate(pg_url)  # and once more: a no-op at head
