"""材料预审 on the kiosk, end to end: the real window, the real OCR worker process on the
sample documents, the virtual printer, the embedded hall server and the recording voice."""

from __future__ import annotations

import os
import signal

import httpx
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button, text_of, visible

from hall.db import add_staff
from kiosk.app import KioskCore
from kiosk.precheck.verdict import spoken_summary
from kiosk.visit import Screen
from ui.main_window import MainWindow
from ui.runner import QtRunner
from voice.base import RecordingVoice

PAGE_MS = 60_000  # a page through the worker process (its first page starts the process)


def _put_and_scan(qtbot: QtBot, window: MainWindow, core: KioskCore, sample: str) -> None:
    """Demo button (the sample goes under the "camera"), then 拍这一页; wait for the result."""
    pre = core.flow.precheck
    assert pre is not None
    before = pre.state.last if pre.state else None
    click(qtbot, window, f"sample_{sample}")
    click(qtbot, window, "precheck_capture")
    qtbot.waitUntil(
        lambda: pre.state is not None and not pre.state.analysing and pre.state.last != before,
        timeout=PAGE_MS,
    )


def test_bundle_precheck_with_a_core_and_a_rongque_material_missing(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    assert isinstance(core.voice, RecordingVoice)
    click(qtbot, window, "elder")  # 长辈版: the voice reads every screen
    click(qtbot, window, "tile_precheck")
    assert window.current_screen().title.text() == "材料预审：请选择办理类别"
    click(qtbot, window, "group_bundles")
    click(qtbot, window, "entry_newborn-bundle")
    assert flow.state.screen is Screen.PRECHECK
    assert text_of(window, "precheck_progress") == "还没有拍材料"
    # the birth certificate (core) and the marriage certificate (容缺) are not shown
    for sample in ("900000_id_card_front_clean", "900001_household_register_clean",
                   "900004_application_form_clean"):  # fmt: skip
        _put_and_scan(qtbot, window, core, sample)
    assert text_of(window, "precheck_progress") == "已拍3页"
    assert text_of(window, "precheck_last") == "第3页：申请表，已算作“出生医学证明首次签发登记表”"
    assert text_of(window, "precheck_item_4") == "居民户口簿（必须）：已收到"
    assert text_of(window, "precheck_item_3") == "出生医学证明（必须）：待拍摄"
    click(qtbot, window, "precheck_finish")
    st = flow.state.precheck
    assert flow.state.screen is Screen.PRECHECK_RESULT and st is not None and st.verdict
    verdict = st.verdict
    assert verdict.overall == "core_missing"
    summary = spoken_summary(verdict)
    assert summary == "缺少核心材料，建议补齐后再办理。还需要：出生医学证明。"
    # the screen: the summary first, then each material with its status
    assert text_of(window, "precheck_summary") == summary
    rows = [text_of(window, f"precheck_result_{i}") for i in range(5)]
    assert rows == [
        "父母双方身份证（必须）：已备齐",
        "结婚证（可容缺）：缺少",
        "出生医学证明首次签发登记表（必须）：已备齐",
        "出生医学证明（必须）：缺少",
        "居民户口簿（必须）：已备齐",
    ]
    # the slip: printed, listing what is missing (core and 容缺 apart)
    qtbot.waitUntil(lambda: flow.state.precheck.slip == "printed", timeout=10_000)
    job = flow.state.precheck.slip_job
    text = job.data.decode("gb18030", errors="replace")
    core_at, rongque_at = text.index("缺少的核心材料"), text.index("缺少的容缺材料")
    assert "出生医学证明" in text[core_at:rongque_at] and "结婚证" in text[rongque_at:]
    assert "以窗口工作人员审核为准" in text and job.png_path is not None
    assert "预审结果单已打印" in text_of(window, "precheck_slip")
    # the voice says the summary (once the slip is out), then the materials and choices
    qtbot.waitUntil(lambda: any(summary in s for s in core.voice.spoken), timeout=5000)
    said = next(s for s in core.voice.spoken if summary in s)
    assert said.startswith("预审结果：新生儿出生一件事。" + summary.rstrip("。"))
    assert "继续取号" in said and "返回首页" in said
    # 继续取号: identify, the notice, a ticket — which carries the result at the hall server
    click(qtbot, window, "precheck_continue")
    assert flow.state.screen is Screen.IDENTIFY and flow.state.entry_id == "newborn-bundle"
    core.present_virtual_card(next(n for n, _ in core.virtual_cards() if n != "elderly"))
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE, timeout=5000)
    click(qtbot, window, "confirm_notice")
    qtbot.waitUntil(lambda: flow.state.printed, timeout=10_000)
    qtbot.waitUntil(lambda: flow.state.precheck.attached == "sent", timeout=10_000)
    ticket = flow.state.ticket
    staff = add_staff(core.hall.server.database_url, "window-7")  # type: ignore[union-attr]
    got = httpx.get(f"{core.hall.base_url}/api/v1/tickets/{ticket.id}/precheck",
                    headers={"Authorization": f"Bearer {staff}"}).json()  # fmt: skip
    assert got["overall"] == "core_missing" and got["pages"] == 3
    assert got["ticket_number"] == ticket.number and got["engine"] == "rapidocr"
    assert [(m["doc_type"], m["status"], m["core"]) for m in got["materials"]] == [
        ("id_card_front", "present_fine", True),
        ("marriage_certificate", "missing", False),
        ("application_form", "present_fine", True),
        ("birth_certificate", "missing", True),
        ("household_register", "present_fine", True),
    ]


