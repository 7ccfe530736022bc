"""The staff web page ``/staff/``: every kiosk of the hall and its problems, live.

Hall staff log in with their staff token (``python -m hall add-staff``); the server answers
with a session cookie (HttpOnly, SameSite=Strict, path /staff) holding the staff id, an
expiry and an HMAC over both and the staff's token hash, keyed by the session key of the
key file (``hall.keys``, never the database). Rotating or removing a token therefore ends its sessions too.

The page is rendered on the server (it reads without JavaScript) and then refreshed by a
small plain script (``hall/static/staff.js``) that polls ``/staff/kiosks.json`` every
``POLL_MS`` and rebuilds the table with ``textContent`` only. Everything is served by this
app, no CDN, no build step; the Content-Security-Policy forbids inline scripts and any
other origin. Lost kiosks and problems are marked by an icon and words, not only colour.

POSTs that change something need the session cookie and, for the JSON ones, the header
``X-Staff-Page: 1``: a cross-site form cannot send that header, and SameSite=Strict keeps
the cookie off cross-site requests in the first place.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select

from contract.fields import RowId
from hall.auth import Principal
from hall.cases import urgent_case_alerts
from hall.db import hash_token, transaction
from hall.help import close_help_request, list_help_requests
from hall.models import Staff, StaffWebLogout
from hall.monitoring import (
    DEVICE_NAMES,
    DEVICE_STATE_NAMES,
    PROBLEM_TEXTS,
    KioskOut,
    duration_zh,
    hall_faults,
    list_kiosks,
)
from hall.numbering import DEFAULT_TIMEZONE
from hall.service_levels import current_alerts, kiosk_paper_alerts
from hall.web_session import (
    NO_STORE,
    clear_session_cookie,
    cookie_digest,
    html_page,
    redirect,
    set_session_cookie,
    stamp_token,
    stamp_token_ok,
    static_response,
)

COOKIE_NAME = "hall_staff"
SESSION_TTL_S = 12 * 3600
"""A session lasts one working day, seconds."""
POLL_MS = 2500
"""How often the page refreshes the kiosk list, milliseconds."""
MAX_FORM_BYTES = 4096

_STATIC_TYPES = {
    "staff.js": "text/javascript; charset=utf-8",
    "staff.css": "text/css; charset=utf-8",
}
_key_lock = threading.Lock()

STATE_LABELS: dict[str, tuple[str, str]] = {
    "ok": ("✓", "正常"),
    "problem": ("⚠", "有问题"),
    "lost": ("✕", "失联"),
    "never_seen": ("?", "从未连接"),
}
"""Kiosk state → (icon, Chinese word); the page shows both, never colour alone."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(_session_key, app)  # create the secret once, at start-up
    yield


router = APIRouter(
    prefix="/staff", tags=["staff page"], include_in_schema=False, lifespan=_lifespan
)


# -- sessions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffSession:
    staff_id: int
    name: str


def _session_key(app: FastAPI) -> bytes:
    key: bytes | None = getattr(app.state, "staff_session_key", None)
    if key is None:
        with _key_lock:
            key = getattr(app.state, "staff_session_key", None)
            if key is None:
                key = app.state.keys.session
                app.state.staff_session_key = key
    return key


def _signature(key: bytes, staff_id: int, expires: int, token_hash: str) -> str:
    message = f"v1|{staff_id}|{expires}|{token_hash}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def make_session_cookie(app: FastAPI, staff_id: int, token_hash: str, now: dt.datetime) -> str:
    expires = int(now.timestamp()) + SESSION_TTL_S
    return f"{staff_id}.{expires}.{_signature(_session_key(app), staff_id, expires, token_hash)}"


