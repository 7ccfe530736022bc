"""Kiosk monitoring: heartbeats in, each kiosk's state and problems out.

Every kiosk posts a heartbeat every ``interval_s`` seconds with the state of its devices,
its outbox backlog and its alerts. The server keeps the latest one per kiosk (table
``kiosk_status``) and a short history of problems (``kiosk_problem_events``), and turns
device states into sentences for hall staff ("打印机缺纸").

A kiosk's state is computed when read, from the server clock (``app.state.clock``):

- ``never_seen``: registered with ``python -m hall add-kiosk`` but no heartbeat yet;
- ``lost``: no heartbeat for ``lost_after_missed`` × the kiosk's own interval;
- ``problem``: the last heartbeat reported at least one problem;
- ``ok``: otherwise.

Settings (environment variables, read at start-up; tests set ``app.state.monitoring``):
``HALL_LOST_AFTER_MISSED`` (missed heartbeats before a kiosk is lost, default 3),
``HALL_OUTBOX_BACKLOG_WARN`` (outbox entries from which the backlog is a problem,
default 10), ``HALL_PROBLEM_HISTORY`` (problem events kept per kiosk, default 50).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contract.api import DeviceStates, Heartbeat, HeartbeatReply
from contract.errors import ConfigError
from contract.fields import ShortId
from hall.auth import KioskPrincipal, StaffPrincipal
from hall.catalog_api import catalog_payload
from hall.db import dialect_insert, transaction
from hall.models import Evaluator, Kiosk
from hall.models_monitoring import KioskProblemEvent, KioskStatus

log = logging.getLogger(__name__)

KioskState = Literal["ok", "problem", "lost", "never_seen"]
DEVICE_NAMES: dict[str, str] = {
    "card_reader": "读卡器",
    "printer": "打印机",
    "camera": "摄像头",
    "voice": "语音",
}
"""Device kinds in display order, with their Chinese names."""

DEVICE_STATE_NAMES: dict[str, str] = {
    "ok": "正常",
    "unknown": "未知",
    "offline": "离线",
    "sam_fault": "安全模块故障",
    "near_end": "纸将用完",
    "paper_out": "缺纸",
    "cover_open": "纸仓盖未关",
    "error": "故障",
    "missing": "未连接",
    "silent": "无声",
}
"""Short Chinese names of device states, for the staff page's device columns."""

PROBLEM_TEXTS: dict[str, str] = {
    "card_reader:offline": "读卡器离线",
    "card_reader:sam_fault": "读卡器安全模块（SAM）故障",
    "printer:near_end": "打印纸将用完",
    "printer:paper_out": "打印机缺纸",
    "printer:cover_open": "打印机纸仓盖未关",
    "printer:offline": "打印机离线",
    "printer:error": "打印机故障",
    "camera:missing": "摄像头未连接",
    "voice:silent": "语音不可用（无声卡）",
    "catalog:invalid": "服务目录无效，正在使用旧版本",
    "catalog:fetch_failed": "无法获取服务目录，正在使用旧版本",
    "disk:low": "终端磁盘空间不足",
    "clock:skew": "终端时间不准",
    "offline:issuing": "连不上叫号服务器，正在离线取号（用预留号码）",
    "offline:backlog": "离线号票待补传到服务器",
    "offline:reserve_exhausted": "离线预留号码已用完，群众被引导到服务台取号",
}
"""Problem code → sentence for staff. A device problem's code is ``device:state``; a
kiosk's alert with the same code is the same problem. ``unknown`` states are not problems
(some printers cannot report status); other unknown alerts are shown with their code."""


