"""Queue statistics computed in SQL, the same on SQLite and PostgreSQL; the API
``GET /api/v1/stats/queue`` and its CSV / XLSX export.

Range: hall-local service days ``from``..``to`` (``tickets.service_day``, the hall's time
zone, ``hall.numbering.service_day``). Per key (day, local hour of issue, window group,
counter, item, bundle, staff member) one row of counts and times:

- issued, served (completed), missed (no-show), transferred (转窗 at least once);
- waiting = issue → FIRST call (``tickets.first_called_at``; a transfer does not restart it),
  service = last call → complete; p50 / p90 are nearest-rank percentiles computed in SQL:
  ``percentile_disc`` with ``GROUPING SETS`` (rows and total in one scan) on PostgreSQL,
  window functions (``ROW_NUMBER`` over the key) on SQLite — the same values; avg and max
  alongside. Closed days come from daily aggregates (``hall.stats_daily``): exact for
  ranges of up to 62 closed days; over longer ranges p50 / p90 are estimated from
  10-second bins, within 10 s of the exact value (counts, avg and max stay exact);
- 户量 visitors, 办件量 items handled (a bundle counts its items), 联办量 bundle visits,
  退件 returned (completed with ``?outcome=return``, ``tickets.returned``) and 退件率 = returned / served;
- 一次性备齐率 (``prechecks``) and the satisfaction rate (``hall.ratings.rating_stats``'s
  counting; closed days from their daily aggregates, ``hall.stats_daily_ratings``) where
  the key allows.

Keys are the ticket's final state: a transferred ticket counts for the group and counter
that served it, a ticket's staff member is the one who last acted on it.

The local hour on SQLite uses the zone's UTC offset at the start of the range (SQLite
has no time zones): exact for zones without daylight saving time, like Asia/Shanghai.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.orm import Session

from contract.catalog import Catalog
from contract.fields import Day
from hall.auth import StaffPrincipal
from hall.db import transaction
from hall.numbering import service_day
from hall.ratings import level_counts, rating_stats
from hall.stats_daily_ratings import rating_counts
from hall.stats_models import QueueStats, QueueStatsRow, StatsBy

MAX_RANGE_DAYS = 400
"""Longest range one request may ask for (a year and a bit)."""
STATS_WORK_MEM = "64MB"
"""PostgreSQL sort memory for one statistics query (``SET LOCAL``)."""

_KEYS: dict[str, str] = {
    "total": "'all'",
    "day": "t.service_day",
    "group": "t.window_group",
    "counter": "t.counter",
    "item": "t.service_id",
    "bundle": "t.service_id",
    "staff": "t.staff_id",
}
_RATING_BY: dict[str, Literal["window", "service", "staff", "day"]] = {
    "day": "day",
    "counter": "window",
    "item": "service",
    "bundle": "service",
    "staff": "staff",
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "分组 Key"),
    ("label", "名称 Name"),
    ("issued", "取号 Issued"),
    ("served", "办结 Served"),
    ("missed", "过号 Missed"),
    ("transferred", "转窗 Transferred"),
    ("visitors", "户量 Visitors"),
    ("items_handled", "办件量 Items"),
    ("bundle_visits", "联办量 Bundles"),
    ("returned", "退件 Returned"),
    ("return_rate", "退件率 Return rate"),
    ("wait_avg_s", "平均等待(秒) Avg wait s"),
    ("wait_p50_s", "等待P50(秒) Wait p50 s"),
    ("wait_p90_s", "等待P90(秒) Wait p90 s"),
    ("wait_max_s", "最长等待(秒) Max wait s"),
    ("service_p50_s", "办理P50(秒) Service p50 s"),
    ("service_p90_s", "办理P90(秒) Service p90 s"),
    ("precheck_rate", "一次性备齐率 Ready rate"),
    ("satisfaction_rate", "满意率 Satisfaction"),
)
"""Export columns: field name and its bilingual header."""


def _seconds(dialect: str, later: str, earlier: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _hour_key(dialect: str, tz: ZoneInfo, day: dt.date) -> tuple[str, dict[str, Any]]:
    if dialect == "postgresql":
        return "CAST(EXTRACT(HOUR FROM (t.issued_at AT TIME ZONE :tz)) AS INTEGER)", {"tz": tz.key}
    offset = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
    minutes = int((offset or dt.timedelta()).total_seconds() // 60)
    return "CAST(strftime('%H', t.issued_at, :tz_offset) AS INTEGER)", {
        "tz_offset": f"{minutes:+d} minutes"
    }


def _pct(p: int, rn: str, n: str, value: str) -> str:
    """Nearest-rank percentile p of ``value``: the row whose rank is ceil(p/100 · n) (the
    same value as PostgreSQL's ``percentile_disc``)."""
    return f"MAX(CASE WHEN {rn} = ({p} * {n} + 99) / 100 THEN {value} END)"


def _query(dialect: str, by: str, catalog: Catalog, tz: ZoneInfo, day: dt.date) -> Any:
    params: dict[str, Any] = {}
    if by == "hour":
        key, params = _hour_key(dialect, tz, day)
    else:
        key = _KEYS[by]
    bundles = {b.id: len(b.items) for b in catalog.bundles} or {"": 1}
    items_case = " ".join(f"WHEN :b{i} THEN {n}" for i, n in enumerate(bundles.values()))
    bundle_ids = ", ".join(f":b{i}" for i in range(len(bundles)))
    for i, bundle_id in enumerate(bundles):
        params[f"b{i}"] = bundle_id
    first_call = "COALESCE(t.first_called_at, t.called_at)"
    only_bundles = f" AND t.service_id IN ({bundle_ids})" if by == "bundle" else ""
    base = f"""
WITH base AS MATERIALIZED (
  SELECT {key} AS k, t.status AS status,
    CASE WHEN t.status = 'completed' THEN 1 ELSE 0 END AS done,
    CASE WHEN t.status = 'no_show' THEN 1 ELSE 0 END AS missed,
    CASE WHEN t.transfer_count > 0 THEN 1 ELSE 0 END AS moved,
    CASE t.service_id {items_case} ELSE 1 END AS n_items,
    CASE WHEN t.service_id IN ({bundle_ids}) THEN 1 ELSE 0 END AS bundle,
    {_seconds(dialect, first_call, "t.issued_at")} AS wait_s,
    CASE WHEN t.status = 'completed'
      THEN {_seconds(dialect, "t.completed_at", "t.called_at")} END AS service_s,
    CASE WHEN t.status = 'completed' AND t.returned THEN 1 ELSE 0 END AS ret
  FROM tickets t
  WHERE t.service_day >= :d0 AND t.service_day <= :d1{only_bundles}
)
"""
    if dialect == "postgresql":
        # Ordered-set aggregates: one sort per key, and the total in the same scan.
        grouping = "GROUPING SETS ((k), ())" if by != "total" else "k"
        total_flag = "GROUPING(k)" if by != "total" else "1"
        sql = (
            base.replace("AS MATERIALIZED", "AS")
            + f"""
SELECT k, {total_flag} AS is_total, COUNT(*) AS issued, SUM(done) AS served,
  SUM(missed) AS missed, SUM(moved) AS transferred, SUM(done * n_items) AS items_handled,
  SUM(done * bundle) AS bundle_visits, SUM(ret) AS returned, AVG(wait_s) AS wait_avg_s,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY wait_s) AS wait_p50_s,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY wait_s) AS wait_p90_s,
  MAX(wait_s) AS wait_max_s,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY service_s) AS service_p50_s,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY service_s) AS service_p90_s
FROM base GROUP BY {grouping}
"""
        )
    else:
        sql = (
            base.rstrip("\n")
            + f""", ranked AS (
      SELECT base.*,
        ROW_NUMBER() OVER (PARTITION BY k
          ORDER BY CASE WHEN wait_s IS NULL THEN 1 ELSE 0 END, wait_s) AS w_rn,
        COUNT(wait_s) OVER (PARTITION BY k) AS w_n,
        ROW_NUMBER() OVER (PARTITION BY k
          ORDER BY CASE WHEN service_s IS NULL THEN 1 ELSE 0 END, service_s) AS s_rn,
        COUNT(service_s) OVER (PARTITION BY k) AS s_n
      FROM base
    )
    SELECT k, COUNT(*) AS issued, SUM(done) AS served, SUM(missed) AS missed,
      SUM(moved) AS transferred, SUM(done * n_items) AS items_handled,
      SUM(done * bundle) AS bundle_visits, SUM(ret) AS returned,
      AVG(wait_s) AS wait_avg_s, {_pct(50, "w_rn", "w_n", "wait_s")} AS wait_p50_s,
      {_pct(90, "w_rn", "w_n", "wait_s")} AS wait_p90_s, MAX(wait_s) AS wait_max_s,
      {_pct(50, "s_rn", "s_n", "service_s")} AS service_p50_s,
      {_pct(90, "s_rn", "s_n", "service_s")} AS service_p90_s
    FROM ranked GROUP BY k
    """
        )
    stmt = text(sql).bindparams(
        bindparam("d0", type_=_date_type()), bindparam("d1", type_=_date_type())
    )
    return stmt, params


def _date_type() -> Any:
    from sqlalchemy import Date

    return Date()


def _key_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        return value[:10]  # SQLite gives dates back as text
    return str(value)


def _round(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _labels(session: Session, catalog: Catalog, by: str, keys: Iterable[str | None]) -> dict:
    names: dict[str | None, str] = {}
    if by == "group":
        names = {g.id: g.name for g in catalog.groups}
    elif by in ("item", "bundle"):
        names = {e.id: e.name for e in (*catalog.services, *catalog.bundles)}
    elif by == "counter":
        names = {k: f"{k}号窗口" for k in keys if k is not None}
    elif by == "hour":
        names = {k: f"{int(k):02d}:00" for k in keys if k is not None}
    elif by == "staff":
        wanted = [int(k) for k in keys if k is not None and k.isdigit()]
        if wanted:
            rows = session.execute(
                text("SELECT id, name FROM staff WHERE id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": wanted},
            )
            names = {str(i): n for i, n in rows}
    elif by == "total":
        names = {"all": "合计 Total"}
    return names


def _precheck_rates(
    session: Session, by: str, d0: dt.date, d1: dt.date
) -> dict[str | None, float] | None:
    column = {"total": "'all'", "day": "service_day", "item": "service_id"}.get(by)
    if column is None:
        return None
    stmt = text(
        f"SELECT {column} AS k, COUNT(*), SUM(CASE WHEN overall IN"
        " ('complete', 'can_queue_with_rongque') THEN 1 ELSE 0 END)"
        " FROM prechecks WHERE service_day >= :d0 AND service_day <= :d1 GROUP BY 1"
    ).bindparams(bindparam("d0", type_=_date_type()), bindparam("d1", type_=_date_type()))
    rows = session.execute(stmt, {"d0": d0, "d1": d1}).all()
    return {_key_text(k): round(int(ready) / int(n), 4) for k, n, ready in rows if n}


def _satisfaction(
    engine: Engine,
    session: Session,
    by: str,
    d0: dt.date,
    d1: dt.date,
    today: dt.date | None,
) -> tuple[dict[str | None, float | None] | None, float | None]:
    """Satisfaction per key of ``by`` (None when ``by`` has none) and overall: live from
    ``rating_stats`` when ``today`` is None, else days before ``today`` from the daily
    aggregates (``hall.stats_daily_ratings``, closed already by the queue figures)."""
    rating_by = _RATING_BY.get(by, "day")
    if today is None:
        stats = rating_stats(engine, rating_by, d0, d1)
        rates = {g.key: g.satisfaction_rate for g in stats.groups}
        overall = stats.overall.satisfaction_rate
    else:
        last_closed = min(d1, today - dt.timedelta(days=1))
        counts = rating_counts(
            engine, rating_by, d0, d1, last_closed if d0 <= last_closed else None, session
        )
        rates = {key: level_counts(key, c).satisfaction_rate for key, c in counts.items()}
        total: dict[str, int] = {}
        for levels in counts.values():
            for level, n in levels.items():
                total[level] = total.get(level, 0) + n
        overall = level_counts(None, total).satisfaction_rate
    return (rates if by in _RATING_BY else None), overall


def _live_rows(
    engine: Engine, catalog: Catalog, tz: ZoneInfo, by: str, date_from: dt.date, date_to: dt.date
) -> dict[str, list[dict[str, Any]]]:
    """Rows and total straight from ``tickets`` (one SQL statement per part)."""
    dialect = engine.dialect.name
    fetched: dict[str, list[dict[str, Any]]] = {}
    if dialect == "postgresql":  # one scan gives the rows and the total (GROUPING SETS)
        stmt, params = _query(dialect, by, catalog, tz, date_from)
        with transaction(engine, readonly=True) as session:
            # A month is ~100k rows to sort per key: in memory, not an external merge on
            # disk (default work_mem is 4 MB); SET LOCAL ends with this transaction.
            session.execute(text(f"SET LOCAL work_mem = '{STATS_WORK_MEM}'"))
            found = session.execute(stmt, {**params, "d0": date_from, "d1": date_to}).all()
        everything = [dict(r._mapping) for r in found]
        fetched["total"] = [{**r, "k": "all"} for r in everything if r["is_total"]]
        fetched["rows"] = [r for r in everything if not r["is_total"]]
        if by == "total":
            fetched["rows"] = list(fetched["total"])
        elif by == "bundle":  # the total is the hall's, as on SQLite, not the bundles' only
            fetched["total"] = _live_rows(engine, catalog, tz, "total", date_from, date_to)["total"]
    else:
        for what in ("rows", "total"):
            stmt, params = _query(dialect, by if what == "rows" else "total", catalog, tz,
                                  date_from)  # fmt: skip
            with transaction(engine, readonly=True) as session:
                found = session.execute(stmt, {**params, "d0": date_from, "d1": date_to}).all()
            fetched[what] = [dict(r._mapping) for r in found]
    return fetched


def queue_stats(
    engine: Engine,
    catalog: Catalog,
    tz: ZoneInfo,
    by: StatsBy,
    date_from: dt.date,
    date_to: dt.date,
    *,
    today: dt.date | None = None,
    live: bool = False,
) -> QueueStats:
    """The statistics of service days ``date_from``..``date_to`` (inclusive) per ``by``.

    Days before ``today`` (the hall's current service day; default: from the real clock)
    come from the daily aggregates (``hall.stats_daily``; a day missing there is closed on
    the way), ``today`` and later are computed live from the tickets. ``live=True`` reads
    only the tickets (the reference the aggregated path is tested against)."""
    if live:
        with transaction(engine, readonly=True) as session:
            fetched = _live_rows(engine, catalog, tz, by, date_from, date_to)
            return _assemble(engine, session, catalog, tz, by, date_from, date_to, fetched, None)
    from hall.stats_daily import aggregated_rows, close_days, missing_days

    if today is None:
        today = service_day(dt.datetime.now(dt.UTC), tz)
    last_closed = min(date_to, today - dt.timedelta(days=1))
    # One read transaction for the whole request (on SQLite one snapshot): the stored
    # parts, today's tickets, ratings, prechecks and labels. Days not closed yet (the
    # startup closer has usually closed them) are closed first, in their own transactions.
    for attempt in (1, 2):
        with transaction(engine, readonly=True) as session:
            if (
                attempt == 2
                or last_closed < date_from
                or not missing_days(session, date_from, last_closed)
            ):
                fetched = aggregated_rows(session, catalog, tz, by, date_from, date_to, today)
                return _assemble(
                    engine, session, catalog, tz, by, date_from, date_to, fetched, today
                )
        close_days(engine, catalog, tz, date_from, last_closed)
    raise AssertionError("unreachable")  # pragma: no cover


def _assemble(
    engine: Engine,
    session: Session,
    catalog: Catalog,
    tz: ZoneInfo,
    by: StatsBy,
    date_from: dt.date,
    date_to: dt.date,
    fetched: dict[str, list[dict[str, Any]]],
    today: dt.date | None,
) -> QueueStats:
    """The response from the fetched rows (``today`` None: everything live)."""
    satisfaction, overall_satisfaction = _satisfaction(
        engine, session, by, date_from, date_to, today
    )
    results: dict[str, list[QueueStatsRow]] = {}
    for what in ("rows", "total"):
        which = by if what == "rows" else "total"
        rows = fetched[what]
        if which == "total" and not rows:
            rows = [{"k": "all", "issued": 0}]
        keys = [_key_text(r["k"]) for r in rows]
        labels = _labels(session, catalog, which, keys)
        prechecks = _precheck_rates(session, which, date_from, date_to)
        ratings = satisfaction if which != "total" else {"all": overall_satisfaction}
        out = []
        for key, r in zip(keys, rows, strict=True):
            served = int(r.get("served") or 0)
            returned = int(r.get("returned") or 0)
            out.append(
                QueueStatsRow(
                    key=key,
                    label=labels.get(key),
                    issued=int(r.get("issued") or 0),
                    served=served,
                    missed=int(r.get("missed") or 0),
                    transferred=int(r.get("transferred") or 0),
                    visitors=served,
                    items_handled=int(r.get("items_handled") or 0),
                    bundle_visits=int(r.get("bundle_visits") or 0),
                    returned=returned,
                    return_rate=round(returned / served, 4) if served else None,
                    wait_avg_s=_round(r.get("wait_avg_s")),
                    wait_p50_s=_round(r.get("wait_p50_s")),
                    wait_p90_s=_round(r.get("wait_p90_s")),
                    wait_max_s=_round(r.get("wait_max_s")),
                    service_p50_s=_round(r.get("service_p50_s")),
                    service_p90_s=_round(r.get("service_p90_s")),
                    precheck_rate=None if prechecks is None else prechecks.get(key),
                    satisfaction_rate=None if ratings is None else ratings.get(key),
                )
            )
        out.sort(key=lambda row: _sort_key(which, row.key))
        results[what] = out
    return QueueStats(
        by=by,
        date_from=date_from,
        date_to=date_to,
        timezone=tz.key,
        rows=results["rows"],
        total=results["total"][0],
    )


def _sort_key(by: str, key: str | None) -> tuple[int, str]:
    if key is None:
        return (2, "")
    if key.isdigit():
        return (0, key.zfill(12))
    return (1, key)


# -- export -------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    # Spreadsheet formula guard: no cell may start with = + - @ (keys are codes anyway).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def table(stats: QueueStats) -> list[list[Any]]:
    """Header row, one row per key, then the total: what CSV and XLSX both contain."""
    lines: list[list[Any]] = [[header for _, header in COLUMNS]]
    for row in [*stats.rows, stats.total]:
        data = row.model_dump()
        lines.append([_cell(data[name]) for name, _ in COLUMNS])
    lines[-1][0] = "合计 Total"
    return lines


def to_csv(stats: QueueStats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(table(stats))
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 Chinese headers correctly


def to_xlsx(stats: QueueStats) -> bytes:
    from openpyxl import Workbook  # imported on use: only exports need it

    book = Workbook()
    sheet = book.active
    sheet.title = f"queue-{stats.by}"
    for line in table(stats):
        sheet.append(line)
    info = book.create_sheet("about")
    info.append(["from", stats.date_from.isoformat()])
    info.append(["to", stats.date_to.isoformat()])
    info.append(["by", stats.by])
    info.append(["timezone", stats.timezone])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- API ------------------------------------------------------------------------------------
router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])


def stats_range(
    request: Request, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date, dt.date]:
    today = service_day(request.app.state.clock(), request.app.state.queue.tz)
    end = date_to or today
    start = date_from or end
    if start > end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="from is after to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"at most {MAX_RANGE_DAYS} days per request",
        )
    return start, end


