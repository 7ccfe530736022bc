"""Call → board latency and spoken-call readiness of real hall server processes; prints JSON.

    python benchmarks/call_to_board.py [--quick] [--boards 50] [--calls 100] [--pg-url URL]

PostgreSQL (``--pg-url`` or env KIOSK_TEST_PG_URL, a superuser URL): a fresh database and
two ``python -m hall serve`` processes; the board connections (``--boards``, default 50)
are spread over both, and the calls alternate between them, so half of every call's
deliveries cross processes through LISTEN/NOTIFY. Without PostgreSQL: one process on a
temporary SQLite file (the embedded setup).

1. baseline: GET /api/v1/health round trips (health_p50_ms, health_p95_ms);
2. call → board: POST call-next, then the time until each board connection has the
   ``call`` event of that ticket (from just before the request), p50/p95 over every
   (call, board) pair; targets p95 ≤ 300 ms on PostgreSQL with 50 boards;
3. audio: once the boards have the call, a board's GET of its announcement, fresh
   (audio_ready_fresh: first request; the server starts synthesising when the call is
   made, so it is often ready) and again (audio_cached); targets p95 ≤ 500 ms fresh,
   ≤ 50 ms cached. audio_synthesis_uncached: numbers never called, the request pays the
   whole espeak-ng synthesis.

Each SSE connection is a plain asyncio stream (one event loop for all of them). This
script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import percentile  # noqa: E402

from hall.db import add_kiosk, add_staff, migrate  # noqa: E402
from hall.testing import (  # noqa: E402
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
)

SERVICE = "business-license"  # group market, counters 5–9
COUNTERS = ["5", "6", "7", "8", "9"]


class Board:
    """One SSE connection; records when each call event arrived."""

    def __init__(self, base_url: str) -> None:
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port = int(port)
        self.calls: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Event] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        writer.write(
            f"GET /api/v1/board/events HTTP/1.1\r\nHost: {self.host}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        kind = ""
        try:
            while True:
                line = (await reader.readline()).decode().rstrip("\r\n")
                if not line and reader.at_eof():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    if kind == "hello":
                        self.ready.set()
                    elif kind == "call":
                        number = json.loads(line[6:])["ticket_number"]
                        self.calls[number] = time.perf_counter()
                        self.waiters.setdefault(number, asyncio.Event()).set()
        finally:
            writer.close()

    async def wait_call(self, number: str, timeout: float = 10.0) -> float | None:
        event = self.waiters.setdefault(number, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return None
        return self.calls[number]


def _ms(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
    }


async def measure(
    servers: list[ServerProcess], kiosk: str, staff: str, args: Any
) -> dict[str, Any]:
    clients = [httpx.AsyncClient(base_url=s.base_url, timeout=15.0) for s in servers]
    kiosk_h = {"Authorization": f"Bearer {kiosk}"}
    staff_h = {"Authorization": f"Bearer {staff}"}
    result: dict[str, Any] = {}
    try:
        health = []
        for i in range(args.calls * 2):
            started = time.perf_counter()
            await clients[i % len(clients)].get("/api/v1/health")
            health.append(time.perf_counter() - started)
        result["health"] = _ms(health)

        boards = [Board(servers[i % len(servers)].base_url) for i in range(args.boards)]
        for board in boards:
            board.task = asyncio.create_task(board.run())
        await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in boards)), 30)

        for i in range(args.calls):
            resp = await clients[0].post(
                "/api/v1/tickets",
                json={"service_id": SERVICE, "idempotency_key": f"b-{i}"},
                headers=kiosk_h,
            )
            resp.raise_for_status()

        latencies: list[float] = []
        missing = 0
        audio_errors = 0
        fresh: list[float] = []
        cached: list[float] = []
        for i in range(args.calls):
            client = clients[i % len(clients)]
            counter = COUNTERS[i % len(COUNTERS)]
            started = time.perf_counter()
            resp = await client.post(f"/api/v1/counters/{counter}/call-next", headers=staff_h)
            resp.raise_for_status()
            number = resp.json()["number"]
            arrivals = await asyncio.gather(*(b.wait_call(number) for b in boards))
            for arrived in arrivals:
                if arrived is None:
                    missing += 1
                else:
                    latencies.append(arrived - started)
            if i < args.audio:
                url = f"/api/v1/announcements/{number}-{counter}.wav"
                other = clients[(i + 1) % len(clients)]  # a board on either process asks
                t0 = time.perf_counter()
                audio = await other.get(url)
                if audio.status_code == 200:
                    fresh.append(time.perf_counter() - t0)
                else:
                    audio_errors += 1
                t1 = time.perf_counter()
                if (await other.get(url)).status_code == 200:
                    cached.append(time.perf_counter() - t1)
            ticket_id = resp.json()["id"]
            (
                await client.post(f"/api/v1/tickets/{ticket_id}/complete", headers=staff_h)
            ).raise_for_status()
        cold = []  # numbers never called: no warm-up, the request pays the whole synthesis
        for i in range(args.audio):
            t0 = time.perf_counter()
            if (
                await clients[0].get(f"/api/v1/announcements/F{900 + i}-23.wav")
            ).status_code == 200:
                cold.append(time.perf_counter() - t0)
        result["call_to_board"] = {**_ms(latencies), "missing_events": missing}
        result["audio_synthesis_uncached"] = _ms(cold)
        result["audio_ready_fresh"] = {**_ms(fresh), "errors": audio_errors}
        result["audio_cached"] = _ms(cached)
        for board in boards:
            assert board.task is not None
            board.task.cancel()
    finally:
        for client in clients:
            await client.aclose()
    return result


def run_backend(url: str, processes: int, args: Any) -> dict[str, Any]:
    migrate(url)
    kiosk = add_kiosk(url, "bench-kiosk")
    staff = add_staff(url, "bench")
    data_dir = tempfile.mkdtemp(prefix="hall-bench-audio-")  # fresh means not cached
    servers = [
        ServerProcess(url, env={"HALL_DATA_DIR": data_dir}, log_level="warning")
        for _ in range(processes)
    ]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        figures = asyncio.run(measure(servers, kiosk, staff, args))
    finally:
        for server in servers:
            server.stop()
    return {"processes": processes, "boards": args.boards, "calls": args.calls, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small: 10 boards, 15 calls")
    parser.add_argument("--boards", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--audio", type=int, default=None, help="calls whose audio is timed")
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    args.boards = args.boards or (10 if args.quick else 50)
    args.calls = args.calls or (15 if args.quick else 100)
    args.audio = args.audio if args.audio is not None else (5 if args.quick else 20)
    report: dict[str, Any] = {"benchmark": "call_to_board", "quick": args.quick}
    try:
        if args.pg_url:
            url = create_postgres_database(args.pg_url, prefix="hall_bench_board")
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
