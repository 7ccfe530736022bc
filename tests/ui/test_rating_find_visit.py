"""评价: find the visit by scanning the printed ticket's QR (the simulator printer's PNG in
the folder scanner), or by tapping the ID card (today's tickets listed); the optional
comment of a bad review reaches the real hall server."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of

from hall.db import add_staff
from hall.embedded import EmbeddedHallServer
from kiosk.app import KioskCore, build_core
from kiosk.settings import load_settings
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow
from ui.runner import QtRunner
from ui.screens.rating import rating_message_text


@pytest.fixture
def scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder scanner's folder: empty, each page taken once."""
    folder = tmp_path / "scans"
    folder.mkdir()
    monkeypatch.setenv("KIOSK_SCANNER__FOLDER", str(folder))
    monkeypatch.setenv("KIOSK_SCANNER__REPEAT", "false")
    return folder


@pytest.fixture
def core(runner: QtRunner, scans: Path) -> Iterator[KioskCore]:
    c = build_core(load_settings(), runner, hall_server=EmbeddedHallServer)
    yield c
    c.close()


def _drop(folder: Path, image: Path | Image.Image, name: str) -> None:
    """A page as a scanner saves it (older than the folder scanner's settle time)."""
    target = folder / name
    if isinstance(image, Path):
        shutil.copy(image, target)
    else:
        image.save(target)
    past = time.time() - 5
    os.utime(target, (past, past))


def _staff(core: KioskCore) -> dict[str, str]:
    token = add_staff(core.hall.server.database_url, "window-16")  # type: ignore[union-attr]
    return {"Authorization": f"Bearer {token}"}


def _take_ticket(qtbot: QtBot, window: MainWindow, core: KioskCore, card: str | None) -> str:
    """A ticket for 政策咨询 — anonymous, or with a card — printed; back to the home screen."""
    for name in ("tile_ticket", "group_general", "entry_policy-consultation"):
        click(qtbot, window, name)
    if card is None:
        click(qtbot, window, "skip_identity")
    else:
        core.present_virtual_card(card)
        qtbot.waitUntil(lambda: core.flow.state.screen is Screen.NOTICE, timeout=10_000)
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: core.flow.state.printed, timeout=10_000)
    return core.flow.state.ticket.number


def _home(qtbot: QtBot, window: MainWindow) -> None:
    click(qtbot, window, "finish")
    click(qtbot, window, "thanks_home")


def _serve(core: KioskCore, number: str, auth: dict[str, str]) -> None:
    base = core.hall.base_url
    called = httpx.post(f"{base}/api/v1/counters/16/call-next", headers=auth).json()
    assert called["number"] == number
    httpx.post(f"{base}/api/v1/tickets/{called['id']}/complete", headers=auth).raise_for_status()


def test_rating_found_by_scanning_the_printed_ticket(
    qtbot: QtBot, window: MainWindow, core: KioskCore, scans: Path
) -> None:
    flow = core.flow
    number = _take_ticket(qtbot, window, core, card=None)
    job = flow.state.print_job
    printed = job.png_path  # the simulator printer's own rendering of the job
    assert printed is not None and printed.is_file()
    _home(qtbot, window)
    _serve(core, number, _staff(core))

    click(qtbot, window, "tile_rating")
    # nothing under the camera: told what to do, nothing else happens
    click(qtbot, window, "rating_scan")
    qtbot.waitUntil(lambda: flow.state.message is not None, timeout=10_000)
    assert flow.state.message == Message(Problem.QR_UNREADABLE, "no_page")
    # a page without a QR code (a blank sheet): told to lay the ticket flat, or type it
    _drop(scans, Image.new("RGB", (600, 800), "white"), "0-blank.png")
    click(qtbot, window, "rating_scan")
    qtbot.waitUntil(lambda: flow.state.message == Message(Problem.QR_UNREADABLE, "no_qr"),
                    timeout=10_000)  # fmt: skip
    shown = text_of(window.current_screen(), "rating_message")
    assert shown == rating_message_text(flow.state.message) and "放平" in shown
    qtbot.waitUntil(lambda: "二维码" in window.last_announcement, timeout=5000)  # spoken too
    assert flow.state.screen is Screen.RATE_FIND

    # the printed ticket under the camera: its QR names the visit
    _drop(scans, printed, "1-ticket.png")
    click(qtbot, window, "rating_scan")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.RATE_LEVEL, timeout=10_000)
    assert flow.state.rating.ticket_number == number
    assert number in window.current_screen().title.text()
    click(qtbot, window, "level_satisfied")
    qtbot.waitUntil(lambda: flow.state.rating.result == "confirmed", timeout=10_000)
    exported = httpx.get(f"{core.hall.base_url}/api/v1/ratings/export?format=json",
                         headers=_staff(core)).json()  # fmt: skip
    assert [(r["ticket_id"], r["satisfaction"]) for r in exported] == [
        (flow.state.rating.ticket_id, "满意")
    ]


