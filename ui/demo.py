"""The scripted demo: walks the main flows through the real window, offscreen.

It clicks the same buttons a citizen taps, screenshots every screen it passes, collects the
printed tickets (PNG) from the virtual printer, and writes ``report.json`` with the tickets
issued and how long each step took (milliseconds).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk.app import KioskCore
from kiosk.identity import check_char
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.runner import QtRunner

# An invented number (area 330106, born 1985-06-12, sequence 123); its check character is
# computed, so it is valid without belonging to anyone we know.
DEMO_TYPED_ID = "330106198506121" + "23"
DEMO_TYPED_ID += check_char(DEMO_TYPED_ID)


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the kiosk did not reach the expected state in time")
        app.processEvents()
        QTest.qWait(5)


class Demo:
    def __init__(self, app: QApplication, core: KioskCore, runner: QtRunner, out_dir: Path) -> None:
        self.app, self.core, self.runner = app, core, runner
        self.out = out_dir
        self.shots: list[str] = []
        self.tickets: list[dict[str, Any]] = []
        self.timings: dict[str, float] = {}
        from ui.staff.panel import install_staff_panel

        # as ui.app.make_window does (ui.app imports this module: no import circle)
        self.window: MainWindow = MainWindow(
            core.flow, core.guide, core.virtual_cards(), core.present_virtual_card
        )
        install_staff_panel(self.window, core)
        self.window.resize(1280, 960)
        self.window.show()

    # -- helpers --------------------------------------------------------------------------
    def click(self, name: str) -> None:
        def shown() -> bool:
            b = self.window.findChild(QPushButton, name)
            return b is not None and b.isVisible()

        try:
            wait_until(self.app, shown, timeout_s=5)
        except TimeoutError:
            raise LookupError(
                f"no button {name!r} on screen {self.core.flow.state.screen}"
            ) from None
        b = self.window.findChild(QPushButton, name)
        QTest.mouseClick(b, Qt.MouseButton.LeftButton)
        self.settle()

    def settle(self) -> None:
        wait_until(self.app, lambda: self.runner.pending == 0 and self.core.flow.state.busy is None)

    def shot(self, flow: str, what: str) -> None:
        self.app.processEvents()
        name = f"{len(self.shots) + 1:02d}-{flow}-{what}.png"
        self.window.grab().save(str(self.out / name))
        self.shots.append(name)

    def take_ticket(self, flow: str) -> None:
        state = self.core.flow.state
        self.click("confirm_notice")
        state = self.core.flow.state
        if state.screen is not Screen.TICKET or state.ticket is None:
            raise RuntimeError(f"{flow}: no ticket issued (message: {state.message})")
        self.shot(flow, "ticket")
        job = state.print_job
        printed = ""
        if job is not None and job.png_path is not None:
            printed = f"printed-{flow}-{state.ticket.number}.png"
            shutil.copy(job.png_path, self.out / printed)
        t = state.ticket
        self.tickets.append(
            {
                "flow": flow,
                "number": t.number,
                "id": t.id,
                "service_id": t.service_id,
                "window_group": t.window_group,
                "people_ahead": t.people_ahead,
                "estimated_wait_s": t.estimated_wait_s,
                "printed": bool(state.printed),
                "printed_png": printed,
            }
        )
        self.click("finish")
        self.shot(flow, "thanks")
        self.click("thanks_home")

    def timed(self, flow: str, walk: Callable[[], None]) -> None:
        start = time.perf_counter()
        walk()
        self.timings[flow] = round((time.perf_counter() - start) * 1000, 1)

    # -- the flows ------------------------------------------------------------------------
    def card_flow(self) -> None:
        self.shot("card", "home")
        self.click("tile_ticket")
        self.shot("card", "groups")
        self.click("group_market")
        self.shot("card", "items")
        self.click("entry_business-license")
        self.shot("card", "identify")
        name = self.core.virtual_cards()[0][0]
        self.core.present_virtual_card(name)
        wait_until(self.app, lambda: self.core.flow.state.screen is Screen.NOTICE)
        self.shot("card", "notice")
        self.take_ticket("card")

    def typed_flow(self) -> None:
        self.click("tile_ticket")
        self.click("group_livelihood")
        self.click("entry_hukou-transfer")
        wrong = DEMO_TYPED_ID[:-1] + ("0" if DEMO_TYPED_ID[-1] != "0" else "1")
        for ch in wrong:
            self.click(f"key_{ch}")
        self.click("key_ok")
        self.shot("typed", "invalid-id")
        self.click("key_clear")
        for ch in DEMO_TYPED_ID:
            self.click(f"key_{ch}")
        self.shot("typed", "typing")
        self.click("key_ok")
        self.shot("typed", "notice")
        self.take_ticket("typed")

    def bundle_flow(self) -> None:
        self.click("tile_ticket")
        self.click("group_bundles")
        self.shot("bundle", "bundles")
        self.click("entry_newborn-bundle")
        names = self.core.virtual_cards()
        self.core.present_virtual_card(names[-1][0])
        wait_until(self.app, lambda: self.core.flow.state.screen is Screen.NOTICE)
        self.shot("bundle", "notice")
        self.click("print_notice")
        job = self.core.flow.state.print_job
        if job is not None and job.png_path is not None:
            shutil.copy(job.png_path, self.out / "printed-bundle-notice.png")
        self.take_ticket("bundle")

    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        self.timed("card", self.card_flow)
        self.timed("typed", self.typed_flow)
        self.timed("bundle", self.bundle_flow)
        self.window.close()
        report = {
            "tickets": self.tickets,
            "timings_ms": self.timings,
            "screenshots": self.shots,
            "hall_server": self.core.hall.base_url,
        }
        (self.out / "report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return report
