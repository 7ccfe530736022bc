"""办不成事 cases say what went wrong (issue 17): the matter (catalog item or not in the
catalog), the citizen's own words scrubbed, the severity with its response clock, and an
alert on the staff monitoring page for an urgent case until someone takes it."""

from __future__ import annotations

from typing import Any

from hall_support import staff_login
from ratings_support import FeedbackHall, fb_fixture  # noqa: F401
from test_hall_cases import event, submit


def _alerts(fb: FeedbackHall) -> list[dict[str, Any]]:
    resp = fb.client.get("/staff/kiosks.json")
    assert resp.status_code == 200, resp.text
    return [a for a in resp.json()["sla_alerts"] if a["group_id"].startswith("case:")]


def test_item_description_and_severity_are_stored_with_the_case(fb: FeedbackHall) -> None:
    case = submit(fb, item_id="hukou-transfer", severity="many_or_vulnerable",
                  description="户口迁移两个窗口说法不一，电话13912340000")  # fmt: skip
    assert case["item_id"] == "hukou-transfer" and case["severity"] == "many_or_vulnerable"
    assert case["respond_due_at"] == "2026-11-23T01:30:00Z"  # half an hour after 09:00
    number = case["case_number"]
    detail = fb.client.get(f"/api/v1/cases/{number}/detail", headers=fb.staff()).json()
    assert detail["item_id"] == "hukou-transfer" and detail["not_in_catalog"] is False
    assert detail["severity"] == "many_or_vulnerable"
    assert "13912340000" not in detail["description"]  # scrubbed like a rating comment
    assert detail["description"].startswith("户口迁移两个窗口说法不一")
    other = submit(fb, not_in_catalog=True)
    assert other["item_id"] is None and other["not_in_catalog"] is True
    assert other["severity"] == "ordinary" and other["respond_due_at"] == "2026-11-23T02:00:00Z"


def test_bad_matter_and_severity_are_refused(fb: FeedbackHall) -> None:
    both = submit(fb, 422, item_id="hukou-transfer", not_in_catalog=True)
    assert both["code"] == "item_conflict"
    for changes in ({"severity": "catastrophic"}, {"item_id": "<script>"},
                    {"item_id": "a" * 65}, {"description": "x" * 501}):  # fmt: skip
        resp = fb.client.post("/api/v1/cases", headers=fb.kiosk(),
                              json={**_body(fb), **changes})  # fmt: skip
        assert resp.status_code == 422, changes


def _body(fb: FeedbackHall) -> dict[str, Any]:
    from test_hall_cases import case_body

    return case_body(fb)


def test_severity_clocks_come_from_the_settings(fb: FeedbackHall) -> None:
    fb.configure(case_urgent_respond_hours=0.5)
    options = fb.client.get("/api/v1/cases/options", headers=fb.kiosk()).json()
    assert set(options["severities"]) == {"ordinary", "urgent", "many_or_vulnerable"}
    assert options["severity_respond_hours"]["urgent"] == 0.5
    case = submit(fb, severity="urgent")
    assert case["respond_due_at"] == "2026-11-23T01:30:00Z"


def test_an_urgent_case_alerts_the_supervisors_until_taken(fb: FeedbackHall) -> None:
    login = staff_login(fb.client, fb.supervisor_token)  # through the form, with its token
    assert login.status_code in (302, 303)
    submit(fb)  # ordinary: no alert
    assert _alerts(fb) == []
    urgent = submit(fb, severity="urgent", item_id="business-license")["case_number"]
    [alert] = _alerts(fb)
    assert alert["group_id"] == f"case:{urgent}"
    assert "紧急" in alert["text"] and urgent in alert["text"] and "15 分钟" in alert["text"]
    page = fb.client.get("/staff/").text
    assert urgent in page  # the server-rendered page shows it too (works without script)
    assert event(fb, urgent, "take").status_code == 200
    assert _alerts(fb) == []  # someone took it: the alert clears


def _rate(fb: FeedbackHall, number: str, tail: str, level: str = "satisfied") -> Any:
    return fb.client.post(f"/api/v1/cases/{number}/handling-rating", headers=fb.kiosk(),
                          json={"phone_tail": tail, "level": level})  # fmt: skip


def test_a_closed_case_is_rated_by_number_and_phone_tail(fb: FeedbackHall) -> None:
    number = submit(fb)["case_number"]  # phone 13912345678
    early = _rate(fb, number, "5678")
    assert early.status_code == 409 and early.json()["code"] == "not_closed"
    event(fb, number, "take")
    event(fb, number, "respond", "已联系")
    event(fb, number, "close", "已办结")
    # the phone is erased at close; only the tail's keyed hash, bound to the number, stays
    [(tail_hash,)] = fb.sql("SELECT phone_tail_hash FROM cases")
    assert tail_hash and "5678" not in tail_hash
    wrong = _rate(fb, number, "1234")
    assert wrong.status_code == 403 and wrong.json()["code"] == "tail_mismatch"
    assert fb.client.post(f"/api/v1/cases/{number}/handling-rating", headers=fb.staff(),
                          json={"phone_tail": "5678", "level": "satisfied"}).status_code == 403  # fmt: skip
    assert _rate(fb, number, "56789").status_code == 422
    ok = _rate(fb, number, "5678", "very_satisfied")
    assert ok.status_code == 200 and ok.json()["level"] == "very_satisfied"
    detail = fb.client.get(f"/api/v1/cases/{number}/detail", headers=fb.staff()).json()
    assert detail["handling_level"] == "very_satisfied"
    assert fb.sql("SELECT phone_tail_hash FROM cases") == [(None,)]  # gone once rated
    again = _rate(fb, number, "5678")
    assert again.status_code == 409 and again.json()["code"] == "already_rated"


def test_guessing_the_tail_is_stopped(fb: FeedbackHall) -> None:
    number = submit(fb)["case_number"]
    for kind, note in (("take", None), ("respond", "已联系"), ("close", "已办结")):
        event(fb, number, kind, note)
    for guess in range(5):
        assert _rate(fb, number, f"{guess:04d}").status_code == 403
    locked = _rate(fb, number, "5678")  # even the right tail, after five wrong ones
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_tries"


def test_severity_clocks_are_read_from_the_environment() -> None:
    from zoneinfo import ZoneInfo

    import pytest

    from hall.feedback_settings import ConfigError, settings_from_env

    tz = ZoneInfo("Asia/Shanghai")
    env = {"HALL_CASE_URGENT_RESPOND_HOURS": "0.1", "HALL_CASE_MANY_RESPOND_HOURS": "0.75"}
    settings = settings_from_env(tz, env)
    assert settings.respond_hours_for("urgent") == 0.1
    assert settings.respond_hours_for("many_or_vulnerable") == 0.75
    assert settings.respond_hours_for("ordinary") == 1.0
    with pytest.raises(ConfigError):
        settings_from_env(tz, {"HALL_CASE_URGENT_RESPOND_HOURS": "0"})