def test_rating_by_card_lists_todays_tickets_and_takes_a_comment(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    auth = _staff(core)
    served = _take_ticket(qtbot, window, core, card="resident")
    _home(qtbot, window)
    _serve(core, served, auth)
    waiting = _take_ticket(qtbot, window, core, card="resident")
    _home(qtbot, window)

    click(qtbot, window, "tile_rating")
    core.present_virtual_card("hk_permit")  # someone with no ticket today
    qtbot.waitUntil(lambda: flow.state.message == Message(Problem.NO_VISITS), timeout=10_000)
    assert flow.state.screen is Screen.RATE_FIND

    core.present_virtual_card("resident")
    qtbot.waitUntil(lambda: bool(flow.state.rating and flow.state.rating.visits), timeout=10_000)
    visits = {v.number: v.state for v in flow.state.rating.visits}
    assert visits == {served: "rateable", waiting: "not_served"}
    qtbot.waitUntil(lambda: find_button(window, f"visit_{waiting}") is not None)
    assert "还没有办理" in find_button(window, f"visit_{waiting}").text()
    click(qtbot, window, f"visit_{waiting}")
    assert flow.state.message == Message(Problem.TICKET_NOT_FOUND, "not_served")
    click(qtbot, window, f"visit_{served}")
    assert flow.state.screen is Screen.RATE_LEVEL and flow.state.rating.ticket_number == served

    # a bad review: a reason, a quick phrase and a typed comment
    click(qtbot, window, "level_very_dissatisfied")
    assert flow.state.screen is Screen.RATE_REASONS
    click(qtbot, window, "reason_0")  # 态度
    click(qtbot, window, "phrase_0")  # 等候时间太长
    edit = window.current_screen().findChild(QLineEdit, "rating_comment")
    assert edit is not None and edit.isVisible()
    typed = QInputMethodEvent()  # what a Chinese input method commits into the field
    typed.setCommitString("叫号后窗口没人 13800138000")
    QApplication.sendEvent(edit, typed)
    assert edit.text() == "叫号后窗口没人 13800138000"
    click(qtbot, window, "rating_submit")
    # masked on the kiosk, before the comment is written to the outbox
    assert flow.state.rating.comment == "叫号后窗口没人 138****8000"
    qtbot.waitUntil(lambda: flow.state.rating.result == "confirmed", timeout=10_000)
    exported = httpx.get(f"{core.hall.base_url}/api/v1/ratings/export?format=json",
                         headers=auth).json()  # fmt: skip
    [record] = exported
    assert record["satisfaction"] == "非常不满意" and record["reasons"] == "态度"
    # the phrase and the typed text arrive as one comment, the mobile number masked
    assert record["text"] == "等候时间太长；叫号后窗口没人 138****8000"

    # the same card again: the ticket is now rated, and said so kindly
    click(qtbot, window, "rating_home")
    click(qtbot, window, "tile_rating")
    core.present_virtual_card("resident")
    qtbot.waitUntil(lambda: bool(flow.state.rating and flow.state.rating.visits), timeout=10_000)
    assert {v.number: v.state for v in flow.state.rating.visits}[served] == "rated"
    click(qtbot, window, f"visit_{served}")
    assert flow.state.message == Message(Problem.ALREADY_RATED)
    assert flow.state.screen is Screen.RATE_FIND
