"""The counter workstation ``/counter/``: window staff work their queue in a browser.

Sign-in: 工号 + password (``hall.staff_accounts``; five wrong passwords lock the account)
and the counter (窗口号). The session is a random id in a cookie (HttpOnly,
SameSite=Strict, path /counter); the database keeps only its SHA-256 digest, bound to the
staff member and the counter, in ``counter_sessions`` — logging out revokes it there, so a
copied cookie stops working at once. Every state-changing request carries the session's
CSRF token (the logout form as a hidden field, the action calls as the header
``X-CSRF-Token``); the sign-in form carries a signed, time-limited token of its own.

The page is rendered on the server and then kept current by ``hall/static/counter.js``,
which polls ``/counter/state.json`` every ``POLL_MS``. (Seam for the push stream of the
``board`` branch: the script's ``refresh()`` is what an event should trigger.) Actions go
to ``POST /counter/api/{action}`` and run through ``hall.queue_ops``, exactly as the
bearer-token API does — same rules, same action log, same events. Everything is served by
this app (no CDN); the Content-Security-Policy forbids inline scripts.

No citizen's full name is ever shown: the ticket's masked name (张*) only; the waiting list
shows numbers, items and waiting times.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, select

from contract.catalog import Catalog
from contract.fields import CounterId, ShortId, TicketId, line, text
from hall import queue_ops
from hall.auth import is_auditor
from hall.db import transaction
from hall.models import CounterSession, CounterState, Precheck, QueueAction, Staff, Ticket
from hall.queue_rules import QueueError
from hall.service_levels import counter_groups, current_alerts
from hall.staff_accounts import LoginRefused, check_login
from hall.web_session import (
    clear_session_cookie,
    cookie_digest,
    html_page,
    json_answer,
    redirect,
    set_session_cookie,
    stamp_token,
    stamp_token_ok,
    static_response,
)

COOKIE_NAME = "hall_counter"
SESSION_TTL = dt.timedelta(hours=12)
"""A session lasts one working day."""
POLL_MS = 2000
"""How often the page refreshes, milliseconds (until the push stream replaces polling)."""
LOGIN_TOKEN_TTL_S = 2 * 3600
MAX_FORM_BYTES = 4096
SECRET_NAME = "counter_login_hmac"

_STATIC_TYPES = {
    "counter.js": "text/javascript; charset=utf-8",
    "counter.css": "text/css; charset=utf-8",
}

ACTIONS = (
    "call-next", "call", "recall", "no-show", "complete", "return", "transfer", "hold",
    "resume", "pause", "open",
)  # fmt: skip
"""What the page's buttons do (``POST /counter/api/{action}``)."""
SHORTCUTS = {
    "call-next": "F2",
    "recall": "F3",
    "no-show": "F4",
    "complete": "F6",
    "return": "F1",  # the browser's help key, taken over by the page (preventDefault)
    "transfer": "F7",
    "hold": "F8",
    "call": "F9",
    "pause": "F10",
}
"""Keyboard shortcut of each button (F5 stays the browser's reload)."""

RETURN_REASONS = {
    "materials_incomplete": ("材料不全", "Materials incomplete"),
    "not_eligible": ("不符合受理条件", "Not eligible"),
    "wrong_window": ("非本窗口事项", "Not this window's matter"),
    "info_mismatch": ("信息不符", "Information does not match"),
    "applicant_withdrew": ("申请人撤回", "Applicant withdrew"),
}
"""退件 reasons (a short fixed list): the code is kept with the complete action
(``queue_actions.detail`` = ``outcome:return:<code>``) and counts in 退件率 (hall.stats)."""
ReturnReason = Literal[
    "materials_incomplete", "not_eligible", "wrong_window", "info_mismatch", "applicant_withdrew"
]

PRECHECK_OVERALL = {
    "complete": ("材料齐全", "All materials present"),
    "can_queue_with_rongque": ("可容缺受理", "Acceptable with 容缺 (non-core missing)"),
    "core_missing": ("缺核心材料", "Core material missing"),
}
PRECHECK_STATUS = {
    "present_fine": ("已备", "present"),
    "present_unreadable": ("不清晰", "unreadable"),
    "wrong_document": ("材料不符", "wrong document"),
    "missing": ("缺", "missing"),
}
STATUS_TEXT = {
    "called": ("办理中", "being served"),
    "held": ("已挂起", "on hold"),
}

