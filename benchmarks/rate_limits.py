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


def _issue_run(limits: str, quick: bool) -> dict[str, Any]:
    env = {**os.environ, "HALL_RATE_LIMITS": limits}
    env.pop("KIOSK_TEST_PG_URL", None)  # SQLite only: the limits are the same code on both
    cmd = [sys.executable, str(ROOT / "benchmarks" / "ticket_issue.py")]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="CI size: 1 round, 500 tickets")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    report: dict[str, Any] = {"benchmark": "rate_limits", "quick": args.quick}
    report["middleware"] = middleware_cost(max(3, rounds))
    report["end_to_end"] = end_to_end(rounds, args.quick)
    cpu = report["end_to_end"]["off"].get("server_cpu_ms_per_ticket")
    if cpu:
        share = report["middleware"]["added_us"] / (cpu * 1000)
        report["added_share_of_server_cpu"] = round(share, 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
