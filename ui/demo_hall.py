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
from typing import Any, Protocol, runtime_checkable

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30.0
RATING = "very_satisfied"


@runtime_checkable
class DemoAccounts(Protocol):
    """What the embedded hall server offers the demo (``hall.embedded.EmbeddedHallServer``)."""

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


class HttpCounter:
    """The counter over plain HTTP, as its page does: the sign-in form, then the page's
    action routes with the session's CSRF token (used when there is no browser)."""

    def __init__(self, http: httpx.Client, counter: str) -> None:
        self.http, self.counter, self.csrf = http, counter, ""

    def sign_in(self, staff_number: str, password: str) -> None:
        form = self.http.get("/counter/login")
        login_csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if form.status_code != 200 or login_csrf is None:
            raise RuntimeError(f"the counter sign-in form failed ({form.status_code})")
        fields = {"csrf": login_csrf[1], "number": staff_number, "password": password}
        resp = self.http.post("/counter/login", data={**fields, "counter": self.counter})
        if resp.status_code != 303 or not resp.headers.get("location", "").endswith("/counter/"):
            raise RuntimeError(f"the counter sign-in was refused ({resp.status_code})")
        page = self.http.get("/counter/")
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        if page.status_code != 200 or csrf is None:
            raise RuntimeError(f"the counter page did not open ({page.status_code})")
        self.csrf = csrf[1]

    def act(self, action: str, **body: str) -> None:
        resp = self.http.post(
            f"/counter/api/{action}", json=body, headers={"X-CSRF-Token": self.csrf}
        )
        if resp.status_code != 200:
            raise RuntimeError(f"counter {action} failed ({resp.status_code}): {resp.text}")

    def call(self, number: str, go: Callable[[], None]) -> None:
        go()
        self.act("call", number=number)

    def complete(self, number: str) -> None:
        self.act("complete")

    def sign_out(self) -> None:
        if self.csrf:
            self.http.post("/counter/logout", data={"csrf": self.csrf})


class BrowserCounter:
    """The counter page in Chromium, used as staff use it: the sign-in form typed in,
    指定叫号 (call a number) with the number typed, 办结 (complete) clicked."""

    def __init__(self, browser: Any, base_url: str, counter: str) -> None:
        self.browser, self.base, self.counter = browser, base_url, counter
        self.window = ""

    def _text(self, element_id: str) -> str:
        return str(self.browser.find_element("id", element_id).text)

    def sign_in(self, staff_number: str, password: str) -> None:
        from selenium.webdriver.support.ui import Select

        b = self.browser
        b.switch_to.new_window("window")
        self.window = b.current_window_handle
        b.get(f"{self.base}/counter/")
        _poll(lambda: b.current_url.endswith("/counter/login"), "the counter sign-in form")
        b.find_element("id", "number").send_keys(staff_number)
        b.find_element("id", "password").send_keys(password)
        Select(b.find_element("id", "counter")).select_by_value(self.counter)
        b.find_element("id", "sign-in").click()
        _poll(lambda: self._text("counter-id") == self.counter, "the signed-in counter page")

    def call(self, number: str, go: Callable[[], None]) -> None:
        """Types the number into 指定叫号; ``go()`` just before the click that calls."""
        b = self.browser
        b.switch_to.window(self.window)
        waiting = f'#waiting tr[data-number="{number}"]'
        _poll(lambda: b.find_elements("css selector", waiting), f"{number} in the waiting list")
        b.find_element("id", "btn-call").click()
        _poll(lambda: b.find_element("id", "call-number").is_displayed(), "the 指定叫号 form")
        b.find_element("id", "call-number").send_keys(number)
        ok = b.find_element("id", "call-ok")
        go()
        ok.click()

    def complete(self, number: str) -> None:
        b = self.browser
        b.switch_to.window(self.window)
        _poll(lambda: self._text("cur-number") == number, f"{number} as the current ticket")
        b.find_element("id", "btn-complete").click()
        _poll(lambda: b.find_element("id", "no-current").is_displayed(), "办结 on the page")

    def sign_out(self) -> None:
        if self.window:
            self.browser.switch_to.window(self.window)
            self.browser.find_element(
                "css selector", "form[action='/counter/logout'] button"
            ).click()
            _poll(lambda: self.browser.current_url.endswith("/counter/login"), "the sign-out")


