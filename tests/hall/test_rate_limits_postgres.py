"""Rate limits shared by two server processes on PostgreSQL (hall/ratelimit_pg.py): the
combined rate of both processes is the limit, not twice it. Real ``hall serve`` processes on
a fresh database; refills are an hour apart, so nothing refills while a test runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from hall_support import fresh_pg_database

from hall.db import add_kiosk, migrate
from hall.testing import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SLOW = 1 / 3600
PUBLIC = 20
TOKEN = 150  # leased 3 at a time by each process


@contextmanager
def _two_servers(prefix: str, env: dict[str, str]) -> Iterator[tuple[list[ServerProcess], str]]:
    """Two ``hall serve`` processes on one fresh database, and a kiosk token."""
    with fresh_pg_database(prefix) as url:
        migrate(url)
        token = add_kiosk(url, f"kiosk-{prefix}")
        servers = [ServerProcess(url, env=env) for _ in range(2)]
        try:
            for server in servers:
                server.launch()
            for server in servers:
                server.wait_ready()
            yield servers, token
        finally:
            for server in servers:
                server.stop()


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[list[ServerProcess], str]]:
    env = {"HALL_RATE_LIMITS": f"public={PUBLIC}:{SLOW},token={TOKEN}:{SLOW}"}
    with _two_servers("hall_rl", env) as found:
        yield found


def _statuses(
    servers: list[ServerProcess], requests: int, path: str = "/api/v1/board/state", **kwargs: object
) -> list[list[int]]:
    """GET ``path`` alternating between the servers; each server's answers in order."""
    seen: list[list[int]] = [[] for _ in servers]
    clients = [httpx.Client(base_url=s.base_url, timeout=10.0) for s in servers]
    try:
        for n in range(requests):
            resp = clients[n % 2].get(path, **kwargs)  # type: ignore[arg-type]
            assert resp.status_code in (200, 429), resp.text
            if resp.status_code == 429:
                assert int(resp.headers["retry-after"]) > 0
            seen[n % 2].append(resp.status_code)
    finally:
        for client in clients:
            client.close()
    return seen


def test_two_processes_together_allow_the_public_limit(two_servers) -> None:  # noqa: ANN001
    servers, _token = two_servers
    seen = _statuses(servers, 3 * PUBLIC)
    allowed = sum(s.count(200) for s in seen)
    # in-memory buckets would let each process allow PUBLIC: 2 * PUBLIC in all
    assert allowed == PUBLIC, seen
    assert all(s.count(200) and s.count(429) for s in seen), seen  # both enforce it
    assert all(s[-5:] == [429] * 5 for s in seen), seen


def test_two_processes_together_allow_a_tokens_limit(two_servers) -> None:  # noqa: ANN001
    servers, token = two_servers
    headers = {"Authorization": f"Bearer {token}"}
    seen = _statuses(servers, 2 * TOKEN + 40, headers=headers)
    allowed = sum(s.count(200) for s in seen)
    lease = TOKEN // 50
    # leased tokens a process holds unspent are lost to the other: at most lease - 1 each
    assert TOKEN - 2 * (lease - 1) <= allowed <= TOKEN, allowed
    assert all(s[-5:] == [429] * 5 for s in seen), seen


PHONE_BURST = 20


def test_two_processes_together_allow_the_phone_pages_limit() -> None:
    """The phone page's own per-address limit (``HALL_PHONE_BURST``, hall/phone.py) is
    shared the same way: 20 page loads in all from one address, not 20 per process."""
    env = {
        "HALL_RATE_LIMITS": "off",  # the hall-wide limits: not what is tested here
        "HALL_PUBLIC_URL": "https://hall.example.gov.cn",
        "HALL_PHONE_BURST": str(PHONE_BURST),
        "HALL_PHONE_RATE_PER_S": str(SLOW),
    }
    with _two_servers("hall_rl_phone", env) as (servers, token):
        with httpx.Client(base_url=servers[0].base_url, timeout=10.0) as client:
            issued = client.post(
                "/api/v1/tickets",
                json={"service_id": "business-license", "idempotency_key": "phone-rl"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert issued.status_code == 201, issued.text
        path = issued.json()["public_url"].removeprefix("https://hall.example.gov.cn")
        seen = _statuses(servers, 3 * PHONE_BURST, path=f"{path}/state")
    allowed = sum(s.count(200) for s in seen)
    # per-process buckets (hall/token_bucket.py) would allow PHONE_BURST in each process
    assert allowed == PHONE_BURST, seen
    assert all(s.count(200) and s.count(429) for s in seen), seen  # both enforce it
    assert all(s[-5:] == [429] * 5 for s in seen), seen


def test_simultaneous_requests_of_one_address_share_one_lease() -> None:
    """A burst of simultaneous requests from one address (a browser's page and its files,
    phones behind one carrier address) asks the database for one lease and shares it: each
    asking for a lease of its own would empty the bucket into leases that run out unspent,
    and refuse requests the limit allows (500 phones opening their streams at once, with
    a burst of a million, had some answered 429)."""
    import asyncio

    from hall.db import make_engine
    from hall.ratelimit import Limit
    from hall.ratelimit_pg import SharedBuckets, SharedStore

    capacity, burst = 1000, 200  # a lease is 1000 // 50 = 20 tokens

    async def run(url: str) -> tuple[list[int], int]:
        store = SharedStore(make_engine(url))
        try:
            buckets = SharedBuckets("phone", Limit(capacity=capacity, per_s=SLOW), store)
            assert buckets.lease == 20
            waits = await asyncio.gather(*(buckets.atake("203.0.113.7") for _ in range(burst)))
            return list(waits), store.statements
        finally:
            await store.close()

    with fresh_pg_database("hall_rl_burst") as url:
        migrate(url)
        waits, statements = asyncio.run(run(url))
    assert waits == [0] * burst  # 200 of a bucket of 1000: every one allowed
    # one lease at a time, each spent before the next (fewer if the database was slow to
    # answer and the in-memory fallback stood in)
    assert statements <= burst // 20
