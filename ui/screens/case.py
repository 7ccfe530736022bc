"""办不成事反映: intake (conditions, negative list, categories, phone, privacy), the receipt,
and the progress of a case by its number. Each screen builds its widgets once; a render
shows the part that applies and sets texts, marks and roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QWidget

from kiosk import matter_search
from kiosk.flow import Flow
from kiosk.journeys.case import DESCRIPTION_MAX, CaseDraft
from kiosk.visit import Message, Problem, State
from ui.messages import message_text
from ui.screens.base import Choices, ScreenBase, section
from ui.widgets import button, label, set_role

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


def _mark(b: QPushButton, text: str, on: bool) -> None:
    """A choice shows its state by a mark and its colour (never colour alone)."""
    b.setText(("✓ " if on else "") + text)
    set_role(b, "" if on else "secondary")
    selected = QCoreApplication.translate("CaseFormScreen", "已选：")
    b.setAccessibleName((selected if on else "") + text)


def _digits(
    screen: ScreenBase, value: Callable[[], str], on_change: Callable[[str], None], prefix: str
) -> QWidget:
    """A digit pad, built once: a key changes the value as it is when pressed."""
    grid = QGridLayout()
    for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"]):

        def press(k: str = key) -> None:
            typed = value()
            on_change(typed[:-1] if k == "⌫" else typed + k)

        b = button(key, press, role="key", name=f"{prefix}_{'delete' if key == '⌫' else key}")
        if key == "⌫":
            b.setAccessibleName(screen.tr("删除一位"))
        grid.addWidget(b, i // 6, i % 6)
    return section(grid)


def _entry(name: str) -> QWidget:
    shown = label("", role="entry", name=name, wrap=False)
    shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return shown


class CaseFormScreen(ScreenBase):
    """The matter (search by pinyin initials or characters, browse by window group, or "not
    in the catalog"), severity, the citizen's own words (optional, on the keyboard), then the
    acceptance conditions, categories, phone and consent; 提交 shows the summary first and
    确认提交 sends it. One entry field above the body serves whatever is being typed (the
    search or the description); the keyboard is built when first asked for. The form, the
    typing and the summary are parts of one body built once: a render shows one of them."""

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
        case = self.flow.case
        # the summary (reviewing)
        self.summary = label("", name="case_summary")
        # the matter
        self.matter = label("", name="case_matter")
        self.find_matter = button("", lambda: self._type("search"), role="secondary",
                                  name="case_find_matter")  # fmt: skip
        self.not_in_catalog = button("", lambda: case.toggle("not_in_catalog"),
                                     name="case_not_in_catalog")  # fmt: skip
        groups = QGridLayout()
        self.groups = Choices(groups, prefix="case_group_")
        self.form_top = section(self.matter, section(self.find_matter, self.not_in_catalog,
                                                     row=True), section(groups))  # fmt: skip
        # matches of the search, or the matters of the group browsed
        self.no_match = label("", role="muted", name="case_no_match")
        matches = QGridLayout()
        self.matches = Choices(matches, prefix="matter_")
        self.match_box = section(matches)
        # the rest of the form
        self.severity_label = label("")
        self.severities = {
            key: button("", lambda k=key: case.toggle("severity", k), name=f"sev_{key}")
            for key in ("ordinary", "urgent", "many_or_vulnerable")
        }
        self.description = label("", name="case_description")
        self.describe = button("", lambda: self._type("description"), role="secondary",
                               name="case_describe")  # fmt: skip
        self.conditions_label = label("")
        self.conditions = {
            key: button("", lambda k=key: case.toggle("condition", k), name=f"cond_{key}")
            for key in ("tried_normal_channel", "overlapping_duties", "policy_room")
        }
        self.negative = label("", role="muted", name="negative_list")
        self.categories_label = label("")
        categories = QGridLayout()
        self.categories = Choices(categories, prefix="cat_")
        self.phone = _entry("case_phone")
        phone_pad = _digits(self, self._phone, lambda v: case.toggle("phone", v), "pkey")
        self.consent = button("", lambda: case.toggle("consent"), name="case_consent")
        self.form_rest = section(
            self.severity_label, section(*self.severities.values(), row=True), self.description,
            self.describe, self.conditions_label, *self.conditions.values(), self.negative,
            self.categories_label, section(categories), self.phone, phone_pad, self.consent,
        )  # fmt: skip
        self.message = label("", role="warning", name="case_message")
        self.submit_button = button("", case.submit, name="case_submit")
        self.done_button = button("", self._done_typing, name="case_typing_done")
        self.edit_button = button("", case.edit, role="secondary", name="case_edit")
        self.confirm_button = button("", case.submit, name="case_confirm")
        self.review_row = section(self.edit_button, self.confirm_button, row=True)
        for w in (self.summary, self.form_top, self.no_match, self.match_box, self.form_rest,
                  self.message, self.submit_button, self.done_button, self.review_row):  # fmt: skip
            self.body.addWidget(w)

    def _phone(self) -> str:
        draft = self.flow.state.case
        return draft.phone if draft is not None else ""

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
        self.keyboard.set_elder(self.flow.state.elder)  # 长辈版: larger keys and pad
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
        part = "review" if draft.reviewing else "typing" if self.typing else "form"
        self.summary.setVisible(part == "review")
        self.review_row.setVisible(part == "review")
        for w in (self.form_top, self.form_rest, self.submit_button):
            w.setVisible(part == "form")
        self.done_button.setVisible(part == "typing")
        self.no_match.hide()
        self.match_box.hide()
        message = case_message_text(state.message) if state.message else ""
        self.message.setText(message)
        self.message.setVisible(bool(message) and part != "typing")
        if part == "review":
            self._summary(state, draft)
            return
        if part == "typing":
            self._typing(state)
            return
        self.entry.hide()
        if self.keyboard is not None:
            self.keyboard.hide()
        self.title.setText(self.tr("办不成事反映"))
        self._matter(draft)
        self.severity_label.setText(self.tr("紧急程度："))
        levels = {"ordinary": self.tr("一般"), "urgent": self.tr("紧急"),
                  "many_or_vulnerable": self.tr("涉及多人或老幼病残孕")}  # fmt: skip
        for key, b in self.severities.items():
            _mark(b, levels[key], draft.severity == key)
        said = draft.description or self.tr("（可不填）")
        self.description.setText(self.tr("哪里没办成：") + said)
        self.describe.setText(self.tr("用键盘写（拼音、手写）"))
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
        self.matter.setText(self.tr("没有办成的事项：") + chosen)
        self.find_matter.setText(self.tr("查找事项"))
        _mark(self.not_in_catalog, self.tr("事项不在目录中"), draft.not_in_catalog)
        with_matters = {m.group for m in matter_search.matters(catalog)}
        shown = [g for g in catalog.groups if g.intake and not g.any_item and g.id in with_matters]
        placed = []
        for n, g in enumerate(shown):
            b = self.groups.get(g.id, "", lambda i=g.id: self._browse(i))
            _mark(b, self.local(g, "name"), self.group == g.id)
            placed.append((b, n // self._columns(), n % self._columns(), 1))
        self.groups.place(placed)
        if self.group:
            self._matches(matter_search.in_group(catalog, self.group), draft)

    def _matches(self, found: list[matter_search.Matter], draft: CaseDraft | None) -> None:
        placed = []
        for n, m in enumerate(found):
            on = draft is not None and draft.item_id == m.id
            b = self.matches.get(m.id, "", lambda i=m.id: self._pick(i))
            _mark(b, self.local(m, "name"), on)
            placed.append((b, n // self._columns(), n % self._columns(), 1))
        self.matches.place(placed)
        self.match_box.show()

    def _typing(self, state: State) -> None:
        if self.typing == "search":
            self.title.setText(self.tr("查找事项：输入名称或拼音首字母"))
            found = matter_search.search(self.flow.catalog, self.search)
            if self.search and not found:
                self.no_match.setText(self.tr("没有找到，可以换个说法，或选“事项不在目录中”。"))
                self.no_match.show()
            self._matches(found, state.case)
        else:
            self.title.setText(self.tr("请用自己的话说说哪里没办成"))
        self.done_button.setText(self.tr("完成"))

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
        self.summary.setText("\n".join(lines))
        self.edit_button.setText(self.tr("返回修改"))
        self.confirm_button.setText(self.tr("正在提交…") if state.busy else self.tr("确认提交"))
        self.edit_button.setEnabled(state.busy is None)
        self.confirm_button.setEnabled(state.busy is None)

    def _form(self, state: State, draft: CaseDraft) -> None:
        self.conditions_label.setText(self.tr("受理条件（至少符合一项）："))
        conditions = {
            "tried_normal_channel": self.tr("已在正常窗口办理，仍没有办成"),
            "overlapping_duties": self.tr("涉及几个部门，职责有交叉"),
            "policy_room": self.tr("政策有空间，但没有办成"),
        }
        for key, b in self.conditions.items():
            _mark(b, conditions[key], key in draft.conditions)
        self.negative.setText(
            self.tr(
                "不予受理：已进入诉讼、仲裁、行政复议程序的；信访事项；单纯咨询；违反法律法规的诉求。"
            )
        )
        self.categories_label.setText(self.tr("问题类别（可多选）："))
        placed = []
        for i, category in enumerate(self.flow.case.categories):  # the server's, once fetched
            b = self.categories.get(str(i), "",
                                    lambda c=category: self.flow.case.toggle("category", c))  # fmt: skip
            _mark(b, category, category in draft.categories)
            placed.append((b, i // 4, i % 4, 1))
        self.categories.place(placed)
        self.phone.setText(draft.phone or self.tr("请输入手机号，用于回访"))
        _mark(
            self.consent, self.tr("我同意：手机号只用于首接负责人回访，办结后删除"), draft.consent
        )
        self.submit_button.setText(self.tr("正在提交…") if state.busy else self.tr("提交"))
        self.submit_button.setEnabled(state.busy is None)


class CaseDoneScreen(ScreenBase):
    """The receipt: the case number (or, kept while the server is down, the kiosk's own
    reference), when to expect a call, where to go, reprint and 完成. Built once."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.pending = label("", name="case_pending")
        self.reference_label = label("", role="muted")
        self.number = label("", role="number", name="case_number", wrap=False)
        self.reference = label("", role="number", name="case_reference", wrap=False)
        self.limits = label("", name="case_limits")
        self.ticket = label("", name="case_ticket")
        self.message = label("", role="warning", name="case_message")
        self.printed = label("", role="ok")
        self.reprint = button("", self.flow.case.reprint, role="secondary", name="case_reprint")
        self.finish = button("", self.flow.home, name="case_finish")
        for w in (self.pending, self.reference_label, self.number, self.reference, self.limits,
                  self.ticket, self.message, self.printed,
                  section(self.reprint, self.finish, row=True)):  # fmt: skip
            self.body.addWidget(w)

    def render(self, state: State) -> None:
        case = state.case.result if state.case else None
        if case is None:
            return
        pending = bool(case.get("pending"))
        for w in (self.pending, self.reference_label, self.reference):
            w.setVisible(pending)
        for w in (self.number, self.limits):
            w.setVisible(not pending)
        if pending:
            self._pending(state, case)
        else:
            self.title.setText(self.tr("已受理，您的反映编号"))
            self.number.setText(case["case_number"])
            self.limits.setText(self.tr(
                "首接负责人会在 {time} 前与您联系（{phone}），{close} 前办结。可凭编号在本机查询进度。"
            ).format(time=case["respond_due_at"][11:16], phone=case.get("phone_masked", ""),
                     close=case["close_due_on"]))  # fmt: skip
            if state.ticket is not None:
                self.ticket.setText(self.tr("请持号票 {number} 到办不成事反映窗口。").format(
                    number=state.ticket.number))  # fmt: skip
            else:
                self.ticket.setText(self.tr("请持回执到办不成事反映窗口。"))
        self.message.setText(message_text(state.message) if state.message else "")
        self.message.setVisible(state.message is not None)
        self.printed.setText(self.tr("请取走回执。") if pending else self.tr("请取走回执和号票。"))
        self.printed.setVisible(state.message is None and state.printed)
        self.reprint.setText(self.tr("重新打印"))
        self.reprint.setVisible(not state.printed)
        self.reprint.setEnabled(state.busy is None)
        self.finish.setText(self.tr("完成"))

    def _pending(self, state: State, case: dict[str, object]) -> None:
        """The hall server did not answer: the case is kept and will be registered."""
        self.title.setText(self.tr("您的反映已记录"))
        self.pending.setText(self.tr(
            "系统暂时连不上，您的反映已保存在本机，恢复后会自动登记，不用重新填写。"
            "登记后首接负责人会打电话（{phone}）联系您。"
        ).format(phone=case.get("phone_masked", "")))  # fmt: skip
        self.reference_label.setText(self.tr("本机编号"))
        self.reference.setText(str(case["reference"]))
        self.ticket.setText(self.tr("不必重复反映。有急事可以持回执到办不成事反映窗口咨询。"))


class CaseQueryScreen(ScreenBase):
    """A case's progress by its number; a closed case may be rated (phone tail + level).
    Built once."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.typed = ""
        self.tail = ""  # the phone's last 4 digits, to rate a closed case's handling
        self.number = _entry("case_query_number")
        self.message = label("", role="warning", name="case_message")
        self.status = label("", role="ok", name="case_status")
        self.rated = label("", name="case_rated")
        self.rate_label = label("", name="case_rate_label")
        self.tail_entry = _entry("case_tail")
        self.levels = {
            key: button(
                "",
                lambda k=key: self.flow.case.rate_handling(self.tail, k),
                role="secondary",
                name=f"hlevel_{key}",
            )  # fmt: skip
            for key in (
                "very_satisfied",
                "satisfied",
                "basic",
                "dissatisfied",
                "very_dissatisfied",
            )  # fmt: skip
        }
        self.rating = section(self.rate_label, self.tail_entry,
                              _digits(self, lambda: self.tail, self._set_tail, "tkey"),
                              section(*self.levels.values(), row=True))  # fmt: skip
        self.find = button("", lambda: self.flow.case.query(self.typed), name="case_query")
        for w in (self.number, _digits(self, lambda: self.typed, self._set, "qkey"),
                  self.message, self.status, self.rated, self.rating, self.find):  # fmt: skip
            self.body.addWidget(w)

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
        self.number.setText(
            f"BC{self.typed[:8]}-{self.typed[8:]}"
            if self.typed
            else self.tr("例如 BC20261122-0001")
        )
        self.message.setText(message_text(state.message) if state.message else "")
        self.message.setVisible(state.message is not None)
        progress = state.case.query if state.case else None
        self.status.setVisible(progress is not None)
        self.rated.hide()
        self.rating.hide()
        if progress is not None:
            text = self.tr("{number}：{status}").format(number=progress["case_number"],
                                                       status=progress["status_name"])  # fmt: skip
            self.status.setText(text)
            if progress.get("status") == "closed":
                self._rate(state)
        self.find.setText(self.tr("查询"))
        self.find.setEnabled(state.busy is None and len(self.typed) == 12)

    def _rate(self, state: State) -> None:
        """A closed case: the citizen may rate how it was handled (phone tail + a level)."""
        draft = state.case
        if draft is not None and draft.rated is not None:
            self.rated.setText(self.tr("谢谢您对办理情况的评价！"))
            set_role(self.rated, "ok")
            self.rated.show()
            return
        if draft is not None and draft.query and draft.query.get("handling_rated"):
            self.rated.setText(self.tr("这件反映已经评价过了。"))
            set_role(self.rated, "muted")
            self.rated.show()
            return
        self.rating.show()
        self.rate_label.setText(self.tr("评价办理情况：请输入回访手机号的后4位，再选择满意程度"))
        self.tail_entry.setText(self.tail or "____")
        names = {"very_satisfied": self.tr("非常满意"), "satisfied": self.tr("满意"),
                 "basic": self.tr("基本满意"), "dissatisfied": self.tr("不满意"),
                 "very_dissatisfied": self.tr("非常不满意")}  # fmt: skip
        for key, b in self.levels.items():
            b.setText(names[key])
            b.setEnabled(state.busy is None and len(self.tail) == 4)
