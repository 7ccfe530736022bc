"""One-time notice (一次性告知): every material, core or 容缺, time limit, fee, where to go."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from kiosk.precheck.verdict import spoken_summary
from kiosk.visit import Purpose, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


class NoticeScreen(ScreenBase):
    def render(self, state: State) -> None:
        entry = self.flow.ticket.entry
        if entry is None:
            return
        self.title.setText(self.tr("办理须知：{name}").format(name=self.local(entry, "name")))
        clear_layout(self.body)
        if state.holder is not None and state.holder.expired_on(self.flow.visit.now().date()):
            self.body.addWidget(
                label(
                    self.tr(
                        "您的证件已于 {date} 过期。部分事项需要有效证件，请向窗口工作人员说明。"
                    ).format(date=state.holder.valid_to),
                    role="warning",
                    name="card_expired",
                )
            )
        if state.holder is not None:
            self.body.addWidget(
                label(
                    self.tr("已登记：{name} {id}").format(
                        name=state.holder.masked_name, id=state.holder.masked_id
                    ),
                    role="muted",
                    name="holder",
                )
            )
        pre = state.precheck
        if pre is not None and pre.verdict is not None and pre.verdict.entry_id == entry.id:
            self.body.addWidget(
                label(
                    self.tr("材料预审：{summary}").format(
                        summary=spoken_summary(pre.verdict, self.flow.language)
                    ),
                    role="ok" if pre.verdict.overall != "core_missing" else "warning",
                    name="precheck_note",
                )
            )
        inner = QWidget()
        lines = QVBoxLayout(inner)
        lines.addWidget(label(self.tr("请准备以下材料（一次性告知）：")))
        for i, m in enumerate(self.flow.ticket.materials(), start=1):
            mark = self.tr("【必须】") if m.core else self.tr("【可容缺，可以后补交】")
            lines.addWidget(label(f"{i}. {self.local(m, 'name')} {mark}", name=f"material_{i}"))
        group = self.flow.catalog.group(entry.group)
        lines.addWidget(label(self.tr("承诺时限：{v}").format(v=self.local(entry, "time_limit"))))
        lines.addWidget(label(self.tr("收费：{v}").format(v=self.local(entry, "fee"))))
        lines.addWidget(
            label(
                self.tr("办理地点：{name}，{where}").format(
                    name=self.local(group, "name"),
                    where=self.local(group, "location"),
                )
            )
        )
        lines.addWidget(
            label(
                self.tr("标为“可容缺”的材料缺少时，可签署告知承诺书先受理、后补交。"), role="muted"
            )
        )
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(420)
        self.body.addWidget(scroll)
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="notice_message")
            )
        if state.purpose is Purpose.TICKET and self.flow.config.priority_lane:
            self._priority(state)
        row = QHBoxLayout()
        printing = state.busy == "printing"
        print_button = button(
            self.tr("正在打印…") if printing else self.tr("打印告知单"),
            self.flow.ticket.print_notice,
            role="secondary",
            name="print_notice",
        )
        print_button.setEnabled(state.busy is None)
        row.addWidget(print_button)
        if self.flow.precheck is not None:
            check = button(
                self.tr("材料预审"),
                self.flow.ticket.start_precheck,
                role="secondary",
                name="start_precheck",
            )
            check.setAccessibleName(self.tr("材料预审：先拍材料，看看带齐了没有"))
            check.setEnabled(state.busy is None)
            row.addWidget(check)
        if state.purpose is Purpose.GUIDE:
            row.addWidget(
                button(
                    self.tr("取号办理"), self.flow.ticket.continue_to_ticket, name="continue_ticket"
                )
            )
        else:
            from kiosk.visit import Problem

            retry = state.message is not None and state.message.problem is Problem.HALL_DOWN
            text = (
                self.tr("正在取号…")
                if state.busy == "issuing"
                else (self.tr("重试") if retry else self.tr("确认，取号"))
            )
            take = button(text, self.flow.ticket.confirm_notice, name="confirm_notice")
            take.setEnabled(state.busy is None)
            row.addWidget(take)
        self.body.addLayout(row)

    def reset(self) -> None:
        super().reset()
        self.choosing_priority = False

    def _priority(self, state: State) -> None:
        """绿色通道: automatic by age; self-declared for disability or pregnancy."""
        if state.priority == "age":
            self.body.addWidget(
                label(
                    self.tr("绿色通道：您已年满{age}岁，将优先叫号。").format(
                        age=self.flow.config.elder_age
                    ),
                    role="ok",
                    name="priority_state",
                )
            )
            return
        row = QHBoxLayout()
        if state.priority is not None:
            reason = self.tr("残疾人") if state.priority == "disability" else self.tr("孕妇")
            self.body.addWidget(
                label(
                    self.tr("绿色通道：已申请（{reason}），将优先叫号。").format(reason=reason),
                    role="ok",
                    name="priority_state",
                )
            )
            row.addWidget(
                button(
                    self.tr("取消绿色通道"),
                    lambda: self._declare(None),
                    role="secondary",
                    name="priority_cancel",
                )
            )
        elif getattr(self, "choosing_priority", False):
            row.addWidget(
                button(
                    self.tr("我是残疾人"),
                    lambda: self._declare("disability"),
                    role="secondary",
                    name="priority_disability",
                )
            )
            row.addWidget(
                button(
                    self.tr("我是孕妇"),
                    lambda: self._declare("pregnancy"),
                    role="secondary",
                    name="priority_pregnancy",
                )
            )
        else:
            row.addWidget(
                button(
                    self.tr("申请绿色通道（残疾人、孕妇）"),
                    self._choose,
                    role="secondary",
                    name="priority_ask",
                )
            )
        self.body.addLayout(row)

    def _choose(self) -> None:
        self.choosing_priority = True
        self.flow.touch()
        self.on_page()

    def _declare(self, reason: str | None) -> None:
        self.choosing_priority = False
        self.flow.ticket.declare_priority(reason)
