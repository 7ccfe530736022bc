"""Small helpers the benchmark scripts share (imported as a sibling module)."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

NO_RATE_LIMITS = {"HALL_RATE_LIMITS": "off"}
"""Server environment for capacity benchmarks: one load generator stands for many kiosks,
counters or phones from one address and often one token, which the hall's per-address and
per-token limits (hall/ratelimit.py) would refuse with 429 long before the server is busy;
``benchmarks/rate_limits.py`` measures what the limits themselves cost."""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# -- CPU accounting (Linux /proc; None elsewhere) ------------------------------------------
def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _all_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def process_tree(roots: list[int | None]) -> list[int]:
    """The given processes and all their descendants (uvicorn workers are children)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields:
            children[int(fields[1])].append(pid)
    found: list[int] = []
    todo = [pid for pid in roots if pid is not None]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of processes, seconds."""
    total = 0.0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is None:
            return None
        total += (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return total


def postmaster_pid(database_url: str) -> int | None:
    """The local PostgreSQL server's main process (the parent of our backend)."""
    from hall.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    finally:
        engine.dispose()
    fields = _stat_fields(backend)
    return int(fields[1]) if fields else None


def postgres_cpu_seconds(postmaster: int) -> float | None:
    """CPU of a PostgreSQL server: the postmaster and every child (backends, WAL writer…);
    with the postmaster's counters of reaped children, so backends that exit still count."""
    fields = _stat_fields(postmaster)
    if fields is None:
        return None
    total = (int(fields[13]) + int(fields[14])) / _CLK_TCK
    return total + (cpu_seconds(process_tree([postmaster])) or 0.0)


def machine_jiffies() -> tuple[int, int, int] | None:
    """(busy, steal, total) jiffies of all CPUs since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [int(v) for v in first[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


class CpuMeter:
    """CPU used by servers, this client, local PostgreSQL and the machine over a run."""

    def __init__(self, server_pids: list[int], postmaster: int | None) -> None:
        self.server_pids = server_pids
        self.postmaster = postmaster

    def __enter__(self) -> CpuMeter:
        self._server = cpu_seconds(self.server_pids)
        self._client = time.process_time()
        self._db = postgres_cpu_seconds(self.postmaster) if self.postmaster else None
        self._machine = machine_jiffies()
        return self

    def __exit__(self, *_exc: object) -> None:
        server = cpu_seconds(self.server_pids)
        self.server_s = server - self._server if server is not None and self._server else None
        self.client_s = time.process_time() - self._client
        db = postgres_cpu_seconds(self.postmaster) if self.postmaster else None
        self.db_s = db - self._db if db is not None and self._db is not None else None
        machine = machine_jiffies()
        self.busy_pct = self.steal_pct = self.other_pct = None
        if machine and self._machine:
            busy, steal, total = (a - b for a, b in zip(machine, self._machine, strict=True))
            if total > 0:
                self.busy_pct = round(100 * (busy + steal) / total, 1)
                self.steal_pct = round(100 * steal / total, 1)
                ours = (self.server_s or 0) + self.client_s + (self.db_s or 0)
                other = busy / _CLK_TCK - ours
                self.other_pct = round(max(0.0, 100 * other / (total / _CLK_TCK)), 1)
