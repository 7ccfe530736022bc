"""The citizen's phone page under load: its state route and push stream with many phones
open, and whether ticket issue suffers; prints JSON.

    python benchmarks/phone_page.py [--quick] [--phones 500] [--rate 200] [--seconds 20]

One ``python -m hall serve`` process with ``HALL_PUBLIC_URL`` set (PostgreSQL with
``--pg-url`` / env KIOSK_TEST_PG_URL, else a temporary SQLite file). On PostgreSQL the
run is repeated (``--layout both``, each on a new database) with the phones served by a
``serve --public-only`` process apart (``postgresql_public_apart``: the kiosks and counters
keep their process to themselves; README "The ticket's QR"). All load comes from
127.0.0.1, so the per-address rate limit is raised for the run (a real hall has one
address per phone, or per carrier NAT). The phones' streams and the page requests run in
processes of their own, so the load generators do not share one interpreter lock.

1. ``issue_without_phones``: kiosks issue tickets at ``--issue-rate`` per second (open
   loop) for ``--seconds``: p50/p99 — the baseline, same run;
2. ``--phones`` tickets are issued and each opens its push stream
   (``GET /t/<id>/<sig>/events``) and keeps it open;
3. with the phones open, at the same time: the phones' page state
   (``GET /t/<id>/<sig>/state``, what the page loads on every update) at ``--rate``
   requests per second (open loop, so a server that falls behind is charged for the
   queue), kiosks issuing as in 1 (``issue_with_phones``), and a counter calling the
   phones' tickets every 0.25 s: ``push_call`` is call-next → that phone's stream has
   its ``ticket`` event (while every other phone of the group gets a ``queue`` hint);
   ``call_next_request`` is the counter's request alone (part of ``push_call``), and
   ``push_after_call_answer`` the phone's event against the counter's own answer
   (negative: the phone had it first) — the push channel's own share.
   Target (issue 14): page p99 ≤ 50 ms, and issue p99 unaffected.
   ``issue_after_phones``: the baseline of 1 once more after the phones have closed — the
   spread between it and ``issue_without_phones`` is the noise of the machine.
4. ``page_html``: the page itself, closed loop, a small sample.

On a shared machine the figures include time spent waiting for a CPU: the server's
(``server_loop_waiting_for_cpu``: the share of the phase its event loop was runnable but
not running) and the load generators' own (``loadgen_waiting_for_cpu``: a reply waiting
for the client to be scheduled is stamped late, so a high share there means the client's
own queueing is in the figures; ``loadgen_cores_busy``: the CPU they took).

Latency figures are p50 (median) and p99 in ms. This script measures; it never asserts
and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import cpu_seconds, percentile  # noqa: E402

from hall.db import add_kiosk, add_staff, migrate  # noqa: E402
from hall.testing import (  # noqa: E402
    Reply,
    ServerProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    load,
)

SERVICE = "business-license"  # group market, counters 5–9
COUNTERS = ["5", "6", "7", "8", "9"]


def _ms(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 2),
        "p99_ms": round(percentile(values, 99), 2),
    }


def _replies(replies: list[Reply], ok: int) -> dict[str, Any]:
    good = [r.latency_ms for r in replies if r.status == ok]
    return {**_ms(good), "errors": len(replies) - len(good)}


def _runqueue_wait_s(pid: int | None) -> float | None:
    """Seconds the process's main thread (the server's event loop) has spent runnable but
    waiting for a CPU (Linux /proc/<pid>/schedstat, second field, ns); None elsewhere."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _own_cpu_s() -> float:
    """CPU seconds this process (a load generator) used so far."""
    times = os.times()
    return times.user + times.system


class _OwnWait:
    """The share of the time this load generator's main thread (its event loop, which
    stamps every reply) spent runnable but without a CPU: time a reply waited for the
    client, counted in its latency though not the server's — reported beside it."""

    def __init__(self) -> None:
        self.wait0, self.wall0 = _runqueue_wait_s(os.getpid()), time.perf_counter()

    def share(self) -> float | None:
        wait = _runqueue_wait_s(os.getpid())
        if wait is None or self.wait0 is None:
            return None
        return round((wait - self.wait0) / (time.perf_counter() - self.wall0), 2)


