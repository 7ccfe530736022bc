"""A 办不成事 case typed with the on-screen keyboard: the matter found by its pinyin initials,
the citizen's own words in pinyin, the severity, the summary before sending — all arriving
at the real hall server; and a visit left halfway leaves nothing of its typing behind."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of

from hall.db import add_staff
from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.screens.case import CaseFormScreen


def _screen(window: MainWindow) -> CaseFormScreen:
    screen = window.screens[Screen.CASE_FORM]
    assert isinstance(screen, CaseFormScreen)
    return screen


def test_a_case_typed_with_the_keyboard_arrives_with_item_words_and_severity(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    screen = _screen(window)
    click(qtbot, window, "tile_case")
    assert screen.keyboard is None  # built only when asked for
    click(qtbot, window, "case_find_matter")
    kb = screen.keyboard
    assert kb is not None
    qtbot.waitUntil(lambda: kb.isVisible() and kb.ready, timeout=60_000)
    click(qtbot, kb, "kb_mode_letters")
    for ch in "hk":  # pinyin initials of 户口迁移
        click(qtbot, kb, f"kb_key_{ch}")
    qtbot.waitUntil(
        lambda: find_button(window, "matter_hukou-transfer") is not None, timeout=10_000
    )
    click(qtbot, window, "matter_hukou-transfer")
    assert flow.state.case.item_id == "hukou-transfer"
    assert "户口迁移" in text_of(window.current_screen(), "case_matter")

    click(qtbot, window, "sev_urgent")
    click(qtbot, window, "case_describe")
    qtbot.waitUntil(lambda: kb.isVisible(), timeout=10_000)
    click(qtbot, kb, "kb_mode_pinyin")
    for ch in "banbuchengshi":
        click(qtbot, kb, f"kb_key_{ch}")
    click(qtbot, kb, "kb_cand_0")
    assert screen.entry.text() == "办不成事"
    click(qtbot, window, "case_typing_done")
    assert flow.state.case.description == "办不成事" and not kb.isVisible()

    click(qtbot, window, "cond_tried_normal_channel")
    click(qtbot, window, "cat_0")
    for digit in "13800138000":
        click(qtbot, window, f"pkey_{digit}")
    click(qtbot, window, "case_consent")
    click(qtbot, window, "case_submit")
    summary = text_of(window.current_screen(), "case_summary")
    assert "户口迁移" in summary and "紧急" in summary and "办不成事" in summary
    assert "13800138000" not in summary and "138****8000" in summary
    assert core.outbox.backlog() == 0  # nothing sent before the citizen confirms
    click(qtbot, window, "case_confirm")
    qtbot.waitUntil(lambda: flow.state.screen is Screen.CASE_DONE, timeout=10_000)
    number = flow.state.case.result["case_number"]

    token = add_staff(core.hall.server.database_url, "supervisor-1")  # type: ignore[union-attr]
    detail = httpx.get(f"{core.hall.base_url}/api/v1/cases/{number}/detail",
                       headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    assert detail["item_id"] == "hukou-transfer" and detail["not_in_catalog"] is False
    assert detail["description"] == "办不成事" and detail["severity"] == "urgent"


def test_leaving_halfway_wipes_the_typed_text(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    screen = _screen(window)
    click(qtbot, window, "tile_case")
    click(qtbot, window, "case_describe")
    kb = screen.keyboard
    assert kb is not None
    qtbot.waitUntil(lambda: kb.isVisible() and kb.ready, timeout=60_000)
    click(qtbot, kb, "kb_mode_letters")
    for ch in "abc":
        click(qtbot, kb, f"kb_key_{ch}")
    assert screen.entry.text() == "abc"
    click(qtbot, window, "home")  # the citizen walks away halfway
    click(qtbot, window, "tile_case")
    assert flow.state.case.description == "" and screen.entry.text() == ""
    assert not kb.isVisible() and kb.field is None and screen.search == ""


def test_a_closed_case_is_rated_at_the_kiosk_by_number_and_phone_tail(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    hall = core.hall
    case = hall.create_case({  # type: ignore[union-attr]
        "idempotency_key": "visit-x:case", "tried_normal_channel": True,
        "categories": ["其他"], "description": "窗口说要去另一个部门开证明",
        "phone": "13700001234", "privacy_consent": True, "not_in_catalog": True,
    })  # fmt: skip
    number = case["case_number"]
    staff = {"Authorization": "Bearer " + add_staff(hall.server.database_url, "owner-1")}  # type: ignore[union-attr]
    for step in ({"kind": "take"}, {"kind": "respond", "note": "已电话联系"},
                 {"kind": "close", "note": "已协调办结"}):  # fmt: skip
        resp = httpx.post(f"{hall.base_url}/api/v1/cases/{number}/events", json=step,
                          headers=staff)  # fmt: skip
        assert resp.status_code == 200, resp.text

    click(qtbot, window, "case_progress")
    for digit in number[2:].replace("-", ""):
        click(qtbot, window, f"qkey_{digit}")
    click(qtbot, window, "case_query")
    qtbot.waitUntil(lambda: find_button(window, "tkey_1") is not None, timeout=10_000)
    for digit in "9999":  # not the tail of the call-back number
        click(qtbot, window, f"tkey_{digit}")
    click(qtbot, window, "hlevel_satisfied")
    qtbot.waitUntil(lambda: flow.state.message is not None, timeout=10_000)
    assert flow.state.message.detail == "tail_mismatch" and flow.state.case.rated is None
    for _ in range(4):
        click(qtbot, window, "tkey_delete")
    for digit in "1234":
        click(qtbot, window, f"tkey_{digit}")
    click(qtbot, window, "hlevel_satisfied")
    qtbot.waitUntil(lambda: flow.state.case.rated == "satisfied", timeout=10_000)
    assert "谢谢" in text_of(window.current_screen(), "case_rated")
    detail = httpx.get(f"{hall.base_url}/api/v1/cases/{number}/detail", headers=staff).json()
    assert detail["handling_level"] == "satisfied"
