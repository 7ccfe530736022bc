"""Ticket issuing throughput and latency of real hall server processes; prints JSON.

    python benchmarks/ticket_issue.py [--quick] [--tickets N] [--clients 50] [--pg-url URL]

SQLite: one server process on a temporary file. PostgreSQL (with ``--pg-url`` or env
KIOSK_TEST_PG_URL, a superuser URL): a fresh database and two server processes, the
clients spread over both. Each backend is measured twice with the same clients: first
GET /api/v1/health (the HTTP baseline), then POST /api/v1/tickets. Reported: tickets_per_s,
p50_ms, p99_ms (per request, milliseconds), duplicates and gaps (number checks per window
group and service day), non_201 responses, ratio_p50 = ticket p50 / health p50, and
server_cpu_ms_per_ticket (CPU time of the server processes per ticket, Linux only).

With 50 clients always waiting, latency is mostly queueing: p50 ≈ clients / throughput.

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
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hall.db import add_kiosk, migrate  # noqa: E402
from hall.testing import (  # noqa: E402
    Reply,
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    load,
)

SERVICES = [
    "business-license",
    "real-estate-registration",
    "hukou-transfer",
    "id-card-renewal",
    "result-pickup",
    "unresolved-report",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def cpu_seconds(pids: list[int | None]) -> float | None:
    """User + system CPU time of processes, seconds (from /proc; None elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def number_checks(replies: list[Reply]) -> dict[str, int]:
    """Duplicate numbers and missing numbers (gaps) per (window group, service day)."""
    per_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for reply in replies:
        if reply.status == 201:
            body = reply.body
            per_group[(body["window_group"], body["service_day"])].append(int(body["number"][1:]))
    duplicates = sum(len(nums) - len(set(nums)) for nums in per_group.values())
    gaps = sum(len(set(range(1, max(nums) + 1)) - set(nums)) for nums in per_group.values() if nums)
    return {"duplicates": duplicates, "gaps": gaps}


def measure(
    name: str, database_url: str, processes: int, tickets: int, clients: int
) -> dict[str, Any]:
    migrate(database_url)
    token = add_kiosk(database_url, "bench-kiosk")
    servers = [ServerProcess(database_url) for _ in range(processes)]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        urls = [s.base_url for s in servers]
        run_id = time.time_ns()

        def health(_i: int) -> tuple[str, str, None]:
            return "GET", "/api/v1/health", None

        def issue(i: int) -> tuple[str, str, dict[str, Any]]:
            body = {"service_id": SERVICES[i % len(SERVICES)], "idempotency_key": f"{run_id}-{i}"}
            return "POST", "/api/v1/tickets", body

        load(urls, [token], min(200, tickets), health, clients=clients)  # warm up
        _, health_replies = load(urls, [token], tickets, health, clients=clients)
        cpu_before = cpu_seconds([s.pid for s in servers])
        wall, replies = load(urls, [token], tickets, issue, clients=clients)
        cpu_after = cpu_seconds([s.pid for s in servers])
    finally:
        for server in servers:
            server.stop()
    health_ms = [r.latency_ms for r in health_replies]
    ticket_ms = [r.latency_ms for r in replies]
    health_p50 = statistics.median(health_ms)
    ticket_p50 = statistics.median(ticket_ms)
    return {
        "backend": name,
        "server_processes": processes,
        "tickets": tickets,
        "clients": clients,
        "tickets_per_s": round(tickets / wall, 1),
        "p50_ms": round(ticket_p50, 2),
        "p99_ms": round(percentile(ticket_ms, 99), 2),
        **number_checks(replies),
        "non_201": sum(1 for r in replies if r.status != 201),
        "health_p50_ms": round(health_p50, 2),
        "health_p99_ms": round(percentile(health_ms, 99), 2),
        "ratio_p50": round(ticket_p50 / health_p50, 2),
        "server_cpu_ms_per_ticket": (
            round((cpu_after - cpu_before) / tickets * 1000, 2)
            if cpu_before is not None and cpu_after is not None
            else None
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run for CI (300 tickets)")
    parser.add_argument("--tickets", type=int, default=None, help="tickets per backend")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    tickets = args.tickets or (300 if args.quick else 3000)

    report: dict[str, Any] = {
        "benchmark": "ticket_issue",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        try:
            url = f"sqlite:///{Path(tmp) / 'hall.sqlite3'}"
            report["results"].append(measure("sqlite", url, 1, tickets, args.clients))
        except Exception as exc:  # report, never fail: this is a measurement
            report["results"].append({"backend": "sqlite", "error": repr(exc)[:500]})
    if args.pg_url:
        try:
            url = create_postgres_database(args.pg_url, prefix="hall_bench")
        except Exception as exc:
            report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
        else:
            try:
                report["results"].append(measure("postgresql", url, 2, tickets, args.clients))
            except Exception as exc:
                report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
            finally:
                drop_postgres_database(args.pg_url, url)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
