"""The hall API fuzzed from its own OpenAPI schema with schemathesis (issue 15, item 5).

A real server (``python -m hall serve``, on SQLite and on PostgreSQL) is sent generated requests for every
operation of /openapi.json, each as a kiosk, as staff and anonymously: no answer may be a
server error, every answer must have a status code the operation declares and a body that
matches the declared schema — for valid requests generated from the schema and for
requests that break it (negative mode: wrong types, out-of-range numbers, broken
patterns such as control characters). The rate limits are on (figures the fuzzer never
reaches, ``hall_support.RATE_LIMITS_ON_UNREACHED``: the limiter in every request's path
without turning the run into 429s). Bounded and deterministic for CI: ``EXAMPLES`` examples per
operation, derandomized (the same requests every run), no shrinking deadline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hall_support import RATE_LIMITS_ON_UNREACHED, fresh_pg_database

from hall.db import add_kiosk, add_staff, migrate
from hall.fuzzing import fuzz_api
from hall.testing import ServerProcess

EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict]]:
    """A real server with a kiosk and a staff token, on SQLite or PostgreSQL (where a NUL
    reaching the database was a server error)."""

    def serve(url: str) -> Iterator[tuple[str, dict]]:
        migrate(url)
        tokens = {"kiosk": add_kiosk(url, "kiosk-1"), "staff": add_staff(url, "王*")}
        with ServerProcess(url, env=RATE_LIMITS_ON_UNREACHED) as server:
            yield server.base_url, tokens

    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("fuzz") / "hall.sqlite3"
        yield from serve(f"sqlite:///{path}")
    else:
        with fresh_pg_database("fuzz") as url:
            yield from serve(url)


def test_every_operation_for_kiosk_staff_and_anonymous(fuzz_server: tuple[str, dict]) -> None:
    base_url, tokens = fuzz_server
    result = fuzz_api(base_url, tokens, EXAMPLES)
    assert result.operations > 30
    # every operation was tried, with several examples, and reached past authentication
    assert result.requests >= result.operations * 3 * 2, result.requests
    assert {200, 201, 401, 403, 404, 422} <= set(result.statuses), sorted(result.statuses)
    print(f"schemathesis: {result.figures()}")
    assert result.server_errors == 0, result.statuses
    assert not result.failures, "\n\n".join(
        f"{label}\n{text}" for label, text in result.failures.items()
    )
