"""The hall API fuzzed from its own OpenAPI schema with schemathesis (issue 15, item 5):
one run, shared by the test (tests/hall/test_api_schema_fuzz.py, which asserts on it) and
``benchmarks/faults.py`` (which prints its figures). For tests and benchmarks only:
schemathesis and hypothesis are development dependencies, imported when a run starts.

Every operation of /openapi.json but the never-ending event stream is sent generated
requests, valid ones and ones that break the schema (wrong types, out-of-range numbers,
control characters), each as a kiosk, as staff and anonymously. A failure is a server
error, an undeclared status code, a wrong content type or a body that breaks its declared
schema. Deterministic: ``examples`` per operation and mode, derandomized.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

STREAMING = "/api/v1/board/events"  # server-sent events never end; tested in test_board
PRINCIPALS = ("kiosk", "staff", None)
RATE_LIMITS_ON_UNREACHED = {
    "HALL_RATE_LIMITS": ",".join(
        f"{kind}=1000000:100000"
        for kind in ("login", "token", "public", "refused", "staff_login_fail")
    )
}
"""A server's env with the rate limits ON (the middleware, and on PostgreSQL the buckets
shared through the database, in the path of every request) at figures a test's own traffic
never reaches: the schema fuzzer and the authorization matrix run so, to check every
route's answers with the limiter in place; a limit that fired would turn every later
answer into 429 and the fuzzing into a test of the limiter. The limits themselves:
tests/hall/test_rate_limits*.py and ``test_every_route_is_rate_limited``."""


@dataclass
class FuzzResult:
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def figures(self) -> dict[str, object]:
        return {
            "operations": self.operations,
            "requests": self.requests,
            "server_errors": self.server_errors,
            "failed_checks": len(self.failures),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def fuzz_api(base_url: str, tokens: dict[str, str], examples: int) -> FuzzResult:
    """Fuzz the server at ``base_url``; ``tokens``: a "kiosk" and a "staff" bearer token."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    result = FuzzResult()
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path == STREAMING:
            continue
        result.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                for who in PRINCIPALS:
                    headers = {
                        k: v for k, v in (case.headers or {}).items() if k != "Authorization"
                    }
                    if who is not None:
                        headers["Authorization"] = f"Bearer {tokens[who]}"
                    response = case.call(base_url=base_url, headers=headers, timeout=10)
                    result.statuses[response.status_code] += 1
                    case.validate_response(response, checks=checks)

            label = f"{operation.label} ({mode.value})"
            try:
                run()
            except Unsatisfiable:  # nothing about it can be wrong (no parameters, no body)
                if mode is not GenerationMode.NEGATIVE:
                    result.failures[label] = "Unsatisfiable: no valid request could be made"
            except (Exception, BaseExceptionGroup) as exc:  # every failure is reported
                result.failures[label] = f"{type(exc).__name__}: {exc}"[:1500]
    return result
