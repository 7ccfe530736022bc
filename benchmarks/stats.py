"""Queue statistics and wall-dashboard data on a year of synthetic hall activity.

    python benchmarks/stats.py [--quick] [--days N] [--tickets-per-day N] [--pg-url URL]
                               [--keep-dir DIR] [--no-sqlite] [--no-postgres]

Generates activity for the sample catalog's hall (22 counters): tickets with their call
and complete actions in ``queue_actions`` (the waits come from there), about 7 % missed,
5 % transferred, some returned, and one rating per five tickets — written straight into
the database in batches of 50,000 tickets (COPY on PostgreSQL, executemany of tuples on
SQLite). Full mode: 365 days × 2,740 tickets ≈ 1 million tickets and
200,000 ratings; ``--quick``: 14 days × 200 tickets.

Measured on SQLite (a temporary file) and, with ``--pg-url`` or env KIOSK_TEST_PG_URL (a
superuser URL), on a fresh PostgreSQL database beside it:

- generation time (s) and rows;
- closing the past days into the daily aggregates (``hall.stats_daily``, their ratings too:
  ``hall.stats_daily_ratings``; done once by the first request that reaches them): days
  and seconds;
- each statistics query (``hall.stats.queue_stats``, closed days aggregated, the last day
  live) over one month (the monthly report) by day, hour, group, counter, item, bundle
  and staff: p50 / p95 ms;
- the year by group and by day (the annual report): p50 / p95 ms;
- baseline: the live SQL over the tickets for the month by group (no aggregates);
- the dashboard's data (``hall.dashboard.dashboard_data``, today and yesterday): p50 / p95;
- baseline: ``SELECT count(*)`` of one day's tickets, p50 ms, in the same run.

``--keep-dir DIR`` keeps the generated data for the next run instead of throwing it away:
the SQLite file ``DIR/stats-<days>x<per_day>.sqlite3`` and the PostgreSQL database
``hall_bench_stats_<days>x<per_day>`` (on the server of ``--pg-url``), each with a marker
``DIR/<name>.json`` written once its generation finished. A later run with the same days
and tickets per day finds the marker and reuses the data (``generation.reused``: the
recorded generation figures), so generation is paid once. The aggregates are not reused:
every run first forgets the closed days (``reopen_days``) and closes them again with the
code under test, so the closing time is measured each run and the parts are the ones its
own code writes. The schema is migrated to the code's head first (older code, whose
migrations end earlier, runs on the newer schema as it is: a note in ``generation``).
Delete the files / ``DROP DATABASE`` to regenerate.

The queries run after ``gc.freeze()``, as in the server (its lifespan freezes the loaded
modules and the app at startup). Before, the benchmark built the app without its lifespan:
every full collection then walked those objects (100-220 ms each, three or so per run)
inside whichever query was being timed — a latency the server does not have, and most of
the p95 of 20 samples. ``--no-gc-freeze`` measures that way.

Targets (issue 16, PostgreSQL, full size): each statistics query (month and year) p95 ≤ 200 ms, the
dashboard p95 ≤ 300 ms — reported as ``meets_target``, never asserted. Always exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import percentile  # noqa: E402
from sqlalchemy import text  # noqa: E402

from contract.catalog import DEFAULT_PATH, load_catalog  # noqa: E402
from hall.app import create_app  # noqa: E402
from hall.dashboard import dashboard_data  # noqa: E402
from hall.db import add_kiosk, make_engine, migrate  # noqa: E402
from hall.models import Staff  # noqa: E402
from hall.queue_rules import RETURN_DETAIL  # noqa: E402
from hall.stats import queue_stats  # noqa: E402
from hall.stats_daily import close_days, reopen_days  # noqa: E402
from hall.testing import create_postgres_database, drop_postgres_database  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
LAST_DAY = dt.date(2026, 11, 20)
TARGET_QUERY_P95_MS = 200
TARGET_DASHBOARD_P95_MS = 300
BATCH = 50_000
"""Tickets per write: PostgreSQL COPY, SQLite one executemany of plain tuples."""
LEVELS = ("very_satisfied", "satisfied", "satisfied", "basic", "very_satisfied", "dissatisfied")


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy would store on SQLite (UTCDateTime: naive UTC text with
    microseconds; Date: ISO text; Boolean: 0/1)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def write_rows(engine: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Bulk-write plain rows (all with the same keys): COPY on PostgreSQL, one
    ``executemany`` of tuples on SQLite — no ORM or per-row statement on the way."""
    if not rows:
        return
    columns = list(rows[0])
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            names = ", ".join(columns)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        else:
            marks = ", ".join("?" for _ in columns)
            # hall.db takes BEGIN away from sqlite3 (autocommit): one explicit transaction,
            # not one commit (and fsync) per row.
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_sqlite_value(row[c]) for c in columns) for row in rows],
            )
        raw.commit()
    finally:
        raw.close()