router = APIRouter(prefix="/counter", tags=["counter page"], include_in_schema=False)


# -- sessions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CounterSignIn:
    id_hash: str
    staff_id: int
    name: str
    number: str
    counter_id: str
    csrf: str


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def read_session(request: Request) -> CounterSignIn | None:
    """The signed-in counter, or None (no cookie, unknown, expired or revoked session)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or len(raw) > 100:
        return None
    id_hash = cookie_digest(raw)
    with transaction(request.app.state.engine, readonly=True) as session:
        row = session.execute(
            select(CounterSession, Staff.name, Staff.number)
            .join(Staff, Staff.id == CounterSession.staff_id)
            .where(CounterSession.id_hash == id_hash)
        ).first()
    if row is None:
        return None
    sess, name, number = row
    if sess.revoked_at is not None or sess.expires_at <= _now(request):
        return None
    return CounterSignIn(id_hash, sess.staff_id, name, number or "", sess.counter_id, sess.csrf)


def _login_key(app: FastAPI) -> bytes:
    """The sign-in form's HMAC key: derived from the key file's session key (hall.keys),
    never stored in the database."""
    key: bytes = app.state.keys.subkey(SECRET_NAME)
    return key


def _login_token(app: FastAPI, now: dt.datetime) -> str:
    return stamp_token(_login_key(app), "login", int(now.timestamp()))


def _login_token_ok(app: FastAPI, token: str, now: dt.datetime) -> bool:
    return stamp_token_ok(_login_key(app), "login", token, now, LOGIN_TOKEN_TTL_S)


def _all_counters(catalog: Catalog) -> list[str]:
    seen: dict[str, None] = {}
    for g in catalog.groups:
        for c in g.counters:
            seen.setdefault(c, None)
    return sorted(seen, key=lambda c: (len(c), c))


def _start_session(app: FastAPI, staff_id: int, counter_id: str, now: dt.datetime) -> str:
    raw = secrets.token_urlsafe(32)
    with transaction(app.state.engine) as session:
        session.add(
            CounterSession(
                id_hash=cookie_digest(raw),
                staff_id=staff_id,
                counter_id=counter_id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + SESSION_TTL,
            )
        )
    app.state.queue.sign_in(counter_id, staff_id, now)
    return raw


def _end_session(app: FastAPI, who: CounterSignIn, now: dt.datetime) -> None:
    with transaction(app.state.engine) as session:
        row = session.get(CounterSession, who.id_hash)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
    app.state.queue.sign_in(who.counter_id, who.staff_id, now, out=True)


# -- what the page shows ----------------------------------------------------------------------------
def _minutes_text(seconds: float) -> tuple[str, str]:
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} 分钟", f"{minutes} min"
    return f"{minutes // 60} 小时 {minutes % 60} 分", f"{minutes // 60} h {minutes % 60} min"


def _names(catalog: Catalog, service_id: str) -> tuple[str, str]:
    try:
        entry = catalog.entry(service_id)
    except KeyError:
        return service_id, service_id
    return entry.name, entry.name_en


def _current(app: FastAPI, who: CounterSignIn, now: dt.datetime) -> dict[str, Any] | None:
    catalog: Catalog = app.state.catalog
    with transaction(app.state.engine, readonly=True) as session:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.counter == who.counter_id, Ticket.status == "called")
            .order_by(Ticket.called_at.desc())
            .limit(1)
        )
        if ticket is None:
            return None
        pre = session.scalar(select(Precheck).where(Precheck.ticket_id == ticket.id))
        precheck = (
            {"overall": pre.overall, "materials": {m["index"]: m["status"] for m in pre.materials}}
            if pre is not None
            else None
        )
        view = {c: getattr(ticket, c) for c in ("id", "number", "service_id", "priority",
                "masked_name", "status", "recall_count", "called_at", "window_group",
                "transfer_count")}  # fmt: skip
    name, name_en = _names(catalog, view["service_id"])
    try:
        materials = catalog.materials_for(catalog.entry(view["service_id"]))
    except KeyError:
        materials = []
    material_rows = []
    for i, m in enumerate(materials):
        state = precheck["materials"].get(i) if precheck else None
        zh, en = PRECHECK_STATUS.get(state or "", ("", ""))
        material_rows.append(
            {
                "name": m.name,
                "name_en": m.name_en,
                "core": m.core,
                "check": zh,
                "check_en": en,
                "bad": state in ("missing", "wrong_document", "present_unreadable"),
            }  # fmt: skip
        )
    overall = precheck["overall"] if precheck else None
    overall_zh, overall_en = PRECHECK_OVERALL.get(overall or "", ("未预审", "not pre-checked"))
    served_zh, served_en = _minutes_text((now - view["called_at"]).total_seconds())
    return {
        "id": view["id"],
        "number": view["number"],
        "service_name": name,
        "service_name_en": name_en,
        "masked_name": view["masked_name"] or "—",
        "green": bool(view["priority"]),
        "recall_count": view["recall_count"],
        "transferred": bool(view["transfer_count"]),
        "served_text": served_zh,
        "served_text_en": served_en,
        "precheck": overall,
        "precheck_text": overall_zh,
        "precheck_text_en": overall_en,
        "materials": material_rows,
    }


def _today_counts(app: FastAPI, counter_id: str, now: dt.datetime) -> dict[str, int]:
    tz = app.state.queue.tz
    local = now.astimezone(tz)
    start = dt.datetime(local.year, local.month, local.day, tzinfo=tz)
    with transaction(app.state.engine, readonly=True) as session:
        rows = session.execute(
            select(QueueAction.kind, func.count())
            .where(QueueAction.counter_id == counter_id, QueueAction.at >= start)
            .group_by(QueueAction.kind)
        ).all()
    counts = {kind: int(n) for kind, n in rows}
    return {k: counts.get(k, 0) for k in ("call", "complete", "no_show", "transfer", "hold")}


def page_data(request: Request, who: CounterSignIn) -> dict[str, Any]:
    app = request.app
    now = _now(request)
    catalog: Catalog = app.state.catalog
    queue = app.state.queue
    waiting = []
    for t in queue.waiting_for(who.counter_id, now):
        name, name_en = _names(catalog, t.service_id)
        wait_zh, wait_en = _minutes_text((now - t.issued_at).total_seconds())
        waiting.append(
            {
                "id": t.id,
                "number": t.number,
                "service_name": name,
                "service_name_en": name_en,
                "green": bool(t.priority),
                "resumed": t.front_at is not None,
                "transferred": t.transferred_at is not None,
                "wait_text": wait_zh,
                "wait_text_en": wait_en,
            }  # fmt: skip
        )
    with transaction(app.state.engine, readonly=True) as session:
        held_rows = session.execute(
            select(Ticket.id, Ticket.number, Ticket.service_id)
            .where(Ticket.counter == who.counter_id, Ticket.status == "held")
            .order_by(Ticket.held_at)
        ).all()
        state = session.get(CounterState, who.counter_id)
        paused = bool(state and state.paused)
    held = [
        {
            "id": i,
            "number": n,
            "service_name": _names(catalog, s)[0],
            "service_name_en": _names(catalog, s)[1],
        }  # fmt: skip
        for i, n, s in held_rows
    ]
    return {
        "counter_id": who.counter_id,
        "staff_name": who.name,
        "staff_number": who.number,
        "paused": paused,
        "current": _current(app, who, now),
        "held": held,
        "waiting": waiting,
        "today": _today_counts(app, who.counter_id, now),
        # Service-level alerts of this counter's groups (hall.service_levels).
        "alerts": [
            {"text": a.text, "text_en": a.text_en}
            for a in current_alerts(app, now, counter_groups(app, who.counter_id))
        ],
        "generated_text": now.astimezone(queue.tz).strftime("%H:%M:%S"),
    }


# -- HTML -------------------------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _t(zh: str, en: str, tag: str = "span", attrs: str = "") -> str:
    """A text with its English on one tap: the script swaps ``data-en`` in."""
    return f'<{tag} data-en="{_e(en)}"{attrs}>{_e(zh)}</{tag}>'


def _document(title: str, body: str, *, body_attrs: str = "", script: bool = False) -> str:
    script_tag = '<script src="/counter/static/counter.js" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)}</title><link rel="stylesheet" href="/counter/static/counter.css">'
        f"{script_tag}</head><body{body_attrs}>{body}</body></html>"
    )


def _button(action: str, zh: str, en: str, css: str = "") -> str:
    key = SHORTCUTS.get(action, "")
    hint = f' <kbd aria-hidden="true">{key}</kbd>' if key else ""
    return (
        f'<button type="button" class="action {css}" id="btn-{action}" data-action="{action}"'
        f' data-key="{key}" aria-keyshortcuts="{key}">{_t(zh, en)}{hint}</button>'
    )


def render_page(hall_name: str, who: CounterSignIn, catalog: Catalog) -> str:
    groups = "".join(
        f'<option value="{_e(g.id)}">{_e(g.name)}（{_e(g.name_en)}）</option>'
        for g in catalog.groups
    )
    counters = "".join(
        f'<option value="{_e(c)}">{_e(c)} 号窗口</option>'
        for c in _all_counters(catalog)
        if c != who.counter_id
    )
    return_reasons = "".join(
        _t(zh, en, "option", f' value="{code}"') for code, (zh, en) in RETURN_REASONS.items()
    )
    today_cells = "".join(
        f'<div class="count"><span class="n" id="today-{k}">0</span> {_t(zh, en)}</div>'
        for k, zh, en in (
            ("call", "已叫号", "called"),
            ("complete", "已办结", "completed"),
            ("no_show", "过号", "no-show"),
            ("transfer", "转窗", "transferred"),
            ("hold", "挂起", "held"),
        )
    )
    body = f"""
