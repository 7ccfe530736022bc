"""The citizen's phone page in a real headless Chromium with mobile emulation (375×667)
against a real ``python -m hall serve`` process with HALL_PUBLIC_URL set.

- the ticket's link opens the page: number, item, window group and location, people
  ahead; all text at least 16 px, nothing wider than the phone;
- call-next shows "请到 5 号窗口" within 1 s (pushed, not polled); a transfer and a missed
  call are shown; after completion the page offers the rating, the rating arrives with
  channel ``phone``, and a second one gets 409 (explained); the rating buttons are not
  replaced while the queue moves on;
- a wrong signature gets the plain 404 page; English is one tap away;
- after a server restart the page says "连接中断，正在重连…", reconnects by itself and
  shows a call made while it was away.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from board_support import COUNTER, Driver, chromium

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess, free_port

pytestmark = pytest.mark.slow

WAIT_S = 20.0
PHONE = {"deviceMetrics": {"width": 375, "height": 667, "pixelRatio": 2.0}}


def _wait(browser: Any, condition: Any, timeout: float = WAIT_S, poll: float = 0.1) -> Any:
    """Until ``condition`` holds; an element the page replaced meanwhile (it re-renders on
    each update) is looked up again at the next poll."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, poll, ignored_exceptions=ignored).until(condition)


def _click(browser: Any, selector: str) -> None:
    """Click the element once it is there, again if the page replaced it under the click."""
    _wait(browser, lambda b: b.find_element("css selector", selector).click() or True)


def _status(browser: Any) -> str:
    return str(browser.find_element("id", "status").text)


@pytest.fixture
def phone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Driver, Path]]:
    db_path = tmp_path / "hall.sqlite3"
    url = f"sqlite:///{db_path}"
    migrate(url)
    kiosk_token, staff_token = add_kiosk(url, "kiosk-1"), add_staff(url, "测试员")
    port = free_port()
    env = {"HALL_BOARD_HEARTBEAT_S": "1", "HALL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    browser = chromium(tmp_path, monkeypatch, size="375,667", mobile=PHONE)
    with ServerProcess(url, port=port, env=env) as server:
        driver = Driver(server.base_url, kiosk_token, staff_token)
        try:
            yield browser, driver, db_path
        finally:
            driver.close()
            browser.quit()


def _open(browser: Any, ticket: dict[str, Any]) -> None:
    browser.get(ticket["public_url"])
    _wait(browser, lambda b: b.find_element("id", "number").text == ticket["number"])
    # subscribed to the push stream (the page loads its state after the stream's hello)
    _wait(browser, lambda b: b.execute_script("return document.getElementById('conn').hidden;"))


def test_live_call_within_a_second_transfer_completion_and_phone_rating(
    phone: tuple[Any, Driver, Path],
) -> None:
    browser, driver, db_path = phone
    ahead = driver.issue()
    ticket = driver.issue()
    _open(browser, ticket)
    assert browser.execute_script("return window.innerWidth;") == 375
    assert browser.find_element("id", "ahead").text == "1 人"
    assert browser.find_element("id", "location").text == ticket["location"]
    assert browser.find_element("id", "group").text == ticket["window_group_name"]
    assert browser.find_element("id", "service").text == ticket["service_name"]
    layout = browser.execute_script(
        "const sizes = Array.from(document.querySelectorAll('body *'))"
        ".filter((n) => n.offsetParent !== null && n.textContent.trim())"
        ".map((n) => parseFloat(getComputedStyle(n).fontSize));"
        "return {min: Math.min(...sizes), width: document.documentElement.scrollWidth};"
    )
    assert layout["min"] >= 16 and layout["width"] <= 375, layout

    driver.call_next(COUNTER)  # the ticket ahead: the position is refreshed
    _wait(browser, lambda b: b.find_element("id", "ahead").text == "0 人")
    driver.act(ahead["id"], "complete")

    started = time.time()
    driver.call_next(COUNTER)
    _wait(browser, lambda b: _status(b) == "请到 5 号窗口", timeout=5.0, poll=0.02)
    shown = browser.execute_script(
        "return window.phoneLog.filter((e) => e.event === 'call').map((e) => e.at);"
    )
    assert shown and shown[-1] / 1000 - started < 1.0, shown[-1] / 1000 - started
    assert browser.execute_script("return document.body.dataset.status;") == "called"

    resp = driver.http.post(
        f"/api/v1/tickets/{ticket['id']}/transfer",
        json={"to_group": "livelihood", "reason": "转到社保"},
        headers=driver.staff,
    )
    assert resp.status_code == 200, resp.text
    _wait(browser, lambda b: _status(b) == "已转窗，请继续等候叫号")
    _wait(browser, lambda b: b.find_element("id", "group").text == resp.json()["window_group_name"])
    driver.call_next("10")
    _wait(browser, lambda b: _status(b) == "请到 10 号窗口")

    assert browser.find_element("id", "rate").is_displayed() is False
    driver.act(ticket["id"], "complete")
    _wait(browser, lambda b: b.find_element("id", "rate").is_displayed())
    assert _status(browser) == "已办结，感谢您的耐心"
    _click(browser, "#levels button[data-level='satisfied']")
    _wait(browser, lambda b: b.find_element("id", "rate-result").text == "感谢您的评价！")
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT channel, kiosk_id, counter FROM ratings WHERE ticket_id = ?", (ticket["id"],)
        ).fetchall()
    assert rows == [("phone", "phone-page", "10")]

    second = httpx.post(
        f"{ticket['public_url']}/rating",
        json={"idempotency_key": "second", "level": "very_satisfied"},
        timeout=5.0,
    )
    assert second.status_code == 409 and second.json()["code"] == "already_rated"
    browser.refresh()  # the page now says it was rated, and offers no second rating
    _wait(browser, lambda b: "已经评价过了" in b.find_element("id", "rate-result").text)
    assert browser.find_element("id", "rate").is_displayed() is False


