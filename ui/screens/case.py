"""办不成事反映: intake (conditions, negative list, categories, phone, privacy), the receipt,
and the progress of a case by its number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit

from kiosk import matter_search
from kiosk.flow import Flow
from kiosk.journeys.case import DESCRIPTION_MAX, CaseDraft
from kiosk.visit import Message, Problem, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label

if TYPE_CHECKING:
    from ui.keyboard import Keyboard


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
    """The matter (search by pinyin initials or characters, browse by window group, or "not
    in the catalog"), severity, the citizen's own words (optional, on the keyboard), then the
    acceptance conditions, categories, phone and consent; 提交 shows the summary first and
    确认提交 sends it. One entry field above the body serves whatever is being typed (the
    search or the description); the keyboard is built when first asked for."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.entry = QLineEdit()
        self.entry.setObjectName("case_entry")
        self.entry.setStyleSheet(
            "QLineEdit { border: 2px solid #0b5394; padding: 8px; min-height: 56px; }"
        )
        self.entry.hide()
        self.entry.textChanged.connect(self._typed)
        self.outer.insertWidget(1, self.entry)
        self.keyboard: Keyboard | None = None
        self.typing = ""  # "search" or "description" while the keyboard is open
        self.search = ""
        self.group = ""  # the window group being browsed

    def reset(self) -> None:
        """A visit ends (or the form opens anew): nothing typed is kept."""
        super().reset()
        self.typing, self.search, self.group = "", "", ""
        self.entry.blockSignals(True)
        self.entry.clear()
        self.entry.blockSignals(False)
        self.entry.hide()
        if self.keyboard is not None:
            self.keyboard.reset()
            self.keyboard.hide()

    def _type(self, what: str) -> None:
        """Open the keyboard on the entry for the search or the description."""
        draft = self.flow.state.case
        if self.keyboard is None:
            from ui.keyboard import Keyboard  # imported on first use: start-up stays as fast

            self.keyboard = Keyboard()
            self.keyboard.speak.connect(lambda text: self.read_back(text))
            self.keyboard.close_requested.connect(self._done_typing)
            self.outer.insertWidget(2, self.keyboard)  # under the entry
        self.typing = what
        limit = DESCRIPTION_MAX if what == "description" else 20
        self.entry.blockSignals(True)
        self.entry.setMaxLength(limit)
        self.entry.setText(
            self.search if what == "search" else (draft.description if draft else "")
        )
        self.entry.blockSignals(False)
        self.entry.setPlaceholderText(
            self.tr("事项名称或拼音首字母，如 hk") if what == "search"
            else self.tr("说说哪里没办成（可不填，最多{n}字）").format(n=DESCRIPTION_MAX)
        )  # fmt: skip
        self.entry.show()
        self.keyboard.attach(self.entry, limit)
        self.keyboard.show()
        self.flow.touch()
        self.on_page()

    def _typed(self, text: str) -> None:
        if self.typing == "search":
            self.search = text
            self.flow.touch()
            self.on_page()  # the matches follow the typing

    def _done_typing(self) -> None:
        what, self.typing = self.typing, ""
        if self.keyboard is not None:
            self.keyboard.hide()
        self.entry.hide()
        if what == "description":
            self.flow.case.toggle("description", self.entry.text())  # re-renders
        else:
            self.on_page()

    def _pick(self, item_id: str) -> None:
        """A matter chosen (from the matches or a group): the search is done."""
        self.search, self.group, self.typing = "", "", ""
        if self.keyboard is not None:
            self.keyboard.hide()
        self.entry.hide()
        self.flow.case.toggle("item", item_id)

    def _browse(self, group_id: str) -> None:
        self.group = "" if self.group == group_id else group_id
        self.flow.touch()
        self.on_page()

    def render(self, state: State) -> None:
        draft = state.case
        if draft is None:
            return
        clear_layout(self.body)
        if draft.reviewing:
            self._summary(state, draft)
            return
        if self.typing:
            self._typing(state)
            return
        self.entry.hide()
        if self.keyboard is not None:
            self.keyboard.hide()
        self.title.setText(self.tr("办不成事反映"))
        self._matter(draft)
        self.body.addWidget(label(self.tr("紧急程度：")))
        row = QHBoxLayout()
        levels = [("ordinary", self.tr("一般")), ("urgent", self.tr("紧急")),
                  ("many_or_vulnerable", self.tr("涉及多人或老幼病残孕"))]  # fmt: skip
        for key, text in levels:
            row.addWidget(_toggle(text, draft.severity == key,  # type: ignore[arg-type]
                                  lambda k=key: self.flow.case.toggle("severity", k), f"sev_{key}"))  # fmt: skip
        self.body.addLayout(row)
        said = draft.description or self.tr("（可不填）")
        self.body.addWidget(label(self.tr("哪里没办成：") + said, name="case_description"))
        self.body.addWidget(button(self.tr("用键盘写（拼音、手写）"),
                                   lambda: self._type("description"), role="secondary",
                                   name="case_describe"))  # fmt: skip
        self._form(state, draft)

    def _columns(self) -> int:
        return 2 if self.flow.state.elder else 3  # 长辈版: larger buttons, fewer per row

    def _matter(self, draft: CaseDraft) -> None:
        catalog = self.flow.catalog
        name = matter_search.name_of(catalog, draft.item_id)
        chosen = (
            name if name is not None
            else self.tr("不在目录中") if draft.not_in_catalog
            else self.tr("未选择")
        )  # fmt: skip
        self.body.addWidget(label(self.tr("没有办成的事项：") + chosen, name="case_matter"))
        row = QHBoxLayout()
        row.addWidget(button(self.tr("查找事项"), lambda: self._type("search"), role="secondary",
                             name="case_find_matter"))  # fmt: skip
        row.addWidget(_toggle(self.tr("事项不在目录中"), draft.not_in_catalog,  # type: ignore[arg-type]
                              lambda: self.flow.case.toggle("not_in_catalog"), "case_not_in_catalog"))  # fmt: skip
        self.body.addLayout(row)
        groups = QGridLayout()
        with_matters = {m.group for m in matter_search.matters(catalog)}
        shown = [g for g in catalog.groups if g.intake and not g.any_item and g.id in with_matters]
        for n, g in enumerate(shown):
            groups.addWidget(_toggle(self.local(g, "name"), self.group == g.id,  # type: ignore[arg-type]
                                     lambda i=g.id: self._browse(i), f"case_group_{g.id}"),
                             n // self._columns(), n % self._columns())  # fmt: skip
        self.body.addLayout(groups)
        if self.group:
            self._matches(matter_search.in_group(catalog, self.group), draft)

    def _matches(self, found: list[matter_search.Matter], draft: CaseDraft | None) -> None:
        grid = QGridLayout()
        for n, m in enumerate(found):
            on = draft is not None and draft.item_id == m.id
            grid.addWidget(_toggle(m.name if self.zh() else m.name_en, on,  # type: ignore[arg-type]
                                   lambda i=m.id: self._pick(i), f"matter_{m.id}"),
                           n // self._columns(), n % self._columns())  # fmt: skip
        self.body.addLayout(grid)

    def _typing(self, state: State) -> None:
        if self.typing == "search":
            self.title.setText(self.tr("查找事项：输入名称或拼音首字母"))
            found = matter_search.search(self.flow.catalog, self.search)
            if self.search and not found:
                self.body.addWidget(label(self.tr("没有找到，可以换个说法，或选“事项不在目录中”。"),
                                          role="muted", name="case_no_match"))  # fmt: skip
            self._matches(found, state.case)
        else:
            self.title.setText(self.tr("请用自己的话说说哪里没办成"))
        self.body.addWidget(button(self.tr("完成"), self._done_typing, name="case_typing_done"))

    def _summary(self, state: State, draft: CaseDraft) -> None:
        """What will be sent, for the citizen to check before 确认提交."""
        self.entry.hide()
        if self.keyboard is not None:
            self.keyboard.hide()
        self.title.setText(self.tr("请核对后提交"))
        name = matter_search.name_of(self.flow.catalog, draft.item_id)
        levels = {"ordinary": self.tr("一般"), "urgent": self.tr("紧急"),
                  "many_or_vulnerable": self.tr("涉及多人或老幼病残孕")}  # fmt: skip
        lines = [
            self.tr("事项：") + (name or self.tr("不在目录中")),
            self.tr("紧急程度：") + levels.get(draft.severity, draft.severity),
            self.tr("问题类别：") + "、".join(draft.categories),
            self.tr("哪里没办成：") + (draft.description or self.tr("（未填写，回访时再说）")),
            self.tr("回访电话：") + (draft.phone[:3] + "****" + draft.phone[-4:]),
        ]
        self.body.addWidget(label("\n".join(lines), name="case_summary"))
        if state.message:
            self.body.addWidget(
                label(case_message_text(state.message), role="warning", name="case_message")
            )
        row = QHBoxLayout()
        back = button(self.tr("返回修改"), self.flow.case.edit, role="secondary", name="case_edit")
        send = button(self.tr("正在提交…") if state.busy else self.tr("确认提交"),
                      self.flow.case.submit, name="case_confirm")  # fmt: skip
        back.setEnabled(state.busy is None)
        send.setEnabled(state.busy is None)
        row.addWidget(back)
        row.addWidget(send)
        self.body.addLayout(row)

    def _form(self, state: State, draft: CaseDraft) -> None:
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
        self.tail = ""  # the phone's last 4 digits, to rate a closed case's handling

    def reset(self) -> None:
        super().reset()
        self.typed = ""
        self.tail = ""

    def _set_tail(self, value: str) -> None:
        self.tail = value[:4]
        self.flow.touch()
        self.on_page()

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
            if progress.get("status") == "closed":
                self._rate(state)
        find = button(self.tr("查询"), lambda: self.flow.case.query(self.typed), name="case_query")
        find.setEnabled(state.busy is None and len(self.typed) == 12)
        self.body.addWidget(find)

    def _rate(self, state: State) -> None:
        """A closed case: the citizen may rate how it was handled (phone tail + a level)."""
        draft = state.case
        if draft is not None and draft.rated is not None:
            self.body.addWidget(label(self.tr("谢谢您对办理情况的评价！"), role="ok",
                                      name="case_rated"))  # fmt: skip
            return
        if draft is not None and draft.query and draft.query.get("handling_rated"):
            self.body.addWidget(label(self.tr("这件反映已经评价过了。"), role="muted",
                                      name="case_rated"))  # fmt: skip
            return
        self.body.addWidget(label(self.tr("评价办理情况：请输入回访手机号的后4位，再选择满意程度"),
                                  name="case_rate_label"))  # fmt: skip
        tail = label(self.tail or "____", role="entry", name="case_tail", wrap=False)
        tail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(tail)
        self.body.addLayout(_digits(self, self.tail, self._set_tail, "tkey"))
        levels = [("very_satisfied", self.tr("非常满意")), ("satisfied", self.tr("满意")),
                  ("basic", self.tr("基本满意")), ("dissatisfied", self.tr("不满意")),
                  ("very_dissatisfied", self.tr("非常不满意"))]  # fmt: skip
        row = QHBoxLayout()
        for key, text in levels:
            b = button(text, lambda k=key: self.flow.case.rate_handling(self.tail, k),
                       role="secondary", name=f"hlevel_{key}")  # fmt: skip
            b.setEnabled(state.busy is None and len(self.tail) == 4)
            row.addWidget(b)
        self.body.addLayout(row)
