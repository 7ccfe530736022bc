"""Working-day arithmetic: weekends, holidays, make-up working days (调休), settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contract.errors import ConfigError
from hall.workdays import WorkCalendar, calendar_from_env, parse_dates

FRI = dt.date(2026, 11, 27)
SAT = dt.date(2026, 11, 28)
SUN = dt.date(2026, 11, 29)
MON = dt.date(2026, 11, 30)


def test_weekends_are_skipped() -> None:
    cal = WorkCalendar()
    assert [cal.is_working_day(d) for d in (FRI, SAT, SUN, MON)] == [True, False, False, True]
    assert cal.add_working_days(FRI, 1) == MON
    assert cal.add_working_days(FRI, 3) == dt.date(2026, 12, 2)
    assert cal.add_working_days(SAT, 1) == MON
    assert cal.add_working_days(SUN, 3) == dt.date(2026, 12, 2)
    assert cal.add_working_days(MON, 5) == dt.date(2026, 12, 7)
    assert cal.add_working_days(SAT, 0) == MON
    assert cal.add_working_days(FRI, 0) == FRI


def test_holidays_and_makeup_working_days() -> None:
    # A made-up golden week: Oct 1–7 off, the Saturday before and after worked.
    holidays = frozenset(dt.date(2026, 10, d) for d in range(1, 8))
    makeup = frozenset({dt.date(2026, 9, 26), dt.date(2026, 10, 10)})
    cal = WorkCalendar(holidays, makeup)
    assert cal.is_working_day(dt.date(2026, 9, 26))  # a Saturday, worked
    assert not cal.is_working_day(dt.date(2026, 10, 5))  # a Monday, holiday
    assert cal.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert cal.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 4


def test_a_day_cannot_be_both() -> None:
    with pytest.raises(ConfigError):
        WorkCalendar(frozenset({MON}), frozenset({MON}))


def test_calendar_from_env_and_file(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('holidays = ["2026-12-01", 2026-12-02]\nmakeup_workdays = ["2026-11-29"]\n')
    cal = calendar_from_env(
        {"HALL_WORK_CALENDAR": str(path), "HALL_HOLIDAYS": "2026-12-03, 2026-12-04"}
    )
    assert cal.holidays == {dt.date(2026, 12, d) for d in (1, 2, 3, 4)}
    assert cal.add_working_days(FRI, 2) == MON  # Sunday 29th is worked
    assert calendar_from_env({}) == WorkCalendar()


@pytest.mark.parametrize(
    "env",
    [
        {"HALL_HOLIDAYS": "2026-02-30"},
        {"HALL_MAKEUP_WORKDAYS": "tomorrow"},
        {"HALL_WORK_CALENDAR": "/no/such/calendar.toml"},
    ],
)
def test_bad_calendars_are_config_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        calendar_from_env(env)


def test_unknown_keys_in_the_file_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('holiday = ["2026-12-01"]\n')
    with pytest.raises(ConfigError, match="unknown keys"):
        calendar_from_env({"HALL_WORK_CALENDAR": str(path)})


def test_parse_dates_accepts_chinese_friendly_separators() -> None:
    assert parse_dates("2026-10-01;2026-10-02 2026-10-03", "x") == {
        dt.date(2026, 10, d) for d in (1, 2, 3)
    }
