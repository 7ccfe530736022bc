"""Ticket issuing while many push connections are open; prints JSON.

    python benchmarks/hall_scale.py [--quick] [--connections 2000] [--rate 200]
        [--seconds 10] [--pg-url URL]

PostgreSQL (``--pg-url`` or env KIOSK_TEST_PG_URL): two server processes on a fresh
database; else one process on a temporary SQLite file. The same open-loop load runs twice:

1. baseline: ``--rate`` tickets/s issued (kiosk tokens) and ``--rate`` call-next/s
   (staff token) for ``--seconds``, no push connections;
2. the same load with ``--connections`` board streams (``/api/v1/board/events``) held
   open, spread over the processes, by a separate reader process that counts the bytes
   and events it receives (boards, counters and evaluators all use this stream).

Reported: issue and call p50/p99 (ms, from each request's scheduled time, so a server
falling behind is charged for its queue), non-2xx counts, events delivered, and the
servers' resident memory before and after the connections opened (memory per connection,
KiB). Targets: ticket-issue p99 ≤ 50 ms with 2,000 connections at 200 tickets/s. This
script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import NO_RATE_LIMITS, percentile, process_tree  # noqa: E402

from hall.db import add_kiosk, add_staff, migrate  # noqa: E402
from hall.testing import (  # noqa: E402
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    load,
)

SERVICES = ["business-license", "id-card-renewal"]  # groups market (5–9), general (16–20)
COUNTERS = ["5", "6", "7", "8", "9", "16", "17", "18", "19", "20"]
KIOSKS = 10


# -- the reader process: holds the connections ---------------------------------------------
class _Counting(asyncio.Protocol):
    def __init__(self, stats: dict[str, int], ready: asyncio.Event, total: int) -> None:
        self.stats, self.ready, self.total = stats, ready, total
        self.seen_hello = False

    def data_received(self, data: bytes) -> None:
        self.stats["bytes"] += len(data)
        self.stats["events"] += data.count(b"\nevent: call") + data.startswith(b"event: call")
        if not self.seen_hello and b"event: hello" in data:
            self.seen_hello = True
            self.stats["open"] += 1
            if self.stats["open"] >= self.total:
                self.ready.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats["lost"] += 1


async def _hold(urls: list[str], n: int) -> None:
    loop = asyncio.get_running_loop()
    stats = {"bytes": 0, "events": 0, "open": 0, "lost": 0}
    ready = asyncio.Event()
    for i in range(n):
        host, port = urls[i % len(urls)].removeprefix("http://").split(":")
        transport, _ = await loop.create_connection(
            lambda: _Counting(stats, ready, n), host, int(port)
        )
        transport.write(f"GET /api/v1/board/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await asyncio.wait_for(ready.wait(), 120)
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # until told to report
    print(json.dumps(stats), flush=True)


# -- the load -----------------------------------------------------------------------------
def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _ms(latencies: list[float]) -> dict[str, float | None]:
    if not latencies:
        return {"p50_ms": None, "p99_ms": None}
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


def run_load(urls: list[str], kiosks: list[str], staff: str, args: Any, tag: str) -> dict[str, Any]:
    count = int(args.rate * args.seconds)
    results: dict[str, Any] = {}

    def issue() -> None:
        _, replies = load(
            urls, kiosks, count,
            lambda i: ("POST", "/api/v1/tickets",
                       {"service_id": SERVICES[i % 2], "idempotency_key": f"{tag}-{i}"}),
            clients=20, rate=args.rate,
        )  # fmt: skip
        results["issue"] = replies

    def call() -> None:
        _, replies = load(
            urls, [staff], count,
            lambda i: ("POST", f"/api/v1/counters/{COUNTERS[i % len(COUNTERS)]}/call-next", None),
            clients=10, rate=args.rate,
        )  # fmt: skip
        results["call"] = replies

    threads = [threading.Thread(target=issue), threading.Thread(target=call)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out: dict[str, Any] = {}
    for name, replies in results.items():
        ok = [r.latency_ms / 1000 for r in replies if r.status in (200, 201, 204)]
        out[name] = {**_ms(ok), "n": len(replies), "non_2xx": len(replies) - len(ok)}
    return out


def run_backend(url: str, processes: int, args: Any) -> dict[str, Any]:
    migrate(url)
    kiosks = [add_kiosk(url, f"scale-{i}") for i in range(KIOSKS)]
    staff = add_staff(url, "scale")
    servers = [
        ServerProcess(url, log_level="warning", env=NO_RATE_LIMITS) for _ in range(processes)
    ]
    report: dict[str, Any] = {"processes": processes, "connections": args.connections,
                              "rate_per_s": args.rate, "seconds": args.seconds}  # fmt: skip
    holder: subprocess.Popen[str] | None = None
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        urls = [s.base_url for s in servers]
        pids = process_tree([s._proc.pid if s._proc else None for s in servers])
        report["without_connections"] = run_load(urls, kiosks, staff, args, "a")
        rss_before = _rss_kib(pids)
        holder = subprocess.Popen(
            [sys.executable, __file__, "--hold", str(args.connections), *urls],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout is not None and holder.stdin is not None
        if holder.stdout.readline().strip() != "ready":
            raise RuntimeError("the reader process could not open the connections")
        time.sleep(1.0)  # let the servers settle before reading their memory
        rss_after = _rss_kib(pids)
        report["server_rss_kib"] = {"before": rss_before, "with_connections": rss_after}
        report["memory_per_connection_kib"] = round(
            (rss_after - rss_before) / max(1, args.connections), 2
        )
        report["with_connections"] = run_load(urls, kiosks, staff, args, "b")
        holder.stdin.write("report\n")
        holder.stdin.flush()
        report["reader"] = json.loads(holder.stdout.readline())
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        for server in servers:
            server.stop()
    return report


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--hold":
        asyncio.run(_hold(sys.argv[3:], int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 connections, 50/s, 3 s")
    parser.add_argument("--connections", type=int, default=None)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    args.connections = args.connections or (200 if args.quick else 2000)
    args.rate = args.rate or (50.0 if args.quick else 200.0)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    report: dict[str, Any] = {"benchmark": "hall_scale", "quick": args.quick}
    try:
        if args.pg_url:
            url = create_postgres_database(args.pg_url, prefix="hall_bench_scale")
            try:
                report["postgresql"] = run_backend(url, 2, args)
            finally:
                drop_postgres_database(args.pg_url, url)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                report["sqlite"] = run_backend(f"sqlite:///{tmp}/hall.sqlite3", 1, args)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        report["error"] = repr(exc)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
