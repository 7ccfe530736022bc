"""Rendering proofs and the rules every screen keeps: glyphs, language, back/home, idle."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytesseract
import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button

from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def test_home_screen_renders_chinese_glyphs(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """OCR the rendered home screen: tofu boxes would not read back as these words.

    Each widget is cut out of the screenshot and read on its own (Tesseract's page layout
    analysis skips white text on the blue tiles when given the whole page).
    """
    qtbot.waitUntil(lambda: find_button(window, "tile_ticket") is not None)
    shot = tmp_path / "home.png"
    assert window.grab().save(str(shot))
    page = ImageOps.grayscale(Image.open(shot))
    title = window.current_screen().findChild(QLabel, "screen_title")
    for widget, words in (
        (title, "示范市政务服务中心"),
        (find_button(window, "tile_ticket"), "取号"),
        (find_button(window, "tile_guide"), "办事指南"),
    ):
        assert widget is not None
        top_left = widget.mapTo(window, QPoint(0, 0))
        box = (
            top_left.x(),
            top_left.y(),
            top_left.x() + widget.width(),
            top_left.y() + widget.height(),
        )
        page.crop(box).save(tmp_path / f"{widget.objectName()}.png")
        text = " ".join(
            pytesseract.image_to_string(page.crop(box), lang="chi_sim", config=f"--psm {psm}")
            for psm in (7, 6)
        )  # one line; else a block
        text = CJK_SPACE.sub("", text).strip()
        assert words in text, f"{words!r} not read back from the screen (OCR: {text!r})"


def test_english_switch_translates_the_screens(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    assert find_button(window, "language").text() == "English"  # the other language
    click(qtbot, window, "language")
    qtbot.waitUntil(lambda: find_button(window, "tile_ticket") is not None)
    assert find_button(window, "tile_ticket").text() == "Take a number"
    assert find_button(window, "language").text() == "中文"
    click(qtbot, window, "tile_ticket")
    assert window.current_screen().title.text() == "Take a number: choose a category"
    assert find_button(window, "back").text() == "Back"
    click(qtbot, window, "language")
    assert window.current_screen().title.text() == "取号：请选择办理类别"
    assert find_button(window, "language").text() == "English"


def test_back_and_home_on_every_screen(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    flow = core.flow
    steps = [
        ("tile_ticket", Screen.GROUPS),
        ("group_general", Screen.ITEMS),
        ("entry_policy-consultation", Screen.IDENTIFY),
        ("skip_identity", Screen.NOTICE),
    ]
    for button, screen in steps:
        click(qtbot, window, button)
        assert flow.state.screen is screen
        qtbot.waitUntil(lambda: find_button(window, "home") is not None)
        assert find_button(window, "back") is not None
    click(qtbot, window, "back")
    assert flow.state.screen is Screen.IDENTIFY
    click(qtbot, window, "home")
    assert flow.state.screen is Screen.HOME


def test_inactivity_asks_first_and_waits_at_least_20_s(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    now = [1000.0]
    flow.visit.clock = lambda: now[0]
    click(qtbot, window, "tile_ticket")
    now[0] += flow.config.inactivity_s + 1
    window._tick()
    qtbot.waitUntil(lambda: window.overlay.isVisible() and window.overlay.kind == "idle")
    assert str(flow.config.inactivity_grace_s) in window.overlay.text.text()
    click(qtbot, window, "idle_continue")
    assert not flow.state.idle_prompt and flow.state.screen is Screen.GROUPS

    now[0] += flow.config.inactivity_s + 1
    window._tick()
    assert flow.state.idle_prompt
    now[0] += 19
    window._tick()
    assert flow.state.screen is Screen.GROUPS  # still asking after 19 s
    now[0] += flow.config.inactivity_grace_s
    window._tick()
    assert flow.state.screen is Screen.HOME
    qtbot.waitUntil(lambda: not window.overlay.isVisible())


def test_a_touch_anywhere_on_the_window_means_the_citizen_is_there(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """A touch on no button at all (the question's text) answers 您还在吗: it reaches the
    window as a touchscreen's does, through its QWindow, where the kiosk watches input."""
    flow = core.flow
    now = [1000.0]
    flow.visit.clock = lambda: now[0]
    click(qtbot, window, "tile_ticket")
    now[0] += flow.config.inactivity_s + 1
    window._tick()
    qtbot.waitUntil(lambda: window.overlay.isVisible() and window.overlay.kind == "idle")
    text = window.overlay.text
    spot = text.mapTo(window, text.rect().center())
    handle = window.windowHandle()
    assert handle is not None
    # a press is enough: the question goes at the press (and the tap presses nothing under
    # it: the test below)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    qtbot.waitUntil(lambda: not flow.state.idle_prompt)
    assert flow.state.screen is Screen.GROUPS
    now[0] += flow.config.inactivity_s - 1  # counted from the touch
    window._tick()
    assert not flow.state.idle_prompt


def test_a_tap_that_answers_still_there_presses_nothing_under_it(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """The tap that answers 您还在吗 only answers it: the button that was under the
    question is not pressed (the question goes at the press, before Qt picks a widget)."""
    flow = core.flow
    now = [1000.0]
    flow.visit.clock = lambda: now[0]
    click(qtbot, window, "tile_ticket")
    assert flow.state.screen is Screen.GROUPS
    under = window.findChild(QWidget, "group_market")
    assert under is not None and under.isVisible()
    spot = under.mapTo(window, under.rect().center())
    now[0] += flow.config.inactivity_s + 1
    window._tick()
    qtbot.waitUntil(lambda: window.overlay.isVisible() and window.overlay.kind == "idle")
    assert window.overlay.geometry().contains(window.overlay.parentWidget().mapFrom(window, spot))
    handle = window.windowHandle()
    assert handle is not None
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    qtbot.waitUntil(lambda: not flow.state.idle_prompt and not window.overlay.isVisible())
    assert flow.state.screen is Screen.GROUPS  # the group under the question was not chosen
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    qtbot.waitUntil(lambda: flow.state.screen is Screen.ITEMS)  # the next tap chooses it


def test_every_ui_string_is_translated(tmp_path: Path) -> None:
    """lupdate finds no string that kiosk_en.ts lacks, and none is left unfinished."""
    ts = ROOT / "ui" / "i18n" / "kiosk_en.ts"
    copy = tmp_path / "kiosk_en.ts"
    shutil.copy(ts, copy)
    lupdate = shutil.which("pyside6-lupdate", path=str(Path(__import__("sys").executable).parent))
    if lupdate is None:
        pytest.fail("pyside6-lupdate not found next to the Python interpreter")
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    out = subprocess.run(
        [lupdate, *sources, "-ts", str(copy), "-no-obsolete", "-locations", "none"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"\((\d+) new and (\d+) already existing\)", out)
    assert found, out
    assert found.group(1) == "0", (
        f"strings missing from {ts.name}: run scripts/update-translations\n{out}"
    )
    assert 'type="unfinished"' not in copy.read_text(encoding="utf-8")


def test_the_any_item_tile_pages_through_every_item(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """The 大综窗 lists every item: in pages with 上一页/下一页, not below the fold."""
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_general")
    everything = [s.id for s in core.flow.ticket.entries()]
    assert len(everything) > 12  # more than a page: the test means something
    seen: list[str] = []

    def shown() -> list[str]:
        return [e for e in everything if find_button(window, f"entry_{e}") is not None]

    while True:
        qtbot.waitUntil(lambda: bool(shown()) and shown()[0] not in seen)
        assert len(shown()) <= 12
        seen.extend(shown())
        if find_button(window, "page_next") is None:
            break
        click(qtbot, window, "page_next")
    assert sorted(seen) == sorted(everything)
