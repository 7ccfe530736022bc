"""Screens are built once: a state change, a language switch or 长辈版 updates the same
widgets (text, visibility, style) instead of building new ones."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button

from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.main_window import MainWindow


def button_of(window: MainWindow, name: str) -> QPushButton:
    b = find_button(window, name)
    assert b is not None, name
    return b


def test_home_tiles_survive_language_and_elder_switches(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    qtbot.waitUntil(lambda: find_button(window, "tile_ticket") is not None)
    tile = button_of(window, "tile_ticket")
    assert tile.text() == "取号"
    window.set_language("en")
    qtbot.waitUntil(lambda: tile.text() != "取号")
    assert button_of(window, "tile_ticket") is tile  # the same widget, translated
    core.flow.visit.set_elder(True)
    qtbot.waitUntil(lambda: core.flow.state.elder)
    assert button_of(window, "tile_ticket") is tile  # restyled, not rebuilt
    core.flow.visit.set_elder(False)
    window.set_language("zh")
    qtbot.waitUntil(lambda: tile.text() == "取号")


def test_groups_and_items_reuse_their_buttons(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.GROUPS)
    group = button_of(window, "group_general")
    click(qtbot, window, "group_general")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.ITEMS)
    entry = button_of(window, "entry_social-security-card")
    flow.back()  # items → groups
    qtbot.waitUntil(lambda: flow.state.screen is Screen.GROUPS)
    assert button_of(window, "group_general") is group
    click(qtbot, window, "group_general")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.ITEMS)
    assert button_of(window, "entry_social-security-card") is entry
    # another group's items: the first group's buttons are hidden, not shown with them
    flow.back()
    qtbot.waitUntil(lambda: flow.state.screen is Screen.GROUPS)
    others = [g for g in flow.catalog.intake_groups() if g.id != "general"]
    click(qtbot, window, f"group_{others[0].id}")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.ITEMS)
    assert not entry.isVisible()
    shown = {b.objectName() for b in window.current_screen().findChildren(QPushButton)
             if b.isVisible() and b.objectName().startswith("entry_")}  # fmt: skip
    assert shown == {f"entry_{e.id}" for e in flow.ticket.entries()}
