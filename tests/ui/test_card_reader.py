"""The identify step through the wire-level reader simulator (real GA 467 bytes)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from uihelpers import click, text_of

from devices.idcard.simulator import SimulatedCardReader
from kiosk.app import KioskCore
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow
from ui.messages import card_error_text


def test_a_failed_read_is_explained_and_the_next_read_works(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    reader = core.reader
    assert isinstance(reader, SimulatedCardReader)  # the kiosk's default reads real bytes
    for name in ("tile_ticket", "group_market", "entry_business-license"):
        click(qtbot, window, name)
    reader.simulator.inject("readfail")
    reader.present("resident")
    qtbot.waitUntil(lambda: core.flow.state.message is not None, timeout=10_000)
    assert core.flow.state.message == Message(Problem.CARD, "card_read")
    assert core.flow.state.screen is Screen.IDENTIFY
    qtbot.waitUntil(lambda: text_of(window, "identify_message") == card_error_text("card_read"))

    reader.remove()
    reader.present("resident")  # placed again: read properly this time
    qtbot.waitUntil(lambda: core.flow.state.screen is Screen.NOTICE, timeout=10_000)
    holder = core.flow.state.holder
    assert holder is not None and holder.source == "card"
    shown = text_of(window.current_screen(), "holder")
    assert holder.masked_name in shown and holder.masked_id in shown
    assert holder.name not in shown and holder.id_number not in shown


def test_a_code_the_screen_has_no_words_for_shows_the_devices_words(qapp: object) -> None:
    from devices.idcard.reader import ReaderTimeout

    shown = card_error_text(ReaderTimeout.error_code, ReaderTimeout.message_zh)
    assert shown == ReaderTimeout.message_zh
    assert card_error_text("card_read", "ignored") == card_error_text("card_read")
