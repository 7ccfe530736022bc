"""Daily pre-aggregated queue statistics: what keeps a month or a year of ``hall.stats``
fast on a million tickets.

A service day is *closed* once, the first time statistics reach past it (the hall's
current day is always computed live): its tickets are read once and written as one row
per kind × key in ``stats_day_parts`` — kinds ``total``, ``hour``, ``group``, ``counter``,
``item``, ``staff`` (``day`` reads ``total`` per day, ``bundle`` reads the bundles'
``item`` rows) — with the counts, the sum and max of the waits, the day's waits and
service times as sorted float64 arrays, and their counts per 10-second bin. Combining days
sums the counts; for ranges of up to ``EXACT_DAYS`` (62) closed days it merges the arrays,
so the nearest-rank percentiles stay EXACTLY those of the live SQL (``percentile_disc``;
the per-ticket seconds are computed by the same SQL expressions as the live path). Longer
ranges (a quarter, a year: a million values) sum the bins instead and estimate each
percentile within its bin (``_binned``: within 10 s of the exact value; below 0 s or past
4 h the bin's edge); counts, averages and maxima stay exact.

Closing a day also counts its ratings (``hall.stats_daily_ratings``: satisfaction, exact
too, ratings stored after the day closed added live).

A closed day is not recomputed: a change to a ticket of an earlier day (there is none in
the hall's flow — tickets are done the day they are issued) needs ``reopen_days``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    session: Session, catalog: Catalog, tz: ZoneInfo, d0: dt.date, d1: dt.date
) -> list[Any]:
    """One row per ticket of days d0..d1 with its keys and seconds (the live SQL's own
    expressions, so the doubles are identical)."""
    from hall.stats import _hour_key, _seconds

    dialect = session.get_bind().dialect.name
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
    return session.execute(stmt, {**params, "d0": d0, "d1": d1}).all()


def _day_of(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# Index of each figure in a part's working list (lists are faster than objects here).
_ISSUED, _SERVED, _MISSED, _MOVED, _ITEMS, _BUNDLES, _RETURNED, _WMAX, _WAITS, _SERVICES = range(10)


BIN_S = 10.0
"""Width of a wait / service-time bin, seconds."""
MAX_BINS = 1440
"""Bins per part (4 hours); longer times share the last bin, shorter than 0 the first."""


def _bin_index(values: np.ndarray) -> np.ndarray:
    # Monotone in the value, so a sorted array's bins are consecutive runs of it.
    return np.clip(np.floor(values / BIN_S), 0, MAX_BINS - 1).astype(np.int64)


def bins_of(values: np.ndarray) -> bytes | None:
    """The count of ``values`` per bin as little-endian uint16, up to the last non-empty
    bin (``b""`` when empty); None if a bin would overflow (the part is then read whole)."""
    if len(values) == 0:
        return b""
    counts = np.bincount(_bin_index(values))
    if int(counts.max()) > 0xFFFF:
        return None
    return counts.astype("<u2").tobytes()


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
            "wait_bins": bins_of(waits),
            "service_bins": bins_of(services),
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


def _missing_days(engine: Engine, d0: dt.date, d1: dt.date) -> list[dt.date]:
    with transaction(engine, readonly=True) as session:
        return missing_days(session, d0, d1)


def missing_days(session: Session, d0: dt.date, d1: dt.date) -> list[dt.date]:
    """The days of d0..d1 not closed yet."""
    closed = set(
        session.scalars(
            select(StatsClosedDay.service_day).where(
                StatsClosedDay.service_day >= d0, StatsClosedDay.service_day <= d1
            )
        )
    )
    return [
        d0 + dt.timedelta(days=i)
        for i in range((d1 - d0).days + 1)
        if d0 + dt.timedelta(days=i) not in closed
    ]


def close_days(engine: Engine, catalog: Catalog, tz: ZoneInfo, d0: dt.date, d1: dt.date) -> int:
    """Aggregate every not yet closed day of d0..d1 (call only for days that are over);
    returns how many were closed now (by this call: days another request or the startup
    closer (``close_past_days``) closed at the same moment are not counted).

    Days are closed in chunks of ``CLOSE_CHUNK_DAYS``, each in one transaction. When
    another closer committed some day of a chunk first (unique ``service_day``: the whole
    chunk rolls back), the days still missing are looked up again and closed, so every day
    of d0..d1 is closed when this returns."""
    missing = _missing_days(engine, d0, d1)
    done = 0
    collisions = 0
    while missing:
        first = missing[0]
        chunk = [d for d in missing if (d - first).days < CLOSE_CHUNK_DAYS]
        with transaction(engine, readonly=True) as session:
            rows = _ticket_rows(session, catalog, tz, chunk[0], chunk[-1])
            rating_seq, ratings = read_day_ratings(session, chunk[0], chunk[-1])
        parts = build_parts(rows, catalog)
        wanted = set(chunk)
        now = dt.datetime.now(dt.UTC)
        values = [
            {"service_day": day, "kind": kind, "k": key, **figures}
            for (day, kind, key), figures in parts.items()
            if day in wanted
        ]
        ratings = [r for r in ratings if r["service_day"] in wanted]
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
        except IntegrityError:
            # Another closer committed (some of) these days first; each collision means
            # at least one day fewer is missing, so this ends.
            collisions += 1
            if collisions > CLOSE_CHUNK_DAYS * 16:  # pragma: no cover - a guard, not a path
                raise
            missing = _missing_days(engine, chunk[0], d1)
            continue
        done += len(chunk)
        missing = missing[len(chunk) :]
    return done


def close_past_days(
    engine: Engine,
    catalog: Catalog,
    tz: ZoneInfo,
    today: dt.date,
    days: int,
    stop: threading.Event | None = None,
) -> int:
    """Close the ``days`` service days before ``today``, newest first, one chunk of
    ``CLOSE_CHUNK_DAYS`` at a time, until done or ``stop`` is set (checked between
    chunks): the server's startup closer (``hall.app``), so that the first statistics
    request after an upgrade (migration 0140 forgot the parts) or a long shutdown does not
    pay for closing a year of days. Days already closed cost one small query per chunk;
    a request reaching a day first closes it itself (``close_days``: whoever commits
    first wins, the other one skips it). Returns the days closed by this call."""
    done = 0
    end = today - dt.timedelta(days=1)
    first = today - dt.timedelta(days=days)
    while end >= first and not (stop is not None and stop.is_set()):
        start = max(first, end - dt.timedelta(days=CLOSE_CHUNK_DAYS - 1))
        done += close_days(engine, catalog, tz, start, end)
        end = start - dt.timedelta(days=1)
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


EXACT_DAYS = 62
"""Ranges of up to this many closed days get EXACT percentiles (every value is read);
longer ones (a quarter, a year) estimate them from the bins (``_binned``)."""
_PART_COLUMNS = ("id", "service_day", "k", *_COUNTS, "wait_sum", "wait_max")
_VALUES = ("waits", "services")


def _binary_rows(session: Session, query: Any) -> list:
    """Rows of a select with bytea in psycopg's binary format on PostgreSQL: in the
    default text format every bytea travels hex-encoded and is decoded in Python (3-4x
    slower)."""
    if session.get_bind().dialect.name != "postgresql":
        return list(session.execute(query))
    compiled = query.compile(dialect=session.get_bind().dialect)
    driver = session.connection().connection.driver_connection
    with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()


def _stored_parts(
    session: Session, kind: str, d0: dt.date, d1: dt.date, *, whole: bool = False
) -> list[dict[str, Any]]:
    """The stored parts of ``kind`` for days d0..d1: counts, sums and bins, and with
    ``whole`` the value arrays too."""
    names = (*_PART_COLUMNS, "wait_bins", "service_bins", *(_VALUES if whole else ()))
    query = select(*(getattr(StatsDayPart, c) for c in names)).where(
        StatsDayPart.kind == kind,
        StatsDayPart.service_day >= d0,
        StatsDayPart.service_day <= d1,
    )
    return [dict(zip(names, row, strict=True)) for row in _binary_rows(session, query)]


def _counts(key: str | None, parts: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"k": key}
    for name in _COUNTS:
        row[name] = sum(int(p[name]) for p in parts)
    maxima = [float(p["wait_max"]) for p in parts if p["wait_max"] is not None]
    row["wait_max_s"] = max(maxima) if maxima else None
    row["_wait_sum"] = math.fsum(float(p["wait_sum"]) for p in parts)
    return row


def _nearest_rank(values: np.ndarray, ps: tuple[int, ...]) -> list[float | None]:
    n = len(values)
    if n == 0:
        return [None for _ in ps]
    ranks = [(p * n + 99) // 100 - 1 for p in ps]
    picked = np.partition(values, ranks)
    return [float(picked[r]) for r in ranks]


def _combine(key: str | None, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A key's row from whole arrays (parts stored without bins)."""
    row = _counts(key, parts)
    # frombuffer: a view of the stored bytes, no copy before the one concatenation.
    waits = np.concatenate([np.frombuffer(p["waits"], dtype="<f8") for p in parts])
    services = np.concatenate([np.frombuffer(p["services"], dtype="<f8") for p in parts])
    row["wait_avg_s"] = row.pop("_wait_sum") / len(waits) if len(waits) else None
    row["wait_p50_s"], row["wait_p90_s"] = _nearest_rank(waits, (50, 90))
    row["service_p50_s"], row["service_p90_s"] = _nearest_rank(services, (50, 90))
    return row


