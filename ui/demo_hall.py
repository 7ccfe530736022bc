"""The hall half of the scripted demo: the card ticket is called, announced, served and rated.

After the kiosk has issued its tickets (``ui.demo``), this signs a counter in through the
counter page's own sign-in form (``/counter/login``, a fresh staff account made by the
embedded server as ``python -m hall add-staff`` makes one), calls the card ticket by its
number and completes it through the counter page's routes (``/counter/api/…``), saves the
spoken call (the WAV behind the call's ``audio_url``), and rates the ticket on the window
evaluator (``/rate/``, its device token made as ``python -m hall add-evaluator`` makes it).

The call latency is from the call request to the call event arriving on the call-board
stream (``/api/v1/board/events``), read by a plain HTTP client in a thread. With Debian's
Chromium (headless, through Selenium) the board, the counter page and the evaluator are
also opened in a real browser and screenshotted, and the rating is given by tapping the
evaluator page; without Chromium the report says so and the rating goes to the evaluator's
route over HTTP. Nothing here writes the database.

No Qt here: it only talks HTTP (and to a browser).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30.0
RATING = "very_satisfied"


class DemoAccounts(Protocol):
    def demo_accounts(self, counter: str) -> dict[str, str]: ...


def _poll(condition: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = condition()
        except Exception:  # noqa: BLE001 - a page still loading: try again until the deadline
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo: {what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.05)


class BoardStream(threading.Thread):
    """Reads the call-board stream; every event is kept with the monotonic time it came."""

    def __init__(self, base_url: str) -> None:
        super().__init__(name="demo-board-stream", daemon=True)
        self.url = f"{base_url}/api/v1/board/events"
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self._response: httpx.Response | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(60.0, read=60.0)) as client:
                with client.stream("GET", self.url) as response:
                    self._response = response
                    kind = "message"
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            event = {
                                "event": kind,
                                "seen": time.monotonic(),
                                **json.loads(line[6:]),
                            }
                            with self.lock:
                                self.events.append(event)
                            kind = "message"
        except Exception:  # noqa: BLE001 - closed by stop(), or the server went away
            pass

    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        with self.lock:
            return next((e for e in self.events if predicate(e)), None)

    def stop(self) -> None:
        self.stopped.set()
        if self._response is not None:
            try:
                self._response.close()
            except Exception:  # noqa: BLE001
                pass
        self.join(timeout=5)


def start_chromium(profile_dir: Path) -> tuple[Any, str]:
    """Debian's headless Chromium through Selenium, nothing downloaded; (driver, "") or
    (None, why not)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None, "the Python package selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return None, f"{path} not found (apt-get install -y chromium chromium-driver)"
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,800", f"--user-data-dir={profile_dir}",
        "--autoplay-policy=no-user-gesture-required",  # as the hall TV runs the board
    ):  # fmt: skip
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER)
    try:
        return webdriver.Chrome(options=options, service=service), ""
    except Exception as exc:  # noqa: BLE001 - reported plainly in report.json
        return None, f"Chromium did not start: {str(exc).splitlines()[0][:200]}"


