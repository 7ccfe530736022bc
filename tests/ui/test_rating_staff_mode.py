"""Staff can never rate: while the staff panel has ``flow.rating.staff_mode`` set, every rating
action refuses and the screen says why; nothing reaches the outbox."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of

from kiosk.app import KioskCore
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow


def test_rating_refused_in_staff_mode(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    flow = core.flow
    core.hall.stop_server()  # type: ignore[union-attr]  # anything submitted would stay queued
    flow.rating.staff_mode = True
    click(qtbot, window, "tile_rating")
    assert flow.state.screen is Screen.RATE_FIND
    assert flow.state.message == Message(Problem.STAFF_MODE) and flow.state.rating is None
    screen = window.current_screen()
    qtbot.waitUntil(lambda: screen.title.text() == "工作人员模式下不能评价")
    assert "不能评价" in text_of(screen, "rating_message")
    for name in ("rating_scan", "rating_find", "rate_self_service", "rkey_1"):
        assert find_button(window, name) is None, name  # no way to rate is offered
    qtbot.waitUntil(lambda: "工作人员模式下不能评价" in window.last_announcement, timeout=5000)

    # the actions themselves refuse, whatever calls them
    flow.rating.rate_self_service()
    flow.rating.find_ticket("A001")
    flow.rating.scan_ticket()
    core.present_virtual_card("resident")
    qtbot.wait(300)
    assert flow.state.screen is Screen.RATE_FIND and flow.state.rating is None
    assert flow.state.busy is None

    # staff mode switched on while a rating is under way: the level is not taken
    flow.rating.staff_mode = False
    click(qtbot, window, "home")
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    assert flow.state.screen is Screen.RATE_LEVEL
    flow.rating.staff_mode = True
    click(qtbot, window, "level_very_satisfied")
    assert flow.state.screen is Screen.RATE_FIND  # the staff-mode notice, not the thank-you
    assert flow.state.message == Message(Problem.STAFF_MODE) and flow.state.rating is None
    flow.rating.submit()
    assert core.outbox.backlog() == 0 and core.outbox.dead_letters() == []

    flow.rating.staff_mode = False  # the panel closed: citizens rate again
    click(qtbot, window, "home")
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_satisfied")
    assert flow.state.screen is Screen.RATE_DONE and core.outbox.backlog() == 1
