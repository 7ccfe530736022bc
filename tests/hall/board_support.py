"""Helpers for the board and evaluator tests: an SSE client on a real server and a small
driver for the queue routes (kiosk issues, staff calls)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

SERVICE = "business-license"  # group "market", prefix B, counters 5–9
COUNTER = "5"
OTHER_COUNTER = "6"


class SseClient(threading.Thread):
    """Reads ``/api/v1/board/events`` in a thread; every event lands in ``events``."""

    def __init__(self, base_url: str, query: str = "") -> None:
        super().__init__(name="sse-client", daemon=True)
        self.url = f"{base_url}/api/v1/board/events{query}"
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        self._response: httpx.Response | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, read=30.0)) as client:
                with client.stream("GET", self.url) as response:
                    self._response = response
                    kind = "message"
                    for line in response.iter_lines():
                        if self.stopped.is_set():
                            return
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            data = json.loads(line[6:])
                            with self.cond:
                                self.events.append(
                                    {"event": kind, "received": time.monotonic(), **data}
                                )
                                self.cond.notify_all()
                            kind = "message"
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            if not self.stopped.is_set():
                self.error = exc
            with self.cond:
                self.cond.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or self.error is not None:
                    raise AssertionError(
                        f"no matching event within {timeout} s (error {self.error!r});"
                        f" got {[e['event'] for e in self.events]}"
                    )
                self.cond.wait(left)

    def kinds(self) -> list[str]:
        with self.cond:
            return [e["event"] for e in self.events if e["event"] not in ("hello", "heartbeat")]

    def stop(self) -> None:
        self.stopped.set()
        if self._response is not None:
            try:
                self._response.close()
            except Exception:  # noqa: BLE001
                pass
        self.join(timeout=5)


def connected(base_url: str, query: str = "") -> SseClient:
    client = SseClient(base_url, query)
    client.start()
    client.wait_for(lambda e: e["event"] == "hello")
    return client


class Driver:
    """Kiosk and staff requests against a running server."""

    def __init__(self, base_url: str, kiosk_token: str, staff_token: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=15.0)
        self.kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        self.staff = {"Authorization": f"Bearer {staff_token}"}
        self._keys = itertools.count(1)

    def issue(self, service: str = SERVICE, **body: Any) -> dict[str, Any]:
        payload = {"service_id": service, "idempotency_key": f"k-{next(self._keys)}", **body}
        resp = self.http.post("/api/v1/tickets", json=payload, headers=self.kiosk)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def call_next(self, counter: str = COUNTER) -> dict[str, Any]:
        resp = self.http.post(f"/api/v1/counters/{counter}/call-next", headers=self.staff)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def act(self, ticket_id: str, action: str) -> dict[str, Any]:
        resp = self.http.post(f"/api/v1/tickets/{ticket_id}/{action}", headers=self.staff)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def state(self, query: str = "") -> dict[str, Any]:
        resp = self.http.get(f"/api/v1/board/state{query}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def close(self) -> None:
        self.http.close()


# -- a real Chromium (Debian's, headless) ---------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def chromium(
    tmp_path: Any, monkeypatch: Any, *, size: str = "1920,1080", autoplay: bool = True
) -> Any:
    """A headless Chromium driven by Selenium, as tests/hall/test_hall_staff_web_browser.py
    starts it (no Selenium Manager, nothing downloaded); the board's kiosk flags added."""
    import os

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.selenium_manager import SeleniumManager
    except ImportError:
        _missing("the Python package selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"{path} not found")

    def _no_selenium_manager(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager must not run (it would download a driver)")

    monkeypatch.setattr(SeleniumManager, "binary_paths", _no_selenium_manager)
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--window-size={size}", f"--user-data-dir={tmp_path / 'chromium'}",
    ]  # fmt: skip
    if autoplay:
        flags.append("--autoplay-policy=no-user-gesture-required")  # as the hall TV runs it
    for flag in flags:
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    return webdriver.Chrome(options=options, service=service)


def _missing(what: str) -> Any:
    import os

    import pytest

    message = (
        f"{what}; install with: apt-get install -y chromium chromium-driver && pip install selenium"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test cannot run: {message}")
    pytest.skip(message)
