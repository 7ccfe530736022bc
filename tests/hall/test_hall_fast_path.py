"""The ticket-issuing hot path: the kiosk token cache, and PostgreSQL's one-statement path
(``PostgresTicketStore.issue_async``) against the generic path (``SqlTicketStore.issue``,
SQLAlchemy Core).

The PostgreSQL tests need KIOSK_TEST_PG_URL (skipped without it, like
test_postgres_concurrency.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, FakeClock, Hall, cut_connections, fresh_pg_database
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import IntegrityError

from contract.api import TicketRequest
from hall.app import create_app
from hall.auth import TokenCache, token_cache
from hall.db import SqliteWriter, add_kiosk, add_staff, hash_token, make_engine, migrate
from hall.testing import (
    ServerProcess,
    _parse_response,
    load,
)
from hall.tickets import SqlTicketStore
from hall.tickets_sqlite import SqliteTicketStore

MARKET = "business-license"  # group market, prefix B, 5 counters, avg 720 s
LIVELIHOOD = "hukou-transfer"  # group livelihood, prefix C, counters 10–15, avg 420 s


# -- the kiosk token cache (any database; SQLite here) --------------------------------------
def _body(key: str, service: str = MARKET) -> dict[str, str]:
    return {"service_id": service, "idempotency_key": key}


def test_a_cached_token_stops_issuing_as_soon_as_it_is_rotated(hall: Hall) -> None:
    first = hall.client.post("/api/v1/tickets", json=_body("a"), headers=hall.kiosk())
    assert first.status_code == 201
    cache = token_cache(hall.client.app)  # type: ignore[arg-type]
    assert cache.get(hash_token(hall.kiosk_token)) == "kiosk-1"  # cached now

    new_token = add_kiosk(hall.db_url, "kiosk-1")  # as `python -m hall add-kiosk` would
    # A new key, and a retry of the old one: neither gets through with the old token.
    for key in ("b", "a"):
        old = hall.client.post("/api/v1/tickets", json=_body(key), headers=hall.kiosk())
        assert old.status_code == 401, old.text
        assert old.headers["www-authenticate"] == "Bearer"
    assert cache.get(hash_token(hall.kiosk_token)) is None  # dropped from the cache
    retry = hall.client.post("/api/v1/tickets", json=_body("a"), headers=hall.kiosk(new_token))
    assert retry.status_code == 200  # the kiosk's ticket for key "a", as before
    assert retry.json()["id"] == first.json()["id"]
    new = hall.client.post("/api/v1/tickets", json=_body("b"), headers=hall.kiosk(new_token))
    assert (new.status_code, new.json()["number"]) == (201, "B002")  # 401s took no number


def test_a_rotated_token_is_refused_before_the_service_is_checked(hall: Hall) -> None:
    hall.issue(MARKET)  # caches the token
    add_kiosk(hall.db_url, "kiosk-1")
    resp = hall.client.post("/api/v1/tickets", json=_body("x", "no-such"), headers=hall.kiosk())
    assert resp.status_code == 401


def test_only_valid_kiosk_tokens_are_cached(hall: Hall) -> None:
    cache = token_cache(hall.client.app)  # type: ignore[arg-type]
    for token in ("not-a-token", hall.staff_token):
        resp = hall.client.post("/api/v1/tickets", json=_body("k"), headers=hall.kiosk(token))
        assert resp.status_code in (401, 403)
    assert len(cache) == 0
    hall.issue(MARKET)
    assert len(cache) == 1


def test_each_app_has_its_own_cache_and_both_see_a_rotation(tmp_path: Path) -> None:
    """Two apps on one database stand for two server processes."""
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "k")
    apps = [create_app(db_url, clock=FakeClock(), id_hash_key=ID_HASH_KEY) for _ in range(2)]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        assert one.post("/api/v1/tickets", json=_body("1"), headers=headers).status_code == 201
        assert two.post("/api/v1/tickets", json=_body("2"), headers=headers).status_code == 201
        add_kiosk(db_url, "k")
        for client in (one, two):
            resp = client.post("/api/v1/tickets", json=_body("3"), headers=headers)
            assert resp.status_code == 401


def test_the_token_cache_is_bounded() -> None:
    cache = TokenCache(max_entries=3)
    for n in range(3):
        cache.put(f"d{n}", f"k{n}")
    assert len(cache) == 3
    cache.put("d3", "k3")  # full: starts afresh rather than growing
    assert len(cache) == 1 and cache.get("d3") == "k3" and cache.get("d0") is None
    cache.discard("d3")
    cache.discard("d3")
    assert len(cache) == 0


# -- SQLite: the writer thread (group commit) and the driver-level statements ----------------
def test_sqlite_writer_commits_a_batch_and_isolates_a_failing_unit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    writer = SqliteWriter(engine)

    def insert(n: int) -> Callable[[Connection], int]:
        def work(conn: Connection) -> int:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
            if n == 2:
                raise ValueError("unit 2 fails after writing")
            return n

        return work

    futures = [writer.submit(insert(n)) for n in (1, 2, 3, 3)]
    assert futures[0].result(10) == 1
    with pytest.raises(ValueError):
        futures[1].result(10)
    assert futures[2].result(10) == 3
    with pytest.raises(IntegrityError):  # the duplicate key, alone
        futures[3].result(10)
    writer.stop()
    with engine.connect() as conn:
        assert [n for (n,) in conn.exec_driver_sql("SELECT n FROM t ORDER BY n")] == [1, 3]
    engine.dispose()


def test_sqlite_fast_statements_store_what_core_stores(hall: Hall) -> None:
    queue = hall.client.app.state.queue  # type: ignore[attr-defined]
    assert isinstance(queue, SqliteTicketStore)
    fast = hall.issue(MARKET, priority=True, holder={"id_number": "11010519491231002X"})
    # the same ticket by SQLAlchemy Core: the generic store on the same database
    core_store = SqlTicketStore(queue.engine, queue.catalog, queue.tz, queue._id_hash_key)
    request = TicketRequest.model_validate(
        {"service_id": MARKET, "idempotency_key": "core-1", "priority": True,
         "holder": {"id_number": "11010519491231002X"}}
    )  # fmt: skip
    core_ticket, created = core_store.issue("kiosk-1", request, hall.clock.now)
    assert created
    core = core_ticket.model_dump(mode="json")
    assert core["people_ahead"] == 1  # the fast path's ticket, read back by Core
    with sqlite3.connect(hall.db_path) as conn:
        rows = conn.execute(
            "SELECT quote(service_day), quote(priority), quote(issued_at), quote(holder_hash),"
            " quote(status), quote(recall_count), quote(counter) FROM tickets WHERE id IN (?, ?)"
            " ORDER BY seq",
            (fast["id"], core["id"]),
        ).fetchall()
    assert rows[0] == rows[1]


# -- the load generator's HTTP parsing ------------------------------------------------------
def test_the_load_generator_parses_what_servers_send() -> None:
    response = b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"
    plain = bytearray(response + b"HTTP/1.1")  # and the start of the next one
    assert _parse_response(plain) == (201, b"{}", len(response), False)
    assert _parse_response(bytearray(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n{}")) is None
    empty = bytearray(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
    assert _parse_response(empty) == (204, b"", len(empty), True)
    chunked = bytearray(
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
    )
    assert _parse_response(chunked) == (200, b'{"a":1}', len(chunked), False)
    assert _parse_response(chunked[:-2]) is None


def test_open_loop_load_is_paced(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "k")
    with ServerProcess(db_url) as server:
        wall, replies = load(
            [server.base_url], [token], 40, lambda i: ("GET", "/api/v1/health", None),
            clients=5, rate=100.0,
        )  # fmt: skip
    assert [r.status for r in replies] == [200] * 40
    assert wall >= 0.39  # the last request was due at 39 / 100 s


# -- PostgreSQL: the one-statement fast path --------------------------------------------------
@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database("hall_fast") as url:
        yield url


@pytest.fixture
def pg_hall(pg_url: str, clock: FakeClock) -> Iterator[Hall]:
    migrate(pg_url)
    kiosk_token = add_kiosk(pg_url, "kiosk-1")
    staff_token = add_staff(pg_url, "王*")
    app = create_app(pg_url, clock=clock, id_hash_key=ID_HASH_KEY)
    with TestClient(app) as client:
        yield Hall(client, Path("/nonexistent"), pg_url, clock, kiosk_token, staff_token)


def _get(hall: Hall, ticket: dict[str, object]) -> dict[str, object]:
    resp = hall.client.get(f"/api/v1/tickets/{ticket['id']}", headers=hall.kiosk())
    assert resp.status_code == 200
    return resp.json()  # type: ignore[no-any-return]


@pytest.mark.postgres
def test_pg_fast_path_describes_tickets_as_the_generic_path(pg_hall: Hall) -> None:
    """POST (one statement) and GET (``SqlTicketStore.describe``) agree on every field."""
    hall = pg_hall
    for minutes in (2, 4, 10):  # three real service times: median 240 s
        ticket = hall.issue(MARKET)
        assert hall.call_next("5")["id"] == ticket["id"]
        hall.clock.advance(minutes=minutes)
        hall.act(ticket["id"], "complete")
    issued = []
    for n in range(9):
        if n < 8:
            ticket = hall.issue(MARKET, priority=n in (3, 5), language="en" if n == 4 else "zh")
        else:
            ticket = hall.issue(LIVELIHOOD, holder={"id_number": "11010519491231002X"})
        assert _get(hall, ticket) == ticket  # before the next one changes the queue
        issued.append(ticket)
    # Regular tickets wait behind every earlier one, priority ones behind earlier priority.
    assert [t["people_ahead"] for t in issued[:8]] == [0, 1, 2, 0, 4, 1, 6, 7]
    assert issued[7]["estimated_wait_s"] == 2 * 240  # ceil(7 / 5) × median 240 s
    assert issued[8]["people_ahead"] == 0 and issued[8]["estimated_wait_s"] == 0
    assert issued[4]["window_group_name"] == "Market entry"
    assert issued[0]["number"] == "B004"


@pytest.mark.postgres
def test_pg_fast_and_generic_issue_agree(pg_hall: Hall) -> None:
    queue = pg_hall.client.app.state.queue  # type: ignore[attr-defined]
    now = pg_hall.clock.now

    def request(key: str, priority: bool = False) -> TicketRequest:
        return TicketRequest(service_id=LIVELIHOOD, idempotency_key=key, priority=priority)

    generic = [queue.issue("kiosk-1", request(f"g{n}", n == 2), now) for n in range(4)]
    fast = [
        asyncio.run(queue.issue_async("kiosk-1", request(f"f{n}", n == 1), now)) for n in range(4)
    ]
    assert [(t.number, t.people_ahead, c) for t, c in generic] == [
        ("C001", 0, True), ("C002", 1, True), ("C003", 0, True), ("C004", 3, True),
    ]  # fmt: skip
    assert [(t.number, t.people_ahead, c) for t, c in fast] == [
        ("C005", 4, True), ("C006", 1, True), ("C007", 6, True), ("C008", 7, True),
    ]  # fmt: skip
    again_generic = queue.issue("kiosk-1", request("f3"), now)  # a retry, by the other path
    again_fast = asyncio.run(queue.issue_async("kiosk-1", request("g3"), now))
    assert (again_generic[0], again_generic[1]) == (fast[3][0], False)
    assert (again_fast[0], again_fast[1]) == (queue.get(generic[3][0].id), False)
    assert again_fast[0].people_ahead == 4  # C001, C002 and the priority C003, C006


@pytest.mark.postgres
def test_pg_numbers_go_past_999(pg_hall: Hall, pg_url: str) -> None:
    assert pg_hall.issue(MARKET)["number"] == "B001"
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ticket_sequences SET last_seq = 998 WHERE prefix = 'B'"))
    finally:
        engine.dispose()
    assert [pg_hall.issue(MARKET)["number"] for _ in range(3)] == ["B999", "B1000", "B1001"]


@pytest.mark.postgres
def test_pg_rotated_token_and_retry(pg_hall: Hall) -> None:
    hall = pg_hall
    first = hall.client.post("/api/v1/tickets", json=_body("a"), headers=hall.kiosk())
    assert first.status_code == 201
    new_token = add_kiosk(hall.db_url, "kiosk-1")
    for body in (_body("a"), _body("b"), _body("c", "no-such")):
        assert (
            hall.client.post("/api/v1/tickets", json=body, headers=hall.kiosk()).status_code == 401
        )
    retry = hall.client.post("/api/v1/tickets", json=_body("a"), headers=hall.kiosk(new_token))
    assert (retry.status_code, retry.json()["id"]) == (200, first.json()["id"])
    other = hall.client.post(
        "/api/v1/tickets", json=_body("a", LIVELIHOOD), headers=hall.kiosk(new_token)
    )
    assert other.status_code == 409  # the key was used for another service


@pytest.mark.postgres
def test_pg_server_survives_lost_database_connections(pg_url: str) -> None:
    """The fast path's connections are dropped (as by a database restart): issuing goes on."""
    migrate(pg_url)
    token = add_kiosk(pg_url, "k")
    headers = {"Authorization": f"Bearer {token}"}
    with ServerProcess(pg_url) as server, httpx.Client(base_url=server.base_url) as http:
        for n in range(3):
            resp = http.post("/api/v1/tickets", json=_body(f"k{n}"), headers=headers)
            assert resp.status_code == 201, resp.text
            assert cut_connections(pg_url) >= 1
        resp = http.post("/api/v1/tickets", json=_body("last"), headers=headers)
        assert (resp.status_code, resp.json()["number"]) == (201, "B004"), resp.text
        assert "ticket issue retry" in server.log_text()  # it did meet a dead connection