@router.get(
    "/queue",
    response_model=QueueStats,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def get_queue_stats(
    _staff: StaffPrincipal,
    request: Request,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
    by: StatsBy = "day",
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Any:
    """Queue statistics of hall-local service days ``from``..``to`` (default: today) per
    ``by`` (staff token; read-only, so any staff role incl. an auditor may read it);
    ``format=csv`` or ``xlsx`` downloads the same table."""
    return _stats_response(request, date_from, date_to, by, fmt)


session_router = APIRouter(prefix="/staff/stats", include_in_schema=False)


@session_router.get("/queue")
def get_queue_stats_session(
    request: Request,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
    by: StatsBy = "day",
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Any:
    """The same for a browser signed in at ``/staff/`` (session cookie, path /staff)."""
    from hall.staff_web import read_session

    if read_session(request) is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="login required")
    return _stats_response(request, date_from, date_to, by, fmt)


def _stats_response(
    request: Request, date_from: dt.date | None, date_to: dt.date | None, by: StatsBy, fmt: str
) -> Any:
    start, end = stats_range(request, date_from, date_to)
    queue = request.app.state.queue
    today = service_day(request.app.state.clock(), queue.tz)
    stats = queue_stats(
        request.app.state.engine, queue.catalog, queue.tz, by, start, end, today=today
    )
    name = f"queue-stats-{by}-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        return Response(
            to_csv(stats),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(stats),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return stats
