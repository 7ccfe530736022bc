"""Staff work queues (hall/work_queues.py): cases with their response clock and alerts,
overdue first; follow-ups; the window-score rule; roles (supervisor, auditor, counter
staff); the audit log. Real app on SQLite (``fb``), the clock moved by the test; the
supervisor's page in headless Chromium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hall_support import SHANGHAI, staff_login
from ratings_support import FeedbackHall, fb_fixture  # noqa: F401  (the fixture)
from sqlalchemy import select
from test_hall_cases import submit

from hall.db import add_staff, make_engine, transaction
from hall.models import StaffAuditEntry

WORK = "/staff/work"
PAGE = {"X-Staff-Page": "1"}


def _signed_in(fb: FeedbackHall, token: str) -> TestClient:
    client = TestClient(fb.client.app)
    resp = staff_login(client, token)
    assert resp.status_code == 303, resp.text
    return client


def _people(fb: FeedbackHall) -> dict[str, TestClient]:
    supervisor = add_staff(fb.db_url, "赵*", supervisor=True)
    auditor = add_staff(fb.db_url, "钱*", auditor=True)
    return {
        "supervisor": _signed_in(fb, supervisor),
        "auditor": _signed_in(fb, auditor),
        "counter": _signed_in(fb, fb.staff_token),
        "auditor_token": auditor,  # type: ignore[dict-item]
    }


def _data(client: TestClient) -> dict[str, Any]:
    resp = client.get(f"{WORK}/data.json")
    assert resp.status_code == 200, resp.text
    return resp.json()


def _audit(fb: FeedbackHall) -> list[tuple[int, str, str | None, str | None]]:
    engine = make_engine(fb.db_url)
    try:
        with transaction(engine, readonly=True) as session:
            rows = session.scalars(select(StaffAuditEntry).order_by(StaffAuditEntry.id))
            return [(r.staff_id, r.action, r.target, r.detail) for r in rows]
    finally:
        engine.dispose()


def test_case_clock_alerts_overdue_first_roles_and_audit(fb: FeedbackHall) -> None:
    people = _people(fb)
    sup, auditor, counter = people["supervisor"], people["auditor"], people["counter"]
    c_first = submit(fb)["case_number"]  # 09:00
    data = _data(sup)
    assert data["role"] == "supervisor" and data["can_act"]
    [case] = data["cases"]
    assert case["case_number"] == c_first and case["clock_text"] == "剩余 1:00:00"
    assert [a["kind"] for a in data["alerts"]] == ["new"]
    assert f"新的办不成事反映 {c_first}，请在 10:00 前响应" == data["alerts"][0]["text"]

    fb.clock.advance(minutes=1)
    took = sup.post(f"{WORK}/cases/{c_first}/take", headers=PAGE, json={})
    assert took.status_code == 200, took.text
    answered = sup.post(
        f"{WORK}/cases/{c_first}/respond", headers=PAGE, json={"note": "已电话联系"}
    )
    assert answered.status_code == 200, answered.text
    fb.clock.advance(minutes=9)  # 09:10
    c_late = submit(fb)["case_number"]
    fb.clock.advance(minutes=30)  # 09:40
    c_new = submit(fb)["case_number"]
    fb.clock.advance(minutes=17)  # 09:57: c_late's hour ends in 13 minutes
    alerts = [(a["kind"], a["text"]) for a in _data(sup)["alerts"]]
    assert ("due_soon", f"{c_late} 响应时限将在 13 分钟内到期") in alerts
    assert [k for k, _t in alerts].count("new") == 2  # c_late and c_new: nobody took them
    assert not any(c_first in t for _k, t in alerts)  # answered: no alert
    fb.clock.advance(minutes=18)  # 10:15: c_late is past its hour
    data = _data(sup)
    order = [(c["case_number"], c["overdue"]) for c in data["cases"]]
    assert order == [(c_late, True), (c_new, False), (c_first, False)]  # not submission order
    assert data["cases"][0]["clock_text"] == "已超时 5:00"
    assert ("overdue", f"{c_late} 已超过响应时限") in {
        (a["kind"], a["text"]) for a in data["alerts"]
    }

    # The auditor reads everything (and the audit log) but changes nothing, page or API.
    seen = _data(auditor)
    assert seen["role"] == "auditor" and not seen["can_act"]
    assert [c["case_number"] for c in seen["cases"]] == [c_late, c_new, c_first]
    refused = auditor.post(f"{WORK}/cases/{c_late}/take", headers=PAGE, json={})
    assert refused.status_code == 403 and refused.json()["code"] == "auditor_read_only"
    api = fb.client.post(
        f"/api/v1/cases/{c_late}/events",
        json={"kind": "take"},
        headers={"Authorization": f"Bearer {people['auditor_token']}"},  # type: ignore[str-bytes-safe]
    )
    assert api.status_code == 403
    assert fb.client.get(
        "/api/v1/cases", headers={"Authorization": f"Bearer {people['auditor_token']}"}
    ).status_code == 200  # fmt: skip
    assert _data(sup)["cases"][0]["owner"] is None  # still nobody's
    # Counter staff do not see the hall's cases nor the audit log.
    mine = _data(counter)
    assert mine["role"] == "counter" and mine["cases"] == [] and mine["audit"] == []
    assert counter.post(f"{WORK}/cases/{c_late}/take", headers=PAGE, json={}).status_code == 403
    # No header, no session: refused before anything happens.
    assert sup.post(f"{WORK}/cases/{c_late}/take", json={}).status_code == 403
    assert TestClient(fb.client.app).get(f"{WORK}/data.json").status_code == 401
    # The page's own CSP: the staff page's, plus data: images (its icon).
    page = sup.get(f"{WORK}/")
    csp = page.headers["content-security-policy"]
    assert page.status_code == 200 and "img-src 'self' data:;" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    script = sup.get(f"{WORK}/static/work.js")
    assert script.status_code == 200 and script.headers["content-security-policy"] == csp

    rows = _audit(fb)
    assert [(a, t) for _s, a, t, _d in rows] == [
        ("case_take", c_first), ("case_respond", c_first),
        ("refused", f"cases/{c_late}"), ("refused", f"cases/{c_late}"),
    ]  # fmt: skip
    assert rows[2][3] == "take by auditor" and rows[3][3] == "take by counter"
    shown = _data(auditor)["audit"]
    assert [(a["action"], a["staff"]) for a in shown][-2:] == [
        ("case_respond", "赵*"), ("case_take", "赵*"),
    ]  # fmt: skip


def test_window_score_rule_and_followups_overdue_first(fb: FeedbackHall) -> None:
    people = _people(fb)
    sup = people["supervisor"]
    for month in (9, 10):
        fb.clock.now = dt.datetime(2026, month, 15, 9, 0, tzinfo=SHANGHAI)
        for level in ("dissatisfied", "satisfied"):
            reasons = {"reasons": ["效率"]} if level == "dissatisfied" else {}
            fb.rate(fb.served_ticket()["id"], level, **reasons)
    fb.clock.now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    data = _data(sup)
    assert [
        (r["counter"], r["period"], r["score"], r["previous_score"]) for r in data["reviews"]
    ] == [("5", "2026-10", 50, 50)]
    assert len(_data(sup)["reviews"]) == 1  # once per counter and month
    followups = data["followups"]
    assert [f["overdue"] for f in followups] == [True, True]
    assert followups[0]["plan_due_on"] < followups[1]["plan_due_on"]
    review_id = data["reviews"][0]["id"]
    closed = sup.post(f"{WORK}/reviews/{review_id}/close", headers=PAGE, json={"note": "已约谈"})
    assert closed.status_code == 200
    assert _data(sup)["reviews"] == []
    step = sup.post(
        f"{WORK}/followups/{followups[0]['id']}/verify", headers=PAGE, json={"note": "属实"}
    )
    assert step.status_code == 200, step.text
    assert _data(sup)["followups"][0]["next_step"] == "rectify"
    assert [a for _s, a, _t, _d in _audit(fb)] == ["review_close", "followup_verify"]
    # Counter staff see their own counter's items only (staff 1 holds counter 5).
    mine = _data(people["counter"])
    assert mine["own_counter"] == "5" and len(mine["followups"]) == 2


@pytest.mark.slow
def test_a_case_arrives_and_the_supervisor_sees_it_with_its_clock_in_chromium(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from test_hall_staff_web_browser import WAIT_S

    from hall.db import add_kiosk, migrate
    from hall.testing import ServerProcess

    browser = _browser(tmp_path, monkeypatch)
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk = add_kiosk(db_url, "kiosk-1")
    supervisor = add_staff(db_url, "赵*", supervisor=True)
    try:
        with ServerProcess(db_url, log_path=tmp_path / "server.log") as server:
            wait = WebDriverWait(
                browser, WAIT_S, poll_frequency=0.2,
                ignored_exceptions=[StaleElementReferenceException],
            )  # fmt: skip
            browser.get(f"{server.base_url}/staff/login")
            browser.find_element(By.ID, "token").send_keys(supervisor)
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait.until(lambda d: d.current_url.endswith("/staff/"))
            browser.get_log("browser")  # drop the login page's (its favicon is not ours)
            browser.get(f"{server.base_url}/staff/work/")
            wait.until(lambda d: d.find_element(By.ID, "role").text == "值班长")
            assert browser.find_element(By.ID, "no-cases").is_displayed()
            body = {
                "idempotency_key": "case-1", "tried_normal_channel": True,
                "overlapping_duties": False, "policy_room": False,
                "categories": ["跨部门协调"], "description": "两个部门要求的证明互相矛盾",
                "phone": "13912345678", "privacy_consent": True,
                "item_id": "business-license", "severity": "urgent",
            }  # fmt: skip
            resp = httpx.post(
                f"{server.base_url}/api/v1/cases",
                json=body,
                headers={"Authorization": f"Bearer {kiosk}"},
                timeout=10,
            )
            assert resp.status_code == 201, resp.text
            number = resp.json()["case_number"]
            row = f'#case-rows tr[data-case="{number}"]'
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
            clock = browser.find_element(By.CSS_SELECTOR, f"{row} td.clock").text
            # urgent: a quarter of an hour (HALL_CASE_URGENT_RESPOND_HOURS' default)
            assert clock.startswith("剩余 14:") or clock.startswith("剩余 15:00"), clock
            matter = browser.find_element(By.CSS_SELECTOR, f"{row} td.case-matter")
            assert matter.text == "营业执照设立登记"
            assert matter.get_attribute("title") == "Business licence registration"
            severity = browser.find_element(By.CSS_SELECTOR, f"{row} td.case-severity")
            assert severity.text == "紧急"
            alert = browser.find_element(By.ID, "work-alerts").text
            assert f"新的办不成事反映 {number}" in alert
            assert "13912345678" not in browser.page_source  # the phone stays with its owner
            browser.find_element(By.CSS_SELECTOR, f'{row} button[data-action="take"]').click()
            wait.until(lambda d: "赵*" in d.find_element(By.CSS_SELECTOR, row).text)
            wait.until(
                lambda d: "新的办不成事反映" not in d.find_element(By.ID, "work-alerts").text
            )
            browser.save_screenshot(str(tmp_path / "work-queue.png"))
            errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == []
    finally:
        browser.quit()


def _browser(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from test_hall_staff_web_browser import CHROMEDRIVER, CHROMIUM, _browser_or_fail

    webdriver, service_class = _browser_or_fail()
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def _no_selenium_manager(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager must not run (it would download a driver)")

    monkeypatch.setattr(SeleniumManager, "binary_paths", _no_selenium_manager)
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,900", f"--user-data-dir={tmp_path / 'chromium'}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = service_class(
        executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")
    )
    return webdriver.Chrome(options=options, service=service)


def test_the_queue_shows_each_cases_matter_and_severity(fb: FeedbackHall) -> None:
    """The matter by its catalog name (or 不在事项库, or the id of an item the catalog no
    longer has) and the severity by its name, for the supervisor."""
    supervisor = _people(fb)["supervisor"]
    known = submit(fb, item_id="hukou-transfer", severity="many_or_vulnerable")
    outside = submit(fb, not_in_catalog=True)
    gone = submit(fb, item_id="retired-item", severity="urgent")
    older = submit(fb)  # no matter given (as before issue 17)
    rows = {c["case_number"]: c for c in _data(supervisor)["cases"]}
    first = rows[known["case_number"]]
    assert (first["matter"], first["matter_en"]) == ("户口迁移", "Household registration transfer")
    assert first["severity"] == "many_or_vulnerable"
    assert first["severity_name"] == "涉及多人或老幼病残孕等弱势群体"
    second = rows[outside["case_number"]]
    assert second["matter"] == "不在事项库" and second["not_in_catalog"] is True
    assert second["severity_name"] == "一般"
    third = rows[gone["case_number"]]
    assert third["matter"] == "retired-item（事项库中已无此项）"
    assert third["severity_name"] == "紧急" and third["severity_name_en"] == "urgent"
    assert rows[older["case_number"]]["matter"] == "未注明事项"
    page = supervisor.get(f"{WORK}/")
    assert '<th scope="col">事项</th>' in page.text and "紧急程度" in page.text


def test_malformed_window_score_min_stops_the_server_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contract.errors import ConfigError
    from hall.app import create_app

    url = f"sqlite:///{tmp_path}/score.sqlite3"
    for bad in ("8O", "0", "101", "80.5", "-5"):
        monkeypatch.setenv("HALL_WINDOW_SCORE_MIN", bad)
        with pytest.raises(ConfigError, match="HALL_WINDOW_SCORE_MIN"):
            create_app(url, id_hash_key=bytes(32))
    monkeypatch.setenv("HALL_WINDOW_SCORE_MIN", "70")
    assert create_app(url, id_hash_key=bytes(32)).state.window_score_min == 70
    monkeypatch.delenv("HALL_WINDOW_SCORE_MIN")
    assert create_app(url, id_hash_key=bytes(32)).state.window_score_min == 80