@dataclass(frozen=True)
class MonitoringSettings:
    lost_after_missed: float = 3.0
    """Missed heartbeats (in units of the kiosk's own interval) before it is lost."""
    backlog_warn: int = 10
    """Outbox entries waiting for upload from which the backlog is reported."""
    history_per_kiosk: int = 50
    """Problem events kept per kiosk; older finished ones are deleted."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> MonitoringSettings:
        """Read HALL_LOST_AFTER_MISSED, HALL_OUTBOX_BACKLOG_WARN, HALL_PROBLEM_HISTORY."""
        default = cls()
        return cls(
            lost_after_missed=_env_number(
                environ, "HALL_LOST_AFTER_MISSED", default.lost_after_missed, float, 1.0
            ),
            backlog_warn=_env_number(environ, "HALL_OUTBOX_BACKLOG_WARN", default.backlog_warn, int, 1),
            history_per_kiosk=_env_number(
                environ, "HALL_PROBLEM_HISTORY", default.history_per_kiosk, int, 1
            ),
        )  # fmt: skip


N = TypeVar("N", int, float)


def _env_number(environ: Mapping[str, str], name: str, default: N, kind: type[N], minimum: N) -> N:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"environment {name}={raw!r}: expected a number") from None
    if value < minimum:
        raise ConfigError(f"environment {name}={raw!r}: must be at least {minimum}")
    return value


def monitoring_settings(app: FastAPI) -> MonitoringSettings:
    """The app's settings: ``app.state.monitoring`` if set, else from the environment."""
    settings: MonitoringSettings | None = getattr(app.state, "monitoring", None)
    if settings is None:
        settings = MonitoringSettings.from_env()
        app.state.monitoring = settings
    return settings


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    monitoring_settings(app)  # a bad environment variable stops start-up, not a request
    yield


router = APIRouter(prefix="/api/v1/kiosks", tags=["monitoring"], lifespan=_lifespan)


# -- request and response bodies ----------------------------------------------------------
class KioskOut(BaseModel):
    """One kiosk as staff see it. Device fields are None until the first heartbeat."""

    id: str
    state: KioskState
    last_seen: dt.datetime | None
    silent_s: float | None = Field(description="seconds since the last heartbeat")
    interval_s: float | None
    lost_after_s: float | None = Field(description="silence after which the kiosk is lost")
    version: str | None
    devices: DeviceStates | None
    outbox_backlog: int | None
    alerts: list[str]
    catalog_version: str | None
    catalog_current: bool | None = Field(
        description="the kiosk uses the server's catalog (None: it did not say)"
    )
    problems: list[str] = Field(description="Chinese sentences; a lost kiosk's come first")


class ProblemEventOut(BaseModel):
    code: str
    text: str
    started_at: dt.datetime
    ended_at: dt.datetime | None


class KioskDetail(KioskOut):
    history: list[ProblemEventOut] = Field(description="recent problems, newest first")


# -- logic ------------------------------------------------------------------------------------
def derive_problems(hb: Heartbeat, settings: MonitoringSettings) -> list[tuple[str, str]]:
    """(code, sentence) of every problem in a heartbeat, devices first, without duplicates."""
    found: dict[str, str] = {}
    for device in DEVICE_NAMES:
        state = getattr(hb.devices, device)
        code = f"{device}:{state}"
        if code in PROBLEM_TEXTS:
            found[code] = PROBLEM_TEXTS[code]
    for alert in hb.alerts:
        if alert in found:
            continue
        device, _, state = alert.partition(":")
        if state in ("ok", "unknown") and device in DEVICE_NAMES:
            continue
        found[alert] = PROBLEM_TEXTS.get(alert, f"终端报警：{alert}")
    if hb.outbox_backlog >= settings.backlog_warn:
        found["outbox:backlog"] = f"待上传 {hb.outbox_backlog} 条"
    return list(found.items())


def lost_text(silent_s: float) -> str:
    return f"失去联系（{duration_zh(silent_s)}无心跳）"


