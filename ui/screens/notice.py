"""One-time notice (一次性告知): every material, core or 容缺, time limit, fee, where to go."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from kiosk.flow import Flow
from kiosk.precheck.verdict import spoken_summary
from kiosk.visit import Problem, Purpose, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, label, set_role


class NoticeScreen(ScreenBase):
    """Built once; a render sets the texts, the materials (labels re-used), the 绿色通道
    choices and which buttons show."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.choosing_priority = False
        self.expired = label("", role="warning", name="card_expired")
        self.holder = label("", role="muted", name="holder")
        self.precheck_note = label("", role="ok", name="precheck_note")
        for w in (self.expired, self.holder, self.precheck_note):
            self.body.addWidget(w)
        inner = QWidget()
        lines = QVBoxLayout(inner)
        self.prepare = label("")
        lines.addWidget(self.prepare)
        self.material_box = QVBoxLayout()
        lines.addLayout(self.material_box)
        self.material_labels: list[QLabel] = []
        self.time_limit = label("")
        self.fee = label("")
        self.place = label("")
        self.footnote = label("", role="muted")
        for w in (self.time_limit, self.fee, self.place, self.footnote):
            lines.addWidget(w)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(420)
        self.scroll = scroll
        self.body.addWidget(scroll)
        self.message = label("", role="warning", name="notice_message")
        self.body.addWidget(self.message)
        self.priority_state = label("", role="ok", name="priority_state")
        self.body.addWidget(self.priority_state)
        self.priority_row = QWidget()
        prow = QHBoxLayout(self.priority_row)
        prow.setContentsMargins(0, 0, 0, 0)
        self.priority_cancel = button("", lambda: self._declare(None), role="secondary",
                                      name="priority_cancel")  # fmt: skip
        self.priority_disability = button("", lambda: self._declare("disability"),
                                          role="secondary", name="priority_disability")  # fmt: skip
        self.priority_pregnancy = button("", lambda: self._declare("pregnancy"),
                                         role="secondary", name="priority_pregnancy")  # fmt: skip
        self.priority_ask = button("", self._choose, role="secondary", name="priority_ask")
        for b in (self.priority_cancel, self.priority_disability, self.priority_pregnancy,
                  self.priority_ask):  # fmt: skip
            prow.addWidget(b)
        self.body.addWidget(self.priority_row)
        row = QHBoxLayout()
        self.print_button = button("", self.flow.ticket.print_notice, role="secondary",
                                   name="print_notice")  # fmt: skip
        self.check = button("", self.flow.ticket.start_precheck, role="secondary",
                            name="start_precheck")  # fmt: skip
        self.continue_button = button("", self.flow.ticket.continue_to_ticket,
                                      name="continue_ticket")  # fmt: skip
        self.take = button("", self.flow.ticket.confirm_notice, name="confirm_notice")
        for b in (self.print_button, self.check, self.continue_button, self.take):
            row.addWidget(b)
        self.body.addLayout(row)

    def render(self, state: State) -> None:
        entry = self.flow.ticket.entry
        if entry is None:
            return
        self.title.setText(self.tr("办理须知：{name}").format(name=self.local(entry, "name")))
        holder = state.holder
        expired = holder is not None and holder.expired_on(self.flow.visit.now().date())
        if holder is not None and expired:
            self.expired.setText(
                self.tr(
                    "您的证件已于 {date} 过期。部分事项需要有效证件，请向窗口工作人员说明。"
                ).format(date=holder.valid_to)
            )
        self.expired.setVisible(expired)
        if holder is not None:
            self.holder.setText(
                self.tr("已登记：{name} {id}").format(name=holder.masked_name, id=holder.masked_id)
            )
        self.holder.setVisible(holder is not None)
        pre = state.precheck
        noted = pre is not None and pre.verdict is not None and pre.verdict.entry_id == entry.id
        if noted:
            assert pre is not None and pre.verdict is not None
            self.precheck_note.setText(
                self.tr("材料预审：{summary}").format(
                    summary=spoken_summary(pre.verdict, self.flow.language)
                )
            )
            set_role(
                self.precheck_note, "ok" if pre.verdict.overall != "core_missing" else "warning"
            )
        self.precheck_note.setVisible(noted)
        self._materials(entry)
        if state.message:
            self.message.setText(message_text(state.message))
        self.message.setVisible(state.message is not None)
        self._priority(state)
        idle = state.busy is None
        printing = state.busy == "printing"
        self.print_button.setText(self.tr("正在打印…") if printing else self.tr("打印告知单"))
        self.print_button.setEnabled(idle)
        self.check.setText(self.tr("材料预审"))
        self.check.setAccessibleName(self.tr("材料预审：先拍材料，看看带齐了没有"))
        self.check.setEnabled(idle)
        self.check.setVisible(self.flow.precheck is not None)
        guide = state.purpose is Purpose.GUIDE
        self.continue_button.setText(self.tr("取号办理"))
        self.continue_button.setVisible(guide)
        retry = state.message is not None and state.message.problem is Problem.HALL_DOWN
        self.take.setText(
            self.tr("正在取号…")
            if state.busy == "issuing"
            else (self.tr("重试") if retry else self.tr("确认，取号"))
        )
        self.take.setEnabled(idle)
        self.take.setVisible(not guide)

    def _materials(self, entry: object) -> None:
        self.prepare.setText(self.tr("请准备以下材料（一次性告知）："))
        materials = self.flow.ticket.materials()
        while len(self.material_labels) < len(materials):
            lab = label("", name=f"material_{len(self.material_labels) + 1}")
            self.material_box.addWidget(lab)
            self.material_labels.append(lab)
        for i, lab in enumerate(self.material_labels):
            if i < len(materials):
                m = materials[i]
                mark = self.tr("【必须】") if m.core else self.tr("【可容缺，可以后补交】")
                lab.setText(f"{i + 1}. {self.local(m, 'name')} {mark}")
            lab.setVisible(i < len(materials))
        group = self.flow.catalog.group(entry.group)  # type: ignore[attr-defined]
        self.time_limit.setText(self.tr("承诺时限：{v}").format(v=self.local(entry, "time_limit")))
        self.fee.setText(self.tr("收费：{v}").format(v=self.local(entry, "fee")))
        self.place.setText(
            self.tr("办理地点：{name}，{where}").format(
                name=self.local(group, "name"), where=self.local(group, "location")
            )
        )
        self.footnote.setText(self.tr("标为“可容缺”的材料缺少时，可签署告知承诺书先受理、后补交。"))
        # QScrollArea caches its contents' size hint when given them: give them again
        self.scroll.setWidget(self.scroll.takeWidget())

    def reset(self) -> None:
        super().reset()
        self.choosing_priority = False

    def _priority(self, state: State) -> None:
        """绿色通道: automatic by age; self-declared for disability or pregnancy."""
        offered = state.purpose is Purpose.TICKET and self.flow.config.priority_lane
        if not offered or state.priority == "age":
            if offered:
                self.priority_state.setText(
                    self.tr("绿色通道：您已年满{age}岁，将优先叫号。").format(
                        age=self.flow.config.elder_age
                    )
                )
            self.priority_state.setVisible(offered)
            self.priority_row.setVisible(False)
            return
        self.priority_row.setVisible(True)
        declared = state.priority is not None
        if declared:
            reason = self.tr("残疾人") if state.priority == "disability" else self.tr("孕妇")
            self.priority_state.setText(
                self.tr("绿色通道：已申请（{reason}），将优先叫号。").format(reason=reason)
            )
        self.priority_state.setVisible(declared)
        choosing = not declared and self.choosing_priority
        self.priority_cancel.setText(self.tr("取消绿色通道"))
        self.priority_cancel.setVisible(declared)
        self.priority_disability.setText(self.tr("我是残疾人"))
        self.priority_disability.setVisible(choosing)
        self.priority_pregnancy.setText(self.tr("我是孕妇"))
        self.priority_pregnancy.setVisible(choosing)
        self.priority_ask.setText(self.tr("申请绿色通道（残疾人、孕妇）"))
        self.priority_ask.setVisible(not declared and not choosing)

    def _choose(self) -> None:
        self.choosing_priority = True
        self.flow.touch()
        self.on_page()

    def _declare(self, reason: str | None) -> None:
        self.choosing_priority = False
        self.flow.ticket.declare_priority(reason)
