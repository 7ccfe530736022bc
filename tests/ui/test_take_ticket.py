"""A citizen takes a ticket through the real window, embedded hall server and virtual devices."""

from __future__ import annotations

import sqlite3

import httpx
from pytestqt.qtbot import QtBot
from uihelpers import click, text_of, visible

from devices.printer.render import render
from kiosk.app import KioskCore
from kiosk.identity import check_char
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow
from ui.messages import invalid_id_text, message_text
from ui.screens.base import spoken_lines


def _server_ticket(core: KioskCore, ticket_id: str) -> dict:
    r = httpx.get(
        f"{core.hall.base_url}/api/v1/tickets/{ticket_id}",
        headers={"Authorization": f"Bearer {core.hall.token}"},
    )  # type: ignore[union-attr]
    r.raise_for_status()
    return r.json()


def _ticket_rows(core: KioskCore) -> int:
    assert core.hall.base_url  # waits until the embedded server has started (and migrated)
    db = core.settings.data_dir / "hall.sqlite3"
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from tickets").fetchone()[0]


def test_card_ticket_printed_number_matches_server(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_market")
    click(qtbot, window, "entry_business-license")
    assert flow.state.screen is Screen.IDENTIFY
    core.present_virtual_card(core.virtual_cards()[0][0])
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)
    assert "*" in text_of(window, "holder")  # masked on screen
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(
        lambda: flow.state.screen is Screen.TICKET and flow.state.printed, timeout=10_000
    )

    ticket = flow.state.ticket
    assert ticket is not None
    server = _server_ticket(core, ticket.id)
    assert server["number"] == ticket.number
    assert text_of(window, "ticket_number") == server["number"]
    printed = render(flow.state.print_job.data, core.printer.paper_width_mm)
    assert server["number"] in printed.text.replace(" ", "")
    assert flow.state.print_job.png_path.exists()

    # One rule for a missed call, from the catalog: printed, shown and spoken alike.
    rule = flow.catalog.missed_call_rule
    assert rule.rstrip("。") in "".join(printed.text.split())
    click(qtbot, window, "finish")
    assert flow.state.screen is Screen.THANKS
    assert text_of(window, "missed_call_rule") == rule
    spoken = "".join(spoken_lines(window.current_screen()))  # what the voice reads here
    assert rule in spoken
    click(qtbot, window, "thanks_home")
    assert (
        flow.state.screen is Screen.HOME and flow.state.ticket is None and flow.state.holder is None
    )


def test_typed_id_invalid_is_explained_and_nothing_submitted(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_livelihood")
    click(qtbot, window, "entry_hukou-transfer")
    body = "33010619850612123"
    good = body + check_char(body)
    wrong = body + ("0" if good[-1] != "0" else "1")
    for ch in wrong:
        click(qtbot, window, f"key_{ch}")
    click(qtbot, window, "key_ok")
    assert flow.state.screen is Screen.IDENTIFY
    assert flow.state.message == Message(Problem.INVALID_ID, "check")
    assert visible(window, "identify_message")
    assert text_of(window, "identify_message") == invalid_id_text("check")
    assert _ticket_rows(core) == 0

    click(qtbot, window, "key_clear")
    for ch in good:
        click(qtbot, window, f"key_{ch}")
    click(qtbot, window, "key_ok")
    assert flow.state.screen is Screen.NOTICE
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.TICKET, timeout=10_000)
    assert flow.state.ticket is not None and flow.state.ticket.number.startswith("C")
    assert _ticket_rows(core) == 1


def test_bundle_ticket_goes_to_the_bundle_group(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_bundles")
    click(qtbot, window, "entry_restaurant-bundle")
    core.present_virtual_card(core.virtual_cards()[0][0])
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)
    # the notice merges the items' materials: the food permit's floor plan and the licence's form
    names = {m.name for m in flow.ticket.materials()}
    assert {"经营场所平面图", "公司登记（备案）申请书", "消防安全检查申报表"} <= names
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.TICKET, timeout=10_000)
    assert flow.state.ticket.service_id == "restaurant-bundle"
    assert flow.state.ticket.number.startswith("B")


def test_hall_server_down_is_told_plainly(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_general")
    click(qtbot, window, "entry_policy-consultation")
    click(qtbot, window, "skip_identity")
    assert flow.state.screen is Screen.NOTICE
    core.hall.stop_server()  # type: ignore[union-attr]
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(
        lambda: flow.state.busy is None and flow.state.message is not None, timeout=15_000
    )
    assert flow.state.screen is Screen.NOTICE
    assert flow.state.message.problem is Problem.HALL_DOWN
    assert text_of(window, "notice_message") == message_text(flow.state.message)
    assert window.findChild(type(window.back_button), "confirm_notice").text() == "重试"
    # trying again is safe and still explains
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.busy is None, timeout=15_000)
    assert flow.state.message.problem is Problem.HALL_DOWN
