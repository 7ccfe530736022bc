"""长辈版: an elderly citizen completes a ticket by large text and voice alone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button

from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.screens.base import spoken_label
from voice.base import RecordingVoice


def _said(core: KioskCore) -> list[str]:
    assert isinstance(core.voice, RecordingVoice)
    return core.voice.spoken


def _press_announced(qtbot: QtBot, window: MainWindow, core: KioskCore, words: str) -> None:
    """Press the button whose spoken label is ``words`` — only if the voice just said it."""
    qtbot.waitUntil(lambda: bool(_said(core)) and words in _said(core)[-1], timeout=10_000)
    candidates = [
        b for b in window.findChildren(QPushButton)
        if b.isVisible() and b.isEnabled() and spoken_label(b) == words
    ]  # fmt: skip
    assert candidates, f"no visible button says {words!r}"
    count = len(_said(core))
    qtbot.mouseClick(candidates[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_said(core)) > count, timeout=10_000)  # the next screen speaks


def test_take_a_ticket_by_voice_alone(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    flow = core.flow
    assert _said(core) == []  # normal mode: the hall left voice off
    assert find_button(window, "elder").text() == "长辈版"
    click(qtbot, window, "elder")
    qtbot.waitUntil(lambda: bool(_said(core)), timeout=10_000)
    assert flow.state.elder
    _press_announced(qtbot, window, core, "取号")
    # at most six choices a screen: the groups come four at a time with 下一页
    assert "下一页" in _said(core)[-1]
    _press_announced(qtbot, window, core, "下一页")
    _press_announced(qtbot, window, core, "大综窗")
    _press_announced(qtbot, window, core, "社保卡补办")
    assert flow.state.screen is Screen.IDENTIFY
    elderly = next(name for name, _ in core.virtual_cards() if name == "elderly")
    count = len(_said(core))
    core.present_virtual_card(elderly)
    qtbot.waitUntil(lambda: len(_said(core)) > count, timeout=10_000)
    notice = _said(core)[-1]
    assert "居民身份证" in notice and "绿色通道" in notice  # materials and the age priority
    _press_announced(qtbot, window, core, "确认，取号")
    qtbot.waitUntil(lambda: flow.state.printed, timeout=10_000)
    ticket = flow.state.ticket
    assert ticket is not None and ticket.priority
    qtbot.waitUntil(lambda: f"您的号码是 {ticket.number}" in _said(core)[-1], timeout=10_000)
    _press_announced(qtbot, window, core, "完成")
    assert flow.state.screen is Screen.THANKS

    titles = [s.split("。")[0] for s in _said(core)]
    assert titles == [
        "示范市政务服务中心",
        "取号：请选择办理类别",  # page 1
        "取号：请选择办理类别",  # page 2
        "大综窗：请选择事项",
        "请刷身份证，或输入身份证号",
        "办理须知：社保卡补办",
        "取号成功",
        "感谢使用",
    ]
    first_page, second_page = _said(core)[1], _said(core)[2]
    assert "高效办成一件事" in first_page and "。大综窗。" not in first_page
    assert "大综窗" in second_page and "上一页" in second_page


def test_elder_mode_is_offered_to_an_older_card_holder(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    for name in ("tile_ticket", "group_general", "entry_social-security-card"):
        click(qtbot, window, name)
    core.present_virtual_card("elderly")
    qtbot.waitUntil(lambda: window.overlay.isVisible() and window.overlay.kind == "elder_offer")
    qtbot.waitUntil(lambda: bool(_said(core)))  # offered by voice even with voice off
    assert "长辈版" in _said(core)[-1]
    click(qtbot, window, "elder_accept")
    assert flow.state.elder and flow.state.screen is Screen.NOTICE
    # timeouts are three times longer in 长辈版
    now = [0.0]
    flow.visit.clock = lambda: now[0]
    flow.touch()
    now[0] += flow.config.inactivity_s * 2
    flow.poll()
    assert not flow.state.idle_prompt
    now[0] += flow.config.inactivity_s * 1.01
    flow.poll()
    assert flow.state.idle_prompt


def test_volume_and_mode_reset_for_the_next_citizen(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    click(qtbot, window, "elder")
    click(qtbot, window, "louder")
    assert core.voice.volume > core.voice.default_volume
    click(qtbot, window, "tile_ticket")
    click(qtbot, window, "home")
    assert not core.flow.state.elder
    assert core.voice.volume == core.voice.default_volume


def test_call_staff_reaches_the_hall_server(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    import httpx

    click(qtbot, window, "call_staff")
    qtbot.waitUntil(lambda: core.flow.state.help in ("sent", "failed"), timeout=10_000)
    assert core.flow.state.help == "sent"
    assert window.overlay.kind == "help_sent"
    from hall.db import add_staff

    staff = add_staff(core.hall.server.database_url, "helper")  # type: ignore[union-attr]
    r = httpx.get(f"{core.hall.base_url}/api/v1/help-requests",
                  headers={"Authorization": f"Bearer {staff}"})  # fmt: skip
    r.raise_for_status()
    open_requests = [h for h in r.json() if h["status"] == "open"]
    assert [(h["kiosk_id"], h["screen"]) for h in open_requests] == [
        (core.settings.kiosk.id, "home")
    ]
    closed = httpx.post(f"{core.hall.base_url}/api/v1/help-requests/{open_requests[0]['id']}/close",
                        headers={"Authorization": f"Bearer {staff}"})  # fmt: skip
    assert closed.json()["status"] == "closed"
    kiosk_token = {"Authorization": f"Bearer {core.hall.token}"}
    assert (
        httpx.get(f"{core.hall.base_url}/api/v1/help-requests", headers=kiosk_token).status_code
        == 403
    )


def test_elder_home_offers_four_choices_a_page(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """长辈版: at most four choices on a screen; the rest behind 下一页, and spoken."""
    choices = {"取号", "材料预审", "办事指南", "评价", "办不成事反映", "查询反映进度"}

    def shown() -> set[str]:
        screen = window.current_screen()
        return {b.text() for b in screen.findChildren(QPushButton) if b.isVisible()}

    assert choices <= shown()  # normal mode: all at once
    click(qtbot, window, "elder")
    qtbot.waitUntil(lambda: "下一页" in shown())
    first = shown() & choices
    assert first == {"取号", "材料预审", "办事指南", "评价"}
    qtbot.waitUntil(lambda: bool(_said(core)) and "下一页" in _said(core)[-1])
    _press_announced(qtbot, window, core, "下一页")
    second = shown() & choices
    assert second == {"办不成事反映", "查询反映进度"} and "上一页" in shown()
    assert "办不成事反映" in _said(core)[-1]
