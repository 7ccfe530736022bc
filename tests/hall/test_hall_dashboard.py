"""The wall dashboard ``/dashboard/``: its data against the statistics API (TestClient,
fixed clock), and the page in Debian's headless Chromium at 1920×1080 against a real
``python -m hall serve``: numbers equal the API's, charts drawn by the locally served
ECharts, no console error, a screenshot kept."""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from hall_support import Hall

from hall.db import add_kiosk, add_staff, migrate
from hall.testing import ServerProcess

ECHARTS_SHA256 = "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0"


def test_dashboard_data_equals_the_statistics_api_and_compares_with_yesterday(
    hall: Hall,
) -> None:
    yesterday = hall.issue("business-license")
    hall.clock.advance(minutes=4)
    assert hall.call_next("5")["id"] == yesterday["id"]
    hall.act(yesterday["id"], "complete")
    hall.clock.advance(days=1)
    first = hall.issue("business-license")
    hall.issue("hukou-transfer")
    hall.clock.advance(minutes=12)
    assert hall.call_next("5")["id"] == first["id"]
    hall.clock.advance(minutes=3)
    hall.act(first["id"], "complete")
    hall.issue("business-change")

    data = hall.client.get("/dashboard/data.json").json()
    api = hall.client.get("/api/v1/stats/queue", headers=hall.staff()).json()["total"]
    assert data["day"] == "2026-11-24"
    assert data["today"]["issued"] == api["issued"] == 3
    assert data["today"]["served"] == api["served"] == 1
    assert data["today"]["wait_avg_min"] == round(api["wait_avg_s"] / 60, 1) == 12.0
    assert (data["yesterday"]["issued"], data["yesterday"]["wait_avg_min"]) == (1, 4.0)
    waiting = {g["group_id"]: g["waiting"] for g in data["waiting"]}
    assert (waiting["market"], waiting["livelihood"], waiting["general"]) == (1, 1, 0)
    assert data["waiting_total"] == 2
    assert data["hourly_today"][data["hours"].index(9)] == 3
    assert data["cases"] == {"open": 0, "overdue": 0}
    assert data["kiosks"]["never_seen"] == 1
    page = hall.client.get("/dashboard/")
    assert page.status_code == 200 and "/dashboard/static/echarts.min.js" in page.text
    assert "https://" not in page.text and "http://" not in page.text  # nothing from a CDN
    lib = hall.client.get("/dashboard/static/echarts.min.js")
    assert hashlib.sha256(lib.content).hexdigest() == ECHARTS_SHA256
    assert hall.client.get("/dashboard/static/other.js").status_code == 404


_READ_JS = """
const ids = ["issued", "served", "wait", "issued-yesterday", "waiting-total", "cases-open",
  "cases-overdue", "kiosks-ok", "kiosks-lost"];
const out = {};
for (const id of ids) out[id] = document.getElementById(id).textContent;
out.rows = Array.from(document.querySelectorAll("#waiting-rows tr")).map(
  (tr) => [tr.dataset.group, tr.querySelector("td.n").textContent]);
out.canvases = document.querySelectorAll("#chart-waiting canvas, #chart-hourly canvas").length;
out.loaded = document.body.dataset.loaded || "";
out.width = window.innerWidth;
out.height = window.innerHeight;
out.overflow = document.documentElement.scrollHeight > window.innerHeight;
return out;
"""


@pytest.mark.slow
def test_dashboard_in_chromium_at_1920x1080_shows_the_api_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    from test_hall_staff_web_browser import CHROMEDRIVER, CHROMIUM, WAIT_S, _browser_or_fail

    webdriver, service_class = _browser_or_fail()
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def _no_selenium_manager(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager must not run (it would download a driver)")

    monkeypatch.setattr(SeleniumManager, "binary_paths", _no_selenium_manager)
    monkeypatch.setenv("SE_OFFLINE", "true")

    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    kiosk_token = add_kiosk(db_url, "kiosk-1")
    staff_token = add_staff(db_url, "王*")
    keys = itertools.count(1)
    with ServerProcess(db_url, log_path=tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as api:

            def issue(service_id: str) -> dict[str, Any]:
                resp = api.post(
                    "/api/v1/tickets",
                    json={"service_id": service_id, "idempotency_key": f"k{next(keys)}"},
                    headers={"Authorization": f"Bearer {kiosk_token}"},
                )
                assert resp.status_code == 201, resp.text
                return resp.json()

            staff = {"Authorization": f"Bearer {staff_token}"}
            for service in ("business-license", "food-business-permit", "hukou-transfer"):
                issue(service)
            called = api.post("/api/v1/counters/5/call-next", headers=staff).json()
            done = api.post(f"/api/v1/tickets/{called['id']}/complete", headers=staff)
            assert done.status_code == 200
            expected = api.get("/api/v1/stats/queue", headers=staff).json()["total"]

            options = webdriver.ChromeOptions()
            options.binary_location = CHROMIUM
            for flag in (
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1920,1080",
                "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium'}",
            ):  # fmt: skip
                options.add_argument(flag)
            options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            service = service_class(
                executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")
            )
            driver = webdriver.Chrome(options=options, service=service)
            try:
                driver.execute_cdp_cmd(  # the viewport of a 1920×1080 wall screen exactly
                    "Emulation.setDeviceMetricsOverride",
                    {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
                )
                wait = WebDriverWait(
                    driver,
                    WAIT_S,
                    poll_frequency=0.2,
                    ignored_exceptions=[StaleElementReferenceException],
                )
                driver.get(f"{server.base_url}/dashboard/")
                wait.until(lambda d: d.execute_script(_READ_JS)["loaded"])
                wait.until(lambda d: d.execute_script(_READ_JS)["canvases"] >= 2)
                shown = driver.execute_script(_READ_JS)
                assert (shown["width"], shown["height"]) == (1920, 1080)
                assert not shown["overflow"]  # one screen, no scrolling
                assert shown["issued"] == str(expected["issued"]) == "3"
                assert shown["served"] == str(expected["served"]) == "1"
                assert float(shown["wait"]) == round(expected["wait_avg_s"] / 60, 1)
                assert shown["issued-yesterday"] == "0"
                assert shown["waiting-total"] == "2"
                assert dict(shown["rows"])["market"] == "1"
                assert dict(shown["rows"])["livelihood"] == "1"
                assert (shown["cases-open"], shown["kiosks-lost"]) == ("0", "0")

                wait.until(lambda d: d.execute_script("return document.body.dataset.live") == "1")
                issue("business-change")  # the screen follows by itself (push stream)
                wait.until(lambda d: d.execute_script(_READ_JS)["issued"] == "4")
                driver.find_element("id", "lang").click()
                assert "Issued today" in driver.find_element("tag name", "body").text
                driver.save_screenshot(str(tmp_path / "dashboard.png"))
                if os.environ.get("HALL_SCREENSHOT_DIR"):  # keep it for a human to look at
                    driver.save_screenshot(
                        os.path.join(os.environ["HALL_SCREENSHOT_DIR"], "dashboard.png")
                    )
                assert (tmp_path / "dashboard.png").stat().st_size > 10_000
                errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
                assert errors == []
            finally:
                driver.quit()