def _bin_sums(parts: list[dict[str, Any]], column: str, owner: np.ndarray, keys: int) -> Any:
    """keys × bins: the bin counts of ``column`` summed over the parts of each key
    (``owner[i]``: the key of part i), one ``bincount`` for all."""
    arrays = [np.frombuffer(p[column] or b"", dtype="<u2") for p in parts]
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    width = int(lengths.max()) if len(arrays) else 0
    if width == 0:
        return np.zeros((keys, 0), dtype=np.int64)
    flat = np.concatenate(arrays)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    index = np.repeat(owner, lengths) * width + cols
    sums = np.bincount(index, weights=flat, minlength=keys * width)
    return np.rint(sums).astype(np.int64).reshape(keys, width)


def _binned(counts: np.ndarray, ps: tuple[int, ...]) -> list[float | None]:
    """Nearest-rank percentiles estimated from bin counts: the bin holding rank r, and
    within it the value linearly interpolated by the rank (r-th of the bin's c values at
    (r - ½) / c of its width) — within one bin (``BIN_S``) of the exact value, except
    below 0 s or past the last bin (4 h), where the bin's edge is given."""
    cum = np.cumsum(counts)
    n = int(cum[-1]) if len(cum) else 0
    out: list[float | None] = []
    for p in ps:
        if n == 0:
            out.append(None)
            continue
        rank = (p * n + 99) // 100
        b = int(np.searchsorted(cum, rank))
        within = rank - (int(cum[b - 1]) if b else 0)
        if b == MAX_BINS - 1:
            out.append(b * BIN_S)
            continue
        out.append((b + (within - 0.5) / int(counts[b])) * BIN_S)
    return out