def generate(url: str, days: int, per_day: int, seed: int = 16) -> dict[str, Any]:
    """Write the synthetic activity; returns rows and seconds."""
    rng = random.Random(seed)
    catalog = load_catalog(DEFAULT_PATH)
    groups = {g.id: g for g in catalog.groups}
    entries = [(s.id, s.group) for s in catalog.services] + [
        (b.id, b.group) for b in catalog.bundles
    ]
    add_kiosk(url, "kiosk-1")
    engine = make_engine(url)
    counts = {"tickets": 0, "queue_actions": 0, "ratings": 0}
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            Staff.__table__.insert(),
            [
                {
                    "name": f"员工{i}",
                    "token_hash": f"{i:064d}",
                    "created_at": dt.datetime.now(dt.UTC),
                    "supervisor": False,
                    "auditor": False,
                    "failed_logins": 0,
                }
                for i in range(1, 23)
            ],  # fmt: skip
        )
        staff_ids = [r[0] for r in conn.execute(text("SELECT id FROM staff ORDER BY id"))]
    tickets: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    seq_rating = 0

    def flush(force: bool = False) -> None:
        if not force and len(tickets) < BATCH:
            return
        write_rows(engine, "tickets", tickets)
        write_rows(engine, "queue_actions", actions)
        write_rows(engine, "ratings", ratings)
        counts["tickets"] += len(tickets)
        counts["queue_actions"] += len(actions)
        counts["ratings"] += len(ratings)
        tickets.clear()
        actions.clear()
        ratings.clear()

    for d in range(days):
        day = LAST_DAY - dt.timedelta(days=days - 1 - d)
        opening = dt.datetime(day.year, day.month, day.day, 9, tzinfo=TZ).astimezone(dt.UTC)
        seqs: dict[str, int] = {}
        for _ in range(per_day):
            service_id, group_id = entries[rng.randrange(len(entries))]
            group = groups[group_id]
            seqs[group.prefix] = seqs.get(group.prefix, 0) + 1
            seq = seqs[group.prefix]
            issued = opening + dt.timedelta(seconds=rng.uniform(0, 8 * 3600))
            wait = dt.timedelta(seconds=rng.expovariate(1 / 600))
            service = dt.timedelta(seconds=rng.uniform(180, 900))
            counter = rng.choice(group.counters)
            staff_id = staff_ids[(int(counter) - 1) % len(staff_ids)]
            roll = rng.random()
            status = "no_show" if roll < 0.07 else "completed"
            tid = str(uuid.uuid4())
            called = issued + wait
            row = {
                "id": tid, "kiosk_id": "kiosk-1", "idempotency_key": tid,
                "service_id": service_id, "window_group": group_id, "prefix": group.prefix,
                "period": day.isoformat(), "service_day": day, "seq": seq,
                "number": f"{group.prefix}{seq:03d}", "priority": roll > 0.98,
                "language": "zh", "holder_hash": None, "masked_name": None, "status": status,
                "counter": counter, "staff_id": staff_id, "recall_count": 0,
                "issued_at": issued, "called_at": called,
                "completed_at": called + service if status == "completed" else None,
                "no_show_at": called + dt.timedelta(minutes=2) if status == "no_show" else None,
                "transferred_at": None, "transfer_count": 1 if 0.07 <= roll < 0.12 else 0,
                "target_counter": None, "held_at": None, "front_at": None,
                "first_called_at": called,
                "returned": status == "completed" and roll > 0.95,
            }  # fmt: skip
            tickets.append(row)
            actions.append({"kind": "call", "ticket_id": tid, "counter_id": counter,
                            "staff_id": staff_id, "detail": None, "at": called})  # fmt: skip
            if status == "completed":
                detail = RETURN_DETAIL if roll > 0.95 else None
                actions.append({"kind": "complete", "ticket_id": tid, "counter_id": counter,
                                "staff_id": staff_id, "detail": detail,
                                "at": row["completed_at"]})  # fmt: skip
                if rng.random() < 0.2:
                    seq_rating += 1
                    rated = row["completed_at"] + dt.timedelta(minutes=1)
                    ratings.append({
                        "id": str(uuid.uuid4()), "seq": seq_rating, "prev_hash": "0" * 64,
                        "hash": f"{seq_rating:064x}", "kiosk_id": "kiosk-1",
                        "idempotency_key": f"r{seq_rating}", "target": "ticket",
                        "ticket_id": tid, "ticket_number": row["number"], "ticket_day": day,
                        "channel": "kiosk", "rater": "anonymous", "rated_at": rated,
                        "received_at": rated, "rating_day": day, "rating_count": 1,
                        "level": LEVELS[rng.randrange(len(LEVELS))], "reasons": "[]",
                        "comment": None, "division_code": "000000", "counter": counter,
                        "staff_id": staff_id, "service_id": service_id,
                        "window_group": group_id,
                    })  # fmt: skip
            flush()
    flush(force=True)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {**counts, "generation_s": round(time.perf_counter() - started, 2)}