class HallDemo:
    def __init__(
        self, base_url: str, server: object, out_dir: Path, number: str, counter: str
    ) -> None:
        self.base = base_url
        self.server = server
        self.out = out_dir
        self.number = number
        self.counter = counter
        self.http = httpx.Client(base_url=base_url, timeout=30.0, follow_redirects=False)
        self.report: dict[str, Any] = {"counter": counter, "ticket_number": number}
        self.screenshots: list[str] = []

    # -- the counter, through its sign-in form and its page's routes -------------------------
    def sign_in(self, staff_number: str, password: str) -> str:
        form = self.http.get("/counter/login")
        login_csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if form.status_code != 200 or login_csrf is None:
            raise RuntimeError(f"demo: the counter sign-in form failed ({form.status_code})")
        resp = self.http.post(
            "/counter/login",
            data={
                "csrf": login_csrf[1],
                "number": staff_number,
                "password": password,
                "counter": self.counter,
            },
        )
        if resp.status_code != 303 or not resp.headers.get("location", "").endswith("/counter/"):
            raise RuntimeError(f"demo: the counter sign-in was refused ({resp.status_code})")
        page = self.http.get("/counter/")
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        if page.status_code != 200 or csrf is None:
            raise RuntimeError(f"demo: the counter page did not open ({page.status_code})")
        return csrf[1]

    def counter_action(self, csrf: str, action: str, **body: str) -> dict[str, Any]:
        resp = self.http.post(f"/counter/api/{action}", json=body, headers={"X-CSRF-Token": csrf})
        if resp.status_code != 200:
            raise RuntimeError(f"demo: counter {action} failed ({resp.status_code}): {resp.text}")
        return dict(resp.json())

    def sign_out(self, csrf: str) -> None:
        self.http.post("/counter/logout", data={"csrf": csrf})

    # -- the browser ----------------------------------------------------------------------
    def shot(self, browser: Any, name: str) -> None:
        browser.save_screenshot(str(self.out / name))
        self.screenshots.append(name)

    def run(self) -> dict[str, Any]:
        if not hasattr(self.server, "demo_accounts"):
            self.report["skipped"] = "the hall server is not the embedded one: not demonstrated"
            return self.report
        accounts = self.server.demo_accounts(self.counter)  # type: ignore[attr-defined]
        self.report["staff_number"] = accounts["staff_number"]
        stream = BoardStream(self.base)
        stream.start()
        _poll(lambda: stream.find(lambda e: e["event"] == "hello"), "the board stream's hello")
        profile = tempfile.TemporaryDirectory(prefix="demo-chromium-")
        browser, why_not = start_chromium(Path(profile.name))
        self.report["browser"] = "chromium" if browser is not None else f"missing: {why_not}"
        csrf = ""
        try:
            csrf = self.sign_in(accounts["staff_number"], accounts["password"])
            self.report["signed_in"] = True
            tabs: dict[str, str] = {}
            if browser is not None:
                browser.get(f"{self.base}/board/")
                tabs["board"] = browser.current_window_handle
                browser.switch_to.new_window("tab")
                browser.get(f"{self.base}/rate/#token={accounts['evaluator_token']}")
                tabs["rate"] = browser.current_window_handle
                _poll(
                    lambda: browser.execute_script("return document.body.dataset.screen") == "idle",
                    "the evaluator's idle screen",
                )
                browser.switch_to.window(tabs["board"])

            started = time.monotonic()
            self.counter_action(csrf, "call", number=self.number)
            call = _poll(
                lambda: stream.find(
                    lambda e: e["event"] == "call" and e.get("ticket_number") == self.number
                ),
                "the call event on the board stream",
            )
            self.report["call_latency_ms"] = round((call["seen"] - started) * 1000, 1)
            self.report["call_latency_measured_by"] = "board event stream (SSE)"
            self.save_announcement(call.get("audio_url", ""))

            if browser is not None:
                on_board = f'#calls-now li.call[data-number="{self.number}"]'
                _poll(
                    lambda: browser.find_elements("css selector", on_board),
                    "the call on the board page",
                )
                self.report["board_page_latency_ms"] = round((time.monotonic() - started) * 1000, 1)
                self.shot(browser, "hall-board.png")
                # the counter page, in the session signed in above (its cookie is HttpOnly)
                browser.switch_to.new_window("tab")
                browser.get(f"{self.base}/counter/login")
                session = next(c for c in self.http.cookies.jar if c.path == "/counter")
                browser.add_cookie(
                    {"name": session.name, "value": session.value, "path": "/counter",
                     "httpOnly": True}
                )  # fmt: skip
                browser.get(f"{self.base}/counter/")
                _poll(
                    lambda: browser.find_element("id", "cur-number").text == self.number,
                    "the called ticket on the counter page",
                )
                self.shot(browser, "hall-counter.png")

            self.counter_action(csrf, "complete")
            self.report["completed"] = True
            self.report["rating"] = (
                self.rate_in_browser(browser, tabs["rate"])
                if browser is not None
                else self.rate_over_http(accounts["evaluator_token"])
            )
        finally:
            if csrf:
                self.sign_out(csrf)
            stream.stop()
            if browser is not None:
                browser.quit()
            profile.cleanup()
            self.http.close()
        self.report["screenshots"] = self.screenshots
        return self.report

    def save_announcement(self, url: str) -> None:
        if not url.startswith("/api/v1/announcements/"):
            self.report["announcement"] = "the call event carried no audio"
            return
        resp = self.http.get(url)
        if resp.status_code != 200 or not resp.content.startswith(b"RIFF"):
            self.report["announcement"] = f"no spoken call: HTTP {resp.status_code}"
            return
        name = f"announcement-{self.number}.wav"
        (self.out / name).write_bytes(resp.content)
        self.report["announcement"] = name

    def rate_in_browser(self, browser: Any, tab: str) -> dict[str, Any]:
        browser.switch_to.window(tab)
        _poll(
            lambda: (
                browser.execute_script("return document.body.dataset.screen") == "rate"
                and browser.find_element("id", "rate-number").text == self.number
            ),
            "the completed ticket on the evaluator",
        )
        self.shot(browser, "hall-evaluator.png")
        browser.find_element("css selector", f"button[data-level={RATING}]").click()
        log = _poll(
            lambda: browser.execute_script("return window.rateLog.length && window.rateLog"),
            "the evaluator's rating answer",
        )
        data = log[0]["data"]
        return {
            "by": "evaluator page (Chromium)",
            "status": log[0]["status"],
            "level": data.get("level"),
            "channel": data.get("channel"),
            "counter": data.get("counter"),
        }

    def rate_over_http(self, token: str) -> dict[str, Any]:
        resp = self.http.post(
            "/api/v1/evaluator/ratings",
            json={
                "ticket_number": self.number,
                "idempotency_key": f"demo-{self.number}",
                "level": RATING,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        data = (
            resp.json()
            if resp.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        return {
            "by": "evaluator route over HTTP (no browser)",
            "status": resp.status_code,
            "level": data.get("level"),
            "channel": data.get("channel"),
            "counter": data.get("counter"),
        }