def test_the_rating_buttons_stay_put_while_the_queue_moves_on(
    phone: tuple[Any, Driver, Path],
) -> None:
    """After 办结 the page still reloads its state as the group's queue moves (position
    hints); the rating buttons are not replaced by those reloads, or a tap landing on one
    just then would be lost."""
    from selenium.common.exceptions import StaleElementReferenceException

    browser, driver, _db_path = phone
    ticket = driver.issue()
    later = [driver.issue(), driver.issue()]
    _open(browser, ticket)
    assert driver.call_next(COUNTER)["id"] == ticket["id"]
    driver.act(ticket["id"], "complete")
    _wait(browser, lambda b: b.find_element("id", "rate").is_displayed())
    button = browser.find_element("css selector", "#levels button[data-level='satisfied']")
    loads = "return window.phoneLog.filter((e) => e.loaded).length;"
    before = browser.execute_script(loads)
    assert driver.call_next(COUNTER)["id"] == later[0]["id"]  # the queue moves on
    _wait(browser, lambda b: b.execute_script(loads) > before)  # the page reloaded its state
    try:
        assert button.is_displayed()  # the very element the citizen was about to tap
    except StaleElementReferenceException:
        pytest.fail("the reload replaced the rating buttons under the citizen's finger")
    button.click()
    _wait(browser, lambda b: b.find_element("id", "rate-result").text == "感谢您的评价！")


def test_a_missed_call_is_shown_and_english_is_one_tap_away(
    phone: tuple[Any, Driver, Path],
) -> None:
    browser, driver, _ = phone
    ticket = driver.issue()
    _open(browser, ticket)
    assert _status(browser) == "请耐心等候叫号"
    _click(browser, "#lang")
    assert _status(browser) == "Please wait to be called"
    assert browser.find_element("tag name", "header").text.startswith("Queue status")
    _click(browser, "#lang")
    driver.call_next(COUNTER)
    _wait(browser, lambda b: _status(b) == "请到 5 号窗口")
    driver.act(ticket["id"], "no-show")
    _wait(browser, lambda b: _status(b) == "您已过号，请到服务台咨询")
    assert browser.execute_script("return document.body.dataset.status;") == "missed"


def test_a_wrong_signature_shows_the_plain_404_page(phone: tuple[Any, Driver, Path]) -> None:
    browser, driver, _ = phone
    ticket = driver.issue()
    url = ticket["public_url"]
    forged = url[:-1] + ("A" if url[-1] != "A" else "B")
    browser.get(forged)
    assert "页面不存在或已过期" in browser.find_element("tag name", "body").text
    assert ticket["number"] not in browser.page_source


def test_the_page_reconnects_after_a_server_restart_and_shows_a_call_made_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    kiosk_token, staff_token = add_kiosk(url, "kiosk-1"), add_staff(url, "测试员")
    port = free_port()
    env = {"HALL_BOARD_HEARTBEAT_S": "1", "HALL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    browser = chromium(tmp_path, monkeypatch, size="375,667", mobile=PHONE)
    try:
        with ServerProcess(url, port=port, env=env) as server:
            driver = Driver(server.base_url, kiosk_token, staff_token)
            ticket = driver.issue()
            driver.close()
            _open(browser, ticket)
            browser.execute_script("window.__notReloaded = true;")
        _wait(browser, lambda b: b.find_element("id", "conn").is_displayed(), timeout=10)
        assert browser.find_element("id", "conn").text == "连接中断，正在重连…"

        with ServerProcess(url, env=env) as elsewhere:  # called while the phone was away
            driver = Driver(elsewhere.base_url, kiosk_token, staff_token)
            driver.call_next(COUNTER)
            driver.close()
        assert _status(browser) == "请耐心等候叫号"
        with ServerProcess(url, port=port, env=env):
            _wait(browser, lambda b: _status(b) == "请到 5 号窗口")
            _wait(browser, lambda b: not b.find_element("id", "conn").is_displayed())
            assert browser.execute_script("return window.__notReloaded === true;")
    finally:
        browser.quit()
