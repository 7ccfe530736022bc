"""办不成事反映 through the durable outbox: with the hall server down the case is kept and the
citizen gets a plain receipt (a local reference, the window; no case number); when the
server comes up the case arrives exactly once."""

from __future__ import annotations

import re
import sqlite3
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
from kiosk.settings import load_settings
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.runner import QtRunner


@pytest.fixture
def hall_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def core(
    runner: QtRunner, hall_db: str, port: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KioskCore]:
    """A kiosk pointed at a hall server that is not running (yet)."""
    monkeypatch.setenv("KIOSK_KIOSK__ID", "kiosk-07")
    monkeypatch.setenv("KIOSK_HALL__MODE", "remote")
    monkeypatch.setenv("KIOSK_HALL__URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("KIOSK_HALL__TOKEN", add_kiosk(hall_db, "kiosk-07"))
    monkeypatch.setenv("KIOSK_HALL__TIMEOUT_S", "1")
    c = build_core(load_settings(), runner, hall_server=EmbeddedHallServer)
    c.flow.case.sink.confirm_s = 1.0  # type: ignore[union-attr]  # the citizen's wait, shortened
    yield c
    c.close()


def _fill_in(qtbot: QtBot, window: MainWindow) -> None:
    click(qtbot, window, "tile_case")
    click(qtbot, window, "cond_tried_normal_channel")
    click(qtbot, window, "cat_1")  # 政策不明确
    for digit in "13800138000":
        click(qtbot, window, f"pkey_{digit}")
    click(qtbot, window, "case_consent")
    click(qtbot, window, "case_submit")


def test_case_kept_while_the_server_is_down_arrives_once(
    qtbot: QtBot, window: MainWindow, core: KioskCore, hall_db: str, port: int, tmp_path: Path
) -> None:
    flow = core.flow
    _fill_in(qtbot, window)
    qtbot.waitUntil(lambda: flow.state.screen is Screen.CASE_DONE and flow.state.printed,
                    timeout=10_000)  # fmt: skip
    receipt = flow.state.case.result
    assert receipt["pending"] and flow.state.ticket is None
    reference = receipt["reference"]
    screen = window.current_screen()
    assert text_of(screen, "case_reference") == reference
    assert "已保存在本机" in text_of(screen, "case_pending")
    assert "138****8000" in text_of(screen, "case_pending")
    assert "办不成事反映窗口" in text_of(screen, "case_ticket")
    slip = render(flow.state.print_job.data).text.replace(" ", "")
    assert "办不成事反映回执" in slip and "待登记" in slip and reference in slip
    assert "一次性告知单" not in slip
    assert not re.search(r"BC\d{8}-\d{4}", slip)  # no made-up case number (BC20261123-0007)
    assert "13800138000" not in slip
    assert core.outbox.backlog() == 1  # kept on disk, phone and all, until confirmed
    core.outbox.retry_now()
    [kept] = core.outbox.due()
    assert kept.kind == "case" and kept.payload["phone"] == "13800138000"
    click(qtbot, window, "case_finish")

    server = ServerProcess(hall_db, port=port).start()
    try:
        core.outbox.retry_now()
        core.sender.kick()
        qtbot.waitUntil(lambda: core.outbox.backlog() == 0, timeout=15_000)
        # delivered again, as after a crash between the server's answer and the removal
        assert core.outbox.put(kept.kind, kept.key, kept.payload)
        core.sender.kick()
        qtbot.waitUntil(lambda: core.outbox.backlog() == 0, timeout=15_000)
        assert core.outbox.dead_letters() == []
        staff = add_staff(hall_db, "case-office")
        cases = httpx.get(f"{server.base_url}/api/v1/cases",
                          headers={"Authorization": f"Bearer {staff}"}).json()  # fmt: skip
    finally:
        server.stop()
    assert len(cases) == 1
    assert cases[0]["categories"] == ["政策不明确"]
    with sqlite3.connect(tmp_path / "hall.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
