"""短信提醒 through the real window (issue 14, item 3): on the ticket screen the citizen taps
短信提醒, types a mobile number on the keypad and it reaches the hall server (a real
``python -m hall serve``), stored there encrypted; a wrong number is explained and nothing
is sent; an offline ticket's number follows the ticket once the server is back."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of, visible

from hall.db import add_kiosk, migrate
from hall.embedded import EmbeddedHallServer
from hall.keys import read_key_file
from hall.testing import ServerProcess, free_port
from kiosk.app import KioskCore, build_core
from kiosk.settings import load_settings
from kiosk.sms import KIND
from kiosk.visit import Problem, Screen
from ui.main_window import MainWindow
from ui.messages import message_text
from ui.runner import QtRunner
from ui.theme import ELDER
from voice.base import RecordingVoice

PHONE = "13812345678"


@pytest.fixture
def hall_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def token(hall_db: str) -> str:
    return add_kiosk(hall_db, "kiosk-07")


@pytest.fixture
def core(
    runner: QtRunner, hall_db: str, port: int, token: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KioskCore]:
    monkeypatch.setenv("KIOSK_KIOSK__ID", "kiosk-07")
    monkeypatch.setenv("KIOSK_HALL__MODE", "remote")
    monkeypatch.setenv("KIOSK_HALL__URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("KIOSK_HALL__TOKEN", token)
    monkeypatch.setenv("KIOSK_HALL__OUTBOX_RETRY_S", "0.5")
    c = build_core(load_settings(), runner, hall_server=EmbeddedHallServer)
    yield c
    c.close()


def take_ticket(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    assert core.keeper is not None
    core.keeper.round()  # its thread does this every 2 s: sees the server (or not) now
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_market")
    click(qtbot, window, "entry_business-license")
    core.present_virtual_card(core.virtual_cards()[0][0])
    qtbot.waitUntil(lambda: core.flow.state.screen is Screen.NOTICE)
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: core.flow.state.printed, timeout=10_000)


def type_number(qtbot: QtBot, window: MainWindow, digits: str) -> None:
    for d in digits:
        click(qtbot, window, f"sms_key_{d}")


def subscriptions(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:
        return conn.execute("SELECT ticket_id, phone_ciphertext FROM sms_subscriptions").fetchall()


def phone_of(tmp_path: Path, ticket_id: str, sealed: str) -> str:
    keys = read_key_file(tmp_path / "hall.sqlite3.keys.json")
    return keys.decrypt_phone(sealed, f"sms|{ticket_id}")


def test_the_number_typed_on_the_ticket_screen_reaches_the_server(
    qtbot: QtBot, window: MainWindow, core: KioskCore, port: int, hall_db: str, tmp_path: Path
) -> None:
    flow = core.flow
    with ServerProcess(hall_db, port=port):
        take_ticket(qtbot, window, core)
        ticket = flow.state.ticket
        assert ticket is not None and not ticket.offline
        assert flow.state.sms is None  # skipped by default: only the button
        assert not visible(window, "sms_keypad")
        click(qtbot, window, "sms_open")
        qtbot.waitUntil(lambda: visible(window, "sms_keypad"))
        assert text_of(window, "sms_entry") == "请输入11位手机号码"

        type_number(qtbot, window, "1281234567")  # 10 digits
        click(qtbot, window, "sms_ok")
        qtbot.waitUntil(lambda: flow.state.message is not None)
        assert flow.state.message.problem is Problem.SMS_INVALID
        assert text_of(window, "ticket_message") == message_text(flow.state.message)
        assert "11位" in text_of(window, "ticket_message")
        type_number(qtbot, window, "8")  # 12812345678: 11 digits, not a mobile number
        click(qtbot, window, "sms_ok")
        qtbot.waitUntil(lambda: flow.state.message.detail == "prefix")
        assert "第二位是3到9" in text_of(window, "ticket_message")
        assert core.outbox.backlog(KIND) == 0 and subscriptions(tmp_path) == []

        for _ in range(11):
            click(qtbot, window, "sms_key_delete")
        type_number(qtbot, window, PHONE)
        assert text_of(window, "sms_entry") == "138 1234 5678"
        click(qtbot, window, "sms_ok")
        qtbot.waitUntil(lambda: flow.state.sms == "138****5678", timeout=10_000)
        assert flow.state.message is None
        qtbot.waitUntil(lambda: visible(window, "sms_done"))
        assert "138****5678" in text_of(window, "sms_done")
        assert not visible(window, "sms_keypad") and not visible(window, "sms_open")
        qtbot.waitUntil(lambda: len(subscriptions(tmp_path)) == 1, timeout=10_000)
        qtbot.waitUntil(lambda: core.outbox.backlog(KIND) == 0, timeout=10_000)
    [(ticket_id, sealed)] = subscriptions(tmp_path)
    assert ticket_id == ticket.id
    assert PHONE not in sealed and phone_of(tmp_path, ticket_id, sealed) == PHONE
    assert core.outbox.dead_letters() == []

    click(qtbot, window, "finish")  # the next visit starts with nothing typed
    qtbot.waitUntil(lambda: flow.state.screen is not Screen.TICKET)
    flow.home()
    qtbot.waitUntil(lambda: flow.state.screen is Screen.HOME)
    assert flow.state.sms is None


def test_elder_mode_large_keys_and_voice(qtbot: QtBot, window: MainWindow, core: KioskCore,
                                         port: int, hall_db: str) -> None:  # fmt: skip
    assert isinstance(core.voice, RecordingVoice)
    said = core.voice.spoken
    click(qtbot, window, "elder")
    qtbot.waitUntil(lambda: core.flow.state.elder)
    with ServerProcess(hall_db, port=port):
        take_ticket(qtbot, window, core)
        click(qtbot, window, "sms_open")
        qtbot.waitUntil(lambda: bool(said) and "留下手机号" in said[-1], timeout=5000)
        assert "数字键盘：请逐位输入手机号，再按确定" in said[-1]
        key = find_button(window, "sms_key_7")
        assert key is not None and key.height() >= ELDER.min_target_px
        assert key.font().pointSize() >= ELDER.title_pt
        count = len(said)
        click(qtbot, window, "sms_key_7")
        qtbot.waitUntil(lambda: len(said) > count)
        assert said[-1] == "7"  # each digit read back
        click(qtbot, window, "sms_ok")
        qtbot.waitUntil(lambda: "手机号码应为11位数字" in said[-1], timeout=5000)


def test_cancel_keeps_nothing(qtbot: QtBot, window: MainWindow, core: KioskCore, port: int,
                              hall_db: str, tmp_path: Path) -> None:  # fmt: skip
    with ServerProcess(hall_db, port=port):
        take_ticket(qtbot, window, core)
        click(qtbot, window, "sms_open")
        type_number(qtbot, window, PHONE[:5])
        click(qtbot, window, "sms_cancel")
        qtbot.waitUntil(lambda: visible(window, "sms_open"))
        assert core.flow.state.sms is None
        assert core.outbox.backlog(KIND) == 0
        click(qtbot, window, "sms_open")  # opened again: empty
        qtbot.waitUntil(lambda: visible(window, "sms_keypad"))
        assert text_of(window, "sms_entry") == "请输入11位手机号码"


def test_an_offline_tickets_number_follows_the_ticket_when_the_server_is_back(
    qtbot: QtBot, window: MainWindow, core: KioskCore, port: int, hall_db: str, tmp_path: Path
) -> None:
    flow = core.flow
    assert core.keeper is not None
    server = ServerProcess(hall_db, port=port).start()
    try:
        core.keeper.round()  # lease numbers while the server is there
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)
        server.stop()
        take_ticket(qtbot, window, core)  # the keeper's round notices it is gone
    finally:
        server.stop()
    ticket = flow.state.ticket
    assert ticket is not None and ticket.offline
    click(qtbot, window, "sms_open")
    type_number(qtbot, window, PHONE)
    click(qtbot, window, "sms_ok")
    qtbot.waitUntil(lambda: flow.state.sms == "138****5678", timeout=10_000)
    assert core.outbox.backlog(KIND) == 1  # kept until the server is back
    with ServerProcess(hall_db, port=port):
        qtbot.waitUntil(lambda: core.outbox.backlog() == 0, timeout=15_000)
    assert core.outbox.dead_letters() == []
    [(ticket_id, sealed)] = subscriptions(tmp_path)
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:
        [(number,)] = conn.execute("SELECT number FROM tickets WHERE id = ?", (ticket_id,))
    assert number == ticket.number
    assert phone_of(tmp_path, ticket_id, sealed) == PHONE
