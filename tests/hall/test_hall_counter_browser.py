"""The counter workstation in a real browser: Debian's Chromium, headless, via Selenium,
against a real ``python -m hall serve`` process.

Staff sign in with 工号 and password at counter 5, call with the button, complete with
the keyboard shortcut (F6), call the next with F2, switch to English, and put the counter
on break. Nothing is downloaded (see test_hall_staff_web_browser.py for the browser set-up).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_hall_staff_web_browser import WAIT_S, driver  # noqa: F401  (the browser fixture)

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess

pytestmark = pytest.mark.slow

PASSWORD = "counter-pass-1"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServerProcess, str, str]]:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*", number="1001", password=PASSWORD)
    with ServerProcess(db_url, log_path=tmp_path / "server.log") as server:
        yield server, kiosk_token, staff_token


def _issue(server: ServerProcess, token: str, service_id: str, key: str) -> dict[str, Any]:
    resp = httpx.post(
        f"{server.base_url}/api/v1/tickets",
        json={"service_id": service_id, "idempotency_key": key,
              "holder": {"id_number": "110101199001011234", "masked_name": "张*"}},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    return resp.json()


def _text(browser: Any, element_id: str) -> str:
    return str(
        browser.execute_script(f"return document.getElementById('{element_id}').textContent")
    )


def test_counter_page_signs_in_calls_with_button_and_shortcut_and_completes(
    served: tuple[ServerProcess, str, str],
    driver: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    server, kiosk_token, staff_token = served
    first = _issue(server, kiosk_token, "business-license", "k1")
    second = _issue(server, kiosk_token, "tax-invoice", "k2")
    wait = WebDriverWait(
        driver, WAIT_S, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )
    driver.get(f"{server.base_url}/counter/")
    wait.until(lambda d: d.current_url.endswith("/counter/login"))
    driver.find_element(By.ID, "number").send_keys("1001")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    Select(driver.find_element(By.ID, "counter")).select_by_value("5")
    driver.find_element(By.ID, "sign-in").click()
    wait.until(lambda d: d.current_url.endswith("/counter/"))
    assert _text(driver, "counter-id") == "5"
    assert driver.execute_script("return document.cookie") == ""  # HttpOnly
    wait.until(lambda d: _text(d, "waiting-count") == "2")
    assert "张" not in driver.find_element(By.ID, "waiting").text  # no names in the list

    # 叫号 with the button.
    driver.find_element(By.ID, "btn-call-next").click()
    wait.until(lambda d: _text(d, "cur-number") == first["number"])
    assert driver.find_element(By.ID, "cur").is_displayed()
    assert _text(driver, "cur-name") == "张*"
    assert first["number"] in driver.find_element(By.ID, "message").text

    # 办结 with its shortcut F6, then 叫号 with F2.
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.F6)
    wait.until(lambda d: d.find_element(By.ID, "no-current").is_displayed())
    assert _text(driver, "today-complete") == "1"
    body.send_keys(Keys.F2)
    wait.until(lambda d: _text(d, "cur-number") == second["number"])
    state = httpx.get(
        f"{server.base_url}/api/v1/tickets/{first['id']}",
        headers={"Authorization": f"Bearer {staff_token}"},
    ).json()
    assert state["status"] == "completed"

    # English on one tap.
    driver.find_element(By.ID, "lang").click()
    wait.until(lambda d: "Complete" in d.find_element(By.ID, "btn-complete").text)
    driver.find_element(By.ID, "lang").click()
    wait.until(lambda d: "办结" in d.find_element(By.ID, "btn-complete").text)

    # 办结 with the button; 暂停服务 with F10 shows the break and disables 叫号.
    driver.find_element(By.ID, "btn-complete").click()
    wait.until(lambda d: d.find_element(By.ID, "no-current").is_displayed())
    body.send_keys(Keys.F10)
    wait.until(lambda d: d.find_element(By.ID, "paused-banner").is_displayed())
    assert not driver.find_element(By.ID, "btn-call-next").is_enabled()
    driver.save_screenshot(str(tmp_path / "counter-page.png"))
    driver.find_element(By.ID, "btn-open").click()
    wait.until(lambda d: not d.find_element(By.ID, "paused-banner").is_displayed())

    # Sign out: back to the sign-in form.
    driver.find_element(By.CSS_SELECTOR, "form[action='/counter/logout'] button").click()
    wait.until(lambda d: d.current_url.endswith("/counter/login"))


def test_return_button_with_shortcut_and_reason_counts_in_the_return_rate(
    served: tuple[ServerProcess, str, str],
    driver: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """退件: F1 opens the reason list, the chosen reason is kept with the complete action
    and the statistics count the ticket as returned (退件率)."""
    import sqlite3

    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    server, kiosk_token, staff_token = served
    first = _issue(server, kiosk_token, "business-license", "r1")
    wait = WebDriverWait(
        driver, WAIT_S, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )
    driver.get(f"{server.base_url}/counter/login")
    driver.find_element(By.ID, "number").send_keys("1001")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    Select(driver.find_element(By.ID, "counter")).select_by_value("5")
    driver.find_element(By.ID, "sign-in").click()
    wait.until(lambda d: d.current_url.endswith("/counter/"))
    wait.until(lambda d: _text(d, "waiting-count") == "1")
    assert not driver.find_element(By.ID, "btn-return").is_enabled()  # nobody served yet
    driver.find_element(By.ID, "btn-call-next").click()
    wait.until(lambda d: _text(d, "cur-number") == first["number"])
    wait.until(lambda d: d.find_element(By.ID, "btn-return").is_enabled())

    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.F1)
    wait.until(lambda d: d.find_element(By.ID, "return-form").is_displayed())
    options = [
        o.get_attribute("value")
        for o in driver.find_elements(By.CSS_SELECTOR, "#return-reason option")
    ]
    assert options[:2] == ["materials_incomplete", "not_eligible"] and len(options) == 5
    Select(driver.find_element(By.ID, "return-reason")).select_by_value("not_eligible")
    driver.find_element(By.ID, "return-ok").click()
    wait.until(lambda d: d.find_element(By.ID, "no-current").is_displayed())
    assert "已退件" in driver.find_element(By.ID, "message").text
    assert not driver.find_element(By.ID, "return-form").is_displayed()

    staff = {"Authorization": f"Bearer {staff_token}"}
    ticket = httpx.get(f"{server.base_url}/api/v1/tickets/{first['id']}", headers=staff).json()
    assert ticket["status"] == "completed"
    stats = httpx.get(f"{server.base_url}/api/v1/stats/queue?by=total", headers=staff).json()
    assert (stats["total"]["served"], stats["total"]["returned"]) == (1, 1)
    assert stats["total"]["return_rate"] == 1.0
    with sqlite3.connect(tmp_path / "hall.sqlite3") as db:
        details = [
            r[0] for r in db.execute("SELECT detail FROM queue_actions WHERE kind = 'complete'")
        ]
    assert details == ["outcome:return:not_eligible"]