def duration_zh(seconds: float) -> str:
    """A rough Chinese duration: "8 秒", "5 分钟", "2 小时", "3 天"."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s} 秒"
    if s < 2 * 3600:
        return f"{s // 60} 分钟"
    if s < 2 * 86400:
        return f"{s // 3600} 小时"
    return f"{s // 86400} 天"


def record_heartbeat(
    session: Session,
    kiosk_id: str,
    hb: Heartbeat,
    now: dt.datetime,
    settings: MonitoringSettings,
) -> list[str]:
    """Store a heartbeat and update the problem history; return the problems' sentences."""
    problems = derive_problems(hb, settings)
    previous = session.get(KioskStatus, kiosk_id)
    if previous is not None:
        was_lost_at = _lost_since(previous, settings)
        if was_lost_at < now:
            # The kiosk was lost and is back: keep that in the history too.
            session.add(KioskProblemEvent(kiosk_id=kiosk_id, code="lost", text="失去联系",
                                          started_at=was_lost_at, ended_at=now))  # fmt: skip
    values = {
        "version": hb.version,
        "interval_s": hb.interval_s,
        "devices": hb.devices.model_dump(),
        "outbox_backlog": hb.outbox_backlog,
        "alerts": list(hb.alerts),
        "catalog_version": hb.catalog_version,
        "problems": [text for _, text in problems],
        "last_seen": now,
    }
    # An upsert: two heartbeats of a new kiosk racing (a retry) cannot collide, and on
    # PostgreSQL the row lock serialises the history update below per kiosk.
    insert = dialect_insert(session.get_bind(), KioskStatus).values(
        kiosk_id=kiosk_id, first_seen=now, **values
    )
    session.execute(insert.on_conflict_do_update(index_elements=["kiosk_id"], set_=values))
    session.expire_all()
    _update_history(session, kiosk_id, problems, now, settings)
    return [text for _, text in problems]


def _lost_since(status_row: KioskStatus, settings: MonitoringSettings) -> dt.datetime:
    """When a kiosk that sends nothing more after this row counts as lost."""
    return status_row.last_seen + dt.timedelta(
        seconds=status_row.interval_s * settings.lost_after_missed
    )


def _update_history(
    session: Session,
    kiosk_id: str,
    problems: list[tuple[str, str]],
    now: dt.datetime,
    settings: MonitoringSettings,
) -> None:
    current = dict(problems)
    open_events = session.scalars(
        select(KioskProblemEvent).where(
            KioskProblemEvent.kiosk_id == kiosk_id, KioskProblemEvent.ended_at.is_(None)
        )
    ).all()
    still_open: set[str] = set()
    for event in open_events:
        if event.code in current and event.code not in still_open:
            still_open.add(event.code)
            event.text = current[event.code][:200]  # e.g. the backlog's count moves
        else:
            event.ended_at = now
    added = False
    for code, text in problems:
        if code not in still_open:
            session.add(KioskProblemEvent(kiosk_id=kiosk_id, code=code[:80], text=text[:200],
                                          started_at=now))  # fmt: skip
            added = True
    if added:
        session.flush()
        _prune_history(session, kiosk_id, settings.history_per_kiosk)


def _prune_history(session: Session, kiosk_id: str, keep: int) -> None:
    count = session.scalar(select(func.count()).where(KioskProblemEvent.kiosk_id == kiosk_id))
    if count is None or count <= keep:
        return
    old_ids = session.scalars(
        select(KioskProblemEvent.id)
        .where(KioskProblemEvent.kiosk_id == kiosk_id, KioskProblemEvent.ended_at.is_not(None))
        .order_by(KioskProblemEvent.started_at.desc(), KioskProblemEvent.id.desc())
        .offset(keep)
    ).all()
    if old_ids:
        session.execute(delete(KioskProblemEvent).where(KioskProblemEvent.id.in_(old_ids)))


def kiosk_view(
    kiosk_id: str,
    row: KioskStatus | None,
    now: dt.datetime,
    settings: MonitoringSettings,
    server_catalog_version: str,
) -> KioskOut:
    """A kiosk's state as of ``now`` (see the module docstring for the rules)."""
    if row is None:
        return KioskOut(id=kiosk_id, state="never_seen", last_seen=None, silent_s=None,
                        interval_s=None, lost_after_s=None, version=None, devices=None,
                        outbox_backlog=None, alerts=[], catalog_version=None,
                        catalog_current=None, problems=[])  # fmt: skip
    silent_s = max(0.0, (now - row.last_seen).total_seconds())
    lost_after_s = row.interval_s * settings.lost_after_missed
    problems = list(row.problems)
    state: KioskState
    if silent_s > lost_after_s:
        state = "lost"
        problems.insert(0, lost_text(silent_s))
    else:
        state = "problem" if problems else "ok"
    return KioskOut(
        id=kiosk_id,
        state=state,
        last_seen=row.last_seen,
        silent_s=round(silent_s, 3),
        interval_s=row.interval_s,
        lost_after_s=lost_after_s,
        version=row.version,
        devices=DeviceStates.model_validate(row.devices),
        outbox_backlog=row.outbox_backlog,
        alerts=list(row.alerts),
        catalog_version=row.catalog_version,
        catalog_current=(
            None if row.catalog_version is None else row.catalog_version == server_catalog_version
        ),
        problems=problems,
    )


