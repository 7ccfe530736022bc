"""Every screen fits the hall's screens: 1080×1920 portrait, 1920×1080 landscape, 1366×768
and 1280×1024 — both modes, both languages, every screen and overlay of the tour.

At each size: the window keeps that size (its minimum is not larger), no widget lies
outside it, no two controls overlap, no text is clipped (``ui/layout_check.py``), and the
accessibility audit passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget
from test_accessibility import audit_scrolled

from kiosk.app import KioskCore
from ui import theme
from ui.layout_check import problems
from ui.main_window import MainWindow
from ui.tour import tour
from ui.widgets import WrapButton, button

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1080, 1920), (1920, 1080), (1366, 768), (1280, 1024)]


def walk(window: MainWindow, core: KioskCore, size: tuple[int, int]) -> list[str]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.resize(*size)
    app.processEvents()
    found: list[str] = []
    seen = 0
    for name in tour(app, window, core):
        seen += 1
        if window.size().toTuple() != size:
            found.append(f"{name}: window {window.size().toTuple()}, minimum "
                         f"{window.minimumSizeHint().toTuple()} — larger than the screen")  # fmt: skip
            window.resize(*size)
            continue
        overlay = window.overlay if window.overlay.isVisible() else None
        found += [f"{name}: {p}" for p in problems(window, overlay)]
        found += audit_scrolled(name, window, app)
    assert seen == 74
    return found


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_screen_fits(window: MainWindow, core: KioskCore, size: tuple[int, int]) -> None:
    found = walk(window, core, size)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:80])


def test_the_check_catches_a_cut_off_button_and_an_overlap(window: MainWindow) -> None:
    """The check itself can fail: squeeze a label, push a button off the window, lay one
    button on another (no event processing after the moves: the layouts would undo them)."""
    QApplication.processEvents()
    assert problems(window) == []
    window.hall_label.setFixedSize(20, 20)
    QApplication.processEvents()
    assert any("clipped" in p and "hall_name" in p for p in problems(window))
    call = window.help_button  # 呼叫工作人员, on every screen
    call.move(window.width() - 10, call.y())
    assert any("outside" in p and "call_staff" in p for p in problems(window))
    window.language_button.setGeometry(window.elder_button.geometry())
    assert any("overlap" in p and "language" in p for p in problems(window))


def test_a_button_wraps_its_text_in_a_narrow_column_and_the_check_sees_it(
    window: MainWindow,
) -> None:
    """A long caption in a column narrower than one line wraps onto more lines: the layout
    gives the button the height they need, and the check finds nothing; squeezed back to
    one line's height, the check reports it clipped (it measures, it does not trust)."""
    text = "Window 12 · Ground floor, east wing, next to the lifts"
    b = button(text, lambda: None, role="tile", name="long_tile")
    assert isinstance(b, WrapButton) and b.text() == text  # the voice reads the whole text
    grid = QGridLayout()
    grid.addWidget(b, 0, 0)
    grid.addWidget(button("旁边", lambda: None), 0, 1)
    host = QWidget(window)
    host.setStyleSheet(theme.style(False))
    host.setLayout(grid)
    one_line = b.sizeHint()
    host.resize(one_line.width() // 2, 600)
    host.show()
    QApplication.processEvents()
    assert b.width() < one_line.width() - 40  # narrower than its one line...
    assert b.height() > one_line.height()  # ...so it grew a line
    assert problems(host) == []
    b.resize(b.width(), one_line.height() - 30)  # no event processing: layouts would undo it
    assert any("clipped" in p and "long_tile" in p for p in problems(host))
    host.deleteLater()


@pytest.mark.slow
def test_screenshot_tour_takes_a_size(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--screenshots", str(out), "--size", "1080x1920"],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shots = sorted(out.glob("*.png"))
    assert len(shots) == 74
    for shot in (shots[0], shots[-1]):
        with Image.open(shot) as image:
            assert image.size == (1080, 1920)
    bad = subprocess.run(
        [sys.executable, "-m", "kiosk", "--screenshots", str(out), "--size", "big"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "WIDTHxHEIGHT" in bad.stderr