def csrf_token(app: FastAPI, raw_cookie: str) -> str:
    """The staff page's form token: bound to this session cookie (logout form)."""
    mac = hmac.new(_session_key(app), f"csrf|{raw_cookie}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


LOGIN_FORM_TTL_S = 3600


def login_form_token(app: FastAPI, now: dt.datetime, stamp: int | None = None) -> str:
    """The login form's token (a signed time): a cross-site form cannot have one."""
    stamp = int(now.timestamp()) if stamp is None else stamp
    return stamp_token(_session_key(app), "staff-login", stamp)


def login_form_token_ok(app: FastAPI, token: str, now: dt.datetime) -> bool:
    return stamp_token_ok(_session_key(app), "staff-login", token, now, LOGIN_FORM_TTL_S)


def read_session(request: Request) -> StaffSession | None:
    """The logged-in member of staff, or None (no, expired, forged, revoked or logged-out
    cookie)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or len(raw) > 200:
        return None
    parts = raw.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    staff_id, expires, signature = int(parts[0]), int(parts[1]), parts[2]
    if expires <= _now(request).timestamp():
        return None
    with transaction(request.app.state.engine, readonly=True) as session:
        row = session.get(Staff, staff_id)
        if row is None or session.get(StaffWebLogout, cookie_digest(raw)) is not None:
            return None
        name, token_hash = row.name, row.token_hash
    expected = _signature(_session_key(request.app), staff_id, expires, token_hash)
    if not hmac.compare_digest(expected, signature):
        return None
    return StaffSession(staff_id, name)


def _staff_by_token(request: Request, token: str) -> tuple[int, str] | None:
    digest = hash_token(token)
    with transaction(request.app.state.engine, readonly=True) as session:
        row = session.execute(
            select(Staff.id, Staff.token_hash).where(Staff.token_hash == digest)
        ).first()
    return (row[0], row[1]) if row is not None else None


# -- what the page shows ---------------------------------------------------------------------------
def _hall_tz() -> dt.tzinfo:
    try:
        return ZoneInfo(os.environ.get("HALL_TIMEZONE") or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _clock_text(when: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> str:
    local = when.astimezone(tz)
    fmt = "%H:%M:%S" if local.date() == now.astimezone(tz).date() else "%m-%d %H:%M:%S"
    return local.strftime(fmt)


def kiosk_row(k: KioskOut, now: dt.datetime, tz: dt.tzinfo) -> dict[str, Any]:
    """One table row as display texts; the server and the script render the same dict."""
    icon, word = STATE_LABELS[k.state]
    devices = []
    for device, device_name in DEVICE_NAMES.items():
        state = getattr(k.devices, device) if k.devices is not None else None
        bad = state is not None and f"{device}:{state}" in PROBLEM_TEXTS
        text = DEVICE_STATE_NAMES.get(state, state) if state is not None else "—"
        devices.append(
            {"device": device, "name": device_name, "state": state, "text": text, "bad": bad}
        )
    if k.last_seen is not None:
        ago = duration_zh(k.silent_s or 0.0)
        last_seen = f"{_clock_text(k.last_seen, now, tz)}（{ago}前）"
    else:
        last_seen = "—"
    catalog = k.catalog_version or "—"
    if k.catalog_current is False:
        catalog += "（非最新）"
    return {
        "id": k.id,
        "state": k.state,
        "state_icon": icon,
        "state_text": word,
        "last_seen_text": last_seen,
        "devices": devices,
        "backlog_text": "—" if k.outbox_backlog is None else str(k.outbox_backlog),
        "version_text": k.version or "—",
        "catalog_text": catalog,
        "problems": k.problems,
    }


def summary_text(kiosks: list[KioskOut]) -> str:
    counts = {state: 0 for state in STATE_LABELS}
    for k in kiosks:
        counts[k.state] += 1
    parts = "，".join(f"{STATE_LABELS[s][1]} {n}" for s, n in counts.items())
    return f"共 {len(kiosks)} 台：{parts}"


def page_data(request: Request) -> dict[str, Any]:
    """Everything the page shows: kiosks, summary, open help requests."""
    now = _now(request)
    tz = _hall_tz()
    kiosks = list_kiosks(request.app, now)
    faults = hall_faults(request.app)
    helps = list_help_requests(Principal("staff", "0"), request, "open")
    return {
        # Service-level alerts of every group (hall.service_levels), cleared on recovery.
        "sla_alerts": [
            {"group_id": a.group_id, "text": a.text, "text_en": a.text_en}
            for a in current_alerts(request.app, now)
        ]
        + kiosk_paper_alerts(request.app, now)
        # 办不成事 cases above ordinary severity, until someone takes them (issue 17)
        + urgent_case_alerts(request.app.state.engine, now),
        "generated_at": now.isoformat(),
        "generated_text": _clock_text(now, now, tz),
        "summary": "；".join([*faults, summary_text(kiosks)]),
        "alarm": bool(faults) or any(k.state in ("problem", "lost") for k in kiosks),
        "kiosks": [kiosk_row(k, now, tz) for k in kiosks],
        "help_requests": [
            {
                "id": h.id,
                "time_text": _clock_text(h.created_at, now, tz),
                "kiosk_id": h.kiosk_id,
                "screen": h.screen,
                "elder_text": "长辈版" if h.elder else "标准版",
            }
            for h in helps
        ],
    }


# -- HTML ------------------------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _row_html(row: dict[str, Any]) -> str:
    cells = [
        f'<td class="state"><span class="badge"><span class="icon" aria-hidden="true">'
        f"{_e(row['state_icon'])}</span> {_e(row['state_text'])}</span></td>",
        f'<th scope="row" class="kiosk-id">{_e(row["id"])}</th>',
        f'<td class="last-seen">{_e(row["last_seen_text"])}</td>',
    ]
    for d in row["devices"]:
        mark = '<span class="icon" aria-hidden="true">⚠</span> ' if d["bad"] else ""
        css = "dev dev-bad" if d["bad"] else "dev"
        cells.append(
            f'<td class="{css}" data-device="{_e(d["device"])}">{mark}{_e(d["text"])}</td>'
        )
    cells.append(f'<td class="backlog">{_e(row["backlog_text"])}</td>')
    cells.append(f'<td class="version">{_e(row["version_text"])}</td>')
    cells.append(f'<td class="catalog">{_e(row["catalog_text"])}</td>')
    if row["problems"]:
        items = "".join(f"<li>{_e(p)}</li>" for p in row["problems"])
        cells.append(f'<td class="problems"><ul>{items}</ul></td>')
    else:
        cells.append('<td class="problems none">无</td>')
    return (
        f'<tr class="state-{_e(row["state"])}" data-kiosk-id="{_e(row["id"])}"'
        f' data-state="{_e(row["state"])}">{"".join(cells)}</tr>'
    )


def _help_html(h: dict[str, Any]) -> str:
    return (
        f'<tr data-help-id="{_e(h["id"])}"><td>{_e(h["time_text"])}</td>'
        f'<th scope="row">{_e(h["kiosk_id"])}</th><td>{_e(h["screen"])}</td>'
        f'<td>{_e(h["elder_text"])}</td><td><button type="button" class="close-help"'
        f' data-help-id="{_e(h["id"])}">已处理</button></td></tr>'
    )


def _document(title: str, body: str, *, body_attrs: str = "", script: bool = False) -> str:
    script_tag = '<script src="/staff/static/staff.js" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)}</title><link rel="stylesheet" href="/staff/static/staff.css">'
        f"{script_tag}</head><body{body_attrs}>{body}</body></html>"
    )


_DEVICE_HEADERS = "".join(f'<th scope="col">{_e(name)}</th>' for name in DEVICE_NAMES.values())


def render_page(hall_name: str, who: StaffSession, data: dict[str, Any], csrf: str = "") -> str:
    rows = "".join(_row_html(r) for r in data["kiosks"])
    helps = "".join(_help_html(h) for h in data["help_requests"])
    body = f"""
<header class="top">
  <h1>{_e(hall_name)} · 自助终端监控</h1>
  <div class="who"><a href="/staff/work/">工作队列（办不成事、差评整改）</a> · 工作人员：<span id="staff-name">{_e(who.name)}</span>
    <form method="post" action="/staff/logout" class="inline"><input type="hidden" name="csrf" value="{_e(csrf)}"><button type="submit">退出登录</button></form>
  </div>
</header>
<main>
  <p id="summary" class="summary{" alarm" if data["alarm"] else ""}" role="status" aria-live="polite">{_e(data["summary"])}</p>
  <p class="refresh">每 {POLL_MS / 1000:g} 秒自动刷新 · 最后刷新 <span id="generated">{_e(data["generated_text"])}</span></p>
  <p id="conn-error" class="conn-error" role="alert" hidden><span class="icon" aria-hidden="true">⚠</span> 与服务器的连接中断，正在重试…</p>
  <ul id="sla-alerts" class="sla-alerts" role="alert"{"" if data["sla_alerts"] else " hidden"}>{"".join(f'<li data-group="{_e(a["group_id"])}"><span class="icon" aria-hidden="true">⚠</span> {_e(a["text"])}</li>' for a in data["sla_alerts"])}</ul>
  <table id="kiosks" class="kiosks">
    <caption>自助终端</caption>
    <thead><tr><th scope="col">状态</th><th scope="col">终端编号</th><th scope="col">最后心跳</th>{_DEVICE_HEADERS}<th scope="col">待上传</th><th scope="col">软件版本</th><th scope="col">服务目录</th><th scope="col">问题</th></tr></thead>
    <tbody id="kiosk-rows">{rows}</tbody>
  </table>
  <p id="no-kiosks" class="empty"{"" if not data["kiosks"] else " hidden"}>尚未登记任何终端（python -m hall add-kiosk）。</p>
  <section aria-labelledby="help-title">
    <h2 id="help-title">求助请求</h2>
    <table id="help" class="help"{" hidden" if not data["help_requests"] else ""}>
      <thead><tr><th scope="col">时间</th><th scope="col">终端</th><th scope="col">所在页面</th><th scope="col">界面</th><th scope="col">操作</th></tr></thead>
      <tbody id="help-rows">{helps}</tbody>
    </table>
    <p id="no-help" class="empty"{"" if not data["help_requests"] else " hidden"}>暂无求助。</p>
  </section>
</main>"""
    return _document(
        f"终端监控 · {hall_name}", body, body_attrs=f' data-poll-ms="{POLL_MS}"', script=True
    )


def render_login(hall_name: str, error: str | None = None, form_token: str = "") -> str:
    alert = (
        f'<p class="error" role="alert"><span class="icon" aria-hidden="true">✕</span> {_e(error)}</p>'
        if error
        else ""
    )
    body = f"""
<main class="login">
  <h1>{_e(hall_name)} · 工作人员登录</h1>
  {alert}
  <form method="post" action="/staff/login">
    <label for="token">工作人员令牌</label>
    <input type="hidden" name="login" value="{_e(form_token)}">
    <input id="token" name="token" type="password" autocomplete="off" required autofocus>
    <button type="submit">登录</button>
  </form>
  <p class="hint">令牌由管理员使用 <code>python -m hall add-staff 姓名</code> 生成。</p>
</main>"""
    return _document(f"工作人员登录 · {hall_name}", body)


_html = html_page
_redirect = redirect


# -- routes ----------------------------------------------------------------------------------------
@router.get("/")
def staff_page(request: Request) -> Response:
    who = read_session(request)
    if who is None:
        return _redirect("/staff/login")
    csrf = csrf_token(request.app, request.cookies.get(COOKIE_NAME, ""))
    return _html(render_page(request.app.state.catalog.hall_name, who, page_data(request), csrf))


@router.get("/kiosks.json")
def staff_kiosks_json(request: Request) -> Response:
    if read_session(request) is None:
        return JSONResponse({"detail": "login required"}, status_code=401, headers=NO_STORE)
    return JSONResponse(page_data(request), headers=NO_STORE)


@router.get("/login")
def login_form(request: Request) -> Response:
    if read_session(request) is not None:
        return _redirect("/staff/")
    token = login_form_token(request.app, _now(request))
    return _html(render_login(request.app.state.catalog.hall_name, form_token=token))


@router.post("/login")
async def login(request: Request) -> Response:
    raw = await request.body()
    hall_name = request.app.state.catalog.hall_name
    if len(raw) > MAX_FORM_BYTES:
        return _html(render_login(hall_name, "请求过大"), status.HTTP_413_CONTENT_TOO_LARGE)
    form = parse_qs(raw.decode("utf-8", errors="replace"), max_num_fields=10)
    now = _now(request)
    fresh = await run_in_threadpool(login_form_token, request.app, now)

    def again(message: str, code: int) -> Response:
        return _html(render_login(hall_name, message, form_token=fresh), code)

    form_token = (form.get("login") or [""])[0]
    if not await run_in_threadpool(login_form_token_ok, request.app, form_token, now):
        # not from this server's form (a cross-site post), or the form is over an hour old
        return again("登录页面已过期，请重新输入令牌", status.HTTP_403_FORBIDDEN)
    token = (form.get("token") or [""])[0].strip()[:200]
    found = await run_in_threadpool(_staff_by_token, request, token) if token else None
    if found is None:
        return again("令牌无效，请重新输入", status.HTTP_401_UNAUTHORIZED)
    staff_id, token_hash = found
    cookie = await run_in_threadpool(
        make_session_cookie, request.app, staff_id, token_hash, _now(request)
    )
    response = _redirect("/staff/")
    set_session_cookie(response, request, COOKIE_NAME, cookie, path="/staff",
                       max_age=SESSION_TTL_S)  # fmt: skip
    return response


def _log_out(request: Request, raw_cookie: str) -> None:
    """Refuse this cookie from now on (every server process reads the table)."""
    now = _now(request)
    expires = dt.datetime.fromtimestamp(int(raw_cookie.split(".")[1]), dt.UTC)
    with transaction(request.app.state.engine) as session:
        session.execute(delete(StaffWebLogout).where(StaffWebLogout.expires_at < now))
        if session.get(StaffWebLogout, cookie_digest(raw_cookie)) is None:
            session.add(StaffWebLogout(cookie_hash=cookie_digest(raw_cookie), expires_at=expires))


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session: server-side too (a copy of the cookie stops working). Needs the
    page's form token; without a valid session there is nothing to end."""
    raw = await request.body()
    who = await run_in_threadpool(read_session, request)
    if who is not None:
        form = parse_qs(raw[:MAX_FORM_BYTES].decode("utf-8", errors="replace"), max_num_fields=5)
        cookie = request.cookies[COOKIE_NAME]
        expected = await run_in_threadpool(csrf_token, request.app, cookie)
        sent = (form.get("csrf") or [""])[0]
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="CSRF token missing or wrong")
        await run_in_threadpool(_log_out, request, cookie)
    response = _redirect("/staff/login")
    clear_session_cookie(response, COOKIE_NAME, path="/staff")
    return response


@router.post("/help-requests/{request_id}/close")
def staff_close_help(request_id: RowId, request: Request) -> Response:
    who = read_session(request)
    if who is None:
        return JSONResponse({"detail": "login required"}, status_code=401, headers=NO_STORE)
    if request.headers.get("x-staff-page") != "1":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="X-Staff-Page header required")
    closed = close_help_request(request_id, Principal("staff", str(who.staff_id)), request)
    return JSONResponse(closed.model_dump(mode="json"), headers=NO_STORE)


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    return static_response(name, _STATIC_TYPES)