def list_kiosks(app: FastAPI, now: dt.datetime) -> list[KioskOut]:
    """Every registered kiosk, by id, with its state as of ``now``."""
    settings = monitoring_settings(app)
    version = catalog_payload(app).version
    query = (
        select(Kiosk.id, KioskStatus)
        .outerjoin(KioskStatus, KioskStatus.kiosk_id == Kiosk.id)
        .where(Kiosk.id.not_in(select(Evaluator.id)))  # window evaluators are not kiosks
        .order_by(Kiosk.id)
    )
    with transaction(app.state.engine, readonly=True) as session:
        rows = session.execute(query).all()
    return [kiosk_view(kiosk_id, row, now, settings, version) for kiosk_id, row in rows]


def hall_faults(app: FastAPI) -> list[str]:
    """Faults of the hall server itself, for the staff page (this process's view): the
    spoken calls' voice engine (``hall.announcements``)."""
    faults = []
    announcer = getattr(app.state, "announcer", None)
    if announcer is not None and announcer.fault:
        faults.append(announcer.fault)
    return faults


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return aware datetimes")
    return now


# -- routes --------------------------------------------------------------------------------------
@router.post(
    "/{kiosk_id}/heartbeat",
    response_model=HeartbeatReply,
    responses={
        401: {"description": "missing or unknown token"},
        403: {"description": "not a kiosk token, or another kiosk's"},
    },
)
def heartbeat(
    kiosk_id: ShortId, body: Heartbeat, kiosk: KioskPrincipal, request: Request
) -> HeartbeatReply:
    """A kiosk reports its devices (kiosk token; only for itself)."""
    if kiosk.id != kiosk_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="kiosk id does not match the token")
    settings = monitoring_settings(request.app)
    now = _now(request)
    with transaction(request.app.state.engine) as session:
        problems = record_heartbeat(session, kiosk_id, body, now, settings)
    if problems:
        log.debug("kiosk %s heartbeat: %d problem(s)", kiosk_id, len(problems))
    payload = catalog_payload(request.app)
    return HeartbeatReply(
        catalog_version=payload.version, catalog_etag=payload.etag, problems=problems
    )


@router.get("", response_model=list[KioskOut])
def get_kiosks(_staff: StaffPrincipal, request: Request) -> list[KioskOut]:
    """All registered kiosks with their state and problems (staff token)."""
    return list_kiosks(request.app, _now(request))


@router.get(
    "/{kiosk_id}", response_model=KioskDetail, responses={404: {"description": "no such kiosk"}}
)
def get_kiosk(kiosk_id: ShortId, _staff: StaffPrincipal, request: Request) -> KioskDetail:
    """One kiosk with its recent problem history, newest first (staff token)."""
    app = request.app
    settings = monitoring_settings(app)
    with transaction(app.state.engine, readonly=True) as session:
        if session.get(Kiosk, kiosk_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such kiosk")
        row = session.get(KioskStatus, kiosk_id)
        events = session.scalars(
            select(KioskProblemEvent)
            .where(KioskProblemEvent.kiosk_id == kiosk_id)
            .order_by(KioskProblemEvent.started_at.desc(), KioskProblemEvent.id.desc())
            .limit(settings.history_per_kiosk)
        ).all()
    view = kiosk_view(kiosk_id, row, _now(request), settings, catalog_payload(app).version)
    history = [
        ProblemEventOut(code=e.code, text=e.text, started_at=e.started_at, ended_at=e.ended_at)
        for e in events
    ]
    return KioskDetail(**view.model_dump(), history=history)
