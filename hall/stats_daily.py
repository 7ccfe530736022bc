"""Daily pre-aggregated queue statistics: what keeps a month or a year of ``hall.stats``
fast on a million tickets.

A service day is *closed* once, the first time statistics reach past it (the hall's
current day is always computed live): its tickets are read once and written as one row
per kind × key in ``stats_day_parts`` — kinds ``total``, ``hour``, ``group``, ``counter``,
``item``, ``staff`` (``day`` reads ``total`` per day, ``bundle`` reads the bundles'
``item`` rows) — with the counts, the sum and max of the waits, and the day's waits and
service times as sorted float64 arrays. Combining days sums the counts and merges the
arrays, so the nearest-rank percentiles stay EXACTLY those of the live SQL
(``percentile_disc``), not an estimate: the per-ticket seconds are computed by the same
SQL expressions as the live path.

Closing a day also counts its ratings (``hall.stats_daily_ratings``: satisfaction, exact
too, ratings stored after the day closed added live).

A closed day is not recomputed: a change to a ticket of an earlier day (there is none in
the hall's flow — tickets are done the day they are issued) needs ``reopen_days``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from contract.catalog import Catalog
from hall.db import transaction
from hall.models import StatsClosedDay, StatsDayPart, StatsDayRating
from hall.stats_daily_ratings import read_day_ratings

KINDS = ("total", "hour", "group", "counter", "item", "staff")
CLOSE_CHUNK_DAYS = 31
"""Days read from ``tickets`` in one statement when closing many days at once."""
_KIND_OF_BY = {
    "total": "total",
    "day": "total",
    "hour": "hour",
    "group": "group",
    "counter": "counter",
    "item": "item",
    "bundle": "item",
    "staff": "staff",
}
_COUNTS = (
    "issued",
    "served",
    "missed",
    "transferred",
    "items_handled",
    "bundle_visits",
    "returned",
)


def _date_param(name: str) -> Any:
    from sqlalchemy import Date

    return bindparam(name, type_=Date())


def _ticket_rows(
    engine: Engine, catalog: Catalog, tz: ZoneInfo, d0: dt.date, d1: dt.date
) -> list[Any]:
    """One row per ticket of days d0..d1 with its keys and seconds (the live SQL's own
    expressions, so the doubles are identical)."""
    from hall.stats import _hour_key, _seconds

    dialect = engine.dialect.name
    hour, params = _hour_key(dialect, tz, d0)
    first_call = "COALESCE(t.first_called_at, t.called_at)"
    stmt = text(
        f"""
SELECT t.service_day, {hour} AS hour, t.window_group, t.counter, t.service_id, t.staff_id,
  t.status, t.transfer_count, t.returned,
  {_seconds(dialect, first_call, "t.issued_at")} AS wait_s,
  CASE WHEN t.status = 'completed'
    THEN {_seconds(dialect, "t.completed_at", "t.called_at")} END AS service_s