<header class="top">
  <h1><span id="counter-id">{_e(who.counter_id)}</span> {_t("号窗口", "· Window")} · {_e(hall_name)}</h1>
  <div class="who">{_t("工作人员", "Staff")}：<span id="staff-name">{_e(who.name)}</span>（{_t("工号", "No.")} <span id="staff-number">{_e(who.number)}</span>）
    <button type="button" id="lang" class="lang" aria-pressed="false">English</button>
    <form method="post" action="/counter/logout" class="inline"><input type="hidden" name="csrf" value="{_e(who.csrf)}"><button type="submit">{_t("退出登录", "Sign out")}</button></form>
  </div>
</header>
<p id="conn-error" class="conn-error" role="alert" hidden>⚠ {_t("与服务器的连接中断，正在重试…", "Connection to the server lost, retrying…")}</p>
<ul id="sla-alerts" class="sla-alerts" role="alert" hidden></ul>
<p id="paused-banner" class="paused" role="status" hidden>⏸ {_t("暂停服务中：本窗口不叫号", "On break: this window calls nobody")}</p>
<main>
  <section id="current" class="current" aria-labelledby="current-title">
    <h2 id="current-title">{_t("当前办理", "Now serving")}</h2>
    <p id="no-current" class="empty">{_t("暂无正在办理的号。按“叫号”呼叫下一位。", "Nobody is being served. Press Call next.")}</p>
    <div id="cur" hidden>
      <p class="cur-number"><span id="cur-number"></span> <span id="cur-green" class="green" hidden>{_t("绿色通道", "Green channel")}</span> <span id="cur-transferred" class="tag" hidden>{_t("转窗", "Transferred")}</span></p>
      <p><span id="cur-item"></span> · {_t("姓名", "Name")} <span id="cur-name"></span> · {_t("已办理", "Serving for")} <span id="cur-served"></span> · {_t("重呼", "Recalls")} <span id="cur-recalls"></span></p>
      <p>{_t("预审结果", "Pre-check")}：<span id="cur-precheck"></span></p>
      <table class="materials"><caption>{_t("所需材料", "Materials")}</caption><tbody id="cur-materials"></tbody></table>
    </div>
  </section>
  <section class="actions" aria-label="操作">
    {_button("call-next", "叫号", "Call next", "primary")}
    {_button("recall", "重呼", "Recall")}
    {_button("no-show", "过号", "No-show")}
    {_button("complete", "办结", "Complete", "primary")}
    {_button("return", "退件", "Return")}
    {_button("transfer", "转窗", "Transfer")}
    {_button("hold", "挂起", "Hold")}
    {_button("call", "指定叫号", "Call a number")}
    {_button("pause", "暂停服务", "Take a break")}
    {_button("open", "恢复服务", "Open again")}
  </section>
  <p id="message" class="message" role="status" aria-live="polite"></p>
  <form id="transfer-form" class="panel" hidden>
    <h2>{_t("转窗", "Transfer")}</h2>
    <label><input type="radio" name="to" value="group" checked> {_t("转到窗口组", "To a window group")}</label>
    <select id="to-group" name="to_group">{groups}</select>
    <label><input type="radio" name="to" value="counter"> {_t("转到指定窗口", "To a named window")}</label>
    <select id="to-counter" name="to_counter">{counters}</select>
    <label for="reason">{_t("原因", "Reason")}</label>
    <input id="reason" name="reason" maxlength="100" autocomplete="off">
    <button type="submit" id="transfer-ok">{_t("确认转窗", "Transfer now")}</button>
    <button type="button" id="transfer-cancel">{_t("取消", "Cancel")}</button>
  </form>
  <form id="return-form" class="panel" hidden>
    <h2>{_t("退件", "Return the matter")}</h2>
    <label for="return-reason">{_t("退件原因", "Reason")}</label>
    <select id="return-reason" name="return_reason">{return_reasons}</select>
    <button type="submit" id="return-ok">{_t("确认退件", "Return now")}</button>
    <button type="button" id="return-cancel">{_t("取消", "Cancel")}</button>
  </form>
  <form id="call-form" class="panel" hidden>
    <label for="call-number">{_t("指定叫号：输入号码", "Call a number: type it")}</label>
    <input id="call-number" name="number" maxlength="16" autocomplete="off">
    <button type="submit" id="call-ok">{_t("叫此号", "Call it")}</button>
  </form>
  <section aria-labelledby="held-title">
    <h2 id="held-title">{_t("挂起的号", "On hold")}</h2>
    <ul id="held" class="held"></ul>
    <p id="no-held" class="empty">{_t("无", "None")}</p>
  </section>
  <section aria-labelledby="waiting-title">
    <h2 id="waiting-title">{_t("等候中", "Waiting")} (<span id="waiting-count">0</span>)</h2>
    <table class="waiting"><thead><tr><th scope="col">{_t("号码", "Number")}</th><th scope="col">{_t("事项", "Item")}</th><th scope="col">{_t("已等候", "Waited")}</th><th scope="col">{_t("操作", "Action")}</th></tr></thead>
    <tbody id="waiting"></tbody></table>
  </section>
  <section class="today" aria-labelledby="today-title">
    <h2 id="today-title">{_t("本窗口今日", "This window today")}</h2>
    <div class="counts">{today_cells}</div>
  </section>
  <p class="refresh">{_t("每 2 秒自动刷新 · 最后刷新", "Refreshes every 2 s · last")} <span id="generated"></span></p>
