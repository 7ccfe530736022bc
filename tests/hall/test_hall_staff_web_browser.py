"""The staff page in a real browser: Debian's Chromium, headless, driven by Selenium.

A real ``python -m hall serve`` process (``hall.testing.ServerProcess``) gets heartbeats
from two kiosks every 0.25 s (they announce interval_s=1; HALL_LOST_AFTER_MISSED=3, so a
kiosk is lost after 3 s of silence: a healthy kiosk would need a 3 s stall of a loaded
machine to be mistaken for lost). The browser logs in, sees both kiosks, then one kiosk
stops and the page, refreshing itself, shows it as lost; staff close a help request.

Nothing is downloaded: the browser and the driver are Debian's (``apt-get install chromium
chromium-driver``) and Selenium Manager is never run. Without them the test is skipped, or
fails under CI=true, where a missing browser is a broken setup, not a reason to skip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30.0
"""Bound on every wait for the page, seconds (the page refreshes every 2.5 s)."""
EVIL_ID = "<b>x</b>"


def _missing(what: str) -> NoReturn:
    message = (
        f"{what}; install with: apt-get install -y chromium chromium-driver && pip install selenium"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test cannot run: {message}")
    pytest.skip(message)


def _browser_or_fail() -> tuple[Any, Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("the Python package selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"{path} not found")
    return webdriver, Service


class HeartbeatSender(threading.Thread):
    """Posts a healthy heartbeat for one kiosk every ``period_s`` until stopped."""

    def __init__(self, base_url: str, kiosk_id: str, token: str, period_s: float = 0.25) -> None:
        super().__init__(name=f"heartbeat-{kiosk_id}", daemon=True)
        self.url = f"{base_url}/api/v1/kiosks/{kiosk_id}/heartbeat"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.period_s = period_s
        self.stopped = threading.Event()
        self.sent = 0
        self.errors: list[str] = []

    def run(self) -> None:
        body = {
            "version": "0.1.0",
            "interval_s": 1,
            "devices": {"card_reader": "ok", "printer": "ok", "camera": "ok", "voice": "ok"},
            "outbox_backlog": 0,
            "alerts": [],
        }
        with httpx.Client(timeout=5.0) as client:
            while not self.stopped.is_set():
                try:
                    resp = client.post(self.url, json=body, headers=self.headers)
                    if resp.status_code == 200:
                        self.sent += 1
                    else:
                        self.errors.append(f"{resp.status_code} {resp.text[:200]}")
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                self.stopped.wait(self.period_s)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
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
    service = service_class(
        executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")
    )
    browser = webdriver.Chrome(options=options, service=service)
    try:
        yield browser
    finally:
        browser.quit()


_ROWS_JS = """
return Array.from(document.querySelectorAll("#kiosk-rows tr")).map((tr) => ({
  id: tr.dataset.kioskId,
  state: tr.dataset.state,
  id_text: tr.querySelector("th").textContent,
  text: tr.innerText,
  elements: tr.querySelectorAll("b, img, script").length,
}));
"""


def rows(browser: Any) -> dict[str, dict[str, Any]]:
    """The kiosk table as {kiosk id: row}, read in one script run: the page rebuilds its
    rows every refresh, so element handles kept across calls could go stale."""
    return {row["id"]: row for row in browser.execute_script(_ROWS_JS)}


def states(browser: Any) -> dict[str, str]:
    return {kiosk_id: row["state"] for kiosk_id, row in rows(browser).items()}


def _click_close(browser: Any, help_id: str) -> bool:
    from selenium.webdriver.common.by import By

    buttons = browser.find_elements(By.CSS_SELECTOR, f'button[data-help-id="{help_id}"]')
    if not buttons:
        return False
    buttons[0].click()  # may go stale if a refresh replaced it: the wait retries
    return True


def test_staff_page_lists_two_kiosks_and_shows_a_stopped_one_as_lost(
    tmp_path: Path, driver: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    tokens = {kiosk_id: add_kiosk(db_url, kiosk_id) for kiosk_id in ("kiosk-a", "kiosk-b")}
    add_kiosk(db_url, EVIL_ID)  # never sends: listed as never seen, its id shown as text
    staff_token = add_staff(db_url, "王*")
    server_log = tmp_path / "server.log"
    server = ServerProcess(db_url, env={"HALL_LOST_AFTER_MISSED": "3"}, log_path=server_log)
    senders = [HeartbeatSender(server.base_url, k, t) for k, t in tokens.items()]
    wait = WebDriverWait(
        driver, WAIT_S, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
    )
    with server:
        for sender in senders:
            sender.start()
        try:
            driver.get(f"{server.base_url}/staff/")
            wait.until(lambda d: d.current_url.endswith("/staff/login"))
            driver.find_element(By.ID, "token").send_keys(staff_token)
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait.until(lambda d: d.current_url.endswith("/staff/"))

            # Both kiosks listed as ok (the live refresh picks them up if the first
            # render came before their first heartbeat).
            both_ok = {"kiosk-a": "ok", "kiosk-b": "ok", EVIL_ID: "never_seen"}
            wait.until(lambda d: states(d) == both_ok)
            assert driver.execute_script("return document.cookie") == ""  # HttpOnly
            evil = rows(driver)[EVIL_ID]
            assert evil["id_text"] == EVIL_ID and evil["elements"] == 0  # text, not markup

            driver.execute_script("window.__notReloaded = true;")
            senders[1].stop()  # kiosk-b goes silent
            wait.until(lambda d: states(d)["kiosk-b"] == "lost")
            snapshot = rows(driver)
            assert "失联" in snapshot["kiosk-b"]["text"]  # words, not colour only
            assert "失去联系" in snapshot["kiosk-b"]["text"]
            assert snapshot["kiosk-a"]["state"] == "ok", (snapshot, senders[0].errors)
            assert driver.execute_script("return window.__notReloaded === true;")  # live
            evil = snapshot[EVIL_ID]  # now rendered by the script, not the server
            assert evil["id_text"] == EVIL_ID and evil["elements"] == 0
            assert "失联 1" in driver.find_element(By.ID, "summary").text

            # A citizen at kiosk-a calls for help; staff close it from the page.
            resp = httpx.post(
                f"{server.base_url}/api/v1/help-requests",
                json={"screen": "identify", "elder": True},
                headers={"Authorization": f"Bearer {tokens['kiosk-a']}"},
            )
            assert resp.status_code == 201, resp.text
            help_id = str(resp.json()["id"])
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-help-id="{help_id}"]'))
            driver.save_screenshot(str(tmp_path / "staff-page.png"))
            wait.until(lambda d: _click_close(d, help_id))
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#help-rows tr") == [])
            assert driver.find_element(By.ID, "no-help").is_displayed()
            listed = httpx.get(
                f"{server.base_url}/api/v1/help-requests",
                headers={"Authorization": f"Bearer {staff_token}"},
            )
            assert listed.json() == []
        finally:
            for sender in senders:
                sender.stop()
        assert senders[0].errors == [] and senders[0].sent > 0
        assert senders[1].errors == []
