"""Service-level thresholds: a window group whose oldest waiting ticket has waited more
than ``HALL_SLA_WAIT_MINUTES`` (default 30) or with more than ``HALL_SLA_MAX_WAITING``
(default 20) people waiting raises an alert — "B区（市场准入）等待超过30分钟，建议增开窗口" —
on the staff page, the counter pages of that group and the wall dashboard. Alerts are
computed from the queue at each request ("now" is the app's clock), so an alert clears
by itself as soon as the group recovers; nothing is stored. A kiosk whose printer reports
paper low or out raises an alert on the staff page and the dashboard the same way
(``kiosk_paper_alerts``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from contract.errors import ConfigError
from hall.auth import StaffPrincipal
from hall.db import transaction
from hall.models import NO_RESET_PERIOD, Ticket
from hall.numbering import numbering_period, service_day
from hall.stats_models import ServiceLevelAlert, ServiceLevels

DEFAULT_WAIT_MINUTES = 30
DEFAULT_MAX_WAITING = 20


@dataclass(frozen=True)
class Thresholds:
    wait_minutes: int = DEFAULT_WAIT_MINUTES
    max_waiting: int = DEFAULT_MAX_WAITING


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ConfigError(f"{name} must be a whole number from 1 to 10000, not {raw!r}")
    return int(raw)


def thresholds_from_env() -> Thresholds:
    """HALL_SLA_WAIT_MINUTES and HALL_SLA_MAX_WAITING (ConfigError if malformed)."""
    return Thresholds(
        _env_int("HALL_SLA_WAIT_MINUTES", DEFAULT_WAIT_MINUTES),
        _env_int("HALL_SLA_MAX_WAITING", DEFAULT_MAX_WAITING),
    )


def thresholds(app: Any) -> Thresholds:
    """The app's thresholds: ``app.state.service_levels`` if set, else the environment."""
    found: Thresholds | None = getattr(app.state, "service_levels", None)
    if found is None:
        found = app.state.service_levels = thresholds_from_env()
    return found


def waiting_by_group(app: Any, now: dt.datetime) -> dict[str, tuple[int, float]]:
    """Window group → (people waiting now, longest wait in seconds)."""
    queue = app.state.queue
    today = numbering_period(True, service_day(now, queue.tz))
    query = (
        select(Ticket.window_group, func.count(), func.min(Ticket.issued_at))
        .where(Ticket.status == "waiting", Ticket.period.in_((today, NO_RESET_PERIOD)))
        .group_by(Ticket.window_group)
    )
    with transaction(app.state.engine, readonly=True) as session:
        rows = session.execute(query).all()
    out: dict[str, tuple[int, float]] = {}
    for group, count, oldest in rows:
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        longest = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        out[group] = (int(count), longest)
    return out


def current_alerts(
    app: Any,
    now: dt.datetime,
    groups: set[str] | None = None,
    waiting: dict[str, tuple[int, float]] | None = None,
) -> list[ServiceLevelAlert]:
    """The alerts of every group (or of ``groups`` only), in catalog order; ``waiting``:
    ``waiting_by_group`` of ``now`` when the caller has it already."""
    limits = thresholds(app)
    if waiting is None:
        waiting = waiting_by_group(app, now)
    alerts: list[ServiceLevelAlert] = []
    for group in app.state.catalog.groups:
        if groups is not None and group.id not in groups:
            continue
        count, longest = waiting.get(group.id, (0, 0.0))
        area = f"{group.prefix}区（{group.name}）"
        area_en = f"Area {group.prefix} ({group.name_en})"
        if count and longest > limits.wait_minutes * 60:
            alerts.append(
                ServiceLevelAlert(
                    group_id=group.id,
                    kind="wait",
                    waiting=count,
                    longest_wait_s=round(longest, 1),
                    text=f"{area}等待超过{limits.wait_minutes}分钟，建议增开窗口",
                    text_en=f"{area_en}: waiting over {limits.wait_minutes} min,"
                    " consider opening another counter",
                )
            )
        elif count > limits.max_waiting:
            alerts.append(
                ServiceLevelAlert(
                    group_id=group.id,
                    kind="queue_length",
                    waiting=count,
                    longest_wait_s=round(longest, 1),
                    text=f"{area}等待{count}人，超过{limits.max_waiting}人，建议增开窗口",
                    text_en=f"{area_en}: {count} waiting (limit {limits.max_waiting}),"
                    " consider opening another counter",
                )
            )
    return alerts


PAPER_ALERTS = {
    "near_end": ("打印纸将用完，请及时更换", "paper running low, replace it soon"),
    "paper_out": ("打印机缺纸，请立即更换", "printer out of paper, replace it now"),
}


def kiosk_paper_alerts(
    app: Any, now: dt.datetime, kiosks: list[Any] | None = None
) -> list[dict[str, str]]:
    """Kiosks whose printer reports paper low or out (``hall.monitoring``), cleared when a
    heartbeat reports it fine again; lost kiosks are the monitoring page's business.
    ``kiosks``: ``list_kiosks`` of ``now`` when the caller has it already."""
    from hall.monitoring import list_kiosks  # monitoring imports nothing of ours

    alerts = []
    for k in list_kiosks(app, now) if kiosks is None else kiosks:
        state = k.devices.printer if k.devices is not None and k.state != "lost" else None
        if state in PAPER_ALERTS:
            zh, en = PAPER_ALERTS[state]
            alerts.append(
                {
                    "group_id": "",
                    "kiosk_id": k.id,
                    "text": f"终端 {k.id} {zh}",
                    "text_en": f"Kiosk {k.id}: {en}",
                }
            )
    return alerts


def counter_groups(app: Any, counter_id: str) -> set[str]:
    return {g.id for g in app.state.catalog.groups if counter_id in g.counters}


router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])


@router.get("/service-levels", response_model=ServiceLevels)
def get_service_levels(_staff: StaffPrincipal, request: Request) -> ServiceLevels:
    """Service-level alerts now, with the thresholds (staff token, read-only)."""
    now = request.app.state.clock()
    limits = thresholds(request.app)
    return ServiceLevels(
        wait_minutes=limits.wait_minutes,
        max_waiting=limits.max_waiting,
        alerts=current_alerts(request.app, now),
    )