def _combine_binned(keyed: list[tuple[str | None, list[int]]], parts: list[dict[str, Any]]) -> list:
    """The rows of (key, indices into ``parts``) pairs — the first the total of all parts,
    the others disjoint — with the percentiles from the bins."""
    owner = np.full(len(parts), len(keyed), dtype=np.int64)  # not in a row: the spare key
    for k, (_, indices) in enumerate(keyed[1:], start=1):
        owner[indices] = k
    figures = np.array([[p[name] for name in _COUNTS] for p in parts], dtype=np.int64).reshape(
        len(parts), len(_COUNTS)
    )
    counts = np.zeros((len(keyed) + 1, len(_COUNTS)), dtype=np.int64)
    np.add.at(counts, owner, figures)
    counts[0] = figures.sum(axis=0)
    waits = _bin_sums(parts, "wait_bins", owner, len(keyed) + 1)
    services = _bin_sums(parts, "service_bins", owner, len(keyed) + 1)
    waits[0], services[0] = waits.sum(axis=0), services.sum(axis=0)
    rows = []
    for k, (key, indices) in enumerate(keyed):
        mine = parts if k == 0 else [parts[i] for i in indices]
        maxima = [float(p["wait_max"]) for p in mine if p["wait_max"] is not None]
        row: dict[str, Any] = {"k": key, **dict(zip(_COUNTS, map(int, counts[k]), strict=True))}
        row["wait_max_s"] = max(maxima) if maxima else None
        n_waits = int(waits[k].sum())
        wait_sum = math.fsum(float(p["wait_sum"]) for p in mine)
        row["wait_avg_s"] = wait_sum / n_waits if n_waits else None
        row["wait_p50_s"], row["wait_p90_s"] = _binned(waits[k], (50, 90))
        row["service_p50_s"], row["service_p90_s"] = _binned(services[k], (50, 90))
        rows.append(row)
    return rows