</main>"""
    return _document(
        f"{who.counter_id} 号窗口 · {hall_name}",
        body,
        body_attrs=f' data-poll-ms="{POLL_MS}" data-csrf="{_e(who.csrf)}"',
        script=True,
    )


def render_login(
    hall_name: str, catalog: Catalog, token: str, error: str | None = None, number: str = ""
) -> str:
    alert = f'<p class="error" role="alert">✕ {_e(error)}</p>' if error else ""
    options = "".join(
        f'<option value="{_e(c)}">{_e(c)} 号窗口</option>' for c in _all_counters(catalog)
    )
    body = f"""
<main class="login">
  <h1>{_e(hall_name)} · 窗口登录 <small>Counter sign-in</small></h1>
  {alert}
  <form method="post" action="/counter/login">
    <input type="hidden" name="csrf" value="{_e(token)}">
    <label for="number">工号 Staff number</label>
    <input id="number" name="number" value="{_e(number)}" autocomplete="username" maxlength="32" required autofocus>
    <label for="password">密码 Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" maxlength="128" required>
    <label for="counter">窗口 Window</label>
    <select id="counter" name="counter">{options}</select>
    <button type="submit" id="sign-in">登录 Sign in</button>
  </form>
  <p class="hint">账号由管理员使用 <code>python -m hall add-staff 姓名 --number 工号</code> 创建。</p>
