"""Call display boards: the full state, the push stream and the page ``/board/``.

- ``GET /api/v1/board/state`` — the calls now (the latest called ticket of each counter),
  the last calls, counters on break and the waiting count per group; ``?groups=a,b``
  limits it to some window groups (a zone of the hall).
- ``GET /api/v1/board/events`` — Server-Sent Events: a ``hello`` when subscribed (the page
  then loads the full state, so nothing falls between the two), every queue event
  (``call``, ``recall``, ``no_show``, ``complete``, …, see ``hall.events``) as an SSE event
  of that name, and a ``heartbeat`` event every ``HALL_BOARD_HEARTBEAT_S`` seconds (default
  2) so that a page notices a dead connection (SSE comments never reach a page's script).
  A call or recall carries ``audio_url``, the spoken call (``hall.announcements``).
  ``?groups=`` filters like the state, ``?counter=`` keeps one counter's events (the window
  evaluator's). With several server processes on PostgreSQL every process's stream carries
  every event (LISTEN/NOTIFY, ``hall.events.PgEventHub``).
- ``GET /board/`` — the page for a hall TV (plain script ``hall/static/board.js``).

Authorization: none, on purpose — a board is a public screen. What these routes send is
public-safe by construction: ticket numbers, counter numbers, group ids and names, counts
and times; never a ticket id, a name (not even masked), a holder hash, an item or a staff
member. Inputs are bounded (``groups`` ≤ 200 characters of known group ids, ``counter`` a
known counter).

Counters on break are the counters the counter workstation paused (``counter_state``,
``POST /api/v1/counters/{id}/pause``); a ``pause``/``open`` event makes the page redraw.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import func, select

from contract.fields import line
from hall.announcements import audio_url
from hall.db import transaction
from hall.events import HallEvent
from hall.models import CounterState, Ticket
from hall.numbering import numbering_period, service_day
from hall.web_session import security_headers, static_response

LAST_CALLS = 8
"""How many earlier calls the board lists under the calls now."""
HEARTBEAT_ENV = "HALL_BOARD_HEARTBEAT_S"
DEFAULT_HEARTBEAT_S = 2.0
SOUND_KINDS = frozenset({"call", "recall"})
PUBLIC_FIELDS = ("kind", "at", "ticket_number", "counter_id", "group_id")

STATIC_TYPES = {
    "board.js": "text/javascript; charset=utf-8",
    "board.css": "text/css; charset=utf-8",
    "rate.js": "text/javascript; charset=utf-8",
    "rate.css": "text/css; charset=utf-8",
    "citizen.js": "text/javascript; charset=utf-8",  # the evaluator's, before rate.js
}
SECURITY_HEADERS = security_headers(media_src="'self'")  # the spoken calls

router = APIRouter(tags=["board"])


def heartbeat_s() -> float:
    try:
        return max(0.2, float(os.environ.get(HEARTBEAT_ENV) or DEFAULT_HEARTBEAT_S))
    except ValueError:
        return DEFAULT_HEARTBEAT_S


def parse_groups(request: Request, groups: str | None) -> frozenset[str] | None:
    """The groups a board shows (None: all); 422 naming an unknown group."""
    if not groups:
        return None
    known = {g.id for g in request.app.state.catalog.groups}
    wanted = frozenset(g.strip() for g in groups.split(",") if g.strip())
    unknown = sorted(wanted - known)
    if unknown:
        raise HTTPException(
            422,
            f"unknown window group(s): {', '.join(unknown)[:100]}; known: {', '.join(sorted(known))}",
        )
    return wanted or None


def public_event(event: HallEvent) -> dict[str, Any]:
    """What a board may see of an event: number, counter, group, kind, time (+ audio)."""
    data = event.as_json()
    out = {name: data[name] for name in PUBLIC_FIELDS}
    if event.kind in SOUND_KINDS and event.ticket_number and event.counter_id:
        out["audio_url"] = audio_url(event.ticket_number, event.counter_id)
    return out


def in_scope(
    event: HallEvent, groups: frozenset[str] | None, counters: frozenset[str] | None
) -> bool:
    if event.kind == "resync":
        return True
    if counters is not None and event.counter_id not in counters:
        return False
    if groups is not None and event.group_id is not None and event.group_id not in groups:
        return False
    return True


def sse_bytes(event: HallEvent) -> bytes:
    """The event as an SSE message, encoded once however many streams send it."""
    cached: bytes | None = event.__dict__.get("_sse_bytes")
    if cached is None:
        cached = _sse(event.kind, public_event(event)).encode()
        object.__setattr__(event, "_sse_bytes", cached)  # a cache on a frozen dataclass
    return cached


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


# -- the full state -------------------------------------------------------------------------
def board_state(app: Any, groups: frozenset[str] | None, now: dt.datetime) -> dict[str, Any]:
    catalog = app.state.catalog
    tz = app.state.queue.tz
    day = service_day(now, tz)
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    shown = [g for g in catalog.groups if groups is None or g.id in groups]
    group_ids = [g.id for g in shown]
    t = Ticket.__table__
    with transaction(app.state.engine, readonly=True) as session:
        recent = session.execute(
            select(
                t.c.number,
                t.c.counter,
                t.c.window_group,
                t.c.status,
                t.c.called_at,
                t.c.recall_count,
            )  # fmt: skip
            .where(
                t.c.called_at >= day_start,
                t.c.counter.is_not(None),
                t.c.window_group.in_(group_ids),
            )
            .order_by(t.c.called_at.desc())
            .limit(200)
        ).all()
        waiting: dict[str, int] = {}
        for g in shown:
            waiting[g.id] = (
                session.scalar(
                    select(func.count())
                    .select_from(t)
                    .where(
                        t.c.window_group == g.id,
                        t.c.period == numbering_period(g.daily_reset, day),
                        t.c.status == "waiting",
                    )
                )
                or 0
            )
        paused = set(
            session.scalars(select(CounterState.counter_id).where(CounterState.paused.is_(True)))
        )
    calls_now: list[dict[str, Any]] = []
    seen_counters: set[str] = set()
    for row in recent:
        if row.counter in seen_counters:
            continue
        seen_counters.add(row.counter)
        if row.status == "called":
            calls_now.append(_call(row))
    now_numbers = {(c["ticket_number"], c["counter_id"]) for c in calls_now}
    last_calls = [_call(row) for row in recent if (row.number, row.counter) not in now_numbers][
        :LAST_CALLS
    ]
    counters = {c for g in shown for c in g.counters}
    on_break = sorted(paused & counters, key=_counter_order)
    return {
        "hall_name": catalog.hall_name,
        "hall_name_en": catalog.hall_name_en,
        "generated_at": now.astimezone(dt.UTC).isoformat(),
        "groups": [
            {
                "id": g.id,
                "name": g.name,
                "name_en": g.name_en,
                "prefix": g.prefix,
                "counters": list(g.counters),
                "waiting": waiting[g.id],
            }
            for g in shown
        ],
        "calls_now": calls_now,
        "last_calls": last_calls,
        "counters_on_break": on_break,
    }


def _counter_order(counter: str) -> tuple[int, str]:
    return (int(counter), "") if counter.isdigit() else (10**9, counter)


def _call(row: Any) -> dict[str, Any]:
    return {
        "ticket_number": row.number,
        "counter_id": row.counter,
        "group_id": row.window_group,
        "status": row.status,
        "called_at": row.called_at.astimezone(dt.UTC).isoformat(),
        "recall_count": row.recall_count,
        "audio_url": audio_url(row.number, row.counter),
    }


@router.get("/api/v1/board/state")
async def get_board_state(
    request: Request, groups: Annotated[line(200) | None, Query()] = None
) -> dict[str, Any]:
    """The board's full current state (public: numbers, counters, groups, counts only).

    Authorization: none — a board is a public screen and this holds no personal data.
    """
    wanted = parse_groups(request, groups)
    now = request.app.state.clock()
    return await run_in_threadpool(board_state, request.app, wanted, now)


@router.get("/api/v1/board/events", response_class=StreamingResponse)
async def board_events(
    request: Request,
    groups: Annotated[line(200) | None, Query()] = None,
    counter: Annotated[line(16) | None, Query()] = None,
) -> StreamingResponse:
    """Server-Sent Events: ``hello``, then every queue event, ``heartbeat`` in between.

    Authorization: none — public like the board; events carry number, counter, group only.
    """
    wanted = parse_groups(request, groups)
    counters: frozenset[str] | None = None
    if counter is not None:
        if not any(counter in g.counters for g in request.app.state.catalog.groups):
            raise HTTPException(404, f"unknown counter {counter[:16]!r}")
        counters = frozenset({counter})
    hub = request.app.state.events
    beat = heartbeat_s()
    clock = request.app.state.clock

    async def stream() -> Any:
        with hub.subscription(lambda e: in_scope(e, wanted, counters)) as queue:
            hello = {"at": clock().astimezone(dt.UTC).isoformat(), "heartbeat_s": beat}
            yield f"retry: 1000\n{_sse('hello', hello)}"
            while True:
                try:
                    async with asyncio.timeout(beat):
                        event = await queue.get()
                except TimeoutError:
                    yield _sse("heartbeat", {"at": clock().astimezone(dt.UTC).isoformat()})
                    continue
                batch = [event]
                while not queue.empty():  # what queued meanwhile goes out in one write
                    batch.append(queue.get_nowait())
                yield b"".join(sse_bytes(e) for e in batch)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# -- the page -------------------------------------------------------------------------------
def _page(title: str, body: str, css: str, *scripts: str) -> str:
    tags = "".join(f'<script src="/board/static/{name}" defer></script>' for name in scripts)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="/board/static/{css}">'
        f"{tags}</head><body>{body}</body></html>"
    )


BOARD_BODY = """
<header class="top">
  <h1 id="hall-name" data-zh="叫号信息" data-en="Calls">叫号信息</h1>
  <div class="right">
    <span id="clock"></span>
    <button id="lang" type="button">English</button>
  </div>
