"""办不成事反映: intake (conditions, negative list, categories, phone, privacy), the receipt,
and the progress of a case by its number."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout

from kiosk.flow import Flow
from kiosk.visit import Message, Problem, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


def case_message_text(message: Message) -> str:
    """The case's own wording where the shared one speaks of tickets."""
    if message.problem in (Problem.HALL_REJECTED, Problem.HALL_DOWN):
        return QCoreApplication.translate(
            "CaseFormScreen",
            "系统没有受理这次反映。请到办不成事反映窗口，工作人员会当面帮您登记。",
        )
    return message_text(message)


def _toggle(text: str, on: bool, action: object, name: str) -> object:
    """A choice that shows its state by a mark and its colour (never colour alone)."""
    b = button(("✓ " if on else "") + text, action, role="" if on else "secondary", name=name)  # type: ignore[arg-type]
    selected = QCoreApplication.translate("CaseFormScreen", "已选：")
    b.setAccessibleName((selected if on else "") + text)
    return b


def _digits(screen: ScreenBase, value: str, on_change: object, prefix: str) -> QGridLayout:
    grid = QGridLayout()
    for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"]):

        def press(k: str = key) -> None:
            on_change(value[:-1] if k == "⌫" else value + k)  # type: ignore[operator]

        b = button(key, press, role="key", name=f"{prefix}_{'delete' if key == '⌫' else key}")
        if key == "⌫":
            b.setAccessibleName(screen.tr("删除一位"))
        grid.addWidget(b, i // 6, i % 6)
    return grid


class CaseFormScreen(ScreenBase):
    def render(self, state: State) -> None:
        draft = state.case
        if draft is None:
            return
        self.title.setText(self.tr("办不成事反映"))
        clear_layout(self.body)
        self.body.addWidget(label(self.tr("受理条件（至少符合一项）：")))
        conditions = [
            ("tried_normal_channel", self.tr("已在正常窗口办理，仍没有办成")),
            ("overlapping_duties", self.tr("涉及几个部门，职责有交叉")),
            ("policy_room", self.tr("政策有空间，但没有办成")),
        ]
        for key, text in conditions:
            self.body.addWidget(_toggle(text, key in draft.conditions,  # type: ignore[arg-type]
                                        lambda k=key: self.flow.case.toggle("condition", k), f"cond_{key}"))  # fmt: skip
        self.body.addWidget(
            label(
                self.tr(
                    "不予受理：已进入诉讼、仲裁、行政复议程序的；信访事项；单纯咨询；违反法律法规的诉求。"
                ),
                role="muted",
                name="negative_list",
            )
        )
        self.body.addWidget(label(self.tr("问题类别（可多选）：")))
        grid = QGridLayout()
        for i, category in enumerate(self.flow.case.categories):  # the server's, once fetched
            grid.addWidget(_toggle(category, category in draft.categories,  # type: ignore[arg-type]
                                   lambda c=category: self.flow.case.toggle("category", c), f"cat_{i}"), i // 4, i % 4)  # fmt: skip
        self.body.addLayout(grid)
        phone = label(
            draft.phone or self.tr("请输入手机号，用于回访"),
            role="entry",
            name="case_phone",
            wrap=False,
        )
        phone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(phone)
        self.body.addLayout(
            _digits(self, draft.phone, lambda v: self.flow.case.toggle("phone", v), "pkey")
        )
        self.body.addWidget(_toggle(self.tr("我同意：手机号只用于首接负责人回访，办结后删除"),  # type: ignore[arg-type]
                                    draft.consent, lambda: self.flow.case.toggle("consent"), "case_consent"))  # fmt: skip
        if state.message:
            self.body.addWidget(
                label(case_message_text(state.message), role="warning", name="case_message")
            )
        submit = button(self.tr("正在提交…") if state.busy else self.tr("提交"), self.flow.case.submit,
                        name="case_submit")  # fmt: skip
        submit.setEnabled(state.busy is None)
        self.body.addWidget(submit)


class CaseDoneScreen(ScreenBase):
    def render(self, state: State) -> None:
        case = state.case.result if state.case else None
        if case is None:
            return
        if case.get("pending"):
            self._pending(state, case)
            return
        self.title.setText(self.tr("已受理，您的反映编号"))
        clear_layout(self.body)
        number = label(case["case_number"], role="number", name="case_number", wrap=False)
        self.body.addWidget(number)
        self.body.addWidget(label(self.tr(
            "首接负责人会在 {time} 前与您联系（{phone}），{close} 前办结。可凭编号在本机查询进度。"
        ).format(time=case["respond_due_at"][11:16], phone=case.get("phone_masked", ""),
                 close=case["close_due_on"]), name="case_limits"))  # fmt: skip
        if state.ticket is not None:
            self.body.addWidget(label(self.tr("请持号票 {number} 到办不成事反映窗口。").format(
                number=state.ticket.number), name="case_ticket"))  # fmt: skip
        else:
            self.body.addWidget(label(self.tr("请持回执到办不成事反映窗口。"), name="case_ticket"))
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="case_message")
            )
        elif state.printed:
            self.body.addWidget(label(self.tr("请取走回执和号票。"), role="ok"))
        self._buttons(state)

    def _pending(self, state: State, case: dict[str, object]) -> None:
        """The hall server did not answer: the case is kept and will be registered."""
        self.title.setText(self.tr("您的反映已记录"))
        clear_layout(self.body)
        self.body.addWidget(label(self.tr(
            "系统暂时连不上，您的反映已保存在本机，恢复后会自动登记，不用重新填写。"
            "登记后首接负责人会打电话（{phone}）联系您。"
        ).format(phone=case.get("phone_masked", "")), name="case_pending"))  # fmt: skip
        self.body.addWidget(label(self.tr("本机编号"), role="muted"))
        self.body.addWidget(
            label(str(case["reference"]), role="number", name="case_reference", wrap=False)
        )
        self.body.addWidget(label(self.tr("不必重复反映。有急事可以持回执到办不成事反映窗口咨询。"),
                                  name="case_ticket"))  # fmt: skip
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="case_message")
            )
        elif state.printed:
            self.body.addWidget(label(self.tr("请取走回执。"), role="ok"))
        self._buttons(state)

    def _buttons(self, state: State) -> None:
        row = QHBoxLayout()
        if not state.printed:
            again = button(
                self.tr("重新打印"), self.flow.case.reprint, role="secondary", name="case_reprint"
            )
            again.setEnabled(state.busy is None)
            row.addWidget(again)
        row.addWidget(button(self.tr("完成"), self.flow.home, name="case_finish"))
        self.body.addLayout(row)


class CaseQueryScreen(ScreenBase):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.typed = ""

    def reset(self) -> None:
        super().reset()
        self.typed = ""

    def _set(self, value: str) -> None:
        self.typed = value[:12]
        self.flow.touch()
        self.on_page()

    def render(self, state: State) -> None:
        self.title.setText(self.tr("查询反映进度：请输入编号中的数字"))
        clear_layout(self.body)
        shown = (
            f"BC{self.typed[:8]}-{self.typed[8:]}"
            if self.typed
            else self.tr("例如 BC20261122-0001")
        )
        entry = label(shown, role="entry", name="case_query_number", wrap=False)
        entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(entry)
        self.body.addLayout(_digits(self, self.typed, self._set, "qkey"))
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="case_message")
            )
        progress = state.case.query if state.case else None
        if progress is not None:
            text = self.tr("{number}：{status}").format(number=progress["case_number"],
                                                       status=progress["status_name"])  # fmt: skip
            self.body.addWidget(label(text, role="ok", name="case_status"))
        find = button(self.tr("查询"), lambda: self.flow.case.query(self.typed), name="case_query")
        find.setEnabled(state.busy is None and len(self.typed) == 12)
        self.body.addWidget(find)
