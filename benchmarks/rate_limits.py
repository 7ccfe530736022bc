"""What the rate limits (hall/ratelimit.py) cost ticket issuing; prints JSON.

    python benchmarks/rate_limits.py [--quick] [--rounds N]

1. ``middleware``: the limits' CPU per request in process — an issue request's scope (one
   of 50 kiosk tokens) through ``RateLimits`` around a trivial app, against the trivial
   app alone in the same run (medians of ``rounds`` of 50,000 requests): added_us.
2. ``end_to_end``: ``benchmarks/ticket_issue.py`` (SQLite, 50 clients each a kiosk of its
   own) with HALL_RATE_LIMITS=off and on, alternated, ``rounds`` times each: medians of
   tickets_per_s and server_cpu_ms_per_ticket, and on/off ratios. On a shared machine the
   throughput swings by tens of percent from run to run; the middleware figure and the CPU
   per ticket are the steadier ones (``added_share_of_server_cpu`` puts them together).

3. ``postgresql`` (with ``--pg-url`` / env KIOSK_TEST_PG_URL): the limits shared by the
   server processes through the database (hall/ratelimit_pg.py) against the in-memory ones
   of each process (before) —
   ``middleware``: the same loop as 1 with the shared buckets on a fresh database (the
   default limits refilled at once, so each token leases 12 at a time: one upsert per 12
   requests) against in-memory buckets, added_us per request;
   ``end_to_end``: ``ticket_issue.py --skip-sqlite`` (two server processes on
   PostgreSQL) with the limits off, in memory (HALL_RATE_LIMIT_STORE=memory, before) and
   shared (after), alternated: medians of tickets_per_s, server and database CPU per ticket.

Measures, never asserts; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hall.ratelimit import DEFAULT_LIMITS, RateLimits  # noqa: E402


async def _bare(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _send(_message: Any) -> None:
    return None


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


def middleware_cost(rounds: int, requests: int = 50_000) -> dict[str, Any]:
    scopes = [
        {
            "type": "http",
            "path": "/api/v1/tickets",
            "method": "POST",
            "client": ("10.0.0.1", 40000 + n),
            "headers": [
                (b"host", b"hall"),
                (b"content-type", b"application/json"),
                (b"authorization", f"Bearer kiosk-token-{n % 50:040d}".encode()),
            ],
        }
        for n in range(1000)
    ]
    # the default limits, with a token bucket no request of this loop can empty
    limited = RateLimits(_bare, {**DEFAULT_LIMITS})
    for buckets in limited.buckets.values():
        buckets.limit = type(buckets.limit)(capacity=1e12, per_s=1e12)

    async def per_request_us(app: Any) -> float:
        start = time.perf_counter()
        for n in range(requests):
            await app(scopes[n % 1000], _receive, _send)
        return (time.perf_counter() - start) / requests * 1e6

    async def run() -> tuple[list[float], list[float]]:
        bare, with_limits = [], []
        for _ in range(rounds):
            bare.append(await per_request_us(_bare))
            with_limits.append(await per_request_us(limited))
        return bare, with_limits

    bare, with_limits = asyncio.run(run())
    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "bare_us": round(statistics.median(bare), 2),
        "with_limits_us": round(statistics.median(with_limits), 2),
        "added_us": round(statistics.median(with_limits) - statistics.median(bare), 2),
    }


def middleware_cost_pg(pg_url: str, rounds: int, requests: int = 20_000) -> dict[str, Any]:
    from hall.db import make_engine, migrate
    from hall.ratelimit import Limit
    from hall.ratelimit_pg import SharedStore
    from hall.testing import create_postgres_database, drop_postgres_database

    scopes = [
        {"type": "http", "path": "/api/v1/tickets", "method": "POST",
         "client": ("10.0.0.1", 40000 + n),
         "headers": [(b"authorization", f"Bearer kiosk-token-{n % 50:040d}".encode())]}
        for n in range(1000)
    ]  # fmt: skip
    fast = {k: Limit(v.capacity, 1e9) for k, v in DEFAULT_LIMITS.items()}  # never empty
    url = create_postgres_database(pg_url, prefix="hall_rl_bench")
    try:
        migrate(url)
        engine = make_engine(url)
        store = SharedStore(engine)
        memory = RateLimits(_bare, fast)
        shared = RateLimits(_bare, fast, shared=store)

        async def per_request_us(app: Any) -> float:
            start = time.perf_counter()
            for n in range(requests):
                await app(scopes[n % 1000], _receive, _send)
            return (time.perf_counter() - start) / requests * 1e6

        async def run() -> tuple[list[float], list[float], int]:
            mem, sh = [], []
            await per_request_us(shared)  # warm: connections, prepared statements
            before = store.statements
            for _ in range(rounds):
                mem.append(await per_request_us(memory))
                sh.append(await per_request_us(shared))
            statements = store.statements - before
            await store.close()
            return mem, sh, statements

        mem, sh, statements = asyncio.run(run())
        engine.dispose()
    finally:
        drop_postgres_database(pg_url, url)
    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "in_memory_us": round(statistics.median(mem), 2),
        "shared_us": round(statistics.median(sh), 2),
        "added_us": round(statistics.median(sh) - statistics.median(mem), 2),
        "statements_per_request": round(statements / (rounds * requests), 4),
        "db_errors": store.db_errors,
    }


def _issue_run(
    limits: str, quick: bool, pg_url: str | None = None, store: str = ""
) -> dict[str, Any]:
    env = {**os.environ, "HALL_RATE_LIMITS": limits}
    env.pop("KIOSK_TEST_PG_URL", None)  # SQLite unless pg_url: the same code on both
    cmd = [sys.executable, str(ROOT / "benchmarks" / "ticket_issue.py")]
    if pg_url:
        env["HALL_RATE_LIMIT_STORE"] = store
        cmd += ["--skip-sqlite", "--pg-url", pg_url]
    if quick:
        cmd.append("--quick")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    try:
        result = json.loads(done.stdout)["results"][0]
    except (json.JSONDecodeError, KeyError, IndexError):
        return {"error": (done.stderr or done.stdout)[-500:]}
    return result


def end_to_end(rounds: int, quick: bool) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for limits in ("off", "on"):
            runs[limits].append(_issue_run(limits, quick))
    out: dict[str, Any] = {"rounds": rounds}
    for limits, results in runs.items():
        ok = [r for r in results if "tickets_per_s" in r]
        out[limits] = {
            "tickets_per_s": statistics.median(r["tickets_per_s"] for r in ok) if ok else None,
            "server_cpu_ms_per_ticket": (
                statistics.median(r["server_cpu_ms_per_ticket"] for r in ok)
                if ok and all(r.get("server_cpu_ms_per_ticket") is not None for r in ok)
                else None
            ),
            "non_201": sum(r.get("non_201", 0) for r in ok),
            "errors": [r["error"] for r in results if "error" in r],
        }
    off, on = out["off"], out["on"]
    for key in ("tickets_per_s", "server_cpu_ms_per_ticket"):
        if off[key] and on[key]:
            out[f"ratio_{key}"] = round(on[key] / off[key], 3)
    return out


def end_to_end_pg(pg_url: str, rounds: int, quick: bool) -> dict[str, Any]:
    configs = {"off": ("off", ""), "in_memory": ("on", "memory"), "shared": ("on", "database")}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for _ in range(rounds):
        for name, (limits, store) in configs.items():
            runs[name].append(_issue_run(limits, quick, pg_url, store))
    out: dict[str, Any] = {"rounds": rounds}
    for name, results in runs.items():
        ok = [r for r in results if "tickets_per_s" in r]

        def median(key: str, ok: list[dict[str, Any]] = ok) -> float | None:
            values = [r[key] for r in ok if r.get(key) is not None]
            return round(statistics.median(values), 3) if values else None

        out[name] = {
            "tickets_per_s": median("tickets_per_s"),
            "server_cpu_ms_per_ticket": median("server_cpu_ms_per_ticket"),
            "db_cpu_ms_per_ticket": median("db_cpu_ms_per_ticket"),
            "non_201": sum(r.get("non_201", 0) for r in ok),
            "errors": [r["error"] for r in results if "error" in r],
        }
    for key in ("tickets_per_s", "server_cpu_ms_per_ticket"):
        before, after = out["in_memory"][key], out["shared"][key]
        if before and after:
            out[f"ratio_shared_in_memory_{key}"] = round(after / before, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="CI size: 1 round, 500 tickets")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    report: dict[str, Any] = {"benchmark": "rate_limits", "quick": args.quick}
    report["middleware"] = middleware_cost(max(3, rounds))
    report["end_to_end"] = end_to_end(rounds, args.quick)
    cpu = report["end_to_end"]["off"].get("server_cpu_ms_per_ticket")
    if cpu:
        share = report["middleware"]["added_us"] / (cpu * 1000)
        report["added_share_of_server_cpu"] = round(share, 4)
    if args.pg_url:
        try:
            report["postgresql"] = {
                "middleware": middleware_cost_pg(args.pg_url, max(3, rounds)),
                "end_to_end": end_to_end_pg(args.pg_url, rounds, args.quick),
            }
        except Exception as exc:  # measured, not asserted
            report["postgresql"] = {"error": repr(exc)[:500]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
