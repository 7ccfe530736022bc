"""Upward export in both code directions, statistics, follow-ups of bad reviews."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hall_support import ID_HASH_KEY, SHANGHAI, FakeClock
from ratings_support import FEEDBACK_ENV, FeedbackHall, fb_fixture  # noqa: F401

from contract.errors import ConfigError
from contract.vocab import LEVELS
from hall.app import create_app
from hall.db import add_kiosk, add_staff, migrate
from hall.feedback_settings import CODE_PRESETS
from hall.workdays import WorkCalendar

NATIONAL = {"very_satisfied": 1, "satisfied": 2, "basic": 3, "dissatisfied": 4,
            "very_dissatisfied": 5}  # fmt: skip
PROVINCIAL = {"very_satisfied": 5, "satisfied": 4, "basic": 3, "dissatisfied": 2,
              "very_dissatisfied": 1}  # fmt: skip


def rate_every_level(fb: FeedbackHall) -> None:
    for level in LEVELS:
        reasons = ["态度"] if level in ("dissatisfied", "very_dissatisfied") else []
        fb.rate(fb.served_ticket()["id"], level, reasons=reasons)


def export_rows(fb: FeedbackHall, query: str = "") -> tuple[list[dict[str, str]], str]:
    resp = fb.client.get(f"/api/v1/ratings/export?format=csv{query}", headers=fb.staff())
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(resp.text))), resp.headers["x-rating-codes"]


# -- export -----------------------------------------------------------------------------------
def test_code_presets_are_explicit_mirrors() -> None:
    assert CODE_PRESETS["national"] == NATIONAL
    assert CODE_PRESETS["provincial"] == PROVINCIAL


def test_export_national_codes_with_the_gbt_39046_columns(fb: FeedbackHall) -> None:
    rate_every_level(fb)
    rows, direction = export_rows(fb)
    assert direction == "national"
    assert list(rows[0])[:8] == [
        "办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度代码", "满意度", "评价内容",
    ]  # fmt: skip
    assert "行政区划代码" in rows[0]
    assert [(r["满意度"], int(r["满意度代码"])) for r in rows] == [
        ("非常满意", 1), ("满意", 2), ("基本满意", 3), ("不满意", 4), ("非常不满意", 5),
    ]  # fmt: skip
    first = rows[0]
    assert first["办件编号"] == "20261123-B001"
    assert first["评价渠道"] == "kiosk"
    assert first["评价人"] == "anonymous"
    assert first["评价时间"] == "20261123T090000"  # hall-local time, compact
    assert first["评价次数"] == "1"
    assert first["行政区划代码"] == "110105"
    assert first["窗口"] == "5" and first["工作人员"] == "1" and first["事项"] == "business-license"
    assert rows[3]["评价原因"] == "态度"


def test_export_provincial_codes_by_setting_and_by_query(fb: FeedbackHall) -> None:
    rate_every_level(fb)
    rows, direction = export_rows(fb, "&codes=provincial")
    assert direction == "provincial"
    assert {r["满意度"]: int(r["满意度代码"]) for r in rows} == {
        "非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
    }  # fmt: skip
    fb.configure(code_map=PROVINCIAL, code_direction="provincial")
    rows, direction = export_rows(fb)
    assert direction == "provincial"
    assert [int(r["满意度代码"]) for r in rows] == [5, 4, 3, 2, 1]
    rows, direction = export_rows(fb, "&codes=national")
    assert [int(r["满意度代码"]) for r in rows] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HALL_RATING_CODES": "provincial"}, [5, 4, 3, 2, 1]),
        ({"HALL_RATING_CODES": "national"}, [1, 2, 3, 4, 5]),
        (
            {
                "HALL_RATING_CODE_MAP": "very_satisfied=5,satisfied=4,basic=3,dissatisfied=2,"
                "very_dissatisfied=1"
            },
            [5, 4, 3, 2, 1],
        ),
    ],
)
def test_export_direction_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[int]
) -> None:
    for name in FEEDBACK_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HALL_DIVISION_CODE", "440106")
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk = {"Authorization": f"Bearer {add_kiosk(db_url, 'k')}"}
    staff = {"Authorization": f"Bearer {add_staff(db_url, '王*')}"}
    app = create_app(db_url, clock=FakeClock(), id_hash_key=ID_HASH_KEY)
    with TestClient(app) as client:
        for i, level in enumerate(LEVELS):
            body = {"idempotency_key": str(i), "target": "self_service_area", "level": level,
                    "reasons": ["环境"]}  # fmt: skip
            assert client.post("/api/v1/ratings", json=body, headers=kiosk).status_code == 201
        resp = client.get("/api/v1/ratings/export?header=keys", headers=staff)
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [int(r["satisfaction_code"]) for r in rows] == expected
    assert {r["division_code"] for r in rows} == {"440106"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HALL_RATING_CODES", "sideways"),
        (
            "HALL_RATING_CODE_MAP",
            "very_satisfied=1,satisfied=1,basic=3,dissatisfied=4,very_dissatisfied=5",
        ),
        ("HALL_DIVISION_CODE", "11010"),
        ("HALL_FOLLOWUP_PLAN_DAYS", "three"),
        ("HALL_HOLIDAYS", "2026-13-01"),
    ],
)
def test_bad_feedback_settings_stop_the_app_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    for env_name in FEEDBACK_ENV:
        monkeypatch.delenv(env_name, raising=False)
    monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    with pytest.raises(ConfigError):
        create_app(db_url, id_hash_key=ID_HASH_KEY)


def test_export_filters_by_hall_local_day_and_needs_a_staff_token(fb: FeedbackHall) -> None:
    fb.rate(fb.served_ticket()["id"])  # Monday 23rd
    fb.clock.now = dt.datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, local 24th
    fb.rate(fb.served_ticket()["id"])
    fb.clock.now = dt.datetime(2026, 11, 25, 0, 30, tzinfo=SHANGHAI)  # UTC still the 24th
    fb.rate(target="self_service_area", level="satisfied")
    rows, _ = export_rows(fb, "&date_from=2026-11-24&date_to=2026-11-24")
    assert [r["评价时间"] for r in rows] == ["20261124T233000"]
    rows, _ = export_rows(fb, "&date_from=2026-11-25")
    assert [r["评价对象"] for r in rows] == ["self_service_area"]
    assert fb.client.get("/api/v1/ratings/export", headers=fb.kiosk()).status_code == 403
    bad = fb.client.get(
        "/api/v1/ratings/export?date_from=2026-11-25&date_to=2026-11-24", headers=fb.staff()
    )
    assert bad.status_code == 422


def test_export_json_and_formula_guard(fb: FeedbackHall) -> None:
    fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["其他"], comment="=HYPERLINK(1)")
    rows, _ = export_rows(fb)
    assert rows[0]["评价内容"] == "'=HYPERLINK(1)"
    resp = fb.client.get("/api/v1/ratings/export?format=json", headers=fb.staff())
    assert resp.json()[0]["text"] == "=HYPERLINK(1)"
    assert resp.json()[0]["satisfaction_code"] == 4


# -- statistics -------------------------------------------------------------------------------
def test_stats_by_window_service_staff_and_day(fb: FeedbackHall) -> None:
    rate_every_level(fb)  # all at counter 5, staff 1, Monday
    fb.clock.advance(days=1)
    fb.rate(fb.served_ticket()["id"], "very_satisfied")
    fb.rate(target="self_service_area", level="dissatisfied", reasons=["环境"])
    stats = fb.client.get("/api/v1/ratings/stats?by=window", headers=fb.staff()).json()
    window5 = stats["groups"][0]
    assert window5["key"] == "5"
    assert window5["total"] == 6
    assert window5["counts"] == {"very_satisfied": 2, "satisfied": 1, "basic": 1,
                                 "dissatisfied": 1, "very_dissatisfied": 1}  # fmt: skip
    assert window5["satisfaction_rate"] == round(4 / 6, 4)
    assert stats["groups"][1]["key"] is None  # the self-service area has no window
    assert stats["overall"]["total"] == 7
    assert stats["overall"]["satisfaction_rate"] == round(4 / 7, 4)

    by_day = fb.client.get("/api/v1/ratings/stats?by=day", headers=fb.staff()).json()
    assert [(g["key"], g["total"]) for g in by_day["groups"]] == [
        ("2026-11-23", 5), ("2026-11-24", 2),
    ]  # fmt: skip
    by_staff = fb.client.get(
        "/api/v1/ratings/stats?by=staff&target=ticket", headers=fb.staff()
    ).json()
    assert [(g["key"], g["total"]) for g in by_staff["groups"]] == [("1", 6)]
    by_service = fb.client.get(
        "/api/v1/ratings/stats?by=service&date_from=2026-11-24", headers=fb.staff()
    ).json()
    assert [(g["key"], g["total"]) for g in by_service["groups"]] == [
        ("business-license", 1), (None, 1),
    ]  # fmt: skip
    assert fb.client.get("/api/v1/ratings/stats", headers=fb.kiosk()).status_code == 403


def test_a_followup_rating_replaces_the_first_in_the_stats(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    first = fb.rate(ticket["id"], "very_dissatisfied", reasons=["态度"])
    for step in ("verify", "rectify", "feedback"):
        fb.client.post(
            f"/api/v1/followups/{first['followup_id']}",
            json={"step": step, "note": "done"},
            headers=fb.supervisor(),
        )
    fb.rate(ticket["id"], "satisfied", rating_count=2)
    overall = fb.client.get("/api/v1/ratings/stats", headers=fb.staff()).json()["overall"]
    assert overall["total"] == 1
    assert overall["counts"]["satisfied"] == 1 and overall["satisfaction_rate"] == 1.0
    rows, _ = export_rows(fb)  # the export keeps both: it is the full record
    assert [r["评价次数"] for r in rows] == ["1", "2"]


def test_stats_of_nothing(fb: FeedbackHall) -> None:
    stats = fb.client.get("/api/v1/ratings/stats?by=day", headers=fb.staff()).json()
    assert stats["groups"] == []
    assert stats["overall"]["total"] == 0 and stats["overall"]["satisfaction_rate"] is None


# -- follow-ups of bad reviews ----------------------------------------------------------------
def test_followup_deadlines_count_working_days_over_a_weekend(fb: FeedbackHall) -> None:
    fb.clock.now = dt.datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)  # a Friday
    rating = fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["效率"])
    followup = fb.client.get(
        f"/api/v1/followups/{rating['followup_id']}", headers=fb.staff()
    ).json()
    assert followup["plan_due_on"] == "2026-12-02"  # Mon 30, Tue 1, Wed 2
    assert followup["rectify_due_on"] == "2026-12-18"  # 15 working days later
    fb.clock.now = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)  # Saturday: same days
    rating = fb.rate(target="self_service_area", level="very_dissatisfied", reasons=["环境"])
    followup = fb.client.get(
        f"/api/v1/followups/{rating['followup_id']}", headers=fb.staff()
    ).json()
    assert (followup["plan_due_on"], followup["rectify_due_on"]) == ("2026-12-02", "2026-12-18")


def test_followup_deadlines_skip_configured_holidays(fb: FeedbackHall) -> None:
    fb.configure(
        calendar=WorkCalendar(holidays=frozenset({dt.date(2026, 12, 1)})),
        followup_plan_days=2,
        followup_rectify_days=5,
    )
    fb.clock.now = dt.datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
    rating = fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["效率"])
    followup = fb.client.get(
        f"/api/v1/followups/{rating['followup_id']}", headers=fb.staff()
    ).json()
    assert followup["plan_due_on"] == "2026-12-02"  # Mon 30, (Tue 1 holiday), Wed 2
    assert followup["rectify_due_on"] == "2026-12-07"  # Mon 30, Wed 2, Thu 3, Fri 4, Mon 7


def test_overdue_list_and_the_steps_in_order(fb: FeedbackHall) -> None:
    late = fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["效率"])
    fb.clock.advance(days=2)
    recent = fb.rate(target="self_service_area", level="very_dissatisfied", reasons=["环境"])
    fb.rate(fb.served_ticket()["id"], "satisfied")  # no follow-up
    listed = fb.client.get("/api/v1/followups", headers=fb.staff()).json()
    assert [f["id"] for f in listed] == [late["followup_id"], recent["followup_id"]]
    assert fb.client.get("/api/v1/followups?overdue=true", headers=fb.staff()).json() == []

    fb.clock.now = dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)  # Fri: past Thu 26
    overdue = fb.client.get("/api/v1/followups?overdue=true", headers=fb.staff()).json()
    assert [(f["id"], f["overdue_steps"]) for f in overdue] == [(late["followup_id"], ["plan"])]

    url = f"/api/v1/followups/{late['followup_id']}"
    wrong_order = fb.client.post(
        url, json={"step": "feedback", "note": "x"}, headers=fb.supervisor()
    )
    assert wrong_order.status_code == 409 and wrong_order.json()["code"] == "invalid_step"
    verified = fb.client.post(
        url, json={"step": "verify", "note": "查看录像，属实"}, headers=fb.supervisor()
    ).json()
    assert verified["status"] == "verified" and verified["verified_by"] == 2
    assert verified["verified_at"] == "2026-11-27T01:00:00Z"
    assert verified["overdue"] is False  # the plan step is done (late, but done)
    assert fb.client.get("/api/v1/followups?overdue=true", headers=fb.staff()).json() == []
    again = fb.client.post(url, json={"step": "verify", "note": "x"}, headers=fb.supervisor())
    assert again.status_code == 409

    fb.clock.now = dt.datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI)  # past rectify day 14th
    overdue = fb.client.get("/api/v1/followups?overdue=true", headers=fb.staff()).json()
    assert [(f["id"], f["overdue_steps"]) for f in overdue] == [
        (late["followup_id"], ["rectify"]), (recent["followup_id"], ["plan"]),
    ]  # fmt: skip
    fb.client.post(url, json={"step": "rectify", "note": "培训"}, headers=fb.supervisor())
    answered = fb.client.post(
        url, json={"step": "feedback", "note": "已电话回复"}, headers=fb.supervisor()
    ).json()
    assert answered["status"] == "answered" and answered["feedback_note"] == "已电话回复"
    assert answered["recheck_due_on"] == "2026-12-22"  # Wed 16 … Tue 22: 5 working days
    assert answered["overdue_steps"] == [] and answered["overdue"] is False
    assert fb.client.get("/api/v1/followups?state=closed", headers=fb.staff()).json() == []
    fb.clock.now = dt.datetime(2026, 12, 23, 9, 0, tzinfo=SHANGHAI)  # past the re-check day
    overdue = fb.client.get("/api/v1/followups?overdue=true", headers=fb.staff()).json()
    assert (overdue[0]["id"], overdue[0]["overdue_steps"]) == (late["followup_id"], ["recheck"])
    own = fb.client.post(url, json={"step": "recheck", "note": "x"}, headers=fb.supervisor())
    assert own.status_code == 403 and own.json()["code"] == "recheck_by_another"
    # 复核 by a third member of staff (the review concerns staff 1, staff 2 answered it).
    third = {"Authorization": f"Bearer {add_staff(fb.db_url, '赵*')}"}
    closed = fb.client.post(
        url, json={"step": "recheck", "note": "回访确认已整改"}, headers=third
    ).json()
    assert closed["status"] == "closed" and closed["recheck_note"] == "回访确认已整改"
    assert closed["rechecked_by"] != closed["feedback_by"] and closed["overdue"] is False
    twice = fb.client.post(url, json={"step": "recheck", "note": "x"}, headers=third)
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_step"
    assert [f["id"] for f in fb.client.get("/api/v1/followups?state=closed", headers=fb.staff()).json()] == [late["followup_id"]]  # fmt: skip


def test_an_unsubstantiated_review_is_answered_without_rectification(fb: FeedbackHall) -> None:
    rating = fb.rate(target="self_service_area", level="very_dissatisfied", reasons=["环境"])
    url = f"/api/v1/followups/{rating['followup_id']}"
    fb.client.post(url, json={"step": "verify", "note": "设备正常", "substantiated": False},
                   headers=fb.staff())  # fmt: skip
    rectify = fb.client.post(url, json={"step": "rectify", "note": "x"}, headers=fb.staff())
    assert rectify.status_code == 409
    answered = fb.client.post(url, json={"step": "feedback", "note": "已说明"}, headers=fb.staff())
    assert answered.json()["status"] == "answered" and answered.json()["substantiated"] is False


def test_the_staff_member_a_review_concerns_cannot_handle_it(fb: FeedbackHall) -> None:
    rating = fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["态度"])
    url = f"/api/v1/followups/{rating['followup_id']}"
    resp = fb.client.post(url, json={"step": "verify", "note": "没问题"}, headers=fb.staff())
    assert resp.status_code == 403 and resp.json()["code"] == "concerns_you"
    assert fb.client.post(url, json={"step": "verify", "note": "x"}, headers=fb.kiosk()).status_code == 403  # fmt: skip
    assert fb.client.get("/api/v1/followups", headers=fb.kiosk()).status_code == 403
    assert fb.client.post("/api/v1/followups/999", json={"step": "verify", "note": "x"},
                          headers=fb.supervisor()).status_code == 404  # fmt: skip
    # the rating itself is untouched by its follow-up
    assert fb.sql("SELECT level FROM ratings") == [("dissatisfied",)]
