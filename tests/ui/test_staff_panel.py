"""The staff panel through the real window: corner long press, PIN, lockout, idle close,
saving settings and using them without a restart (embedded hall server, real printers)."""

from __future__ import annotations

import logging
import os
import shutil
import time
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QPushButton, QTabWidget
from pytestqt.qtbot import QtBot
from uihelpers import click, text_of

from kiosk.__main__ import main as kiosk_main
from kiosk.app import KioskCore
from kiosk.staff import LOCKOUT_S, PinStore
from kiosk.visit import Screen
from ui.main_window import MainWindow

PIN = "480271"
HOLD_S = 0.3


@pytest.fixture(autouse=True)
def short_press(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STAFF__LONG_PRESS_S", str(HOLD_S))


def long_press(qtbot: QtBot, window: MainWindow, hold_ms: int | None = None) -> None:
    """Pressed on the window, as a touchscreen does (a press sent straight to a widget, as
    ``qtbot.mousePress(widget)`` does, skips the window where the gesture watches)."""
    handle = window.windowHandle()
    assert handle is not None
    corner = QPoint(4, 4)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, corner)
    if hold_ms is None:
        qtbot.waitUntil(lambda: window.staff_panel.isVisible(), timeout=3000)
    else:
        qtbot.wait(hold_ms)
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, corner)


def type_pin(qtbot: QtBot, window: MainWindow, pin: str) -> None:
    for digit in pin:
        click(qtbot, window, f"pin_{digit}")
    click(qtbot, window, "pin_ok")


