"""Working-day arithmetic for deadlines (差评整改, 办不成事 time limits).

Chinese rules count deadlines in working days (工作日): Monday to Friday, minus the public
holidays the State Council announces each year, plus the weekend days it declares working
days (调休 make-up days). Neither list can be computed, so both are configuration:

- ``HALL_HOLIDAYS``: ISO dates separated by commas or spaces ("2026-10-01,2026-10-02"),
- ``HALL_MAKEUP_WORKDAYS``: weekend dates that are working days,
- ``HALL_WORK_CALENDAR``: a TOML file with ``holidays = [...]`` and
  ``makeup_workdays = [...]`` (ISO date strings or TOML dates); merged with the above.

A deadline of N working days after an event on day D is the N-th working day strictly
after D, whatever D itself was: an event on a Friday with N = 3 is due on Wednesday, and so
is one on the Saturday or Sunday after it. The deadline day counts in full (due *on* it).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract.errors import ConfigError

log = logging.getLogger(__name__)

HOLIDAYS_ENV = "HALL_HOLIDAYS"
MAKEUP_WORKDAYS_ENV = "HALL_MAKEUP_WORKDAYS"
CALENDAR_FILE_ENV = "HALL_WORK_CALENDAR"
MAX_WORKING_DAYS = 366
"""Upper bound for one deadline, working days; guards against a calendar of only holidays."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: Mon–Fri, minus ``holidays``, plus ``makeup_workdays``."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.holidays & self.makeup_workdays
        if both:
            shown = ", ".join(d.isoformat() for d in sorted(both))
            raise ConfigError(f"work calendar: {shown} both a holiday and a make-up working day")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day strictly after ``start`` (``days`` ≥ 1).

        ``days = 0`` gives ``start`` itself if it is a working day, else the next one.
        """
        if days < 0:
            raise ValueError("days must be ≥ 0")
        if days == 0:
            day = start
            for _ in range(MAX_WORKING_DAYS * 2):
                if self.is_working_day(day):
                    return day
                day += dt.timedelta(days=1)
            raise ConfigError("work calendar has no working day within two years")
        day, counted = start, 0
        for _ in range(days * 7 + MAX_WORKING_DAYS):  # room for long holiday runs
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return day
        raise ConfigError(f"work calendar has no {days} working days after {start}")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how far ``end`` is past ``start``, 0 if not after."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def parse_dates(value: str | Iterable[object], what: str) -> frozenset[dt.date]:
    """ISO dates from a comma/space separated string or a list of strings / dates."""
    items: Iterable[object] = (
        [p for p in re.split(r"[\s,;]+", value) if p] if isinstance(value, str) else value
    )
    dates: set[dt.date] = set()
    for item in items:
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            dates.add(item)
            continue
        try:
            dates.add(dt.date.fromisoformat(str(item).strip()))
        except ValueError:
            raise ConfigError(f"{what}: {item!r} is not a date like 2026-10-01") from None
    return frozenset(dates)


def calendar_from_env(env: Mapping[str, str] | None = None) -> WorkCalendar:
    """The calendar configured by HALL_WORK_CALENDAR, HALL_HOLIDAYS, HALL_MAKEUP_WORKDAYS."""
    env = os.environ if env is None else env
    holidays: set[dt.date] = set()
    makeup: set[dt.date] = set()
    if path := env.get(CALENDAR_FILE_ENV, "").strip():
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{CALENDAR_FILE_ENV}: cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{CALENDAR_FILE_ENV}: {path} is not valid TOML: {exc}") from None
        unknown = set(data) - {"holidays", "makeup_workdays"}
        if unknown:
            raise ConfigError(f"{CALENDAR_FILE_ENV}: unknown keys {sorted(unknown)} in {path}")
        holidays |= parse_dates(data.get("holidays", []), f"{path}: holidays")
        makeup |= parse_dates(data.get("makeup_workdays", []), f"{path}: makeup_workdays")
    holidays |= parse_dates(env.get(HOLIDAYS_ENV, ""), HOLIDAYS_ENV)
    makeup |= parse_dates(env.get(MAKEUP_WORKDAYS_ENV, ""), MAKEUP_WORKDAYS_ENV)
    calendar = WorkCalendar(frozenset(holidays), frozenset(makeup))
    if not holidays:
        log.warning("no public holidays configured: deadlines skip weekends only")
    return calendar
