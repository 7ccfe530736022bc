"""/docs is served by the hall server itself (hall/api_docs.py): no CDN, no external URL,
works offline; FastAPI's CDN pages are off. In a real headless Chromium the page lists the
API from /openapi.json, in Chinese with English on one tap."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hall_support import Hall
from test_hall_staff_web_browser import WAIT_S, driver  # noqa: F401

from hall.db import migrate
from hall.testing import ServerProcess

EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]")


def test_docs_and_its_files_come_from_this_server_with_no_external_url(hall: Hall) -> None:
    page = hall.client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not EXTERNAL.search(page.text), EXTERNAL.search(page.text)
    local = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/docs/static/api-docs.js" in local
    for url in local:
        assert url.startswith("/"), url
        served = hall.client.get(url)
        assert served.status_code == 200, url
        assert not EXTERNAL.search(served.text), (url, EXTERNAL.search(served.text))
    assert hall.client.get("/redoc").status_code == 404  # FastAPI's CDN page is off
    assert hall.client.get("/docs/static/..%2Fapp.py").status_code == 404
    assert hall.client.get("/openapi.json").status_code == 200


@pytest.mark.slow
def test_docs_lists_the_api_in_a_real_browser_and_switches_to_english(
    driver: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    with ServerProcess(db_url) as server:
        driver.get(f"{server.base_url}/docs")
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if len(driver.find_elements(By.CSS_SELECTOR, "#routes section")) > 5:
                break
            time.sleep(0.1)
        text = driver.find_element(By.ID, "routes").text
        assert "/api/v1/tickets" in text and "参数" in text
        assert driver.find_element(By.TAG_NAME, "h1").text == "大厅服务器接口说明"
        driver.find_element(By.ID, "lang").click()
        assert driver.find_element(By.TAG_NAME, "h1").text == "Hall server API"
        assert "Parameters" in driver.find_element(By.ID, "routes").text