def aggregated_rows(
    session: Session,
    catalog: Catalog,
    tz: ZoneInfo,
    by: str,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
) -> dict[str, list[dict[str, Any]]]:
    """``{"rows": [...], "total": [...]}`` as the live SQL gives them, from closed days'
    parts (closed already: ``close_days``) plus the live parts of ``today`` and later days
    of the range, read in ``session``."""
    last_closed = min(date_to, today - dt.timedelta(days=1))
    # Every ticket has exactly one key of each kind (None included), so the total is the
    # combination of all parts of the one kind asked for: a single kind is read.
    kind = _KIND_OF_BY[by]
    bundle_ids = {b.id for b in catalog.bundles}
    binned = (last_closed - date_from).days + 1 > EXACT_DAYS
    stored: list[dict[str, Any]] = []
    if date_from <= last_closed:
        stored = _stored_parts(session, kind, date_from, last_closed, whole=not binned)
    live: list[dict[str, Any]] = []
    live_from = max(date_from, today)
    if live_from <= date_to:
        rows = _ticket_rows(session, catalog, tz, live_from, date_to)
        for (day, _, key), figures in build_parts(rows, catalog, (kind,)).items():
            live.append({"id": None, "service_day": day, "k": key, **figures})
    if binned and any(
        p["wait_bins"] is None or p["service_bins"] is None for p in (*stored, *live)
    ):  # some part without bins (stored before 0150, or overflowing): exact, whole
        binned = False
        stored = _stored_parts(session, kind, date_from, last_closed, whole=True)
    found = stored + live
    if not found:
        return {"rows": [], "total": []}

    def grouped(key_of: Any, keep: Any = None) -> list[tuple[Any, list[int]]]:
        groups: dict[str | None, list[int]] = {}
        for i, part in enumerate(found):
            if keep is None or keep(part):
                groups.setdefault(key_of(part), []).append(i)
        return list(groups.items())

    keyed = [("all", list(range(len(found))))]
    if by == "day":
        keyed += grouped(lambda p: _day_of(p["service_day"]).isoformat())
    elif by == "bundle":
        keyed += grouped(lambda p: p["k"], lambda p: p["k"] in bundle_ids)
    elif by != "total":
        keyed += grouped(lambda p: p["k"])
    if binned:
        combined = _combine_binned(keyed, found)
    else:
        combined = [_combine(key, [found[i] for i in indices]) for key, indices in keyed]
    total = combined[:1]
    return {"rows": list(total) if by == "total" else combined[1:], "total": total}
