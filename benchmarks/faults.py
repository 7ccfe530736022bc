"""Faults and hostile input against real hall server processes; prints JSON.

    python benchmarks/faults.py [--quick] [--cycles N] [--tickets N] [--pg-url URL]

1. **kill -9 during concurrent issuing** (``kill_cycles``): per cycle, ``--tickets`` tickets
   (each with its own idempotency key) are issued by 30 concurrent kiosk clients; once a
   third of them were answered the server process gets SIGKILL. It is started again and
   every request that got no answer is retried with its key. Then the database is checked:
   ``duplicates`` (two tickets for one key, or one number twice), ``gaps`` (a number missing
   in a window group's day), ``acknowledged_lost`` (a ticket answered before the kill that
   is not stored, or stored with another number). On SQLite (one process) and, with
   ``--pg-url`` / env KIOSK_TEST_PG_URL, on PostgreSQL with two server processes (one of
   them killed, the clients spread over both).
2. **PostgreSQL restarted under the running servers** (``pg_restart``; needs PostgreSQL
   installed — a cluster of its own, ``hall.testing.PostgresCluster``): two server
   processes, 30 clients issuing ``--tickets`` tickets and retrying a key after a 503 or a
   broken connection (as the kiosk's outbox does, backoff 0.1–0.5 s); once a third were
   answered PostgreSQL is stopped (``pg_ctl stop -m fast``) for ``outage_s`` and started
   again. Figures: the answers during the outage by status and the slowest of them,
   ``recovery_s`` per server (PostgreSQL started → that server's first 201), whether the
   server processes are the same ones, and duplicates / gaps / acknowledged_lost.
3. **body limit under a 200 MB anonymous body** (``body_limit``): the server's peak RSS
   (VmHWM) before and after a 200 MB chunked POST without a token, and how fast the 413
   came.
4. **issue throughput, body limit on vs off** (``throughput``): closed-loop ticket issuing
   against two SQLite servers, one with the limit (default) and one with
   ``HALL_MAX_BODY_BYTES=0`` (the baseline, measured in the same run), alternating rounds;
   medians of tickets/s and of the server's CPU ms per ticket (/proc), and their ratios
   (the target: within 5 %). On a shared machine wall-clock throughput swings with the
   other load; the CPU per ticket does not, so it is the figure to read.

``--quick`` (./test runs it): one kill cycle per backend, 3 throughput rounds of 400
tickets, 2 fuzz examples per operation and mode (12 in a full run). On a shared machine the throughput ratio of a quick run is noise
(±30 %); the full run's 7 rounds of 2000 tickets say more.
This script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from benchlib import cpu_seconds  # noqa: E402

from hall.db import add_kiosk, add_staff, migrate  # noqa: E402
from hall.fuzzing import RATE_LIMITS_ON_UNREACHED, fuzz_api  # noqa: E402
from hall.testing import (  # noqa: E402
    PostgresCluster,
    ServerProcess,
    check_tickets,
    create_postgres_database,
    drop_postgres_database,
    load,
    peak_rss_mb,
    post_body,
)

SERVICES = ["business-license", "real-estate-registration", "hukou-transfer", "tax-invoice"]
CLIENTS = 30
MB = 1024 * 1024


def _job(cycle: int, i: int) -> dict[str, Any]:
    return {
        "service_id": SERVICES[i % len(SERVICES)],
        "idempotency_key": f"c{cycle}-k{i}",
        "kiosk": i % CLIENTS,  # the index of the kiosk token that sends (and retries) it
    }


def _issue(
    urls: list[str], tokens: list[str], jobs: list[dict[str, Any]], on_answer: Any = None
) -> dict[int, dict[str, Any] | None]:
    """POST every job from CLIENTS threads; {index: ticket, or None when unanswered}."""
    answers: dict[int, dict[str, Any] | None] = {}
    lock = threading.Lock()
    next_job = iter(range(len(jobs)))

    def worker(n: int) -> None:
        # A key is retried by the kiosk that first sent it (keys are unique per kiosk):
        # job i always goes with token i; the server is any of them.
        with httpx.Client(base_url=urls[n % len(urls)], timeout=10.0) as client:
            while True:
                with lock:
                    i = next(next_job, None)
                if i is None:
                    return
                kiosk = {"Authorization": f"Bearer {tokens[jobs[i]['kiosk']]}"}
                body = {k: v for k, v in jobs[i].items() if k != "kiosk"}
                try:
                    resp = client.post("/api/v1/tickets", json=body, headers=kiosk)
                    ticket = resp.json() if resp.status_code in (200, 201) else None
                except httpx.HTTPError:
                    ticket = None
                with lock:
                    answers[i] = ticket
                if ticket is not None and on_answer is not None:
                    on_answer()

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(worker, range(CLIENTS)))
    return answers


def kill_cycle(database_url: str, processes: int, cycle: int, tickets: int) -> dict[str, Any]:
    tokens = [add_kiosk(database_url, f"fault-kiosk-{cycle}-{n}") for n in range(CLIENTS)]
    servers = [ServerProcess(database_url) for _ in range(processes)]
    for server in servers:
        server.launch()
    for server in servers:
        server.wait_ready()
    victim = servers[0]
    jobs = [_job(cycle, i) for i in range(tickets)]
    answered = 0
    killed_at: list[float] = []
    counter_lock = threading.Lock()

    def on_answer() -> None:
        nonlocal answered
        with counter_lock:
            answered += 1
            if answered == tickets // 3 and not killed_at:
                assert victim.pid is not None
                os.kill(victim.pid, signal.SIGKILL)
                killed_at.append(time.monotonic())

    try:
        first = _issue([s.base_url for s in servers], tokens, jobs, on_answer)
        unanswered = sorted(i for i in range(tickets) if first.get(i) is None)
        victim.stop()  # reaps the killed process
        restarted = ServerProcess(database_url)
        started = time.monotonic()
        restarted.start()
        restart_s = time.monotonic() - started
        servers[0] = restarted
        retried = _issue([s.base_url for s in servers], tokens, [jobs[i] for i in unanswered])
        still = sum(1 for t in retried.values() if t is None)
    finally:
        for server in servers:
            server.stop()
    acknowledged = {
        jobs[i]["idempotency_key"]: t["number"] for i, t in first.items() if t is not None
    }
    for j, i in enumerate(unanswered):
        ticket = retried.get(j)
        if ticket is not None:
            acknowledged[jobs[i]["idempotency_key"]] = ticket["number"]
    return {
        "processes": processes,
        "tickets": tickets,
        "answered_before_restart": tickets - len(unanswered),
        "retried": len(unanswered),
        "unanswered_after_retry": still,
        "restart_s": round(restart_s, 2),
        **check_tickets(database_url, f"c{cycle}-", acknowledged),
    }


def pg_restart(tickets: int, outage_s: float) -> dict[str, Any]:
    with PostgresCluster() as cluster:
        url = create_postgres_database(cluster.admin_url, prefix="hall_restart")
        migrate(url)
        tokens = [add_kiosk(url, f"restart-kiosk-{n}") for n in range(CLIENTS)]
        servers = [ServerProcess(url, env={"HALL_RATE_LIMITS": "on"}) for _ in range(2)]
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        pids = [s.pid for s in servers]
        lock = threading.Lock()
        seen: list[tuple[float, int, Any, float]] = []  # (started, server, status, seconds)
        acknowledged: dict[str, str] = {}
        retries = 0
        phase: dict[str, float] = {}
        next_job = iter(range(tickets))

        def worker(n: int) -> None:
            nonlocal retries
            s = n % 2
            kiosk = {"Authorization": f"Bearer {tokens[n]}"}
            with httpx.Client(base_url=servers[s].base_url, timeout=30.0) as client:
                while True:
                    with lock:
                        i = next(next_job, None)
                    if i is None:
                        return
                    body = {"service_id": SERVICES[i % 4], "idempotency_key": f"pr-{i}"}
                    backoff = 0.1
                    while True:  # the outbox: the same key again until answered
                        started = time.monotonic()
                        try:
                            resp = client.post("/api/v1/tickets", json=body, headers=kiosk)
                            status: Any = resp.status_code
                        except httpx.HTTPError as exc:
                            status = type(exc).__name__
                        with lock:
                            seen.append((started, s, status, time.monotonic() - started))
                            if status in (200, 201):
                                acknowledged[body["idempotency_key"]] = resp.json()["number"]
                                if len(acknowledged) == tickets // 3 and "down" not in phase:
                                    phase["down"] = 0.0  # claimed: the main thread stops PG
                            else:
                                retries += 1
                        if status in (200, 201):
                            break
                        time.sleep(backoff)  # the outbox's backoff before a retry
                        backoff = min(0.5, backoff * 2)

        pool = ThreadPoolExecutor(CLIENTS)
        try:
            futures = [pool.submit(worker, n) for n in range(CLIENTS)]
            deadline = time.monotonic() + 120
            while "down" not in phase and time.monotonic() < deadline:
                time.sleep(0.01)  # polling the clients' progress
            phase["down"] = time.monotonic()
            cluster.stop()
            time.sleep(outage_s)  # the outage itself: PostgreSQL stays down this long
            phase["up"] = time.monotonic()
            cluster.start()
            for future in futures:
                future.result(timeout=300)
        finally:
            pool.shutdown(wait=True)
            alive = [s._proc is not None and s._proc.poll() is None for s in servers]
            for server in servers:
                server.stop()
        down, up = phase["down"], phase["up"]
        outage = [x for x in seen if down <= x[0] < up]
        statuses: dict[str, int] = defaultdict(int)
        for x in outage:
            statuses[str(x[2])] += 1
        recovery = []
        for s in (0, 1):
            ok = [x[0] + x[3] for x in seen if x[1] == s and x[0] >= up and x[2] in (200, 201)]
            recovery.append(round(min(ok) - up, 2) if ok else None)
        return {
            "processes": 2,
            "tickets": tickets,
            "outage_s": outage_s,
            "answers_during_outage": dict(statuses),
            "slowest_answer_during_outage_s": round(max((x[3] for x in outage), default=0), 3),
            "recovery_s": recovery,
            "same_server_processes": alive == [True, True] and [s.pid for s in servers] == pids,
            "retries": retries,
            **check_tickets(url, "pr-", acknowledged),
        }


def body_limit_rss(database_url: str) -> dict[str, Any]:
    with ServerProcess(database_url) as server:
        assert server.pid is not None
        httpx.get(f"{server.base_url}/api/v1/health")
        before = peak_rss_mb(server.pid)
        status, seconds, sent = post_body(server.port, "/api/v1/tickets", 200 * MB, chunked=True)
        after = peak_rss_mb(server.pid)
    return {
        "body_mb": 200,
        "status": status,
        "answer_s": round(seconds, 3),
        "sent_mb_before_refusal": round(sent / MB, 1),
        "peak_rss_mb_before": round(before, 1),
        "peak_rss_mb_after": round(after, 1),
        "peak_rss_growth_mb": round(after - before, 1),
    }


def throughput(tmp: Path, rounds: int, tickets: int) -> dict[str, Any]:
    figures: dict[str, list[float]] = {"limit_on": [], "limit_off": []}
    cpu_ms: dict[str, list[float]] = {"limit_on": [], "limit_off": []}
    servers: dict[str, ServerProcess] = {}
    tokens: dict[str, list[str]] = {}
    try:
        for name, env in (("limit_on", {}), ("limit_off", {"HALL_MAX_BODY_BYTES": "0"})):
            url = f"sqlite:///{tmp / f'{name}.sqlite3'}"
            migrate(url)
            tokens[name] = [add_kiosk(url, f"k{n}") for n in range(CLIENTS)]
            servers[name] = ServerProcess(url, env=env, log_level="error")
            servers[name].start()
        issued = 0
        for r in range(rounds + 1):  # round 0 warms both up and is not counted
            for name in ("limit_on", "limit_off") if r % 2 else ("limit_off", "limit_on"):
                offset = issued

                def make(i: int, offset: int = offset) -> tuple[str, str, dict[str, Any]]:
                    job = _job(9, offset + i)
                    job.pop("kiosk")  # load() picks the token by client
                    return "POST", "/api/v1/tickets", job

                pid = servers[name].pid
                before = cpu_seconds([pid]) if pid else None
                wall, replies = load([servers[name].base_url], tokens[name], tickets, make,
                                     clients=CLIENTS)  # fmt: skip
                after = cpu_seconds([pid]) if pid else None
                if r:
                    ok = sum(1 for rep in replies if rep.status == 201)
                    figures[name].append(ok / wall)
                    if before is not None and after is not None and ok:
                        cpu_ms[name].append((after - before) * 1000 / ok)
            issued += tickets
    finally:
        for server in servers.values():
            server.stop()
    on, off = statistics.median(figures["limit_on"]), statistics.median(figures["limit_off"])
    cpu_on = statistics.median(cpu_ms["limit_on"]) if cpu_ms["limit_on"] else None
    cpu_off = statistics.median(cpu_ms["limit_off"]) if cpu_ms["limit_off"] else None
    return {
        "rounds": rounds,
        "tickets_per_round": tickets,
        "tickets_per_s_limit_on": round(on, 1),
        "tickets_per_s_limit_off": round(off, 1),
        "ratio_on_off": round(on / off, 3),
        # server CPU per ticket: what the limit costs, unaffected by other load on the machine
        "server_cpu_ms_per_ticket_limit_on": round(cpu_on, 3) if cpu_on else None,
        "server_cpu_ms_per_ticket_limit_off": round(cpu_off, 3) if cpu_off else None,
        "cpu_ratio_on_off": round(cpu_on / cpu_off, 3) if cpu_on and cpu_off else None,
        # the servers run with the default rate limits (on in both); their own cost is
        # measured by benchmarks/rate_limits.py
        "rate_limits": "default (on in both runs)",
    }


def schema_fuzz(tmp: Path, examples: int) -> dict[str, Any]:
    url = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    migrate(url)
    tokens = {"kiosk": add_kiosk(url, "kiosk-1"), "staff": add_staff(url, "王*")}
    started = time.monotonic()
    with ServerProcess(url, env=RATE_LIMITS_ON_UNREACHED, log_level="error") as server:
        figures = fuzz_api(server.base_url, tokens, examples).figures()
    return {"examples_per_operation_and_mode": examples, **figures,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cycles", type=int, default=None)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    args = parser.parse_args()
    cycles = args.cycles or (1 if args.quick else 3)
    result: dict[str, Any] = {"benchmark": "faults", "quick": args.quick}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hall-faults-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            url = f"sqlite:///{tmp / 'hall.sqlite3'}"
            migrate(url)
            result["kill_cycles"] = {
                "sqlite": [kill_cycle(url, 1, c, args.tickets) for c in range(cycles)]
            }
        except Exception as exc:  # measured, not asserted
            result["kill_cycles"] = {"error": repr(exc)}
        if args.pg_url:
            pg = create_postgres_database(args.pg_url, prefix="hall_faults")
            try:
                migrate(pg)
                result["kill_cycles"]["postgresql_2_processes"] = [
                    kill_cycle(pg, 2, c, args.tickets) for c in range(cycles)
                ]
            except Exception as exc:
                result["kill_cycles"]["postgresql_2_processes"] = {"error": repr(exc)}
            finally:
                drop_postgres_database(args.pg_url, pg)  # and its test key file
        try:
            result["pg_restart"] = pg_restart(args.tickets, 2.0 if args.quick else 5.0)
        except Exception as exc:  # e.g. PostgreSQL not installed
            result["pg_restart"] = {"error": repr(exc)}
        try:
            url = f"sqlite:///{tmp / 'rss.sqlite3'}"
            migrate(url)
            result["body_limit"] = body_limit_rss(url)
        except Exception as exc:
            result["body_limit"] = {"error": repr(exc)}
        try:
            result["throughput"] = throughput(
                tmp, 3 if args.quick else 7, 400 if args.quick else 2000
            )
        except Exception as exc:
            result["throughput"] = {"error": repr(exc)}
        try:
            result["schemathesis"] = schema_fuzz(tmp, 2 if args.quick else 12)
        except Exception as exc:
            result["schemathesis"] = {"error": repr(exc)}
    totals = defaultdict(int)
    for runs in result["kill_cycles"].values():
        for run in runs if isinstance(runs, list) else []:
            for key in ("duplicates", "gaps", "acknowledged_lost"):
                totals[key] += run[key]
    result["kill_totals"] = dict(totals)
    restart = result.get("pg_restart", {})
    if "duplicates" in restart:
        result["pg_restart_totals"] = {
            k: restart[k] for k in ("duplicates", "gaps", "acknowledged_lost")
        }
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