def test_bad_page_advice_and_cancel_midway_leaves_nothing(
    qtbot: QtBot, window: MainWindow, core: KioskCore, runner: QtRunner
) -> None:
    flow = core.flow
    pre = flow.precheck
    assert pre is not None
    click(qtbot, window, "elder")
    click(qtbot, window, "tile_precheck")
    click(qtbot, window, "group_bundles")
    click(qtbot, window, "entry_newborn-bundle")
    scans = core.scanner.folder  # type: ignore[attr-defined]
    # a blurred page: the advice is shown and spoken, 重拍 offered, the page not counted
    _put_and_scan(qtbot, window, core, "900005_id_card_front_blurred")
    assert visible(window, "precheck_advice", QLabel)
    assert text_of(window, "precheck_advice") == "照片模糊，请拿稳材料，稍等片刻再拍"
    assert find_button(window, "precheck_retake") is not None
    assert find_button(window, "precheck_capture") is None
    assert pre.state is not None and pre.state.page_count == 0
    assert isinstance(core.voice, RecordingVoice)
    qtbot.waitUntil(lambda: "照片模糊" in core.voice.spoken[-1], timeout=5000)
    assert "重拍" in core.voice.spoken[-1]
    # 重拍 with a page, then cancel while it is being analysed
    click(qtbot, window, "sample_900001_household_register_clean")
    assert len(list(scans.iterdir())) == 1
    click(qtbot, window, "precheck_retake")
    assert pre.state is not None and pre.state.analysing
    assert "正在检查第1页" in text_of(window, "precheck_progress")
    click(qtbot, window, "precheck_cancel")
    assert flow.state.screen is Screen.ITEMS and flow.state.precheck is None
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=PAGE_MS)
    qtbot.wait(50)
    assert flow.state.precheck is None and flow.state.screen is Screen.ITEMS  # late page dropped
    assert list(scans.iterdir()) == []  # nothing left in the scanner folder
    # a new pre-check starts empty
    click(qtbot, window, "entry_newborn-bundle")
    assert pre.state is not None and pre.state.page_count == 0 and pre.state.last is None


def test_card_holder_identified_after_the_precheck_is_cross_checked(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """From the home tile nobody is identified yet: the ID card shown counts at first; the
    card read at 继续取号 belongs to someone else, so the item's own ID card is not there."""
    flow = core.flow
    click(qtbot, window, "tile_precheck")
    click(qtbot, window, "group_general")
    click(qtbot, window, "entry_social-security-card")
    _put_and_scan(qtbot, window, core, "900000_id_card_front_clean")
    click(qtbot, window, "precheck_finish")
    verdict = flow.state.precheck.verdict
    assert verdict is not None and verdict.overall == "can_queue_with_rongque"
    assert text_of(window, "precheck_result_0") == "居民身份证（必须）：已备齐"
    qtbot.waitUntil(lambda: flow.state.precheck.slip == "printed", timeout=10_000)
    click(qtbot, window, "precheck_continue")
    core.present_virtual_card("resident")  # an invented person, not the one on the sample
    qtbot.waitUntil(lambda: flow.state.screen is Screen.NOTICE, timeout=5000)
    assert flow.state.precheck.holder_checked
    verdict = flow.state.precheck.verdict
    assert verdict.overall == "core_missing"
    assert (verdict.materials[0].status, verdict.materials[0].reason) == (
        "wrong_document", "holder_mismatch"
    )  # fmt: skip
    assert text_of(window, "precheck_note") == (
        "材料预审：缺少核心材料，建议补齐后再办理。还需要：居民身份证。"
    )


def test_a_dead_ocr_worker_is_replaced_and_staff_told(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """The worker process dies (out of memory, killed): that page asks to be taken again,
    staff are alerted, and the next page is read by a fresh worker."""
    pre = core.flow.precheck
    assert pre is not None
    click(qtbot, window, "tile_precheck")
    click(qtbot, window, "group_bundles")
    click(qtbot, window, "entry_newborn-bundle")
    worker = pre.worker()
    worker.warmed.result(timeout=120)
    for process in list(worker._pool._processes.values()):  # type: ignore[union-attr]
        os.kill(process.pid, signal.SIGKILL)
    click(qtbot, window, "sample_900000_id_card_front_clean")
    click(qtbot, window, "precheck_capture")
    qtbot.waitUntil(
        lambda: pre.state is not None and not pre.state.analysing and bool(pre.state.problem),
        timeout=PAGE_MS,
    )
    assert pre.state is not None and pre.state.problem == "failed"
    assert "再拍一次" in text_of(window, "precheck_problem")
    assert any(code.startswith("precheck:") for _, code in core.alerts)
    assert pre.worker() is not worker
    _put_and_scan(qtbot, window, core, "900000_id_card_front_clean")
    assert pre.state is not None and pre.state.page_count == 1 and pre.state.problem is None