def phones_process(
    host: str, port: int, paths: dict[str, str], ready: Any, stop: Any, out: Any
) -> None:
    """Every phone's push stream on one event loop, in a process of its own (the load
    generators must not share one interpreter lock, or they would measure each other).
    Reports when each ticket's ``call`` event arrived (``time.perf_counter``: the same
    monotonic clock in every process), how many messages came and how many streams failed."""
    calls: dict[str, float] = {}
    counts = {"messages": 0, "failed": 0, "hellos": 0}
    failures: dict[str, int] = {}  # why a stream failed: its status line, or what was raised

    def failed(why: str) -> None:
        counts["failed"] += 1
        failures[why] = failures.get(why, 0) + 1
        if counts["hellos"] + counts["failed"] == len(paths):
            ready.set()  # every phone is open or has failed: do not wait for the rest

    async def phone(ticket_id: str, path: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            failed(f"connect: {exc!r}")
            return
        writer.write(
            f"GET {path}/events HTTP/1.1\r\nHost: {host}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        kind, status = "", ""
        try:
            while True:
                line = (await reader.readline()).decode().rstrip("\r\n")
                status = status or line
                if not line and reader.at_eof():
                    failed(status or "closed before a reply")
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    counts["messages"] += 1
                    if kind == "hello":
                        counts["hellos"] += 1
                        if counts["hellos"] + counts["failed"] == len(paths):
                            ready.set()
                    elif kind == "ticket" and '"call"' in line:
                        calls.setdefault(ticket_id, time.perf_counter())
        except asyncio.CancelledError:
            pass
        except OSError as exc:
            failed(f"{status or 'before a reply'}: {exc!r}")
        finally:
            writer.close()

    own_wait: list[_OwnWait] = []

    async def main() -> None:
        tasks = [asyncio.create_task(phone(t, p)) for t, p in paths.items()]
        await asyncio.to_thread(ready.wait, 120)
        own_wait.append(_OwnWait())  # from when every phone is open (the measured phase)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    out.put(
        {"calls": calls, "messages": counts["messages"], "failed": counts["failed"],
         "failures": failures,
         "cpu_s": _own_cpu_s(), "waiting_for_cpu": own_wait[0].share() if own_wait else None}
    )  # fmt: skip


def page_process(base_url: str, paths: list[str], count: int, rate: float, out: Any) -> None:
    """The phones' page state requests, open loop, in a process of its own."""
    own_wait = _OwnWait()
    _, replies = load(
        [base_url], ["-"], count,
        lambda i: ("GET", f"{paths[i % len(paths)]}/state", None),
        clients=50, rate=rate,
    )  # fmt: skip
    out.put({**_replies(replies, 200), "cpu_s": _own_cpu_s(), "waiting_for_cpu": own_wait.share()})


def _issue_load(server: ServerProcess, kiosk: str, prefix: str, args: Any) -> dict[str, Any]:
    count = int(args.issue_rate * args.seconds)
    _, replies = load(
        [server.base_url], [kiosk], count,
        lambda i: ("POST", "/api/v1/tickets", {"service_id": SERVICE, "idempotency_key": f"{prefix}-{i}"}),
        clients=10, rate=args.issue_rate,
    )  # fmt: skip
    return _replies(replies, 201)


def measure(
    server: ServerProcess, public: ServerProcess, kiosk: str, staff: str, args: Any
) -> dict[str, Any]:
    """``public`` serves the phones: ``server`` itself, or a ``--public-only`` process."""
    result: dict[str, Any] = {}
    load(
        [server.base_url], [kiosk], 30,
        lambda i: ("POST", "/api/v1/tickets", {"service_id": SERVICE, "idempotency_key": f"warm-{i}"}),
        clients=5,
    )  # fmt: skip  # warm-up: first requests pay for imports and connections
    result["issue_without_phones"] = _issue_load(server, kiosk, "base", args)

    staff_h = {"Authorization": f"Bearer {staff}"}
    http = httpx.Client(base_url=server.base_url, timeout=30.0)
    phone_http = httpx.Client(base_url=public.base_url, timeout=30.0)
    try:
        # the waiting tickets of the baseline are called away first: the phones' tickets
        # are then the ones the counter calls in phase 3
        while http.post("/api/v1/counters/5/call-next", headers=staff_h).status_code == 200:
            pass
        _, issued = load(
            [server.base_url], [kiosk], args.phones,
            lambda i: ("POST", "/api/v1/tickets", {"service_id": SERVICE, "idempotency_key": f"phone-{i}"}),
            clients=10,
        )  # fmt: skip
        prefix = len(public.base_url)
        paths = {r.body["id"]: r.body["public_url"][prefix:] for r in issued if r.status == 201}
        ctx = multiprocessing.get_context("fork")
        ready, stop, phones_out, page_out = ctx.Event(), ctx.Event(), ctx.Queue(), ctx.Queue()
        phones = ctx.Process(
            target=phones_process,
            args=("127.0.0.1", public.port, paths, ready, stop, phones_out),
            daemon=True,
        )
        started = time.perf_counter()
        phones.start()
        connected = ready.wait(120)
        result["phones_open"] = {
            "phones": len(paths),
            "all_connected_s": round(time.perf_counter() - started, 2) if connected else None,
        }
        path_list = list(paths.values())
        pages = ctx.Process(
            target=page_process,
            args=(public.base_url, path_list, int(args.rate * args.seconds), args.rate, page_out),
            daemon=True,
        )
        issue_out: dict[str, Any] = {}
        issuing = threading.Thread(
            target=lambda: issue_out.update(_issue_load(server, kiosk, "with", args))
        )
        # per server process (espeak children come and go)
        servers = {"server": server} if public is server else {"server": server, "public": public}
        cpu_before = {k: cpu_seconds([p.pid] if p.pid else []) for k, p in servers.items()}
        wall_before = time.perf_counter()
        own_cpu_before = _own_cpu_s()
        wait_before = {k: _runqueue_wait_s(p.pid) for k, p in servers.items()}
        pages.start()
        issuing.start()
        called: list[tuple[str, float, float]] = []  # ticket, call sent, its answer back
        call_ms: list[float] = []  # the counter's call-next request itself
        deadline = time.perf_counter() + args.seconds
        i = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            resp = http.post(f"/api/v1/counters/{COUNTERS[i % 5]}/call-next", headers=staff_h)
            call_ms.append((time.perf_counter() - t0) * 1000)
            i += 1
            if resp.status_code == 200 and resp.json()["id"] in paths:
                called.append((resp.json()["id"], t0, t0 + call_ms[-1] / 1000))
            time.sleep(max(0.0, 0.25 - (time.perf_counter() - t0)))
        issuing.join()
        page_figures = page_out.get(timeout=120)
        pages.join(timeout=30)
        own_cpu = _own_cpu_s() - own_cpu_before  # kiosks issuing and the counter calling
        phase_s = time.perf_counter() - wall_before
        for key, proc in servers.items():
            cpu_after = cpu_seconds([proc.pid] if proc.pid else [])
            wait_after = _runqueue_wait_s(proc.pid)
            if wait_before[key] is not None and wait_after is not None:
                # a shared machine: the share of the time the server's event loop was ready
                # to run but had no CPU (0.0 = never waited) — the part of the latency that
                # is not the server's own work
                result[f"{key}_loop_waiting_for_cpu"] = round(
                    (wait_after - wait_before[key]) / phase_s, 2
                )
            if cpu_before[key] is not None and cpu_after is not None:
                # how busy the server was: 1.0 = one core all the time (the machine has 2)
                result[f"{key}_cores_busy"] = round((cpu_after - cpu_before[key]) / phase_s, 2)
        time.sleep(1.0)  # the last call's event is on its way to its phone
        stop.set()
        streams = phones_out.get(timeout=60)
        phones.join(timeout=30)
        # the baseline again, the phones gone: how far two runs without phones differ is
        # the noise "issue_with_phones" is to be read against
        result["issue_after_phones"] = _issue_load(server, kiosk, "after", args)
        # the load generators share the machine: how much of it they took (1.0 = one core;
        # the phones' process counts from its start, so it includes connecting them)
        result["loadgen_cores_busy"] = round(
            (own_cpu + page_figures.pop("cpu_s") + streams.pop("cpu_s")) / phase_s, 2
        )
        arrived = streams["calls"]
        push = [(arrived[tid] - t0) * 1000 for tid, t0, _ in called if tid in arrived]
        # the phone against the counter's own answer: negative when the phone knew first
        after_answer = [(arrived[tid] - t1) * 1000 for tid, _, t1 in called if tid in arrived]
        # the clients' own share of the time runnable but without a CPU (as the server's
        # above): their latency figures include it, so a high share means part of what
        # they measured is the machine's queue, not the server's
        result["loadgen_waiting_for_cpu"] = {
            "page_requests": page_figures.pop("waiting_for_cpu"),
            "phone_streams": streams.pop("waiting_for_cpu"),
        }
        result["page_state"] = {"rate_per_s": args.rate, **page_figures}
        result["issue_with_phones"] = issue_out
        result["push_call"] = {**_ms(push), "missing_events": len(called) - len(push)}
        result["call_next_request"] = _ms(call_ms)  # part of push_call: the call itself
        result["push_after_call_answer"] = _ms(after_answer)
        result["stream_messages"] = streams["messages"]
        result["streams_failed"] = streams["failed"]
        result["stream_failures"] = streams["failures"]

        html = []
        for j in range(args.html):
            t0 = time.perf_counter()
            if phone_http.get(path_list[j % len(path_list)]).status_code == 200:
                html.append((time.perf_counter() - t0) * 1000)
        result["page_html"] = _ms(html)
    finally:
        http.close()
        phone_http.close()
    return result


def run_backend(url: str, args: Any, apart: bool = False) -> dict[str, Any]:
    """One layout on a new database: one server process for all, or (``apart``) the
    phones on a ``serve --public-only`` process of their own beside it."""
    migrate(url)
    kiosk = add_kiosk(url, "bench-kiosk")
    staff = add_staff(url, "bench")
    port, public_port = free_port(), free_port()
    env = {
        "HALL_PUBLIC_URL": f"http://127.0.0.1:{public_port if apart else port}",
        "HALL_PHONE_RATE_PER_S": "1000000",  # one address for every phone here
        "HALL_PHONE_BURST": "1000000",
        # and the hall-wide per-address limit of hall/ratelimit.py ("public": 10/s) too,
        # or most page requests and streams of this one address would be answered 429
        "HALL_RATE_LIMITS": "off",
    }
    log_path = os.environ.get("PHONE_BENCH_SERVER_LOG")  # keep the server's log to look at
    server = ServerProcess(url, port=port, env=env, log_level="warning", log_path=log_path)
    public = server
    if apart:
        public = ServerProcess(
            url, port=public_port, env=env, log_level="warning", extra_args=["--public-only"]
        )
    try:
        server.start()
        if public is not server:
            public.start()
        figures = measure(server, public, kiosk, staff, args)
    finally:
        server.stop()
        public.stop()  # (a no-op when it is the server)
    return {
        "phones": args.phones, "seconds": args.seconds,
        "issue_rate_per_s": args.issue_rate, **figures,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 phones, 100 req/s, 4 s")
    parser.add_argument("--phones", type=int, default=None)
    parser.add_argument("--rate", type=float, default=None, help="page state requests/s")
    parser.add_argument("--issue-rate", type=float, default=None, help="tickets/s")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--html", type=int, default=None, help="page loads timed")
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    parser.add_argument(
        "--layout",
        choices=["one", "apart", "both"],
        default="both",
        help="PostgreSQL: one server process for all, the phones on a --public-only"
        " process apart, or both one after the other (default)",
    )
    args = parser.parse_args()
    args.phones = args.phones or (50 if args.quick else 500)
    args.rate = args.rate or (100.0 if args.quick else 200.0)
    args.issue_rate = args.issue_rate or (10.0 if args.quick else 20.0)
    args.seconds = args.seconds or (4.0 if args.quick else 20.0)
    args.html = args.html or (20 if args.quick else 200)
    report: dict[str, Any] = {"benchmark": "phone_page", "quick": args.quick}
    if hasattr(os, "getloadavg"):  # a shared machine: how busy it was when this ran
        report["load_average_1min_before"] = round(os.getloadavg()[0], 2)
    try:
        if args.pg_url:
            layouts = {"one": [False], "apart": [True], "both": [False, True]}[args.layout]
            for apart in layouts:
                url = create_postgres_database(args.pg_url, prefix="hall_bench_phone")
                try:
                    key = "postgresql_public_apart" if apart else "postgresql"
                    report[key] = run_backend(url, args, apart=apart)
                finally:
                    drop_postgres_database(args.pg_url, url)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                report["sqlite"] = run_backend(f"sqlite:///{tmp}/hall.sqlite3", args)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, never fails
        report["error"] = repr(exc)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
