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


def _switch_mode_and_language(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    """长辈版 on and off, English and back: each re-renders the screen shown."""
    visit = core.flow.visit
    for elder, language in ((True, "zh"), (True, "en"), (False, "en"), (False, "zh")):
        visit.set_elder(elder)
        window.set_language(language)
        qtbot.waitUntil(
            lambda e=elder, lang=language: core.flow.state.elder is e and core.flow.language == lang
        )


def test_rating_screens_keep_their_widgets(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_rating")
    key = button_of(window, "rkey_1")
    click(qtbot, window, "rkey_1")  # typing re-renders the screen
    qtbot.waitUntil(lambda: button_of(window, "rating_find").isEnabled())
    assert button_of(window, "rkey_1") is key
    _switch_mode_and_language(qtbot, window, core)
    assert button_of(window, "rkey_1") is key
    click(qtbot, window, "rate_self_service")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.RATE_LEVEL)
    level = button_of(window, "level_dissatisfied")
    _switch_mode_and_language(qtbot, window, core)
    assert button_of(window, "level_dissatisfied") is level
    click(qtbot, window, "level_dissatisfied")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.RATE_REASONS)
    reason = button_of(window, "reason_0")
    assert not reason.text().startswith("✓")
    click(qtbot, window, "reason_0")  # chosen: marked in place, not a new button
    qtbot.waitUntil(lambda: reason.text().startswith("✓ "))
    assert button_of(window, "reason_0") is reason
    assert reason.property("role") in ("", None)  # the chosen colour, not "secondary"
    _switch_mode_and_language(qtbot, window, core)
    assert button_of(window, "reason_0") is reason and reason.text().startswith("✓ ")


def test_case_form_keeps_its_widgets(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    flow = core.flow
    click(qtbot, window, "tile_case")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.CASE_FORM)
    condition = button_of(window, "cond_overlapping_duties")
    phone_key = button_of(window, "pkey_1")
    click(qtbot, window, "cond_overlapping_duties")
    qtbot.waitUntil(lambda: condition.text().startswith("✓ "))
    click(qtbot, window, "pkey_1")
    qtbot.waitUntil(lambda: flow.state.case.phone == "1")
    click(qtbot, window, "pkey_3")  # the pad reads the phone as it is when pressed
    qtbot.waitUntil(lambda: flow.state.case.phone == "13")
    assert button_of(window, "cond_overlapping_duties") is condition
    assert button_of(window, "pkey_1") is phone_key
    _switch_mode_and_language(qtbot, window, core)
    assert button_of(window, "cond_overlapping_duties") is condition
    assert condition.text().startswith("✓ ")


def test_header_and_footer_follow_mode_language_mute_and_screen(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """The header and footer are set only when what they show changes: each such change
    still shows."""
    flow = core.flow
    assert not window.repeat_button.isVisible() and not window.back_button.isVisible()
    click(qtbot, window, "elder")
    qtbot.waitUntil(lambda: window.elder_button.text() == "返回标准版")
    assert window.repeat_button.isVisible() and window.mute_button.text() == "关闭声音"
    click(qtbot, window, "mute")
    qtbot.waitUntil(lambda: window.mute_button.text() == "打开声音")
    assert not window.repeat_button.isEnabled()
    click(qtbot, window, "mute")
    qtbot.waitUntil(lambda: window.mute_button.text() == "关闭声音")
    assert window.repeat_button.isEnabled()
    click(qtbot, window, "tile_ticket")
    qtbot.waitUntil(lambda: window.back_button.isVisible() and window.home_button.isVisible())
    window.set_language("en")
    qtbot.waitUntil(lambda: window.help_button.text() == "Call staff")
    assert window.language_button.text() == "中文"
    click(qtbot, window, "home")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.HOME)
    # a new visit: normal mode, the hall's language, no back or home button
    assert not window.back_button.isVisible() and not window.home_button.isVisible()
    assert window.help_button.text() == "呼叫工作人员" and window.elder_button.text() == "长辈版"
    assert not window.repeat_button.isVisible()
