"""Ticket issuing throughput and latency of real hall server processes; prints JSON.

    python benchmarks/ticket_issue.py [--quick] [--tickets N] [--clients 50] [--pg-url URL]
        [--pg-processes 2] [--pg-workers 1] [--sqlite-workers 1] [--rate R|auto|off]
        [--kiosks N] [--skip-sqlite]

SQLite: one server process on a temporary file. PostgreSQL (with ``--pg-url`` or env
KIOSK_TEST_PG_URL, a superuser URL): a fresh database and ``--pg-processes`` server
processes (default 2) of ``--pg-workers`` uvicorn workers each, the clients spread over
them. Each backend is measured with the same 50 clients (``hall.testing.load``: one event
loop, raw keep-alive HTTP/1.1, ~0.1 ms client CPU per request), each a kiosk of its own
(``--kiosks``, default one per client): a real kiosk issues one ticket at a time, while
50 clients on one kiosk would make every insert wait on the same foreign-key row lock.
Nobody calls tickets meanwhile, so each window group's queue grows to about tickets / 6
and counting the people ahead (an index range of the waiting tickets) costs more the
longer the run: compare runs of the same ``--tickets``.

1. GET /api/v1/health, closed loop: the HTTP baseline (health_p50_ms, health_p99_ms).
2. POST /api/v1/tickets, closed loop (each client sends again as soon as it is answered):
   the most the server does — tickets_per_s. Latency here is mostly queueing
   (p50 ≈ clients / throughput), so the latency targets are not read off this run.
3. POST /api/v1/tickets, open loop at ``--rate`` tickets/s (default: half the closed-loop
   throughput; ``--rate 1000`` for the target rate): request i is due at i / rate and its
   latency counts from then, so a server that falls behind is charged for the queue —
   ``open_loop.p50_ms`` / ``p99_ms`` are the latency a kiosk would see at that load.

Reported per backend: the configuration (processes, workers, event loop and HTTP parser,
fast-path pool size, PostgreSQL's version and commit settings), tickets_per_s, p50_ms,
p99_ms (closed loop), duplicates and gaps (number checks per window group and service day,
over every ticket of the run), non_201, ratio_p50 = ticket p50 / health p50, and CPU per
ticket of the closed-loop run (Linux, from /proc): server_cpu_ms_per_ticket (every process
of the hall servers, uvicorn workers included), client_cpu_ms_per_ticket (this load
generator), db_cpu_ms_per_ticket (the local PostgreSQL server's processes; null for a
remote server), machine_busy_pct (all CPUs, including steal_pct taken by the hypervisor)
and other_pct (CPU not accounted to those processes: the kernel's share of loopback
networking, a few percent, plus anything else running; well above that, the machine was
shared and throughput and latency are low, while the per-ticket CPU figures still hold).

This script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import NO_RATE_LIMITS, CpuMeter, percentile, postmaster_pid, process_tree  # noqa: E402

from hall.db import (  # noqa: E402
    DEFAULT_PG_FAST_POOL_SIZE,
    PG_FAST_POOL_SIZE_ENV,
    add_kiosk,
    make_engine,
    migrate,
)
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


def per_ticket_ms(seconds: float | None, tickets: int) -> float | None:
    return round(seconds / tickets * 1000, 3) if seconds is not None else None


# -- checks and the run ----------------------------------------------------------------------
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


def server_config(
    name: str, database_url: str, processes: int, workers: int, clients: int
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "server_processes": processes,
        "workers_per_process": workers,
        "clients": clients,
        "event_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http_parser": "httptools" if importlib.util.find_spec("httptools") else "h11",
    }
    if name == "postgresql":
        config["fast_path_pool_per_worker"] = int(
            os.environ.get(PG_FAST_POOL_SIZE_ENV) or DEFAULT_PG_FAST_POOL_SIZE
        )
        engine = make_engine(database_url)
        try:
            with engine.connect() as conn:
                for setting in ("server_version", "synchronous_commit", "fsync", "max_connections"):
                    config[f"pg_{setting}"] = conn.exec_driver_sql(f"SHOW {setting}").scalar()
        finally:
            engine.dispose()
    return config


def measure(
    name: str,
    database_url: str,
    processes: int,
    workers: int,
    tickets: int,
    clients: int,
    rate: str,
    local_db: bool,
    kiosks: int,
) -> dict[str, Any]:
    migrate(database_url)
    postmaster = postmaster_pid(database_url) if local_db else None
    tokens = [add_kiosk(database_url, f"bench-kiosk-{n}") for n in range(kiosks)]
    result: dict[str, Any] = {
        "backend": name,
        **server_config(name, database_url, processes, workers, clients),
        "kiosks": kiosks,
    }
    servers = [
        ServerProcess(database_url, workers=workers, env=NO_RATE_LIMITS) for _ in range(processes)
    ]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        urls = [s.base_url for s in servers]
        pids = process_tree([s.pid for s in servers])
        run_id = time.time_ns()

        def health(_i: int) -> tuple[str, str, None]:
            return "GET", "/api/v1/health", None

        def issue(offset: int) -> Callable[[int], tuple[str, str, dict[str, Any]]]:
            def make(i: int) -> tuple[str, str, dict[str, Any]]:
                service = SERVICES[(offset + i) % len(SERVICES)]
                return (
                    "POST",
                    "/api/v1/tickets",
                    {
                        "service_id": service,
                        "idempotency_key": f"{run_id}-{offset + i}",
                    },
                )

            return make

        load(urls, tokens, min(200, tickets), health, clients=clients)  # warm up HTTP
        _, health_replies = load(urls, tokens, tickets, health, clients=clients)
        # Warm up every worker's database connections and prepared statements.
        _, warm = load(urls, tokens, min(300, tickets), issue(0), clients=clients)
        issued = len(warm)
        with CpuMeter(pids, postmaster) as cpu:
            wall, replies = load(urls, tokens, tickets, issue(issued), clients=clients)
        issued += len(replies)
        open_loop: dict[str, Any] | None = None
        all_replies = warm + replies
        if rate != "off":
            offered = tickets / wall / 2 if rate == "auto" else float(rate)
            count = max(100, min(tickets, round(offered * 10)))  # about ten seconds
            open_wall, open_replies = load(
                urls, tokens, count, issue(issued), clients=clients, rate=offered
            )
            all_replies += open_replies
            open_ms = [r.latency_ms for r in open_replies]
            open_loop = {
                "offered_per_s": round(offered, 1),
                "achieved_per_s": round(count / open_wall, 1),
                "tickets": count,
                "p50_ms": round(statistics.median(open_ms), 2),
                "p99_ms": round(percentile(open_ms, 99), 2),
                "non_201": sum(1 for r in open_replies if r.status != 201),
            }
    finally:
        for server in servers:
            server.stop()
    health_ms = [r.latency_ms for r in health_replies]
    ticket_ms = [r.latency_ms for r in replies]
    health_p50 = statistics.median(health_ms)
    ticket_p50 = statistics.median(ticket_ms)
    result.update(
        {
            "tickets": tickets,
            "tickets_per_s": round(tickets / wall, 1),
            "p50_ms": round(ticket_p50, 2),
            "p99_ms": round(percentile(ticket_ms, 99), 2),
            **number_checks(all_replies),
            "non_201": sum(1 for r in replies if r.status != 201),
            "health_p50_ms": round(health_p50, 2),
            "health_p99_ms": round(percentile(health_ms, 99), 2),
            "ratio_p50": round(ticket_p50 / health_p50, 2),
            "server_cpu_ms_per_ticket": per_ticket_ms(cpu.server_s, tickets),
            "client_cpu_ms_per_ticket": per_ticket_ms(cpu.client_s, tickets),
            "db_cpu_ms_per_ticket": per_ticket_ms(cpu.db_s, tickets),
            "machine_busy_pct": cpu.busy_pct,
            "steal_pct": cpu.steal_pct,
            "other_pct": cpu.other_pct,
            "open_loop": open_loop,
        }
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run for CI (500 tickets)")
    parser.add_argument("--tickets", type=int, default=None, help="tickets per backend")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    parser.add_argument("--pg-processes", type=int, default=2, help="server processes")
    parser.add_argument("--pg-workers", type=int, default=1, help="uvicorn workers each")
    parser.add_argument("--sqlite-workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument(
        "--rate", default="auto", help="open-loop tickets/s: a number, auto (half the max), off"
    )
    parser.add_argument(
        "--kiosks", type=int, default=None, help="kiosk tokens (default: one per client)"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    tickets = args.tickets or (500 if args.quick else 4000)
    kiosks = args.kiosks or args.clients

    report: dict[str, Any] = {
        "benchmark": "ticket_issue",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": [],
    }
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
            try:
                url = f"sqlite:///{Path(tmp) / 'hall.sqlite3'}"
                report["results"].append(
                    measure(
                        "sqlite",
                        url,
                        1,
                        args.sqlite_workers,
                        tickets,
                        args.clients,
                        args.rate,
                        local_db=False,
                        kiosks=kiosks,
                    )  # fmt: skip
                )
            except Exception as exc:  # report, never fail: this is a measurement
                report["results"].append({"backend": "sqlite", "error": repr(exc)[:500]})
    if args.pg_url:
        try:
            url = create_postgres_database(args.pg_url, prefix="hall_bench")
        except Exception as exc:
            report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
        else:
            from sqlalchemy.engine import make_url

            local = make_url(url).host in (None, "", "localhost", "127.0.0.1", "::1")
            try:
                report["results"].append(
                    measure(
                        "postgresql",
                        url,
                        args.pg_processes,
                        args.pg_workers,
                        tickets,
                        args.clients,
                        args.rate,
                        local_db=local,
                        kiosks=kiosks,
                    )  # fmt: skip
                )
            except Exception as exc:
                report["results"].append({"backend": "postgresql", "error": repr(exc)[:500]})
            finally:
                drop_postgres_database(args.pg_url, url)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
