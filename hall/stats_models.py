"""Response models of the statistics, service-level alerts and the wall dashboard
(``hall.stats``, ``hall.service_levels``, ``hall.dashboard``). Kept out of contract/api.py
on purpose: figures and codes only, never a citizen's data."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

StatsBy = Literal["total", "day", "hour", "group", "counter", "item", "bundle", "staff"]


class QueueStatsRow(BaseModel):
    """One row of the queue statistics. Times are seconds; ``None`` when nothing to measure.

    - waiting: issue → first call; service: (last) call → complete, completed tickets only.
    - 户量 ``visitors``: completed tickets (one visit each); 办件量 ``items_handled``: items
      those visits handled (a bundle counts each of its items); 联办量 ``bundle_visits``:
      completed bundle tickets; 退件 ``returned``: completed with the outcome "return";
      退件率 ``return_rate`` = returned / served.
    """

    key: str | None = Field(description="day (ISO), hour (0-23), group, counter, item, staff id")
    label: str | None = None
    issued: int
    served: int
    missed: int
    transferred: int
    visitors: int
    items_handled: int
    bundle_visits: int
    returned: int
    return_rate: float | None
    wait_avg_s: float | None
    wait_p50_s: float | None
    wait_p90_s: float | None
    wait_max_s: float | None
    service_p50_s: float | None
    service_p90_s: float | None
    precheck_rate: float | None = Field(
        None, description="一次性备齐率 (hall.precheck) where the key allows: total, day, item"
    )
    satisfaction_rate: float | None = Field(
        None,
        description="satisfaction (hall.ratings) where the key allows: total, day, counter,"
        " item, staff",
    )


class QueueStats(BaseModel):
    by: StatsBy
    date_from: dt.date
    date_to: dt.date
    timezone: str
    rows: list[QueueStatsRow]
    total: QueueStatsRow


class ServiceLevelAlert(BaseModel):
    """A window group beyond a service-level threshold, now (cleared when it recovers)."""

    group_id: str
    kind: Literal["wait", "queue_length"]
    waiting: int
    longest_wait_s: float
    text: str
    text_en: str


class ServiceLevels(BaseModel):
    wait_minutes: int
    max_waiting: int
    alerts: list[ServiceLevelAlert]
