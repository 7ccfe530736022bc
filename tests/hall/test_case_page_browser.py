"""A 办不成事 case's phone page in a real headless Chromium with mobile emulation (375×667)
against a real ``python -m hall serve`` process with HALL_PUBLIC_URL set:

- the slip's link opens the page: case number, status, matter, the steps as staff take,
  respond and close it; all text at least 16 px, nothing wider than the phone, nothing
  loaded from anywhere but the hall server; English is one tap away;
- once closed the page offers the handling rating; it is stored with channel ``phone``,
  and the page then offers no second one;
- a case already rated at the kiosk: the page says so (Chinese and English);
- a wrong signature gets the plain 404 page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from board_support import Driver, chromium

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess, free_port

pytestmark = pytest.mark.slow

WAIT_S = 30.0
PHONE = {"deviceMetrics": {"width": 375, "height": 667, "pixelRatio": 2.0}}
CITIZEN_PHONE = "13912345678"  # invented


def _wait(browser: Any, condition: Any, timeout: float = WAIT_S) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element("id", element_id).text)


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Driver, Path]]:
    db_path = tmp_path / "hall.sqlite3"
    url = f"sqlite:///{db_path}"
    migrate(url)
    kiosk_token, staff_token = add_kiosk(url, "kiosk-1"), add_staff(url, "测试员")
    port = free_port()
    env = {"HALL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    browser = chromium(tmp_path, monkeypatch, size="375,667", mobile=PHONE)
    with ServerProcess(url, port=port, env=env, log_path=tmp_path / "server.log") as server:
        driver = Driver(server.base_url, kiosk_token, staff_token)
        try:
            yield browser, driver, db_path
        finally:
            driver.close()
            browser.quit()


def _submit(driver: Driver, key: str, **extra: Any) -> dict[str, Any]:
    body = {
        "idempotency_key": key, "tried_normal_channel": True, "overlapping_duties": False,
        "policy_room": False, "categories": ["跨部门协调"],
        "description": "两个部门要求的证明互相矛盾", "phone": CITIZEN_PHONE,
        "privacy_consent": True, **extra,
    }  # fmt: skip
    resp = driver.http.post("/api/v1/cases", json=body, headers=driver.kiosk)
    assert resp.status_code == 201, resp.text
    case = dict(resp.json())
    assert case["public_url"].startswith(driver.base_url + "/c/" + case["case_number"] + "/")
    return case


def _step(driver: Driver, number: str, kind: str, note: str | None = None) -> None:
    body = {"kind": kind} if note is None else {"kind": kind, "note": note}
    resp = driver.http.post(f"/api/v1/cases/{number}/events", json=body, headers=driver.staff)
    assert resp.status_code == 200, resp.text


def _steps(browser: Any) -> list[str]:
    return list(
        browser.execute_script(
            "return Array.from(document.querySelectorAll('#steps li')).map((n) => n.dataset.kind);"
        )
    )


def test_progress_rating_on_the_phone_and_english(page: tuple[Any, Driver, Path]) -> None:
    browser, driver, db_path = page
    case = _submit(driver, "case-1", item_id="hukou-transfer", severity="urgent")
    number = case["case_number"]
    browser.get(case["public_url"])
    _wait(browser, lambda b: _text(b, "number") == number)
    assert browser.execute_script("return window.innerWidth;") == 375
    assert _text(browser, "status") == "已提交，待受理"
    assert _text(browser, "matter") == "户口迁移"
    assert _steps(browser) == ["received"]
    assert browser.find_element("id", "rate").is_displayed() is False
    layout = browser.execute_script(
        "const sizes = Array.from(document.querySelectorAll('body *'))"
        ".filter((n) => n.offsetParent !== null && n.textContent.trim())"
        ".map((n) => parseFloat(getComputedStyle(n).fontSize));"
        "return {min: Math.min(...sizes), width: document.documentElement.scrollWidth,"
        " origins: performance.getEntriesByType('resource').map((e) => new URL(e.name).origin)};"
    )
    assert layout["min"] >= 16 and layout["width"] <= 375, layout
    assert set(layout["origins"]) == {driver.base_url}, layout["origins"]  # works offline
    assert CITIZEN_PHONE[-4:] not in browser.page_source  # nothing of the citizen
    assert "两个部门要求的证明互相矛盾" not in browser.page_source

    _step(driver, number, "take")
    _step(driver, number, "respond", "已电话联系")
    _step(driver, number, "close", "已办结")
    browser.refresh()
    _wait(browser, lambda b: _text(b, "status") == "已办结")
    assert _steps(browser) == ["received", "take", "respond", "close"]
    assert "已电话联系" not in browser.page_source and "测试员" not in browser.page_source
    _wait(browser, lambda b: b.find_element("id", "rate").is_displayed())
    browser.save_screenshot(str(db_path.parent / "case-page.png"))  # for a look by eye

    browser.find_element("id", "lang").click()  # English, one tap
    _wait(browser, lambda b: _text(b, "status") == "Closed")
    assert _text(browser, "matter") == "Household registration transfer"
    assert browser.find_element("css selector", "#levels button[data-level='satisfied']").text \
        == "Satisfied"  # fmt: skip
    browser.find_element("id", "lang").click()
    _wait(browser, lambda b: _text(b, "status") == "已办结")

    browser.find_element("css selector", "#levels button[data-level='satisfied']").click()
    _wait(browser, lambda b: _text(b, "rate-result") == "感谢您的评价！")
    _wait(browser, lambda b: not b.find_element("id", "rate").is_displayed())
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT handling_level, handling_channel, phone_tail_hash FROM cases"
            " WHERE case_number = ?",
            (number,),
        ).fetchall()
    assert rows == [("satisfied", "phone", None)]
    browser.refresh()  # rated: the page says so and offers no second rating
    _wait(browser, lambda b: "已经评价过了" in _text(b, "rate-result"))
    assert "满意" in _text(browser, "rate-result")
    assert browser.find_element("id", "rate").is_displayed() is False
    errors = [
        e for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]  # the hall has none
    ]  # fmt: skip
    assert errors == []


def test_rated_at_the_kiosk_and_a_wrong_link(page: tuple[Any, Driver, Path]) -> None:
    browser, driver, _ = page
    case = _submit(driver, "case-2", not_in_catalog=True)
    number = case["case_number"]
    for kind, note in (("take", None), ("respond", "已联系"), ("close", "已办结")):
        _step(driver, number, kind, note)
    rated = driver.http.post(
        f"/api/v1/cases/{number}/handling-rating",
        json={"phone_tail": CITIZEN_PHONE[-4:], "level": "basic"},
        headers=driver.kiosk,
    )
    assert rated.status_code == 200, rated.text
    browser.get(case["public_url"])
    _wait(browser, lambda b: _text(b, "number") == number)
    assert _text(browser, "matter") == "不在事项库"
    _wait(browser, lambda b: "自助终端" in _text(b, "rate-result"))
    assert "基本满意" in _text(browser, "rate-result")
    assert browser.find_element("id", "rate").is_displayed() is False
    browser.find_element("id", "lang").click()
    _wait(browser, lambda b: "kiosk" in _text(b, "rate-result"))

    sig = case["public_url"].rsplit("/", 1)[1]
    wrong = "A" * 22 if sig != "A" * 22 else "B" * 22
    browser.get(case["public_url"][: -len(sig)] + wrong)
    _wait(browser, lambda b: "页面不存在或已过期" in b.page_source)
