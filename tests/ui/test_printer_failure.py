"""Paper out at print time: the number is still the citizen's — shown, spoken, reprinted."""

from __future__ import annotations

import sqlite3

from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of

from kiosk.app import KioskCore
from kiosk.visit import Problem, Screen
from ui.main_window import MainWindow
from voice.base import RecordingVoice


def _tickets_in_db(core: KioskCore) -> int:
    assert core.hall.base_url  # waits until the embedded server has started (and migrated)
    with sqlite3.connect(core.settings.data_dir / "hall.sqlite3") as conn:
        return conn.execute("select count(*) from tickets").fetchone()[0]


def test_paper_out_keeps_the_number_and_reprints_it(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow, printer = core.flow, core.printer
    assert isinstance(core.voice, RecordingVoice)
    printer.set_state("paper_out")  # type: ignore[attr-defined]  # the simulator's control
    for name in ("tile_ticket", "group_general", "entry_policy-consultation", "skip_identity",
                 "confirm_notice"):  # fmt: skip
        click(qtbot, window, name)
    qtbot.waitUntil(lambda: flow.state.screen is Screen.TICKET and flow.state.busy is None,
                    timeout=10_000)  # fmt: skip
    ticket = flow.state.ticket
    assert ticket is not None and not flow.state.printed
    assert flow.state.message is not None and flow.state.message.problem is Problem.PRINTER
    assert flow.state.message.detail == "paper_out"
    # shown very large with its QR, spoken even though voice is off in normal mode
    assert text_of(window, "ticket_number") == ticket.number
    qtbot.waitUntil(lambda: window.findChild(type(window.hall_label), "ticket_qr").isVisible())
    qtbot.waitUntil(lambda: any(f"您的号码是 {ticket.number}" in s for s in core.voice.spoken))
    # staff are told, nothing was printed, and exactly one number exists
    assert [code for _, code in core.alerts] == ["printer:paper_out"]
    assert printer.jobs == []  # type: ignore[attr-defined]
    assert _tickets_in_db(core) == 1

    click(qtbot, window, "reprint")  # still out: the same number stays, nothing new is issued
    qtbot.waitUntil(lambda: flow.state.busy is None)
    assert flow.state.ticket == ticket and not flow.state.printed

    printer.set_state("ok")  # type: ignore[attr-defined]  # paper loaded
    click(qtbot, window, "reprint")
    qtbot.waitUntil(lambda: flow.state.printed, timeout=10_000)
    assert flow.state.ticket == ticket
    jobs = printer.jobs  # type: ignore[attr-defined]
    assert len(jobs) == 1 and ticket.number in jobs[0].text.replace(" ", "")
    assert _tickets_in_db(core) == 1
    assert find_button(window, "reprint") is None  # printed: no reprint offered
