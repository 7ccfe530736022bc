"""Staff work queues ``/staff/work/`` (same sign-in as ``/staff/``): 办不成事 cases with
their response clock, bad-review follow-ups with their working-day deadlines, and window
review tasks — overdue first — plus the staff audit log.

Roles (``staff`` row): a **supervisor** sees and works the whole hall; an **auditor**
reads everything (and the audit log) and changes nothing — every POST is refused with
403 (and the refusal is logged); **counter staff** read the follow-ups and review tasks
of the counter they hold now (``counter_state``), not the cases.

Alerts on the page: a case nobody has taken yet ("新的办不成事反映"), a case whose response
hour ends within ``DUE_SOON`` ("即将超时") and one past it ("已超时").

The window-score rule (``HALL_WINDOW_SCORE_MIN``, default 80): a counter whose score
(satisfaction rate × 100, ``hall.ratings.rating_stats``) was below it in each of the last
two complete calendar months gets one review task (unique per counter and month); the
check runs whenever the work queue is read, so nothing needs scheduling.

Every change made here writes a ``staff_audit_log`` row (who, what, target, when) in the
same transaction as the change itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contract.errors import ConfigError
from contract.scrub import scrub_text
from hall.cases import CaseEventIn, apply_event, matter_names, overdue_steps, severity_names
from hall.db import transaction
from hall.feedback_settings import current_settings
from hall.followups import StepIn, list_followups, record_step
from hall.models import Case, CounterState, ReviewTask, Staff, StaffAuditEntry
from hall.rating_rules import Rejected
from hall.ratings import rating_stats
from hall.staff_web import read_session
from hall.web_session import security_headers, static_response

DUE_SOON = dt.timedelta(minutes=15)
"""A case's response hour is "about to run out" this long before its end."""
POLL_MS = 2500
MAX_BODY = 2048

Role = Literal["supervisor", "auditor", "counter"]

_SECURITY = security_headers(img_src="'self' data:")  # the page's icon is a data: URL
_HEADERS = {**_SECURITY, "Cache-Control": "no-store"}

router = APIRouter(prefix="/staff/work", tags=["staff page"], include_in_schema=False)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)
    substantiated: bool = True


DEFAULT_WINDOW_SCORE_MIN = 80


def window_score_min_from_env() -> int:
    """HALL_WINDOW_SCORE_MIN (default 80): a whole number 1..100, else ConfigError — a
    malformed value stops the server at start-up instead of silently meaning 80."""
    raw = os.environ.get("HALL_WINDOW_SCORE_MIN", "").strip()
    if not raw:
        return DEFAULT_WINDOW_SCORE_MIN
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ConfigError(
            f"HALL_WINDOW_SCORE_MIN must be a whole number from 1 to 100, not {raw!r}"
        )
    return int(raw)


def window_score_min(app: Any) -> int:
    """The app's threshold (read once at start-up, ``app.state.window_score_min``)."""
    found: int | None = getattr(app.state, "window_score_min", None)
    if found is None:
        found = app.state.window_score_min = window_score_min_from_env()
    return found


# -- who -------------------------------------------------------------------------------------
def _role(session: Session, staff_id: int) -> tuple[Role, str | None]:
    staff = session.get(Staff, staff_id)
    if staff is not None and staff.auditor:
        return "auditor", None
    if staff is not None and staff.supervisor:
        return "supervisor", None
    counter = session.scalar(
        select(CounterState.counter_id).where(CounterState.staff_id == staff_id)
    )
    return "counter", counter


def audit(
    session: Session,
    staff_id: int,
    action: str,
    now: dt.datetime,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        StaffAuditEntry(
            staff_id=staff_id,
            action=action[:32],
            target=target[:64] if target else None,
            detail=detail[:200] if detail else None,
            at=now,
        )
    )


