"""The document camera's live picture on the pre-check capture screen: a real
``CameraScanner`` playing a video of a page on the mat (as OpenCV plays a camera), the
real window and the real OCR worker for the page taken."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from uihelpers import click, visible

from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.screens.precheck import PrecheckScreen


def _capture_screen(window: MainWindow, core: KioskCore) -> PrecheckScreen:
    flow = core.flow
    flow.ticket.open_precheck()
    flow.ticket.choose_group("general")
    flow.ticket.choose_entry("social-security-card")
    assert flow.state.screen is Screen.PRECHECK
    screen = window.current_screen()
    assert isinstance(screen, PrecheckScreen)
    return screen


def test_the_camera_picture_is_live_and_a_page_is_taken_from_it(
    camera_video: Path, qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    preview = window.screens[Screen.PRECHECK].preview  # type: ignore[attr-defined]
    hints: list[str] = []
    shown_hint = preview.on_frame
    preview.on_frame = lambda sharpness: (
        shown_hint(sharpness),
        hints.append(screen.camera_hint.text()),
    )
    screen = _capture_screen(window, core)
    assert visible(window, "camera_preview")
    qtbot.waitUntil(lambda: screen.camera_hint.text() == "画面清楚，可以拍", timeout=10_000)
    assert hints[0] == "画面不清楚：请把材料放平、放稳"  # the empty mat came first
    assert preview.sharpness >= 60.0
    picture = preview.pixmap()
    assert not picture.isNull() and picture.width() == 360
    # the picture is the camera's: an ID card on a grey mat, not a blank
    grey = picture.toImage().convertToFormat(picture.toImage().Format.Format_Grayscale8)
    assert len({grey.pixelColor(x, y).value() for x in range(0, 360, 12) for y in (90, 135)}) > 3

    pre = core.flow.precheck
    assert pre is not None
    click(qtbot, window, "precheck_capture")  # auto-capture: the page lies still and sharp
    qtbot.waitUntil(
        lambda: pre.state is not None and pre.state.page_count == 1 and not pre.state.analysing,
        timeout=60_000,
    )
    assert pre.state is not None and pre.state.last is not None
    assert pre.state.last.doc_type == "id_card_front"
    shown = preview.frames_shown
    qtbot.waitUntil(lambda: preview.frames_shown > shown, timeout=5000)  # still live

    core.flow.home()  # the screen is hidden: its camera thread stops
    qtbot.waitUntil(lambda: preview._thread is None, timeout=5000)
    shown = preview.frames_shown
    qtbot.wait(400)
    assert preview.frames_shown == shown


def test_the_folder_scanner_has_no_live_picture(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    screen = _capture_screen(window, core)
    assert not visible(window, "camera_preview") and not visible(window, "camera_hint")
    assert screen.preview._thread is None
