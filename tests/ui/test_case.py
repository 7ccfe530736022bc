"""办不成事反映 on the kiosk: screening, a checked phone number, the case and its window
ticket printed on one slip, and the progress looked up by the case number."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from uihelpers import click, text_of

from devices.printer.render import render
from kiosk.app import KioskCore
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow


def test_case_intake_and_progress(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    flow = core.flow
    click(qtbot, window, "tile_case")
    assert flow.state.screen is Screen.CASE_FORM
    click(qtbot, window, "case_submit")
    assert flow.state.message == Message(Problem.CASE_INVALID, "condition")  # screening first
    click(qtbot, window, "cond_overlapping_duties")
    click(qtbot, window, "cat_0")  # 跨部门协调
    for digit in "1380013800":  # one digit short
        click(qtbot, window, f"pkey_{digit}")
    click(qtbot, window, "case_consent")
    click(qtbot, window, "case_submit")
    assert flow.state.message == Message(Problem.CASE_INVALID, "phone")
    click(qtbot, window, "pkey_0")
    click(qtbot, window, "case_submit")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.CASE_DONE and flow.state.printed,
                    timeout=10_000)  # fmt: skip
    case = flow.state.case.result
    number = case["case_number"]
    assert number.startswith("BC") and text_of(window.current_screen(), "case_number") == number
    assert case["phone_masked"] == "138****8000"
    assert flow.state.ticket is not None and flow.state.ticket.number.startswith("F")
    printed = render(flow.state.print_job.data).text.replace(" ", "")
    assert number in printed and flow.state.ticket.number in printed
    assert "13800138000" not in printed  # only the masked number on paper

    click(qtbot, window, "case_finish")
    click(qtbot, window, "case_progress")
    digits = number[2:].replace("-", "")
    for digit in digits:
        click(qtbot, window, f"qkey_{digit}")
    click(qtbot, window, "case_query")
    qtbot.waitUntil(lambda: flow.state.case is not None and flow.state.case.query is not None,
                    timeout=10_000)  # fmt: skip
    assert flow.state.case.query["case_number"] == number
    qtbot.waitUntil(lambda: number in text_of(window.current_screen(), "case_status"))