</header>
<div id="conn" class="conn" role="alert" hidden
     data-zh="连接中断，正在重连" data-en="Connection lost, reconnecting">连接中断，正在重连</div>
<button id="sound" class="sound" type="button" hidden
        data-zh="点击开启声音" data-en="Tap to enable sound">点击开启声音</button>
<main>
  <section class="now">
    <h2 data-zh="正在叫号" data-en="Now calling">正在叫号</h2>
    <ol id="calls-now" aria-live="assertive"></ol>
  </section>
  <aside>
    <section>
      <h2 data-zh="最近叫号" data-en="Last calls">最近叫号</h2>
      <ol id="last-calls"></ol>
    </section>
    <section>
      <h2 data-zh="等候人数" data-en="Waiting">等候人数</h2>
      <ul id="waiting"></ul>
    </section>
    <section>
      <h2 data-zh="暂停服务窗口" data-en="Counters on break">暂停服务窗口</h2>
      <ul id="breaks"></ul>
    </section>
  </aside>
</main>
"""


@router.get("/board/", include_in_schema=False)
def board_page() -> Response:
    """The call board page (public; ``?groups=a,b`` is read by its script)."""
    return HTMLResponse(
        _page("叫号大屏 Call board", BOARD_BODY, "board.css", "board.js"),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("/board/static/{name}", include_in_schema=False)
def board_static(name: str) -> Response:
    """The board's and the evaluator's script and style (public)."""
    return static_response(name, STATIC_TYPES, SECURITY_HEADERS)
