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
import schemathesis
from hall_support import RATE_LIMITS_ON_UNREACHED, fresh_pg_database
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess

EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STREAMING = "/api/v1/board/events"  # server-sent events never end; tested in test_board


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
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    sent: list[int] = []
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path == STREAMING:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                for who in ("kiosk", "staff", None):
                    headers = {
                        k: v for k, v in (case.headers or {}).items() if k != "Authorization"
                    }
                    if who is not None:
                        headers["Authorization"] = f"Bearer {tokens[who]}"
                    response = case.call(base_url=base_url, headers=headers, timeout=10)
                    sent.append(response.status_code)
                    case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing about it can be wrong (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # every failure is reported
                failures[f"{operation.label} ({mode.value})"] = f"{type(exc).__name__}: {exc}"[
                    :1500
                ]
    assert operations > 30
    # every operation was tried, with several examples, and reached past authentication
    assert len(sent) >= operations * 3 * 2, len(sent)
    assert {200, 201, 401, 403, 404, 422} <= set(sent), sorted(set(sent))
    print(
        f"schemathesis: {operations} operations, {len(sent)} requests, statuses {sorted(set(sent))}"
    )
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