def open_panel(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    PinStore(core.settings.data_dir).set_pin(PIN, PIN)
    long_press(qtbot, window)
    type_pin(qtbot, window, PIN)
    qtbot.waitUntil(lambda: window.staff_panel.gate.is_open)


def tab(window: MainWindow, name: str) -> None:
    tabs = window.findChild(QTabWidget, "staff_tabs")
    tabs.setCurrentWidget(window.staff_panel.pages[name])


def test_staff_short_press_does_nothing_long_press_asks_for_the_pin(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    PinStore(core.settings.data_dir).set_pin(PIN, PIN)
    click(qtbot, window, "tile_ticket")  # a citizen is choosing
    long_press(qtbot, window, hold_ms=int(HOLD_S * 1000 / 3))
    qtbot.wait(int(HOLD_S * 1000))
    assert not window.staff_panel.isVisible()

    long_press(qtbot, window)
    assert "请输入工作人员密码" in text_of(window, "pin_prompt")
    assert not window.staff_panel.gate.is_open
    type_pin(qtbot, window, PIN)
    qtbot.waitUntil(
        lambda: text_of(window, "staff_title") != "" and window.staff_panel.gate.is_open
    )
    assert core.flow.rating.staff_mode is True
    assert core.flow.state.screen is Screen.HOME  # the visit underneath was ended
    click(qtbot, window, "staff_close")
    assert not window.staff_panel.isVisible() and core.flow.rating.staff_mode is False


def test_staff_first_pin_needs_the_setup_command_on_the_kiosk(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """A passer-by holding the corner of a kiosk without a PIN must not set one."""
    long_press(qtbot, window)
    assert "--staff-setup" in text_of(window, "pin_prompt")
    type_pin(qtbot, window, PIN)
    type_pin(qtbot, window, PIN)
    assert not PinStore(core.settings.data_dir).has_pin
    assert not window.staff_panel.gate.is_open
    assert "还不能在这里设置密码" in text_of(window, "pin_message")
    # the setup command, run on the kiosk's console, allows it (once, for 24 hours)
    assert kiosk_main(["--staff-setup"]) == 0
    assert PinStore(core.settings.data_dir).setup_allowed
    click(qtbot, window, "pin_cancel")
    long_press(qtbot, window)
    assert "首次使用" in text_of(window, "pin_prompt")
    type_pin(qtbot, window, PIN)
    type_pin(qtbot, window, PIN)
    qtbot.waitUntil(lambda: window.staff_panel.gate.is_open)
    assert not PinStore(core.settings.data_dir).setup_allowed  # used up
    assert kiosk_main(["--staff-setup"]) == 2  # a PIN exists: no second first-run


def test_staff_first_run_sets_the_pin_twice_and_refuses_a_trivial_one(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    PinStore(core.settings.data_dir).allow_setup()
    long_press(qtbot, window)
    assert "首次使用" in text_of(window, "pin_prompt")
    type_pin(qtbot, window, "123456")
    type_pin(qtbot, window, "123456")
    assert "太简单" in text_of(window, "pin_message")
    type_pin(qtbot, window, PIN)
    type_pin(qtbot, window, "480272")
    assert "不一样" in text_of(window, "pin_message")
    assert not PinStore(core.settings.data_dir).has_pin
    type_pin(qtbot, window, PIN)
    type_pin(qtbot, window, PIN)
    qtbot.waitUntil(lambda: window.staff_panel.gate.is_open)
    saved = (core.settings.data_dir / "staff-pin.json").read_text()
    assert PIN not in saved and '"algorithm": "scrypt"' in saved and '"salt"' in saved


def test_staff_five_wrong_pins_lock_for_five_minutes_even_after_a_restart(
    qtbot: QtBot, window: MainWindow, core: KioskCore, caplog: pytest.LogCaptureFixture
) -> None:
    PinStore(core.settings.data_dir).set_pin(PIN, PIN)
    now = [1_000_000.0]
    window.staff_panel.gate.store.now = lambda: now[0]
    caplog.set_level(logging.INFO, logger="kiosk.staff")
    long_press(qtbot, window)
    for attempt in range(4):
        type_pin(qtbot, window, "999999")
        assert f"还可以试 {4 - attempt} 次" in text_of(window, "pin_message")
    type_pin(qtbot, window, "999999")
    assert "已锁定" in text_of(window, "pin_message")
    type_pin(qtbot, window, PIN)  # the right PIN does not open a locked panel
    assert not window.staff_panel.gate.is_open
    assert "已锁定" in text_of(window, "pin_message")
    assert "999999" not in caplog.text and PIN not in caplog.text
    assert "wrong" in caplog.text and "locked" in caplog.text

    restarted = PinStore(core.settings.data_dir, now=lambda: now[0])
    assert restarted.locked_for() == pytest.approx(LOCKOUT_S)
    now[0] += LOCKOUT_S - 1
    type_pin(qtbot, window, PIN)
    assert not window.staff_panel.gate.is_open
    now[0] += 1
    type_pin(qtbot, window, PIN)
    qtbot.waitUntil(lambda: window.staff_panel.gate.is_open)


def test_staff_panel_closes_itself_when_idle(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    open_panel(qtbot, window, core)
    t = [0.0]
    gate = window.staff_panel.gate
    gate.clock = lambda: t[0]
    gate.touch()
    t[0] += core.settings.staff.idle_s - 1
    window.staff_panel.tick()
    assert window.staff_panel.isVisible()
    qtbot.mouseClick(window.findChild(QTabWidget, "staff_tabs"), Qt.MouseButton.LeftButton)
    t[0] += core.settings.staff.idle_s - 1  # the touch restarted the idle time
    window.staff_panel.tick()
    assert window.staff_panel.isVisible()
    t[0] += 1
    window.staff_panel.tick()
    assert not window.staff_panel.isVisible()
    assert core.flow.rating.staff_mode is False and not gate.is_open


def test_staff_printer_change_is_used_by_the_next_ticket_without_restart(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    old = core.printer
    assert type(old).__name__ == "SimulatorPrinter"
    open_panel(qtbot, window, core)
    tab(window, "printer")
    window.findChild(QComboBox, "printer_connection").setCurrentText("virtual")
    window.findChild(QComboBox, "printer_width").setCurrentText("58")
    click(qtbot, window, "staff_save")
    result = text_of(window, "staff_result")
    assert "已立即生效" in result and "printer" in result, result
    site = core.settings.site_file
    assert site == core.settings.data_dir / "site.toml"
    assert tomllib.loads(site.read_text())["printer"] == {
        "connection": "virtual",
        "paper_width_mm": 58,
    }
    assert not old.is_open
    new = core.printer
    assert type(new).__name__ == "VirtualPrinter" and core.flow.visit.printer is new
    click(qtbot, window, "staff_close")

    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_market")
    click(qtbot, window, "entry_business-license")
    core.present_virtual_card(core.virtual_cards()[0][0])
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.printed, timeout=10_000)
    assert new.jobs and new.jobs[-1] is flow.state.print_job  # printed on the new printer
    assert new.paper_width_mm == 58


def test_staff_invalid_baud_is_refused_with_the_reason_and_nothing_written(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    open_panel(qtbot, window, core)
    tab(window, "reader")
    before = core.settings
    window.findChild(QComboBox, "reader_baud").setCurrentText("12345")
    click(qtbot, window, "staff_save")
    result = text_of(window, "staff_result")
    assert "没有保存" in result and "card_reader.baud" in result and "115200" in result, result
    assert "12345" in result
    site = core.settings.site_file
    assert not site.exists() and not list(site.parent.glob("*.tmp"))
    assert core.settings is before


def test_staff_device_tests_show_masked_card_sam_camera_hall_and_outbox(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    open_panel(qtbot, window, core)
    save = window.findChild(QPushButton, "staff_save")
    assert save is not None and save.height() >= 64  # the kiosk style: min-height 64 px
    tab(window, "reader")
    click(qtbot, window, "reader_sam")
    qtbot.waitUntil(lambda: "SAM 状态：ok" in text_of(window, "reader_status"), timeout=10_000)
    assert core.reader.is_open
    qtbot.waitUntil(lambda: core.reader.state == "ok", timeout=5000)
    click(qtbot, window, "reader_test")
    name, _ = core.virtual_cards()[0]
    card = core.reader.cards[name]
    core.present_virtual_card(name)
    qtbot.waitUntil(lambda: "读卡成功" in text_of(window, "reader_status"), timeout=5000)
    shown = text_of(window, "reader_status")
    assert card.masked_id in shown and card.id_number not in shown and card.name not in shown
    assert core.flow.state.screen is Screen.HOME  # the card did not start a visit

    tab(window, "camera")
    click(qtbot, window, "camera_test")  # nothing under the camera yet: said so
    qtbot.waitUntil(lambda: "没有拍到材料" in text_of(window, "camera_result"), timeout=10_000)
    page = core.scanner.folder / "page.jpg"  # type: ignore[attr-defined]
    sample = core.settings.precheck.samples_dir / "900000_id_card_front_clean.jpg"
    for _ in range(2):  # one for the capture test, one for the OCR test
        shutil.copy(sample, page)
        os.utime(page, (time.time() - 5, time.time() - 5))  # settled: not still being written
        if "清晰度" not in text_of(window, "camera_result"):
            click(qtbot, window, "camera_test")
            qtbot.waitUntil(lambda: "清晰度" in text_of(window, "camera_result"), timeout=10_000)
            page.unlink()
            page = page.with_name("page2.jpg")
    assert "没有实时画面" in text_of(window, "camera_live")  # the folder scanner
    click(qtbot, window, "camera_ocr")  # the pre-check's OCR worker reads the page
    qtbot.waitUntil(lambda: "类型" in text_of(window, "camera_result"), timeout=90_000)
    shown = text_of(window, "camera_result")
    assert "id_card_front" in shown and "id_number" in shown
    assert "110105199606106293" not in shown  # the sample's invented holder: never shown

    tab(window, "hall")
    click(qtbot, window, "hall_test")
    qtbot.waitUntil(lambda: "往返" in text_of(window, "hall_result"), timeout=10_000)

    tab(window, "printer")
    qtbot.waitUntil(lambda: "状态：ok" in text_of(window, "printer_status"), timeout=5000)
    click(qtbot, window, "printer_test")
    qtbot.waitUntil(lambda: "已打印测试票" in text_of(window, "printer_status"), timeout=10_000)
    core.printer.set_state("paper_out")  # the simulator's paper runs out: the page sees it
    for _ in range(3):
        window.staff_panel.tick()
    qtbot.waitUntil(lambda: "paper_out" in text_of(window, "printer_status"), timeout=5000)

    tab(window, "catalog")
    assert "内嵌模式" in text_of(window, "catalog_info")
    click(qtbot, window, "catalog_reload_file")
    qtbot.waitUntil(lambda: "需要重启" in text_of(window, "catalog_result"), timeout=5000)
    tab(window, "outbox")
    assert "待发送：0 条" in text_of(window, "outbox_info")


def test_staff_camera_page_shows_the_live_picture_with_its_sharpness(
    camera_video: Path, qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    open_panel(qtbot, window, core)
    tab(window, "camera")
    page = window.staff_panel.pages["camera"]
    qtbot.waitUntil(lambda: page.preview.frames_shown >= 2, timeout=10_000)
    assert not page.preview.pixmap().isNull()
    qtbot.waitUntil(lambda: "清晰度" in text_of(window, "camera_live"), timeout=5000)
    tab(window, "outbox")  # another page: the camera thread stops
    qtbot.waitUntil(lambda: page.preview._thread is None, timeout=5000)


def test_staff_test_read_without_a_card_says_what_to_check(
    qtbot: QtBot, window: MainWindow, core: KioskCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ui.staff.pages.TEST_READ_S", 0.3)
    open_panel(qtbot, window, core)
    tab(window, "reader")
    page = window.staff_panel.pages["reader"]
    click(qtbot, window, "reader_test")
    assert "请把身份证放到读卡器上" in text_of(window, "reader_status")
    qtbot.waitUntil(lambda: "没有读到卡" in text_of(window, "reader_status"), timeout=5000)

    # a card in time is shown, and the timeout no longer fires. The give-up time is long
    # here, so how fast the card arrives does not decide the outcome (it did at 0.3 s).
    monkeypatch.setattr("ui.staff.pages.TEST_READ_S", 60.0)
    click(qtbot, window, "reader_test")
    assert page.read_timeout.isActive()
    name, _ = core.virtual_cards()[0]
    core.present_virtual_card(name)
    qtbot.waitUntil(lambda: "读卡成功" in text_of(window, "reader_status"), timeout=5000)
    assert not page.read_timeout.isActive()  # stopped by the card
    page.read_timeout.timeout.emit()  # even a late timeout does not overwrite the result
    assert "读卡成功" in text_of(window, "reader_status")


def test_staff_reader_page_stops_listening_when_replaced(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    open_panel(qtbot, window, core)
    tab(window, "reader")
    page = window.staff_panel.pages["reader"]
    listeners = len(core.reader.cards_seen)
    click(qtbot, window, "reader_test")
    assert len(core.reader.cards_seen) == listeners + 1
    page.retire()  # a save rebuilds the pages: the old one's listener goes
    assert len(core.reader.cards_seen) == listeners
