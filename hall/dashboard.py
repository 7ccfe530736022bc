"""可视化大屏 ``/dashboard/``: the hall on a 1920×1080 wall screen.

Waiting now per window group, today's issued / served / average wait against yesterday
(whole day), satisfaction and 一次性备齐率 today, open and overdue 办不成事 cases and
bad-review follow-ups, kiosk and device health, the service-level alerts. The page
(``hall/static/dashboard.js``) fetches ``/dashboard/data.json`` on every queue event of
the call boards' push stream (``GET /api/v1/board/events``, ``hall.board``) and every
``POLL_MS`` besides (cases, ratings, kiosks; and a fallback), and draws two charts with Apache ECharts, served by this app from
``hall/static/vendor/echarts.min.js`` (pinned; see hall/static/vendor/README.md) — never a
CDN. Chinese with English on one tap.

Authorization: none, on purpose, like a call board: the wall screen is an unattended
browser, and everything here is an aggregate count or a kiosk's device state — no ticket
holder, no staff name, no case text. No route takes an input.
"""

from __future__ import annotations

import datetime as dt
import html
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import and_, func, or_, select

from hall.db import transaction
from hall.followups import overdue_condition
from hall.models import Case, RatingFollowup
from hall.monitoring import PROBLEM_TEXTS, list_kiosks
from hall.numbering import service_day
from hall.service_levels import current_alerts, kiosk_paper_alerts, waiting_by_group
from hall.stats import queue_stats
from hall.stats_models import QueueStatsRow

POLL_MS = 5000
"""How often the wall screen refreshes, milliseconds."""

_STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC = {
    "dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "echarts.min.js": ("vendor/echarts.min.js", "text/javascript; charset=utf-8"),
}
_HEADERS = {
    # ECharts sets element styles from script; inline <script> stays forbidden.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _day_figures(row: QueueStatsRow) -> dict[str, Any]:
    return {
        "issued": row.issued,
        "served": row.served,
        "missed": row.missed,
        "wait_avg_min": _minutes(row.wait_avg_s),
        "satisfaction_rate": row.satisfaction_rate,
        "precheck_rate": row.precheck_rate,
    }


def dashboard_data(app: Any, now: dt.datetime) -> dict[str, Any]:
    queue = app.state.queue
    engine = app.state.engine
    catalog = app.state.catalog
    today = service_day(now, queue.tz)
    yesterday = today - dt.timedelta(days=1)
    stats_today = queue_stats(engine, catalog, queue.tz, "hour", today, today, today=today)
    stats_yesterday = queue_stats(
        engine, catalog, queue.tz, "hour", yesterday, yesterday, today=today
    )
    waiting = waiting_by_group(app, now)
    groups = []
    for g in catalog.groups:
        count, longest = waiting.get(g.id, (0, 0.0))
        groups.append(
            {
                "group_id": g.id,
                "prefix": g.prefix,
                "name": g.name,
                "name_en": g.name_en,
                "waiting": count,
                "longest_wait_min": _minutes(longest) if count else 0.0,
            }
        )
    hourly_today = {int(r.key): r.issued for r in stats_today.rows if r.key is not None}
    hourly_yesterday = {int(r.key): r.issued for r in stats_yesterday.rows if r.key is not None}
    with transaction(engine, readonly=True) as session:
        cases_open = session.scalar(select(func.count()).where(Case.status != "closed"))
        cases_overdue = session.scalar(
            select(func.count()).where(
                Case.status != "closed",
                or_(
                    and_(Case.responded_at.is_(None), Case.respond_due_at < now),
                    and_(Case.coordinated_at.is_(None), Case.coordinate_due_on < today),
                    Case.close_due_on < today,
                ),
            )
        )
        followups_open = session.scalar(
            select(func.count()).where(RatingFollowup.status != "closed")
        )
        followups_overdue = session.scalar(select(func.count()).where(overdue_condition(today)))
    kiosks = list_kiosks(app, now)
    states = {s: 0 for s in ("ok", "problem", "lost", "never_seen")}
    problems: list[dict[str, str]] = []
    for k in kiosks:
        states[k.state] += 1
        if k.state == "lost":
            problems.append({"kiosk_id": k.id, "text": "失联", "text_en": "lost"})
        for p in k.problems:
            problems.append({"kiosk_id": k.id, "text": p, "text_en": _problem_en(p)})
    return {
        "generated_at": now.isoformat(),
        "generated_text": now.astimezone(queue.tz).strftime("%H:%M:%S"),
        "day": today.isoformat(),
        "hall_name": catalog.hall_name,
        "hall_name_en": catalog.hall_name_en,
        "waiting": groups,
        "waiting_total": sum(g["waiting"] for g in groups),
        "today": _day_figures(stats_today.total),
        "yesterday": _day_figures(stats_yesterday.total),
        "hours": list(range(8, 19)),
        "hourly_today": [hourly_today.get(h, 0) for h in range(8, 19)],
        "hourly_yesterday": [hourly_yesterday.get(h, 0) for h in range(8, 19)],
        "cases": {"open": int(cases_open or 0), "overdue": int(cases_overdue or 0)},
        "followups": {"open": int(followups_open or 0), "overdue": int(followups_overdue or 0)},
        "kiosks": {**states, "total": len(kiosks), "problems": problems[:8]},
        "alerts": [
            {"text": a.text, "text_en": a.text_en}
            for a in current_alerts(app, now, waiting=waiting)
        ]
        + [
            {"text": a["text"], "text_en": a["text_en"]}
            for a in kiosk_paper_alerts(app, now, kiosks)
        ],
    }


_PROBLEM_EN = {
    "card_reader:offline": "card reader offline",
    "card_reader:sam_fault": "card reader SAM fault",
    "printer:near_end": "paper running low",
    "printer:paper_out": "printer out of paper",
}


def _problem_en(text: str) -> str:
    for code, zh in PROBLEM_TEXTS.items():
        if zh == text:
            return _PROBLEM_EN.get(code, code.replace(":", " ").replace("_", " "))
    return text


def _t(zh: str, en: str, tag: str = "span", attrs: str = "") -> str:
    return f'<{tag}{attrs} data-en="{en}">{zh}</{tag}>'


def render_page(hall_name: str) -> str:
    tiles = "".join(
        f'<div class="tile"><div class="label">{_t(zh, en)}</div>'
        f'<div class="value" id="{key}">—</div>'
        f'<div class="sub">{_t("昨日", "Yesterday")} <span id="{key}-yesterday">—</span></div></div>'
        for key, zh, en in (
            ("issued", "今日取号", "Issued today"),
            ("served", "今日办结", "Served today"),
            ("wait", "平均等待（分钟）", "Average wait (min)"),
            ("satisfaction", "满意率", "Satisfaction"),
            ("precheck", "一次性备齐率", "Ready at first visit"),
        )
    )
    body = f"""
<header class="top">
  <h1>{hall_name} · {_t("政务服务大厅实时数据", "Service hall live data")}</h1>
  <div class="clock"><span id="generated">—</span>
    <button type="button" id="lang" class="lang" aria-pressed="false">English</button></div>
</header>
<ul id="alerts" class="alerts" role="alert" hidden></ul>
<p id="conn-error" class="conn-error" role="alert" hidden>⚠ {_t("与服务器的连接中断，正在重试…", "Connection lost, retrying…")}</p>
<main class="grid">
  <section class="tiles" aria-label="today">{tiles}</section>
  <section class="panel waiting-panel">
    <h2>{_t("当前等待人数", "Waiting now")} <span id="waiting-total" class="big">—</span></h2>
    <div id="chart-waiting" class="chart" role="img" aria-label="waiting by group"></div>
    <table class="waiting sr-only"><tbody id="waiting-rows"></tbody></table>
  </section>
  <section class="panel">
    <h2>{_t("每小时取号：今日与昨日", "Tickets per hour: today and yesterday")}</h2>
    <div id="chart-hourly" class="chart" role="img" aria-label="tickets per hour"></div>
  </section>
  <section class="panel side">
    <h2>{_t("办不成事", "Cases (办不成事)")}</h2>
    <p class="pair">{_t("未办结", "Open")} <span id="cases-open" class="big">—</span>
      {_t("超时", "Overdue")} <span id="cases-overdue" class="big warn">—</span></p>
    <h2>{_t("差评整改", "Bad-review follow-ups")}</h2>
    <p class="pair">{_t("未办结", "Open")} <span id="followups-open" class="big">—</span>
      {_t("超时", "Overdue")} <span id="followups-overdue" class="big warn">—</span></p>
    <h2>{_t("自助终端", "Kiosks")}</h2>
    <p class="pair">{_t("正常", "OK")} <span id="kiosks-ok" class="big">—</span>
      {_t("异常", "Problem")} <span id="kiosks-problem" class="big warn">—</span>
      {_t("失联", "Lost")} <span id="kiosks-lost" class="big warn">—</span></p>
    <ul id="kiosk-problems" class="problems"></ul>
  </section>
</main>"""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=1920, initial-scale=1">'
        f"<title>大屏 · {hall_name}</title>"
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/dashboard/static/dashboard.css">'
        '<script src="/dashboard/static/echarts.min.js" defer></script>'
        '<script src="/dashboard/static/dashboard.js" defer></script>'
        f'</head><body data-poll-ms="{POLL_MS}">{body}</body></html>'
    )


@router.get("/")
def dashboard_page(request: Request) -> Response:
    """The wall screen (no login: aggregates only, see the module doc)."""
    name = html.escape(request.app.state.catalog.hall_name)
    return HTMLResponse(render_page(name), headers=_HEADERS)


@router.get("/data.json")
def dashboard_json(request: Request) -> Response:
    """What the wall screen shows, as of the app's clock (no login: aggregates only)."""
    return JSONResponse(dashboard_data(request.app, request.app.state.clock()), headers=_HEADERS)


@cache
def _static_file(path: str) -> bytes:
    return (_STATIC_DIR / path).read_bytes()


@router.get("/static/{name}")
def dashboard_static(name: str) -> Response:
    found = _STATIC.get(name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    path, media_type = found
    try:
        content = _static_file(path)
    except FileNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    headers = {**_HEADERS, "Cache-Control": "max-age=3600" if "vendor" in path else "no-cache"}
    return Response(content, media_type=media_type, headers=headers)