# -- the window-score rule ------------------------------------------------------------------
def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def ensure_review_tasks(app: Any, now: dt.datetime) -> int:
    """Create the review tasks the rule asks for (idempotent); how many were new."""
    today = now.astimezone(app.state.queue.tz).date()
    last_start, last_end = _month_range(*_previous_month(today.year, today.month))
    prev_start, prev_end = _month_range(*_previous_month(last_start.year, last_start.month))
    engine = app.state.engine
    last = {g.key: g for g in rating_stats(engine, "window", last_start, last_end).groups}
    prev = {g.key: g for g in rating_stats(engine, "window", prev_start, prev_end).groups}
    limit = window_score_min(app)
    created = 0
    for counter, now_stats in last.items():
        before = prev.get(counter)
        if counter is None or before is None:
            continue
        if now_stats.satisfaction_rate is None or before.satisfaction_rate is None:
            continue
        score = round(now_stats.satisfaction_rate * 100)
        previous = round(before.satisfaction_rate * 100)
        if score >= limit or previous >= limit:
            continue
        period = f"{last_start.year:04d}-{last_start.month:02d}"
        try:
            with transaction(engine) as session:
                exists = session.scalar(
                    select(ReviewTask.id).where(
                        ReviewTask.counter == counter, ReviewTask.period == period
                    )
                )
                if exists is None:
                    session.add(
                        ReviewTask(
                            counter=counter,
                            period=period,
                            score=score,
                            previous_score=previous,
                            status="open",
                            created_at=now,
                        )
                    )
                    created += 1
        except IntegrityError:
            pass  # another request created it first
    return created


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


# -- what the page shows ---------------------------------------------------------------------
def _clock(when: dt.datetime | None, tz: Any) -> str:
    return when.astimezone(tz).strftime("%m-%d %H:%M") if when else "—"


