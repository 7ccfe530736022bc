"""Rating intake (好差评, hash-chained) throughput and latency of real hall server processes.

    python benchmarks/rating_intake.py [--quick] [--ratings N] [--clients 20] [--pg-url URL]

SQLite: one server process on a temporary file. PostgreSQL (with ``--pg-url`` or env
KIOSK_TEST_PG_URL, a superuser URL): a fresh database and two server processes, the
clients spread over both — every rating still goes through the one chain head row.

The workload: 80 % ratings of served tickets (seeded straight into the database, see
``hall.feedback_testing``), 20 % ratings of the self-service area; every 7th rating is a
bad review with a reason (it also creates a follow-up). Each backend is measured with the
same clients: first GET /api/v1/health (the HTTP baseline), then POST /api/v1/ratings.

Reported per backend: ratings_per_s, p50_ms, p99_ms (per request, milliseconds),
non_201, chain_ok (the whole chain re-verified afterwards) and seq_gaps, the health
baseline (health_p50_ms, health_p99_ms, ratio_p50 = rating p50 / health p50,
health_per_s and ratio_throughput = ratings/s ÷ health requests/s) and
server_cpu_ms_per_rating, client_cpu_ms_per_rating (this load generator) and
db_cpu_ms_per_rating (PostgreSQL), machine_busy_pct and other_processes_pct (CPU used by
processes outside the run: the machine is shared) — Linux only.
Target (issue 7): ≥ 500 ratings/s on PostgreSQL — reported as ``meets_target``, never
asserted. With all clients always waiting, latency is mostly queueing.

This script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import NO_RATE_LIMITS, CpuMeter, percentile, postmaster_pid, process_tree  # noqa: E402

from hall.db import add_kiosk, add_staff, make_engine, migrate  # noqa: E402
from hall.feedback_testing import seed_served_tickets  # noqa: E402
from hall.rating_chain import verify_chain  # noqa: E402
from hall.testing import (  # noqa: E402
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    load,
)

TARGET_PG_RATINGS_PER_S = 500


def per_rating_ms(seconds: float | None, ratings: int) -> float | None:
    return round(seconds / ratings * 1000, 2) if seconds is not None else None


def make_jobs(tickets: list[str], count: int, run_id: int) -> list[dict[str, Any]]:
    jobs = []
    ticket_iter = iter(tickets)
    for i in range(count):
        bad = i % 7 == 0
        body: dict[str, Any] = {
            "idempotency_key": f"{run_id}-{i}",
            "level": "very_dissatisfied" if bad else ("satisfied" if i % 2 else "very_satisfied"),
            "reasons": ["效率"] if bad else [],
        }
        if i % 5 == 4:
            body["target"] = "self_service_area"
        else:
            body["ticket_id"] = next(ticket_iter)
        jobs.append(body)
    return jobs


def measure(
    name: str, database_url: str, processes: int, ratings: int, clients: int
) -> dict[str, Any]:
    migrate(database_url)
    token = add_kiosk(database_url, "bench-kiosk")
    add_staff(database_url, "王*")
    tickets = seed_served_tickets(database_url, "bench-kiosk", ratings, staff_id=1)
    jobs = make_jobs(tickets, ratings, time.time_ns())
    servers = [ServerProcess(database_url, env=NO_RATE_LIMITS) for _ in range(processes)]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        urls = [s.base_url for s in servers]

        def health(_i: int) -> tuple[str, str, None]:
            return "GET", "/api/v1/health", None

        def rate(i: int) -> tuple[str, str, dict[str, Any]]:
            return "POST", "/api/v1/ratings", jobs[i]

        load(urls, [token], min(200, ratings), health, clients=clients)  # warm up
        health_wall, health_replies = load(urls, [token], ratings, health, clients=clients)
        postmaster = postmaster_pid(database_url) if name == "postgresql" else None
        with CpuMeter(process_tree([s.pid for s in servers]), postmaster) as cpu:
            wall, replies = load(urls, [token], ratings, rate, clients=clients)
    finally:
        for server in servers:
            server.stop()
    engine = make_engine(database_url)
    try:
        started = time.perf_counter()
        report = verify_chain(engine)
        verify_s = time.perf_counter() - started
    finally:
        engine.dispose()
    seqs = sorted(r.body["seq"] for r in replies if r.status == 201)
    health_ms = [r.latency_ms for r in health_replies]
    rating_ms = [r.latency_ms for r in replies]
    health_p50 = statistics.median(health_ms)
    rating_p50 = statistics.median(rating_ms)
    per_s = ratings / wall
    result: dict[str, Any] = {
        "backend": name,
        "server_processes": processes,
        "ratings": ratings,
        "clients": clients,
        "ratings_per_s": round(per_s, 1),
        "p50_ms": round(rating_p50, 2),
        "p99_ms": round(percentile(rating_ms, 99), 2),
        "non_201": sum(1 for r in replies if r.status != 201),
        "chain_ok": report.ok and report.count == ratings,
        "seq_gaps": len(set(range(1, ratings + 1)) - set(seqs)),
        "verify_ratings_per_s": round(report.count / verify_s, 1) if verify_s else None,
        "health_p50_ms": round(health_p50, 2),
        "health_p99_ms": round(percentile(health_ms, 99), 2),
        "ratio_p50": round(rating_p50 / health_p50, 2),
        "health_per_s": round(ratings / health_wall, 1),
        "ratio_throughput": round(health_wall / wall, 3),
        "server_cpu_ms_per_rating": per_rating_ms(cpu.server_s, ratings),
        "client_cpu_ms_per_rating": per_rating_ms(cpu.client_s, ratings),
        "db_cpu_ms_per_rating": per_rating_ms(cpu.db_s, ratings),
        "machine_busy_pct": cpu.busy_pct,
        "other_processes_pct": cpu.other_pct,
    }
    if name == "postgresql":
        result["target_ratings_per_s"] = TARGET_PG_RATINGS_PER_S
        result["meets_target"] = per_s >= TARGET_PG_RATINGS_PER_S
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run for CI (400 ratings)")
    parser.add_argument("--ratings", type=int, default=None, help="ratings per backend")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    ratings = args.ratings or (400 if args.quick else 3000)

    report: dict[str, Any] = {
        "benchmark": "rating_intake",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        try:
            url = f"sqlite:///{Path(tmp) / 'hall.sqlite3'}"
            report["results"].append(measure("sqlite", url, 1, ratings, args.clients))
        except Exception as exc:  # report, never fail: this is a measurement
            report["results"].append({"backend": "sqlite", "error": repr(exc)[:500]})
    if args.pg_url:
        try:
            url = create_postgres_database(args.pg_url, prefix="hall_bench")
        except Exception as exc:
            report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
        else:
            try:
                report["results"].append(measure("postgresql", url, 2, ratings, args.clients))
            except Exception as exc:
                report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
            finally:
                drop_postgres_database(args.pg_url, url)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
