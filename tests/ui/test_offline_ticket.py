"""Offline tickets through the real window (issue 14): the hall server is killed, a citizen
switches to 长辈版 and pre-checks the materials from the notice (the real OCR worker on a
sample page), taps 确认取号 and holds a printed ticket within 2 s, marked 离线取号, with
the masked name as an online ticket has it, and hears it read out; the outbox keeps no
full name and no ID number. The server comes back, the ticket arrives once with its issue
time, and a counter calls it before a citizen who came later — and sees its masked name
and pre-check result, as for any ticket."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot
from uihelpers import click, text_of

from devices.printer.render import render
from hall.db import add_kiosk, add_staff, migrate
from hall.embedded import EmbeddedHallServer
from hall.testing import ServerProcess, free_port
from kiosk.app import KioskCore, build_core
from kiosk.offline import KIND
from kiosk.settings import load_settings
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.messages import message_text
from ui.runner import QtRunner
from voice.base import RecordingVoice

PAGE_MS = 60_000  # a page through the OCR worker process (its first page may start it)


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


def test_server_killed_confirm_prints_an_offline_ticket_that_syncs_once_in_order(
    qtbot: QtBot, window: MainWindow, core: KioskCore, hall_db: str, port: int, token: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    flow = core.flow
    assert core.keeper is not None
    server = ServerProcess(hall_db, port=port).start()
    try:
        core.keeper.round()  # the keeper's thread does this every 2 s; now, for the test
        today = dt.datetime.now(dt.UTC).astimezone(core.keeper.reserve.timezone()).date()
        assert core.keeper.reserve.remaining("market", today) >= 10
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)  # the hall server is gone, nobody told the kiosk
        server.stop()

        click(qtbot, window, "tile_ticket")
        click(qtbot, window, "group_market")
        click(qtbot, window, "entry_business-license")
        card_name, masked = core.virtual_cards()[0]
        core.present_virtual_card(card_name)
        qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)  # the notice as usual
        click(qtbot, window, "elder")  # 长辈版 from here on: the voice reads every screen
        _precheck_one_page(qtbot, window, core, "900004_application_form_clean")
        qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)
        started = time.monotonic()
        click(qtbot, window, "confirm_notice")
        qtbot.waitUntil(lambda: flow.state.printed, timeout=2_000)
        assert time.monotonic() - started < 2.0
    finally:
        server.stop()
    ticket = flow.state.ticket
    assert ticket is not None and ticket.offline and ticket.number.startswith("B")
    assert text_of(window, "ticket_number") == ticket.number
    paper = "".join(render(flow.state.print_job.data, core.printer.paper_width_mm).text.split())
    assert ticket.number in paper and "离线取号" in paper
    assert "前面还有" not in paper  # no count it cannot know
    assert f"姓名：{masked}" in paper and masked.endswith("*")  # as an online ticket
    assert isinstance(core.voice, RecordingVoice)
    qtbot.waitUntil(lambda: f"您的号码是 {ticket.number}" in core.voice.spoken[-1])
    assert "离线取号" in core.voice.spoken[-1] and "前面还有" not in core.voice.spoken[-1]
    assert core.outbox.backlog(KIND) == 1
    assert flow.state.precheck.attached == "queued"  # kept with the ticket, sent with it
    card = core.reader.cards[card_name]  # type: ignore[attr-defined]
    kept = b"".join(p.read_bytes() for p in core.outbox.path.parent.glob("outbox.sqlite3*"))
    assert masked.encode() in kept  # the masked name is kept (WAL or main file) …
    assert card.name.encode() not in kept and card.id_number.encode() not in kept  # … only
    assert "offline:issuing" in core.heartbeat.body()["alerts"]  # type: ignore[union-attr]
    assert "offline:backlog" in core.heartbeat.body()["alerts"]  # type: ignore[union-attr]

    with ServerProcess(hall_db, port=port) as server:
        kiosk = {"Authorization": f"Bearer {token}"}
        later = httpx.post(f"{server.base_url}/api/v1/tickets", headers=kiosk,
                           json={"service_id": "business-license",
                                 "idempotency_key": "came-later"}).json()  # fmt: skip
        # nothing nudged: the keeper sees the server again (every 2 s) and the outbox
        # sends at once, whatever backoff the failed attempts had reached
        qtbot.waitUntil(lambda: core.outbox.backlog() == 0, timeout=10_000)
        assert core.outbox.dead_letters() == []
        staff = {"Authorization": f"Bearer {add_staff(hall_db, '王*')}"}
        first = httpx.post(f"{server.base_url}/api/v1/counters/5/call-next", headers=staff)
        second = httpx.post(f"{server.base_url}/api/v1/counters/6/call-next", headers=staff)
        called = first.json()
        pre = httpx.get(f"{server.base_url}/api/v1/tickets/{called['id']}/precheck",
                        headers=staff)  # fmt: skip
        # the holder's ID number travelled sealed: the card finds the offline ticket
        holder = {"id_number": card.id_number, "masked_name": masked}
        visits = httpx.post(f"{server.base_url}/api/v1/ratings/visits", headers=kiosk,
                            json={"holder": holder}).json()  # fmt: skip
    assert called["number"] == ticket.number  # waited offline, not sent to the back
    assert second.json()["number"] == later["number"]
    # the window sees who it is (masked) and what the pre-check found, as for any ticket
    assert called["masked_name"] == masked
    assert [v["number"] for v in visits] == [ticket.number], visits
    assert pre.status_code == 200, pre.text
    result = pre.json()
    assert (result["overall"], result["pages"], result["kiosk_id"]) == ("core_missing", 1,
                                                                         "kiosk-07")  # fmt: skip
    statuses = [(m["doc_type"], m["status"]) for m in result["materials"]]
    assert statuses[0] == ("application_form", "present_fine")
    assert [s for _, s in statuses[1:]] == ["missing"] * 4
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:
        rows = conn.execute(
            "SELECT issued_at FROM tickets WHERE number = ?", (ticket.number,)
        ).fetchall()
    assert len(rows) == 1  # arrived once
    stored = dt.datetime.fromisoformat(rows[0][0]).replace(tzinfo=dt.UTC)
    assert abs(stored - ticket.issued_at) < dt.timedelta(milliseconds=1)  # its real time


def _precheck_one_page(qtbot: QtBot, window: MainWindow, core: KioskCore, sample: str) -> None:
    """材料预审 from the notice: one sample page under the "camera", 完成, 继续取号."""
    pre = core.flow.precheck
    assert pre is not None
    click(qtbot, window, "start_precheck")
    click(qtbot, window, f"sample_{sample}")
    click(qtbot, window, "precheck_capture")
    qtbot.waitUntil(lambda: pre.state is not None and pre.state.page_count == 1,
                    timeout=PAGE_MS)  # fmt: skip
    click(qtbot, window, "precheck_finish")
    assert pre.state is not None and pre.state.verdict is not None
    assert pre.state.verdict.overall == "core_missing"
    click(qtbot, window, "precheck_continue")


def test_reserve_exhausted_the_citizen_is_told_plainly_and_staff_alerted(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """No server ever reached (so nothing leased): no ticket, a plain reason, the help
    desk, and a staff alert — within the same 2 s."""
    flow = core.flow
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "group_market")
    click(qtbot, window, "entry_business-license")
    core.present_virtual_card(core.virtual_cards()[0][0])
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE)
    started = time.monotonic()
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.message is not None, timeout=2_000)
    assert time.monotonic() - started < 2.0
    assert flow.state.message.detail == "reserve_exhausted" and flow.state.ticket is None
    shown = message_text(flow.state.message)
    assert "备用号码也已用完" in shown and "服务台" in shown
    qtbot.waitUntil(lambda: "offline:reserve_exhausted" in [c for _, c in core.alerts])


def test_what_needs_the_server_says_so_while_it_is_unreachable(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """No server: the card's list of today's tickets (评价) and the case progress query
    cannot work offline, and the screen says so — not a generic failure."""
    flow = core.flow
    click(qtbot, window, "tile_rating")
    core.present_virtual_card("resident")
    qtbot.waitUntil(lambda: flow.state.message is not None, timeout=5_000)
    assert flow.state.message.detail == "visits"
    # … and what does work offline: the typed number or the QR (kept in the outbox)
    said = "暂时连不上系统，查不到您今天的号票。请输入号票上的号码，或扫描小票二维码。"
    qtbot.waitUntil(lambda: text_of(window.current_screen(), "rating_message") == said)
    flow.home()
    click(qtbot, window, "case_progress")
    for digit in "202612020001":
        click(qtbot, window, f"qkey_{digit}")
    click(qtbot, window, "case_query")
    qtbot.waitUntil(lambda: flow.state.message is not None, timeout=5_000)
    assert flow.state.message.detail == "query"
    offline = "暂时连不上叫号系统，离线时查不到办件进度和今天的号票。"
    qtbot.waitUntil(lambda: offline in text_of(window.current_screen(), "case_message"))