FROM tickets t
WHERE t.service_day >= :d0 AND t.service_day <= :d1
"""
    ).bindparams(_date_param("d0"), _date_param("d1"))
    with transaction(engine, readonly=True) as session:
        return session.execute(stmt, {**params, "d0": d0, "d1": d1}).all()


def _day_of(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# Index of each figure in a part's working list (lists are faster than objects here).
_ISSUED, _SERVED, _MISSED, _MOVED, _ITEMS, _BUNDLES, _RETURNED, _WMAX, _WAITS, _SERVICES = range(10)


def build_parts(
    rows: Iterable[Any], catalog: Catalog, kinds: Iterable[str] = KINDS
) -> dict[tuple[dt.date, str, str | None], dict[str, Any]]:
    """(day, kind, key) → the part's figures of ``kinds``, from per-ticket rows."""
    wanted = [KINDS.index(kind) for kind in kinds]
    sizes = {b.id: len(b.items) for b in catalog.bundles}
    parts: dict[tuple[dt.date, str, str | None], list[Any]] = {}
    days: dict[Any, dt.date] = {}
    for sday, hour, group, counter, service, staff, status, moves, returned, wait, svc in rows:
        day = days.get(sday)
        if day is None:
            day = days[sday] = _day_of(sday)
        done = status == "completed"
        n_items = sizes.get(service, 1)
        bundle = service in sizes
        missed = status == "no_show"
        moved = (moves or 0) > 0
        ret = done and bool(returned)
        keys = (
            (day, "total", "all"),
            (day, "hour", None if hour is None else str(hour)),
            (day, "group", group),
            (day, "counter", counter),
            (day, "item", service),
            (day, "staff", None if staff is None else str(staff)),
        )
        for i in wanted:
            key = keys[i]
            part = parts.get(key)
            if part is None:
                part = parts[key] = [0, 0, 0, 0, 0, 0, 0, None, [], []]
            part[_ISSUED] += 1
            if done:
                part[_SERVED] += 1
                part[_ITEMS] += n_items
                part[_BUNDLES] += bundle
                part[_RETURNED] += ret
                if svc is not None:
                    part[_SERVICES].append(svc)
            if missed:
                part[_MISSED] += 1
            if moved:
                part[_MOVED] += 1
            if wait is not None:
                part[_WAITS].append(wait)
                if part[_WMAX] is None or wait > part[_WMAX]:
                    part[_WMAX] = wait
    out = {}
    for key, part in parts.items():
        waits = np.sort(np.asarray(part[_WAITS], dtype="<f8"))
        services = np.sort(np.asarray(part[_SERVICES], dtype="<f8"))
        out[key] = {
            "issued": part[_ISSUED],
            "served": part[_SERVED],
            "missed": part[_MISSED],
            "transferred": part[_MOVED],
            "items_handled": part[_ITEMS],
            "bundle_visits": part[_BUNDLES],
            "returned": part[_RETURNED],
            "wait_sum": math.fsum(part[_WAITS]),
            "wait_max": None if part[_WMAX] is None else float(part[_WMAX]),
            "waits": waits.tobytes(),
            "services": services.tobytes(),
        }
    return out


def close_days(engine: Engine, catalog: Catalog, tz: ZoneInfo, d0: dt.date, d1: dt.date) -> int:
    """Aggregate every not yet closed day of d0..d1 (call only for days that are over);
    returns how many were closed now."""
    with transaction(engine, readonly=True) as session:
        closed = set(
            session.scalars(
                select(StatsClosedDay.service_day).where(
                    StatsClosedDay.service_day >= d0, StatsClosedDay.service_day <= d1
                )
            )
        )
    missing = [
        d0 + dt.timedelta(days=i)
        for i in range((d1 - d0).days + 1)
        if d0 + dt.timedelta(days=i) not in closed
    ]
    done = 0
    while missing:
        first = missing[0]
        chunk = [d for d in missing if (d - first).days < CLOSE_CHUNK_DAYS]
        missing = missing[len(chunk) :]
        parts = build_parts(_ticket_rows(engine, catalog, tz, chunk[0], chunk[-1]), catalog)
        with transaction(engine, readonly=True) as session:
            rating_seq, ratings = read_day_ratings(session, chunk[0], chunk[-1])
        wanted = set(chunk)
        now = dt.datetime.now(dt.UTC)
        values = [
            {"service_day": day, "kind": kind, "k": key, **figures}
            for (day, kind, key), figures in parts.items()
            if day in wanted
        ]
        try:
            with transaction(engine) as session:
                session.execute(
                    insert(StatsClosedDay),
                    [{"service_day": d, "closed_at": now, "rating_seq": rating_seq} for d in chunk],
                )
                for start in range(0, len(values), 2000):
                    session.execute(insert(StatsDayPart), values[start : start + 2000])
                for start in range(0, len(ratings), 2000):
                    session.execute(insert(StatsDayRating), ratings[start : start + 2000])
            done += len(chunk)
        except IntegrityError:
            pass  # another request closed (some of) these days at the same moment
    return done


def reopen_days(engine: Engine, d0: dt.date, d1: dt.date) -> None:
    """Forget the aggregates of days d0..d1 (they are closed again on next use)."""
    with transaction(engine) as session:
        session.execute(
            delete(StatsDayPart).where(
                StatsDayPart.service_day >= d0, StatsDayPart.service_day <= d1
            )
        )
        session.execute(
            delete(StatsDayRating).where(
                StatsDayRating.service_day >= d0, StatsDayRating.service_day <= d1
            )
        )
        session.execute(
            delete(StatsClosedDay).where(
                StatsClosedDay.service_day >= d0, StatsClosedDay.service_day <= d1
            )
        )


