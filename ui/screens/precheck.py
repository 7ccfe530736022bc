"""材料预审 screens: page-by-page capture with progress, and the verdict.

Both screens build their widgets once (the capture screen's checklist once per item) and
then only change texts, visibility and roles (``render`` runs on every progress change while OCR works in another process:
rebuilding the screen each time would stall the event loop). The verdict screen shows each
required material's status, the overall advice (never a refusal) and, first, the spoken
summary — the words ``verdict.spoken_summary`` gives, which the voice guide says.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from kiosk.flow import Flow
from kiosk.journeys.precheck import PrecheckJourney, PrecheckState
from kiosk.precheck.verdict import DOC_NAMES, spoken_summary
from kiosk.visit import State
from ui.language import local_pair
from ui.preview import CameraPreview
from ui.screens.base import ScreenBase, section
from ui.widgets import button, clear_layout, label, set_role


def _doc_name(doc_type: str, language: str) -> str:
    name = local_pair(DOC_NAMES.get(doc_type, DOC_NAMES["other"]), language)
    return name[:1].upper() + name[1:]


class PrecheckScreen(ScreenBase):
    """Capture: put a page under the camera, 拍这一页; 完成 when done; 取消 at any time."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self._built_for: str | None = None  # the item the checklist and samples are for
        self._columns = 0  # the checklist's columns as placed (2; 1 in 长辈版)
        self.samples: list[Any] = []
        self.sample_buttons: list[QPushButton] = []
        self.hint = label("", name="precheck_hint")
        self.progress = label("", role="ok", name="precheck_progress")
        self.checklist = QGridLayout()
        self.checklist.setHorizontalSpacing(24)
        self.rows: list[QLabel] = []
        self.last = label("", name="precheck_last")
        self.advice = label("", role="warning", name="precheck_advice")
        self.problem = label("", role="warning", name="precheck_problem")
        actions = QHBoxLayout()
        self.capture_button = button("", self._capture, name="precheck_capture")
        self.retake_button = button("", self._retake, name="precheck_retake")
        self.finish_button = button("", self._finish, name="precheck_finish")
        self.cancel_button = button("", self._cancel, role="secondary", name="precheck_cancel")
        for b in (self.capture_button, self.retake_button, self.finish_button, self.cancel_button):
            actions.addWidget(b)
        self.demo_title = label("", role="muted", name="precheck_demo_title")
        self.demo_grid = QGridLayout()
        self.demo_grid.setSpacing(10)
        # the camera's live picture beside the checklist (hidden for the folder scanner)
        self.preview = CameraPreview()
        self.preview.on_frame = self._sharpness
        self.camera_hint = label("", name="camera_hint")
        self.camera_hint.setFixedWidth(self.preview.maximumWidth())
        camera = QVBoxLayout()
        camera.addWidget(self.preview)
        camera.addWidget(self.camera_hint)
        camera.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(self.checklist, 1)
        row.addLayout(camera)
        for w in (self.hint, self.progress):
            self.body.addWidget(w)
        self.body.addLayout(row)
        for w in (self.last, self.advice, self.problem):
            self.body.addWidget(w)
        self.body.addLayout(actions)
        self.body.addWidget(self.demo_title)
        self.body.addLayout(self.demo_grid)

    @property
    def pre(self) -> PrecheckJourney | None:
        return self.flow.precheck

    def _capture(self) -> None:
        if self.pre is not None:
            self.pre.capture()

    def _retake(self) -> None:
        if self.pre is not None:
            self.pre.retake()

    def _finish(self) -> None:
        if self.pre is not None:
            self.pre.finish()

    def _cancel(self) -> None:
        if self.pre is not None:
            self.pre.cancel()

    def speech_key(self, state: State) -> Any:
        """What makes the voice read this screen again: a page done, advice, a problem —
        not the "analysing" blink in between."""
        st = state.precheck
        return None if st is None else (st.page_count, st.last, st.problem)

    def _build(self, st: PrecheckState, elder: bool) -> None:
        """The parts that depend on the item: once per item, not per tick, nor on a switch
        of language or 长辈版 (those set texts and re-place the rows)."""
        if st.entry_id != self._built_for:
            self._built_for = st.entry_id
            self._columns = 0
            clear_layout(self.checklist)
            entry = self.flow.catalog.entry(st.entry_id)
            self.rows = [
                label("", name=f"precheck_item_{i}")
                for i, _m in enumerate(self.flow.catalog.materials_for(entry))
            ]
            clear_layout(self.demo_grid)
            self.samples = self.pre.samples() if self.pre is not None else []
            self.demo_title.setVisible(bool(self.samples))
            self.sample_buttons = []
            for i, sample in enumerate(self.samples):
                b = button(
                    "",
                    lambda n=sample.name: self._present(n),  # type: ignore[misc]
                    role="secondary",
                    name=f"sample_{sample.name.split('.')[0]}",
                )
                b.setProperty("demo", True)  # a demo aid, not a citizen's choice
                self.demo_grid.addWidget(b, i // 2, i % 2)
                self.sample_buttons.append(b)
        columns = 1 if elder else 2
        if columns != self._columns:
            self._columns = columns
            for i, row in enumerate(self.rows):
                self.checklist.addWidget(row, i // columns, i % columns)
        for b, sample in zip(self.sample_buttons, self.samples, strict=True):
            name = self.local(sample, "label")
            name = name[:1].upper() + name[1:]
            if sample.variant == "blurred":
                name += self.tr("（模糊的照片）")
            b.setText(name)

    def _present(self, name: str) -> None:
        if self.pre is not None:
            self.pre.present_sample(name)

    def _live_picture(self) -> None:
        """Start the camera's live picture while this screen is shown (if it has one)."""
        scanner = self.pre.scanner if self.pre is not None else None
        live = scanner is not None and CameraPreview.available(scanner)
        self.preview.setVisible(live)
        self.camera_hint.setVisible(live)
        if live:
            if not self.camera_hint.text():
                self.camera_hint.setText(self.tr("请把材料放在拍摄区"))
            self.preview.start(scanner)

    def _sharpness(self, sharpness: float) -> None:
        scanner = self.pre.scanner if self.pre is not None else None
        threshold = getattr(getattr(scanner, "auto", None), "sharpness_threshold", 60.0)
        text = (
            self.tr("画面清楚，可以拍")
            if sharpness >= threshold
            else self.tr("画面不清楚：请把材料放平、放稳")
        )
        if text != self.camera_hint.text():
            self.camera_hint.setText(text)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt API)
        self.preview.stop()  # no camera thread while another screen is shown
        self.camera_hint.setText("")
        super().hideEvent(event)

    def render(self, state: State) -> None:
        st = state.precheck
        entry = self.flow.ticket.entry
        if st is None or entry is None or self.pre is None:
            return
        self._build(st, state.elder)
        self._live_picture()
        self.title.setText(self.tr("材料预审：{name}").format(name=self.local(entry, "name")))
        self.hint.setText(self.tr("一次放一页材料，点“拍这一页”；拍完点“完成”。"))
        n = st.page_count
        if st.analysing:
            self.progress.setText(
                self.tr("正在检查第{n}页，请稍候…（已拍{done}页）").format(n=n + 1, done=n)
            )
        elif n:
            self.progress.setText(self.tr("已拍{n}页").format(n=n))
        else:
            self.progress.setText(self.tr("还没有拍材料"))
        interim = self.pre.interim()
        if interim is not None:
            for row, m in zip(self.rows, interim.materials, strict=False):
                mark = self.tr("必须") if m.core else self.tr("可容缺")
                got = self.tr("已收到") if m.status == "present_fine" else self.tr("待拍摄")
                row.setText(
                    self.tr("{name}（{mark}）：{status}").format(
                        name=self.local(m, "name"), mark=mark, status=got
                    )
                )
        self._last_page(st)
        problem = {
            "no_page": self.tr("没有看到材料：请把材料放在拍摄区再拍。"),
            "scanner": self.tr("拍摄设备出了问题，已通知工作人员。您可以点“完成”查看结果。"),
            "failed": self.tr("这一页没能检查，请再拍一次。"),
        }.get(st.problem or "")
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        bad = st.last is not None and not st.last.fine
        self.capture_button.setText(
            self.tr("拍这一页") if not st.analysing else self.tr("正在检查…")
        )
        self.capture_button.setVisible(not bad)
        self.retake_button.setText(self.tr("重拍"))
        self.retake_button.setVisible(bad)
        self.finish_button.setText(self.tr("完成"))
        self.cancel_button.setText(self.tr("取消预审"))
        for b in (self.capture_button, self.retake_button, self.finish_button):
            b.setEnabled(not st.analysing)
        self.demo_title.setText(self.tr("演示：把样例材料放到拍摄区（模拟高拍仪）"))

    def _last_page(self, st: PrecheckState) -> None:
        last = st.last
        if last is None:
            self.last.hide()
            self.advice.hide()
            return
        doc = _doc_name(last.doc_type, self.flow.language)
        if last.material:
            text = self.tr("第{n}页：{doc}，已算作“{material}”").format(
                n=last.number, doc=doc, material=self.local(last, "material")
            )
        elif not last.fine:
            text = self.tr("第{n}页没有看清").format(n=last.number)
        else:
            text = self.tr("第{n}页：{doc}，清单里不需要这份材料").format(n=last.number, doc=doc)
        self.last.setText(text)
        self.last.show()
        advice = list(self.local(last, "advice"))
        self.advice.setText(self.tr("；").join(advice))  # "; " in English
        self.advice.setVisible(bool(advice))


class PrecheckResultScreen(ScreenBase):
    """The verdict: the spoken summary first, each material, the slip, 继续取号 or home.

    Built once (a row per material, more added only for a longer list than seen before);
    a new verdict, a language or 长辈版 switch and the slip's progress set texts and roles."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.summary = label("", name="precheck_summary")
        self.rows: list[QLabel] = []
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(16)
        self.note = label("", role="muted")
        self.slip = label("", name="precheck_slip")
        self.continue_button = button("", self._continue, name="precheck_continue")
        self.reprint = button("", self._reprint, role="secondary", name="precheck_reprint")
        self.home_button = button("", self.flow.home, role="secondary", name="precheck_home")
        self.body.addWidget(self.summary)
        self.body.addWidget(section(self.rows_box))
        self.body.addWidget(self.note)
        self.body.addWidget(self.slip)
        self.body.addWidget(section(self.continue_button, self.reprint, self.home_button, row=True))

    def _continue(self) -> None:
        if self.flow.precheck is not None:
            self.flow.precheck.continue_to_ticket()

    def _reprint(self) -> None:
        if self.flow.precheck is not None:
            self.flow.precheck.print_slip()

    def speech_key(self, state: State) -> Any:
        st = state.precheck
        return None if st is None else (st.verdict, st.slip == "failed")

    def _verdict(self, st: PrecheckState) -> None:
        verdict = st.verdict
        assert verdict is not None
        self.title.setText(
            self.tr("预审结果：{name}").format(name=self.local(verdict, "entry_name"))
        )
        role = {"complete": "ok", "can_queue_with_rongque": "ok"}.get(verdict.overall, "warning")
        self.summary.setText(spoken_summary(verdict, self.flow.language))
        set_role(self.summary, role)
        words = {
            "present_fine": self.tr("已备齐"),
            "present_unreadable": self.tr("看不清，请重拍"),
            "wrong_document": self.tr("材料不符"),
            "missing": self.tr("缺少"),
        }
        while len(self.rows) < len(verdict.materials):
            row = label("", name=f"precheck_result_{len(self.rows)}")
            self.rows.append(row)
            self.rows_box.addWidget(row)
        for i, row in enumerate(self.rows):
            if i >= len(verdict.materials):
                row.hide()
                continue
            m = verdict.materials[i]
            mark = self.tr("必须") if m.core else self.tr("可容缺")
            row.setText(
                self.tr("{name}（{mark}）：{status}").format(
                    name=self.local(m, "name"), mark=mark, status=words[m.status]
                )
            )
            set_role(row, "ok" if m.status == "present_fine" else "warning" if m.core else "")
            row.show()
        self.note.setText(self.tr("本结果仅供参考，以窗口工作人员审核为准。"))

    def render(self, state: State) -> None:
        st = state.precheck
        if st is None or st.verdict is None:
            return
        self._verdict(st)
        slip = {
            "printing": self.tr("正在打印预审结果单…"),
            "printed": self.tr("预审结果单已打印，请取走。"),
            "failed": self.tr("预审结果单没有打印出来，可以重新打印或请工作人员帮忙。"),
        }.get(st.slip or "", "")
        self.slip.setText(slip)
        self.slip.setVisible(bool(slip))
        failed = st.slip == "failed"
        set_role(self.slip, "warning" if failed else "")
        pre = self.flow.precheck is not None
        self.continue_button.setText(self.tr("继续取号"))
        self.continue_button.setVisible(pre)
        self.reprint.setText(self.tr("重新打印"))
        self.reprint.setVisible(pre and failed)
        self.home_button.setText(self.tr("返回首页"))