# Set on the board page before the call: the browser's clock (ms since the epoch) when the
# called number first appears in its list of calls.
_WATCH_BOARD = """
const sel = arguments[0];
window.demoSeenAt = null;
new MutationObserver((_, obs) => {
  if (document.querySelector(sel)) { window.demoSeenAt = Date.now(); obs.disconnect(); }
}).observe(document.body, { subtree: true, childList: true });
"""


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

    def shot(self, browser: Any, name: str) -> None:
        browser.save_screenshot(str(self.out / name))
        self.screenshots.append(name)

    def run(self) -> dict[str, Any]:
        if not isinstance(self.server, DemoAccounts):
            self.report["skipped"] = "the hall server is not the embedded one: not demonstrated"
            self.http.close()
            return self.report
        accounts = self.server.demo_accounts(self.counter)
        self.report["staff_number"] = accounts["staff_number"]
        stream = BoardStream(self.base)
        stream.start()
        profile = tempfile.TemporaryDirectory(prefix="demo-chromium-")
        browser, why_not = start_chromium(Path(profile.name))
        self.report["browser"] = "chromium" if browser is not None else f"missing: {why_not}"
        counter: HttpCounter | BrowserCounter = (
            BrowserCounter(browser, self.base, self.counter)
            if browser is not None
            else HttpCounter(self.http, self.counter)
        )
        self.report["counter_driven_by"] = (
            "counter page in Chromium" if browser is not None else "counter page routes over HTTP"
        )
        on_board = f'#calls-now li.call[data-number="{self.number}"]'
        windows: dict[str, str] = {}
        try:
            _poll(lambda: stream.find(lambda e: e["event"] == "hello"), "the board stream's hello")
            if browser is not None:
                browser.get(f"{self.base}/board/")
                windows["board"] = browser.current_window_handle
                browser.switch_to.new_window("window")
                browser.get(f"{self.base}/rate/#token={accounts['evaluator_token']}")
                windows["rate"] = browser.current_window_handle
                _poll(
                    lambda: browser.execute_script("return document.body.dataset.screen") == "idle",
                    "the evaluator's idle screen",
                )
            counter.sign_in(accounts["staff_number"], accounts["password"])
            self.report["signed_in"] = True
            if browser is not None:
                board_window = browser.current_window_handle
                browser.switch_to.window(windows["board"])
                browser.execute_script(_WATCH_BOARD, on_board)
                browser.switch_to.window(board_window)

            started = {"monotonic": 0.0, "epoch_ms": 0.0}

            def go() -> None:  # the moment the call is made: the latencies start here
                started.update(monotonic=time.monotonic(), epoch_ms=time.time() * 1000)

            counter.call(self.number, go)
            call = _poll(
                lambda: stream.find(
                    lambda e: e["event"] == "call" and e.get("ticket_number") == self.number
                ),
                "the call event on the board stream",
            )
            self.report["call_latency_ms"] = round((call["seen"] - started["monotonic"]) * 1000, 1)
            self.report["call_latency_measured_by"] = "board event stream (SSE)"
            self.save_announcement(call.get("audio_url", ""))

            if browser is not None:
                browser.switch_to.window(windows["board"])
                seen = _poll(
                    lambda: browser.execute_script("return window.demoSeenAt"),
                    "the call on the board page",
                )
                self.report["board_page_latency_ms"] = round(seen - started["epoch_ms"], 1)
                self.shot(browser, "hall-board.png")
                browser.switch_to.window(counter.window)  # type: ignore[union-attr]
                _poll(
                    lambda: browser.find_element("id", "cur-number").text == self.number,
                    "the called ticket on the counter page",
                )
                self.shot(browser, "hall-counter.png")

            counter.complete(self.number)
            self.report["completed"] = True
            self.report["rating"] = (
                self.rate_in_browser(browser, windows["rate"])
                if browser is not None
                else self.rate_over_http(accounts["evaluator_token"])
            )
            counter.sign_out()
            self.report["signed_out"] = True
        finally:
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