_PART_COLUMNS = ("service_day", "k", *_COUNTS, "wait_sum", "wait_max", "waits", "services")


def _stored_parts(engine: Engine, kind: str, d0: dt.date, d1: dt.date) -> list[Any]:
    query = select(*(getattr(StatsDayPart, c) for c in _PART_COLUMNS)).where(
        StatsDayPart.kind == kind,
        StatsDayPart.service_day >= d0,
        StatsDayPart.service_day <= d1,
    )
    with transaction(engine, readonly=True) as session:
        if engine.dialect.name != "postgresql":
            return list(session.execute(query).mappings())
        # A year is ~16 MB of waits: in psycopg's default text format every bytea travels
        # hex-encoded and is decoded in Python (3-4x slower than the binary format).
        compiled = query.compile(dialect=engine.dialect)
        driver = session.connection().connection.driver_connection
        with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute(str(compiled), compiled.params)
            return [dict(zip(_PART_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _nearest_rank(values: np.ndarray, ps: tuple[int, ...]) -> list[float | None]:
    n = len(values)
    if n == 0:
        return [None for _ in ps]
    ranks = [(p * n + 99) // 100 - 1 for p in ps]
    picked = np.partition(values, ranks)
    return [float(picked[r]) for r in ranks]


def _combine(key: str | None, parts: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"k": key}
    for name in _COUNTS:
        row[name] = sum(int(p[name]) for p in parts)
    # frombuffer: a view of the stored bytes, no copy before the one concatenation.
    waits = np.concatenate([np.frombuffer(p["waits"], dtype="<f8") for p in parts])
    services = np.concatenate([np.frombuffer(p["services"], dtype="<f8") for p in parts])
    maxima = [float(p["wait_max"]) for p in parts if p["wait_max"] is not None]
    row["wait_avg_s"] = (
        math.fsum(float(p["wait_sum"]) for p in parts) / len(waits) if len(waits) else None
    )
    row["wait_max_s"] = max(maxima) if maxima else None
    row["wait_p50_s"], row["wait_p90_s"] = _nearest_rank(waits, (50, 90))
    row["service_p50_s"], row["service_p90_s"] = _nearest_rank(services, (50, 90))
    return row


def aggregated_rows(
    engine: Engine,
    catalog: Catalog,
    tz: ZoneInfo,
    by: str,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
) -> dict[str, list[dict[str, Any]]]:
    """``{"rows": [...], "total": [...]}`` as the live SQL gives them, from closed days'
    parts plus the live parts of ``today`` and later days of the range."""
    last_closed = min(date_to, today - dt.timedelta(days=1))
    # Every ticket has exactly one key of each kind (None included), so the total is the
    # combination of all parts of the one kind asked for: a single kind is read.
    kind_read = _KIND_OF_BY[by]
    kinds = {kind_read}
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    if date_from <= last_closed:
        close_days(engine, catalog, tz, date_from, last_closed)
        for kind in kinds:
            found[kind].extend(_stored_parts(engine, kind, date_from, last_closed))
    live_from = max(date_from, today)
    if live_from <= date_to:
        rows = _ticket_rows(engine, catalog, tz, live_from, date_to)
        for (day, kind, key), figures in build_parts(rows, catalog, kinds).items():
            found[kind].append({"service_day": day, "k": key, **figures})
    bundle_ids = {b.id for b in catalog.bundles}

    def grouped(kind: str, key_of: Any, keep: Any = None) -> list[dict[str, Any]]:
        groups: dict[str | None, list[dict[str, Any]]] = {}
        for part in found[kind]:
            if keep is not None and not keep(part):
                continue
            groups.setdefault(key_of(part), []).append(part)
        return [_combine(key, parts) for key, parts in groups.items()]

    total = grouped(kind_read, lambda p: "all")
    if by == "total":
        rows = list(total)
    elif by == "day":
        rows = grouped("total", lambda p: _day_of(p["service_day"]).isoformat())
    elif by == "bundle":
        rows = grouped("item", lambda p: p["k"], lambda p: p["k"] in bundle_ids)
    else:
        rows = grouped(_KIND_OF_BY[by], lambda p: p["k"])
    return {"rows": rows, "total": total}
