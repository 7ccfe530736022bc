"""Retention of a closed 办不成事 case's citizen links (issue 17): the keyed hash of the
phone's last 4 digits (and its failed tries) goes N days after the case closes, in the
daily purge (hall/retention.py); the case record stays. The clock is the test's."""

from __future__ import annotations

import datetime as dt

import pytest
from ratings_support import FeedbackHall, fb_fixture  # noqa: F401
from test_hall_cases import event, submit

from contract.errors import ConfigError
from hall.retention import RetentionSettings, purge, settings_from_env


def _closed_case(fb: FeedbackHall) -> str:
    number: str = submit(fb)["case_number"]
    for kind, note in (("take", None), ("respond", "已联系"), ("close", "已办结")):
        assert event(fb, number, kind, note).status_code == 200
    return number


def _row(fb: FeedbackHall, number: str) -> tuple[object, ...]:
    [row] = fb.sql(
        "SELECT phone_tail_hash, tail_failures, phone_ciphertext, phone_masked, phone_hash,"
        " status, severity, categories FROM cases WHERE case_number = ?",
        number,
    )
    return row


def test_the_tail_hash_goes_n_days_after_the_case_closes(
    fb: FeedbackHall, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = fb.client.app.state.engine  # type: ignore[attr-defined]
    closed_at = fb.clock.now
    closed = _closed_case(fb)
    open_number = submit(fb)["case_number"]  # still open: keeps its phone for call-backs
    wrong = fb.client.post(
        f"/api/v1/cases/{closed}/handling-rating",
        headers=fb.kiosk(),
        json={"phone_tail": "0000", "level": "satisfied"},
    )
    assert wrong.status_code == 403
    assert _row(fb, closed)[0] is not None and _row(fb, closed)[1] == 1
    settings = RetentionSettings(case_citizen_link_days=10)

    early = purge(engine, settings, closed_at + dt.timedelta(days=9, hours=23))
    assert early["case_citizen_links"] == 0
    assert _row(fb, closed)[0] is not None  # within N days: still ratable

    done = purge(engine, settings, closed_at + dt.timedelta(days=10, minutes=1))
    assert done["case_citizen_links"] == 1
    tail_hash, failures, cipher, masked, phone_hash, status, severity, categories = _row(fb, closed)
    assert (tail_hash, failures, cipher, masked, phone_hash) == (None, 0, None, None, None)
    assert (status, severity) == ("closed", "ordinary") and "跨部门协调" in str(categories)
    # the open case keeps its (encrypted) phone and tail hash: its owner must call back
    kept = _row(fb, open_number)
    assert kept[0] is not None and kept[2] is not None and kept[3] is not None
    # nothing left to prove the case is theirs at the kiosk, and the citizen is told why
    monkeypatch.setenv("HALL_CASE_CITIZEN_LINK_DAYS", "10")
    fb.clock.now = closed_at + dt.timedelta(days=10, minutes=3)
    late = fb.client.post(
        f"/api/v1/cases/{closed}/handling-rating",
        headers=fb.kiosk(),
        json={"phone_tail": "5678", "level": "satisfied"},
    )
    assert late.status_code == 409 and late.json()["code"] == "rating_closed"
    assert "评价期已过" in late.json()["detail"]
    # idempotent: a second run the same day finds nothing
    again = purge(engine, settings, closed_at + dt.timedelta(days=10, minutes=2))
    assert again["case_citizen_links"] == 0


def test_a_rated_case_has_nothing_left_to_purge(fb: FeedbackHall) -> None:
    engine = fb.client.app.state.engine  # type: ignore[attr-defined]
    number = _closed_case(fb)
    ok = fb.client.post(
        f"/api/v1/cases/{number}/handling-rating",
        headers=fb.kiosk(),
        json={"phone_tail": "5678", "level": "satisfied"},
    )
    assert ok.status_code == 200
    done = purge(engine, RetentionSettings(), fb.clock.now + dt.timedelta(days=365))
    assert done["case_citizen_links"] == 0
    assert fb.sql("SELECT handling_level FROM cases") == [("satisfied",)]  # the rating stays


def test_the_days_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALL_CASE_CITIZEN_LINK_DAYS", raising=False)
    assert settings_from_env().case_citizen_link_days == 30
    monkeypatch.setenv("HALL_CASE_CITIZEN_LINK_DAYS", "7")
    assert settings_from_env().case_citizen_link_days == 7
    for bad in ("0", "x", "-3"):
        monkeypatch.setenv("HALL_CASE_CITIZEN_LINK_DAYS", bad)
        with pytest.raises(ConfigError, match="HALL_CASE_CITIZEN_LINK_DAYS"):
            settings_from_env()