def _left_text(seconds: float) -> str:
    minutes, secs = divmod(int(abs(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    body = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"剩余 {body}" if seconds >= 0 else f"已超时 {body}"


def work_data(app: Any, staff_id: int, now: dt.datetime) -> dict[str, Any]:
    tz = app.state.queue.tz
    today = now.astimezone(tz).date()
    with transaction(app.state.engine, readonly=True) as session:
        role, own_counter = _role(session, staff_id)
    if role != "counter":
        ensure_review_tasks(app, now)
    with transaction(app.state.engine, readonly=True) as session:
        names: dict[int, str] = {i: n for i, n in session.execute(select(Staff.id, Staff.name))}
        cases: list[dict[str, Any]] = []
        alerts: list[dict[str, str]] = []
        if role != "counter":
            open_cases = session.scalars(select(Case).where(Case.status != "closed").limit(500))
            for c in open_cases:
                late = overdue_steps(c, now, today)
                left = (c.respond_due_at - now).total_seconds()
                responded = c.responded_at is not None
                matter, matter_en = matter_names(
                    getattr(app.state, "catalog", None), c.item_id, c.not_in_catalog
                )
                severity, severity_en = severity_names(c.severity)
                cases.append(
                    {
                        "case_number": c.case_number,
                        "status": c.status,
                        "categories": json.loads(c.categories or "[]"),
                        "matter": matter,
                        "matter_en": matter_en,
                        "not_in_catalog": c.not_in_catalog,
                        "severity": c.severity,
                        "severity_name": severity,
                        "severity_name_en": severity_en,
                        "description": c.description,
                        "owner": names.get(c.owner_id) if c.owner_id else None,
                        "owner_id": c.owner_id,
                        "received_text": _clock(c.received_at, tz),
                        "respond_due_text": _clock(c.respond_due_at, tz),
                        "respond_left_s": None if responded else round(left),
                        "clock_text": "已响应" if responded else _left_text(left),
                        "overdue": bool(late),
                        "overdue_steps": late,
                        "close_due_on": c.close_due_on.isoformat(),
                    }
                )
                if c.owner_id is None:
                    alerts.append(
                        {
                            "kind": "new",
                            "text": f"新的办不成事反映 {c.case_number}，请在"
                            f" {_clock(c.respond_due_at, tz)[-5:]} 前响应",
                        }
                    )
                if not responded and 0 < left <= DUE_SOON.total_seconds():
                    alerts.append(
                        {
                            "kind": "due_soon",
                            "text": f"{c.case_number} 响应时限将在 {-(-int(left) // 60)} 分钟内到期",
                        }
                    )
                elif not responded and left <= 0:
                    alerts.append({"kind": "overdue", "text": f"{c.case_number} 已超过响应时限"})
            cases.sort(key=lambda x: (not x["overdue"], x["respond_left_s"] is None,
                                      x["respond_left_s"] or 0))  # fmt: skip
        followups = []
        for f in list_followups(session, today):
            if role == "counter" and (own_counter is None or f.counter != own_counter):
                continue
            followups.append(
                {
                    "id": f.id,
                    "status": f.status,
                    "next_step": _next_step(f.status, f.substantiated),
                    "counter": f.counter,
                    "ticket_number": f.ticket_number,
                    "level": f.level,
                    "reasons": f.reasons,
                    "plan_due_on": f.plan_due_on.isoformat(),
                    "rectify_due_on": f.rectify_due_on.isoformat(),
                    "recheck_due_on": f.recheck_due_on.isoformat() if f.recheck_due_on else None,
                    "overdue": f.overdue,
                }
            )
        followups.sort(key=lambda x: (not x["overdue"], x["plan_due_on"], x["id"]))
        review_query = select(ReviewTask).where(ReviewTask.status == "open")
        if role == "counter":
            review_query = review_query.where(ReviewTask.counter == (own_counter or ""))
        reviews = [
            {
                "id": r.id,
                "counter": r.counter,
                "period": r.period,
                "score": r.score,
                "previous_score": r.previous_score,
                "created_text": _clock(r.created_at, tz),
            }
            for r in session.scalars(review_query.order_by(ReviewTask.created_at, ReviewTask.id))
        ]
        audit_rows = []
        if role != "counter":
            for a in session.scalars(
                select(StaffAuditEntry).order_by(StaffAuditEntry.id.desc()).limit(50)
            ):
                audit_rows.append(
                    {
                        "at_text": _clock(a.at, tz),
                        "staff": names.get(a.staff_id, str(a.staff_id)),
                        "action": a.action,
                        "target": a.target,
                        "detail": a.detail,
                    }
                )
    return {
        "role": role,
        "can_act": role == "supervisor",
        "own_counter": own_counter,
        "generated_text": now.astimezone(tz).strftime("%H:%M:%S"),
        "alerts": alerts,
        "cases": cases,
        "followups": followups,
        "reviews": reviews,
        "audit": audit_rows,
    }


def _next_step(status_: str, substantiated: bool | None) -> str | None:
    if status_ == "open":
        return "verify"
    if status_ == "verified":
        return "feedback" if substantiated is False else "rectify"
    if status_ == "rectified":
        return "feedback"
    if status_ == "answered":
        return "recheck"
    return None


# -- routes ------------------------------------------------------------------------------------
def _json(data: Any, code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=code, headers=_HEADERS)


@router.get("/")
def work_page(request: Request) -> Response:
    """The work queue page (staff session; every role may read)."""
    who = read_session(request)
    if who is None:
        return RedirectResponse("/staff/login", status_code=303, headers=_HEADERS)
    return HTMLResponse(_render(request.app.state.catalog.hall_name, who.name), headers=_HEADERS)


@router.get("/data.json")
def work_json(request: Request) -> Response:
    """What the page shows, for the signed-in member of staff and their role."""
    who = read_session(request)
    if who is None:
        return _json({"detail": "login required"}, 401)
    return _json(work_data(request.app, who.staff_id, request.app.state.clock()))


@router.post("/{kind}/{target}/{action}")
async def work_action(kind: str, target: str, action: str, request: Request) -> Response:
    """take / respond / coordinate / close a case; verify / rectify / feedback a follow-up;
    close a review task. Supervisors only (auditor and counter staff: 403, logged)."""
    who = read_session(request)
    if who is None:
        return _json({"detail": "login required"}, 401)
    if request.headers.get("x-staff-page") != "1":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="X-Staff-Page header required")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _json({"detail": "body too large"}, 413)
    allowed = {
        "cases": ("take", "respond", "coordinate", "close"),
        "followups": ("verify", "rectify", "feedback", "recheck"),
        "reviews": ("close",),
    }
    if action not in allowed.get(kind, ()) or len(target) > 40:
        return _json({"detail": "unknown action"}, 404)
    try:
        body = NoteIn.model_validate_json(raw or b"{}")
    except ValidationError:
        return _json({"detail": "invalid body"}, 422)
    from fastapi.concurrency import run_in_threadpool

    return await run_in_threadpool(
        _act, request.app, who.staff_id, kind, target, action, body, request.app.state.clock()
    )


def _act(
    app: Any, staff_id: int, kind: str, target: str, action: str, body: NoteIn, now: dt.datetime
) -> Response:
    engine = app.state.engine
    with transaction(engine, readonly=True) as session:
        role, _counter = _role(session, staff_id)
    if role != "supervisor":
        with transaction(engine) as session:
            audit(session, staff_id, "refused", now, f"{kind}/{target}", f"{action} by {role}")
        message = (
            "审计账号只读，不能修改 An auditor reads everything and changes nothing"
            if role == "auditor"
            else "仅值班长可处理 Supervisors only"
        )
        return _json({"detail": message, "code": f"{role}_read_only"}, 403)
    try:
        with transaction(engine) as session:
            if kind == "cases":
                case = session.scalar(
                    select(Case).where(Case.case_number == target).with_for_update()
                )
                if case is None:
                    return _json({"detail": f"no case {target}"}, 404)
                apply_event(session, case, CaseEventIn(kind=action, note=body.note), staff_id, now)  # type: ignore[arg-type]
            elif kind == "followups":
                if not target.isdigit():
                    return _json({"detail": "no such follow-up"}, 404)
                step = StepIn(
                    step=action,  # type: ignore[arg-type]
                    note=(body.note or "").strip() or "—",
                    substantiated=body.substantiated,
                )
                settings = current_settings(app)
                record_step(session, int(target), step, staff_id, now, settings)
            else:
                task = session.get(ReviewTask, int(target)) if target.isdigit() else None
                if task is None or task.status != "open":
                    return _json({"detail": "no open review task"}, 404)
                task.status, task.closed_at, task.closed_by = "closed", now, staff_id
                task.note = scrub_text((body.note or "").strip())[:500] or None
            audit(session, staff_id, f"{kind[:-1]}_{action}", now, target)
    except Rejected as exc:
        return _json({"detail": exc.message, "code": exc.code}, exc.status_code)
    except ValidationError:
        return _json({"detail": "invalid body"}, 422)
    return _json({"ok": True})


@router.get("/static/work.js")
def work_js() -> Response:
    return static_response("work.js", {"work.js": "text/javascript; charset=utf-8"}, _SECURITY)


def _render(hall_name: str, staff_name: str) -> str:
    import html

    e = html.escape
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>工作队列 · {e(hall_name)}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/staff/static/staff.css">
<script src="/staff/work/static/work.js" defer></script></head>
<body data-poll-ms="{POLL_MS}">
<header class="top"><h1>{e(hall_name)} · 工作队列 Work queues</h1>
<div class="who">工作人员：{e(staff_name)}（<span id="role">—</span>）
<a href="/staff/">终端监控</a></div></header>
<main>
<ul id="work-alerts" class="sla-alerts" role="alert" hidden></ul>
<p class="exports">统计报表 Reports:
<a id="export-month-xlsx" href="/staff/stats/queue?by=group&amp;format=xlsx">今日·按窗口组 XLSX</a> ·
<a href="/staff/stats/queue?by=counter&amp;format=csv">今日·按窗口 CSV</a> ·
<a href="/dashboard/">可视化大屏</a></p>
<p class="refresh">每 {POLL_MS / 1000:g} 秒自动刷新 · 最后刷新 <span id="generated">—</span></p>
<p id="message" role="status" aria-live="polite"></p>
<section id="cases-section"><h2>办不成事反映（1 小时内响应）</h2>
<table class="kiosks"><thead><tr><th scope="col">编号</th><th scope="col">状态</th>
<th scope="col">响应时钟</th><th scope="col">事项</th><th scope="col">紧急程度</th>
<th scope="col">类别</th><th scope="col">情况</th>
<th scope="col">负责人</th><th scope="col">操作</th></tr></thead>
<tbody id="case-rows"></tbody></table><p id="no-cases" class="empty" hidden>暂无未办结的反映。</p></section>
<section><h2>差评整改（核实 → 整改 → 反馈）</h2>
<table class="kiosks"><thead><tr><th scope="col">编号</th><th scope="col">窗口</th>
<th scope="col">状态</th><th scope="col">核实期限</th><th scope="col">整改期限</th>
<th scope="col">操作</th></tr></thead><tbody id="followup-rows"></tbody></table>
<p id="no-followups" class="empty" hidden>暂无待整改的差评。</p></section>
<section><h2>窗口评分复查（连续两期低于标准）</h2>
<table class="kiosks"><thead><tr><th scope="col">窗口</th><th scope="col">月份</th>
<th scope="col">本期 / 上期得分</th><th scope="col">操作</th></tr></thead>
<tbody id="review-rows"></tbody></table><p id="no-reviews" class="empty" hidden>暂无复查任务。</p></section>
<section id="audit-section"><h2>操作日志（谁、何时、做了什么）</h2>
<table class="kiosks"><thead><tr><th scope="col">时间</th><th scope="col">工作人员</th>
<th scope="col">操作</th><th scope="col">对象</th></tr></thead><tbody id="audit-rows"></tbody></table></section>
</main></body></html>"""