def timed(fn: Any, repeats: int) -> dict[str, float]:
    fn()  # warm-up (plans, caches)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
    }


def measure(
    url: str,
    days: int,
    per_day: int,
    repeats: int,
    marker: Path | None = None,
    gc_freeze: bool = True,
) -> dict[str, Any]:
    """Generate (or, with a ``marker`` file from an earlier run, reuse) and measure."""
    reused = marker is not None and marker.exists()
    if reused:
        generation = {**json.loads(marker.read_text()), "reused": True}  # type: ignore[union-attr]
        try:  # the schema of the code under test (its migrations forget the closed days)
            migrate(url)
        except Exception as exc:  # noqa: BLE001 - older code on data a newer one migrated
            generation["migrate"] = f"skipped: {type(exc).__name__}"
    else:
        migrate(url)
        generation = generate(url, days, per_day)
        if marker is not None:
            marker.write_text(json.dumps(generation))
    result: dict[str, Any] = {"generation": generation}
    now = dt.datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day, 15, tzinfo=TZ)
    app = create_app(url, clock=lambda: now, migrate_schema=False, id_hash_key=bytes(32))
    engine, catalog = app.state.engine, app.state.catalog
    if gc_freeze:  # as the server's lifespan does at startup (hall.app)
        gc.freeze()
    month = (LAST_DAY - dt.timedelta(days=29), LAST_DAY)
    year = (LAST_DAY - dt.timedelta(days=days - 1), LAST_DAY)
    with engine.connect() as conn:
        baseline = timed(
            lambda: conn.execute(
                text("SELECT count(*) FROM tickets WHERE service_day = :d"), {"d": LAST_DAY}
            ).scalar(),
            repeats,
        )
    result["baseline_day_count"] = baseline
    if reused:  # close the days again with the code under test (see the docstring)
        reopen_days(engine, year[0], LAST_DAY)
    # Closing the past days into the daily aggregates (hall.stats_daily) — done once, by
    # the first statistics request that reaches them; today stays live.
    t0 = time.perf_counter()
    closed = close_days(engine, catalog, TZ, year[0], LAST_DAY - dt.timedelta(days=1))
    result["aggregation"] = {"days": closed, "seconds": round(time.perf_counter() - t0, 2)}
    queries: dict[str, Any] = {}
    for by in ("day", "hour", "group", "counter", "item", "bundle", "staff"):
        queries[f"month_by_{by}"] = timed(
            lambda by=by: queue_stats(engine, catalog, TZ, by, *month, today=LAST_DAY),
            repeats,
        )
    queries["year_by_group"] = timed(
        lambda: queue_stats(engine, catalog, TZ, "group", *year, today=LAST_DAY),
        max(3, repeats // 4),
    )
    queries["year_by_day"] = timed(
        lambda: queue_stats(engine, catalog, TZ, "day", *year, today=LAST_DAY),
        max(3, repeats // 4),
    )
    result["queries"] = queries
    # Baseline in the same run: the live SQL over the tickets (no aggregates).
    result["baseline_live_month_by_group"] = timed(
        lambda: queue_stats(engine, catalog, TZ, "group", *month, live=True), 3
    )
    result["dashboard"] = timed(lambda: dashboard_data(app, now), repeats)
    monthly_p95 = max(q["p95_ms"] for k, q in queries.items() if k.startswith("month_"))
    result["worst_month_query_p95_ms"] = monthly_p95
    result["worst_query_p95_ms"] = max(q["p95_ms"] for q in queries.values())
    result["meets_target"] = (
        result["worst_query_p95_ms"] <= TARGET_QUERY_P95_MS
        and result["dashboard"]["p95_ms"] <= TARGET_DASHBOARD_P95_MS
    )
    engine.dispose()
    return result


def _kept_postgres_database(admin_url: str, name: str) -> str:
    """The URL of database ``name`` beside ``admin_url``, created if it does not exist."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from hall.db import normalize_url

    url = make_url(normalize_url(admin_url))
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if found is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="14 days × 200 tickets")
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--tickets-per-day", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--pg-url", default=os.environ.get("KIOSK_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-gc-freeze", action="store_true", help="measure without gc.freeze() (as before)"
    )
    parser.add_argument(
        "--keep-dir", type=Path, default=None, help="keep the generated data there and reuse it"
    )
    args = parser.parse_args()
    days = args.days or (14 if args.quick else 365)
    per_day = args.tickets_per_day or (200 if args.quick else 2740)
    repeats = args.repeats or (5 if args.quick else 20)
    out: dict[str, Any] = {
        "benchmark": "stats",
        "quick": args.quick,
        "gc_freeze": not args.no_gc_freeze,
        "days": days,
        "tickets_per_day": per_day,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "targets": {
            "query_p95_ms": TARGET_QUERY_P95_MS,
            "dashboard_p95_ms": TARGET_DASHBOARD_P95_MS,
        },  # fmt: skip
    }
    keep: Path | None = args.keep_dir
    name = f"stats-{days}x{per_day}"
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.no_sqlite:
                raise RuntimeError("skipped (--no-sqlite)")
            folder = Path(tmp) if keep is None else keep
            marker = None if keep is None else keep / f"{name}.sqlite3.json"
            path = folder / f"{name}.sqlite3"
            if marker is not None and not marker.exists():
                path.unlink(missing_ok=True)  # an unfinished earlier generation
            out["sqlite"] = measure(
                f"sqlite:///{path}", days, per_day, repeats, marker, not args.no_gc_freeze
            )
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, never crashes
            out["sqlite"] = {"error": repr(exc)}
    if args.pg_url and not args.no_postgres:
        url = None
        try:
            if keep is None:
                url = create_postgres_database(args.pg_url, prefix="hall_bench_stats")
                out["postgresql"] = measure(
                    url, days, per_day, repeats, None, not args.no_gc_freeze
                )
            else:
                kept = _kept_postgres_database(args.pg_url, f"hall_bench_stats_{days}x{per_day}")
                marker = keep / f"{name}.postgresql.json"
                if not marker.exists():  # an unfinished earlier generation: start afresh
                    drop_postgres_database(args.pg_url, kept)
                    kept = _kept_postgres_database(
                        args.pg_url, f"hall_bench_stats_{days}x{per_day}"
                    )
                out["postgresql"] = measure(
                    kept, days, per_day, repeats, marker, not args.no_gc_freeze
                )
        except Exception as exc:  # noqa: BLE001
            out["postgresql"] = {"error": repr(exc)}
        finally:
            if url is not None:
                drop_postgres_database(args.pg_url, url)
    else:
        out["postgresql"] = {"skipped": "no --pg-url / KIOSK_TEST_PG_URL, or --no-postgres"}
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
