"""The start path builds and imports only what the home screen needs (issue 18: start →
home ≤ 1.0 s on a 1080×1920 screen). The other screens are built on first use, or right
after the home screen is shown; heavy modules load after it too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui import theme
from ui.app import make_window
from ui.main_window import SCREEN_CLASSES
from ui.screens.case import CaseFormScreen

ROOT = Path(__file__).resolve().parents[2]

# modules the start → home path used to import, and must not again
HEAVY = ("qrcode", "PIL", "rich", "click", "numpy", "cv2", "pyttsx3", "pypinyin", "fastapi",
         "sqlalchemy", "uvicorn", "ui.screens.case", "ui.screens.precheck",
         "ui.screens.rating", "ui.keyboard")  # fmt: skip

START_PATH = f"""
import os, sys
from hall.embedded import EmbeddedHallServer
import kiosk.__main__
from kiosk.app import build_core
from kiosk.settings import load_settings
from ui.app import application, make_window
from ui.runner import QtRunner
app = application()
core = build_core(load_settings(), QtRunner(), start_hall=False, hall_server=EmbeddedHallServer)
window = make_window(core, staff_panel=False)
print("loaded:", [m for m in {HEAVY!r} if m in sys.modules])
print("built:", sorted(key.name for key in window.screens.built))
sys.stdout.flush()
os._exit(0)  # the start check only
"""


def test_the_start_path_imports_and_builds_only_the_home_screen() -> None:
    out = subprocess.run([sys.executable, "-c", START_PATH], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ,
                         "QT_QPA_PLATFORM": "offscreen"}).stdout  # fmt: skip
    assert "loaded: []" in out, out
    assert "built: ['HOME']" in out, out


def test_screens_are_built_on_first_use(qtbot: QtBot, core: KioskCore) -> None:
    window = make_window(core, staff_panel=False)
    qtbot.addWidget(window)
    assert set(window.screens.built) == {Screen.HOME}
    form = window.screens[Screen.CASE_FORM]
    assert isinstance(form, CaseFormScreen)
    assert window.screens[Screen.CASE_FORM] is form  # built once
    assert window.pages[form].widget() is form
    assert len(window.screens) == len(SCREEN_CLASSES) == len(list(window.screens))


def test_the_other_screens_are_built_after_the_home_screen(qtbot: QtBot, core: KioskCore) -> None:
    window = make_window(core, staff_panel=False)
    qtbot.addWidget(window)
    finished: list[bool] = []
    window.build_screens_later(lambda: finished.append(True))
    assert set(window.screens.built) == {Screen.HOME}  # not at once: one per loop turn
    qtbot.waitUntil(lambda: finished == [True], timeout=60_000)
    assert set(window.screens.built) == set(SCREEN_CLASSES)
    assert window.stack.count() == len(SCREEN_CLASSES)
    assert window.current_screen() is window.screens[Screen.HOME]  # still showing home


def test_screens_are_styled_for_the_mode_before_they_are_shown(
    qtbot: QtBot, core: KioskCore
) -> None:
    """While the kiosk is idle the screens built after home are styled and polished (their
    catalog choices built too), and restyled after a 长辈版 switch: a screen's first showing
    inside a visit no longer pays for its style sheet (~30 ms of the GUI thread)."""
    window = make_window(core, staff_panel=False)
    qtbot.addWidget(window)
    window.show()
    finished: list[bool] = []
    window.build_screens_later(lambda: finished.append(True))
    qtbot.waitUntil(lambda: finished == [True], timeout=60_000)
    assert not window.preparing()
    groups, notice = window.screens[Screen.GROUPS], window.screens[Screen.NOTICE]
    tile = groups.findChild(QPushButton, "group_general")  # built ahead: never shown yet
    assert tile is not None and not tile.isVisible()
    for widget in (tile, groups.title, notice.title):
        assert widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)
    assert tile.font().pointSize() == theme.NORMAL.tile_pt
    assert notice.title.font().pointSize() == theme.NORMAL.title_pt

    core.flow.visit.set_elder(True)
    qtbot.waitUntil(lambda: core.flow.state.elder and not window.preparing(), timeout=60_000)
    assert window.current_screen() is window.screens[Screen.HOME]  # the others stayed hidden
    assert tile.font().pointSize() == theme.ELDER.tile_pt
    assert notice.title.font().pointSize() == theme.ELDER.title_pt
    core.flow.ticket.take_number()  # shown as it was styled
    qtbot.waitUntil(lambda: window.current_screen() is groups)
    assert groups.findChild(QPushButton, "group_general") is tile
    assert tile.font().pointSize() == theme.ELDER.tile_pt