</main>"""
    return _document(f"窗口登录 · {hall_name}", body)


_html = html_page
_redirect = redirect
_json = json_answer


# -- routes -----------------------------------------------------------------------------------------
@router.get("/")
def counter_page(request: Request) -> Response:
    who = read_session(request)
    if who is None:
        return _redirect("/counter/login")
    catalog = request.app.state.catalog
    return _html(render_page(catalog.hall_name, who, catalog))


@router.get("/state.json")
def counter_state(request: Request) -> Response:
    who = read_session(request)
    if who is None:
        return _json({"detail": "sign in first"}, 401)
    return _json(page_data(request, who))


@router.get("/login")
def login_form(request: Request) -> Response:
    if read_session(request) is not None:
        return _redirect("/counter/")
    catalog = request.app.state.catalog
    token = _login_token(request.app, _now(request))
    return _html(render_login(catalog.hall_name, catalog, token))


@router.post("/login")
async def login(request: Request) -> Response:
    raw = await request.body()
    app = request.app
    catalog: Catalog = app.state.catalog
    now = _now(request)
    fresh = await run_in_threadpool(_login_token, app, now)

    def refuse(message: str, code: int, number: str = "") -> Response:
        return _html(render_login(catalog.hall_name, catalog, fresh, message, number), code)

    if len(raw) > MAX_FORM_BYTES:
        return refuse("请求过大 Request too large", status.HTTP_413_CONTENT_TOO_LARGE)
    form = parse_qs(raw.decode("utf-8", errors="replace"), max_num_fields=10)

    def field(name: str, limit: int) -> str:
        return (form.get(name) or [""])[0].strip()[:limit]

    number, password = field("number", 32), (form.get("password") or [""])[0][:128]
    counter = field("counter", 16)
    token_ok = await run_in_threadpool(_login_token_ok, app, field("csrf", 100), now)
    if not token_ok:
        return refuse("页面已过期，请重新登录 Page expired, sign in again", 403, number)
    if counter not in _all_counters(catalog):
        return refuse("请选择窗口 Choose a window", 422, number)
    try:
        who = await run_in_threadpool(check_login, app.state.engine, number, password, now)
    except LoginRefused as refused:
        if refused.reason == "locked":
            until = refused.locked_until.astimezone(app.state.queue.tz).strftime("%H:%M")  # type: ignore[union-attr]
            message = f"密码错误次数过多，账号已锁定至 {until} Too many wrong passwords: locked until {until}"
            return refuse(message, 423, number)
        message = (
            f"工号或密码错误，还可尝试 {refused.attempts_left} 次"
            f" Wrong staff number or password ({refused.attempts_left} tries left)"
        )
        return refuse(message, 401, number)
    if await run_in_threadpool(is_auditor, app.state.engine, who.staff_id):
        return refuse("审计账号只读，不能在窗口叫号 An auditor cannot work a counter", 403, number)
    session_id = await run_in_threadpool(_start_session, app, who.staff_id, counter, now)
    response = _redirect("/counter/")
    set_session_cookie(response, request, COOKIE_NAME, session_id, path="/counter",
                       max_age=int(SESSION_TTL.total_seconds()))  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    raw = await request.body()
    who = await run_in_threadpool(read_session, request)
    if who is not None:
        form = parse_qs(raw[:MAX_FORM_BYTES].decode("utf-8", errors="replace"), max_num_fields=5)
        csrf = (form.get("csrf") or [""])[0]
        if not hmac.compare_digest(csrf.encode(), who.csrf.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="CSRF token missing or wrong")
        await run_in_threadpool(_end_session, request.app, who, _now(request))
    response = _redirect("/counter/login")
    clear_session_cookie(response, COOKIE_NAME, path="/counter")
    return response


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: TicketId | None = None
    number: line(16, min_length=1) | None = None
    to: Literal["group", "counter"] | None = None
    to_group: ShortId | None = None
    to_counter: CounterId | None = None
    reason: text(100) = ""
    return_reason: ReturnReason | None = None


@router.post("/api/{action}")
async def counter_action(action: str, request: Request) -> Response:
    """One button of the page, as the signed-in staff member at the signed-in counter."""
    if action not in ACTIONS:
        return _json({"detail": f"unknown action {action!r}"}, 404)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return _json({"detail": "request too large"}, 413)
    who = await run_in_threadpool(read_session, request)
    if who is None:
        return _json({"detail": "sign in first"}, 401)
    csrf = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(csrf.encode(), who.csrf.encode()):
        return _json({"detail": "CSRF token missing or wrong"}, 403)
    try:
        body = ActionBody.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        return _json({"detail": [e["msg"] for e in exc.errors()]}, 422)
    try:
        if action == "call-next":  # the busiest button: on the loop (one statement on PostgreSQL)
            message = await _call_next(request, who)
        else:
            message = await run_in_threadpool(_run_action, request, who, action, body)
    except QueueError as exc:
        from hall.app import error_status

        return _json({"detail": str(exc)}, error_status(exc))
    state = await run_in_threadpool(page_data, request, who)
    return _json({"message": message, "state": state})


def _current_ticket_id(request: Request, who: CounterSignIn, wanted: str | None) -> str:
    if wanted:
        return wanted
    with transaction(request.app.state.engine, readonly=True) as session:
        found = session.scalar(
            select(Ticket.id)
            .where(Ticket.counter == who.counter_id, Ticket.status == "called")
            .order_by(Ticket.called_at.desc())
            .limit(1)
        )
    if found is None:
        raise HTTPException(409, detail="no ticket is being served at this window")
    return found


async def _call_next(request: Request, who: CounterSignIn) -> str:
    """叫号; returns the message the page shows (Chinese | English)."""
    app, now = request.app, _now(request)
    ticket = await queue_ops.call_next_async(app, who.counter_id, who.staff_id, now)
    if ticket is None:
        return "当前无人等候|Nobody is waiting"
    return f"已呼叫 {ticket.number}|Called {ticket.number}"


def _run_action(request: Request, who: CounterSignIn, action: str, body: ActionBody) -> str:
    """Run one action but call-next; returns the message the page shows (Chinese | English)."""
    app, now, counter = request.app, _now(request), who.counter_id
    if action in ("pause", "open"):
        queue_ops.set_paused(app, counter, action == "pause", who.staff_id, now)
        return "已暂停服务|On break" if action == "pause" else "已恢复服务|Open again"
    if action == "call":
        ticket_id = body.ticket_id or _ticket_by_number(request, who, body.number or "")
        ticket = queue_ops.call_ticket(app, counter, ticket_id, who.staff_id, now)
        return f"已指定呼叫 {ticket.number}|Called {ticket.number}"
    ticket_id = _current_ticket_id(request, who, body.ticket_id)
    transfer: dict[str, str | None] = {}
    if action == "transfer":
        if body.to == "counter":
            transfer = {"to_counter": body.to_counter, "reason": body.reason}
        else:
            transfer = {"to_group": body.to_group, "reason": body.reason}
    if action == "return":
        if body.return_reason is None:
            raise HTTPException(422, detail="choose a reason for the return (退件原因)")
        ticket = queue_ops.act(app, ticket_id, "complete", who.staff_id, now,
                               outcome="return", reason=body.return_reason)  # fmt: skip
        zh, en = RETURN_REASONS[body.return_reason]
        return f"已退件 {ticket.number}（{zh}）|Returned {ticket.number} ({en})"
    ticket = queue_ops.act(app, ticket_id, action, who.staff_id, now, **transfer)
    words = {
        "recall": ("已重呼", "Recalled"),
        "no-show": ("已过号", "No-show"),
        "complete": ("已办结", "Completed"),
        "hold": ("已挂起", "On hold"),
        "resume": ("已恢复，排在队首", "Resumed at the head of the queue"),
        "transfer": ("已转窗", "Transferred"),
    }[action]
    return f"{words[0]} {ticket.number}|{words[1]} {ticket.number}"


def _ticket_by_number(request: Request, who: CounterSignIn, number: str) -> str:
    number = number.strip().upper()
    for t in request.app.state.queue.waiting_for(who.counter_id, _now(request), limit=500):
        if t.number == number:
            return str(t.id)
    raise HTTPException(404, detail=f"{number or '?'} is not waiting for this window")


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    return static_response(name, _STATIC_TYPES)
