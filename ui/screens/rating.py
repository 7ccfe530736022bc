"""好差评: find the visit (typed number, the ticket's QR, or the ID card's tickets of today),
the five levels with faces, reasons and an optional comment for a bad review, thanks.
Each screen builds its widgets once; a render sets their texts, visibility and roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QVBoxLayout

from kiosk.flow import Flow
from kiosk.journeys.rating import (
    BAD_LEVELS,
    COMMENT_PHRASES,
    LEVELS,
    RATING_COMMENT_MAX,
    RATING_REASONS,
    TodaysTicket,
)
from kiosk.visit import Message, Problem, State
from ui.messages import message_text
from ui.screens.base import Choices, ScreenBase, section
from ui.widgets import button, clear_layout, label, set_role

if TYPE_CHECKING:
    from ui.keyboard import Keyboard

REASONS = RATING_REASONS  # built in; the flow holds the hall server's list once fetched


def face(level_index: int, size: int = 72) -> QIcon:
    """A drawn face: 0 = a broad smile (非常满意) … 4 = a deep frown (非常不满意)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("#1a1a1a"), size / 24))
    p.setBrush(QColor("#ffd23f"))
    p.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    p.setBrush(QColor("#1a1a1a"))
    for x in (0.35, 0.65):
        p.drawEllipse(QPointF(size * x, size * 0.38), size * 0.05, size * 0.06)
    curve = (2 - level_index) * 0.12  # positive: smile, negative: frown
    mouth = QPainterPath(QPointF(size * 0.3, size * 0.68))
    mouth.quadTo(QPointF(size * 0.5, size * (0.68 + curve)), QPointF(size * 0.7, size * 0.68))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(mouth)
    p.end()
    return QIcon(pix)


def rating_message_text(message: Message) -> str:
    """Words for the rating's own problems (what happened and what to do); the rest as
    everywhere (ui.messages)."""
    p, detail = message.problem, message.detail
    if p is Problem.QR_UNREADABLE:
        texts = {
            "no_page": QCoreApplication.translate("Rating", "没有拍到小票。请把小票平放在摄像头下、二维码朝上，再点“扫描小票二维码”；也可以直接输入号码。"),
            "no_qr": QCoreApplication.translate("Rating", "没有认出二维码。请把小票放平、二维码朝上，放在摄像头下再扫一次；也可以直接输入小票上的号码。"),
            "not_ticket": QCoreApplication.translate("Rating", "这不是本大厅号票的二维码。请扫描号票上的二维码，或输入号票上的号码。"),
            "unknown_ticket": QCoreApplication.translate("Rating", "没有找到这张号票。请核对后输入号票上的号码。"),
            "scanner": QCoreApplication.translate("Rating", "扫描设备暂时不能用，已通知工作人员。请直接输入号票上的号码。"),
        }  # fmt: skip
        return texts.get(detail, texts["no_qr"])
    if p is Problem.NO_VISITS:
        return QCoreApplication.translate(
            "Rating", "今天没有查到用这张身份证取的号。请输入号票上的号码，或扫描小票二维码。"
        )
    if p is Problem.HALL_DOWN and detail == "visits":
        return QCoreApplication.translate(
            "Rating", "暂时连不上系统，查不到您今天的号票。请输入号票上的号码，或扫描小票二维码。"
        )
    if p is Problem.STAFF_MODE:
        return QCoreApplication.translate(
            "Rating", "工作人员模式下不能评价。评价只能由办事群众本人进行。"
        )
    return message_text(message)


class RateFindScreen(ScreenBase):
    """Built once: the number keypad, today's tickets (by ID card), the staff-mode notice;
    a render shows the part that applies and sets its texts."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.typed = ""
        self.hint = label("", role="muted", name="rating_hint")
        self.number = label("", role="entry", name="rating_number", wrap=False)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys = QGridLayout()
        self._prefixes: list[str] | None = None
        self.key_pad = section(self.keys)
        grid = QGridLayout()
        self.visits = Choices(grid, prefix="visit_")
        self.visit_list = section(grid)
        self.type_number = button("", self.flow.rating.open, role="secondary",
                                  name="rating_type_number")  # fmt: skip
        self.message = label("", role="warning", name="rating_message")
        self.self_service = button("", self.flow.rating.rate_self_service, role="secondary",
                                   name="rate_self_service")  # fmt: skip
        self.scan = button("", self.flow.rating.scan_ticket, role="secondary", name="rating_scan")
        self.find = button("", lambda: self.flow.rating.find_ticket(self.typed), name="rating_find")
        self.actions = section(self.self_service, self.scan, self.find, row=True)
        self.home_button = button("", self.flow.home, name="rating_home")
        for w in (self.hint, self.number, self.key_pad, self.visit_list, self.page_row(),
                  self.type_number, self.message, self.actions, self.home_button):  # fmt: skip
            self.body.addWidget(w)

    def reset(self) -> None:
        super().reset()
        self.typed = ""

    def _press(self, key: str) -> None:
        self.typed = self.typed[:-1] if key == "⌫" else (self.typed + key)[:5]
        self.flow.touch()
        self.on_page()

    def _keypad(self) -> None:
        """The keys (the groups' letters, digits, delete): built again only if the catalog's
        letters change."""
        prefixes = [g.prefix for g in self.flow.catalog.groups]
        if prefixes != self._prefixes:
            self._prefixes = prefixes
            clear_layout(self.keys)
            for i, key in enumerate([*prefixes, "1", "2", "3", "4", "5", "6", "7", "8", "9", "0",
                                     "⌫"]):  # fmt: skip
                b = button(key, lambda k=key: self._press(k), role="key", name=f"rkey_{key}")
                if key == "⌫":
                    b.setObjectName("rkey_delete")
                    b.setAccessibleName(self.tr("删除一位"))
                self.keys.addWidget(b, i // 6, i % 6)
        delete = self.key_pad.findChild(QPushButton, "rkey_delete")
        if delete is not None:
            delete.setAccessibleName(self.tr("删除一位"))

    def _visit_text(self, visit: TodaysTicket) -> str:
        try:
            entry = self.flow.catalog.entry(visit.service_id)
            name = self.local(entry, "name")
        except KeyError:
            name = visit.service_name
        states = {"rateable": self.tr("可以评价"), "followup_rateable": self.tr("可以再次评价"),
                  "rated": self.tr("已评价"), "not_served": self.tr("还没有办理")}  # fmt: skip
        return f"{visit.number}  {name}\n{states.get(visit.state, '')}"

    def _show(self, part: str) -> None:
        """``part``: "staff" (the notice), "visits" (today's tickets) or "number" (keypad)."""
        number, visits = part == "number", part == "visits"
        for w in (self.hint, self.number, self.key_pad, self.actions):
            w.setVisible(number)
        self.visit_list.setVisible(visits)
        self.type_number.setVisible(visits)
        self.home_button.setVisible(part == "staff")
        if not visits:
            self.page_row().hide()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def render(self, state: State) -> None:
        if self.flow.rating.staff_mode or state.rating is None:
            self._show("staff")
            self.title.setText(self.tr("工作人员模式下不能评价"))
            self._show_message(rating_message_text(Message(Problem.STAFF_MODE)))
            self.home_button.setText(self.tr("返回首页"))
            return
        message = rating_message_text(state.message) if state.message else ""
        visits = state.rating.visits
        if visits:
            self._show("visits")
            self.title.setText(self.tr("您今天的号票，请选择要评价的一张"))
            placed = []
            for n, visit in enumerate(self.paginate(list(visits))):
                b = self.visits.get(visit.number, self._visit_text(visit),
                                    lambda t=visit.ticket_id: self.flow.rating.choose_visit(t))  # fmt: skip
                set_role(b, "" if visit.state.endswith("rateable") else "secondary")
                placed.append((b, n, 0, 1))
            self.visits.place(placed)
            self.show_pages(len(visits))
            self.type_number.setText(self.tr("改为输入号码"))
            self._show_message(message)
            return
        self._show("number")
        self._keypad()
        self.title.setText(self.tr("评价：请输入号票上的号码"))
        self.hint.setText(self.tr("也可以扫描小票上的二维码，或刷身份证查看您今天的号票。"))
        self.number.setText(self.typed or self.tr("例如 B001"))
        self._show_message(message)
        self.self_service.setText(self.tr("评价自助服务区"))
        self.scan.setText(
            self.tr("正在识别…") if state.busy == "scanning" else self.tr("扫描小票二维码")
        )
        self.scan.setEnabled(state.busy is None)
        self.find.setText(self.tr("查找中…") if state.busy == "looking_up" else self.tr("下一步"))
        self.find.setEnabled(state.busy is None and bool(self.typed))


class RateLevelScreen(ScreenBase):
    """The five levels with their faces, built once; a render sets the words."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.levels: list[QPushButton] = []
        for i, level in enumerate(LEVELS):
            b = button("", lambda lv=level: self.flow.rating.choose_level(lv), role="secondary",
                       name=f"level_{level}")  # fmt: skip
            b.setIcon(face(i))
            b.setIconSize(QSize(64, 64))
            self.levels.append(b)
            self.body.addWidget(b)
        self.message = label("", role="warning", name="rating_message")
        self.note = label("", role="muted")
        self.body.addWidget(self.message)
        self.body.addWidget(self.note)

    def render(self, state: State) -> None:
        draft = state.rating
        if draft is not None and draft.ticket_number:
            self.title.setText(
                self.tr("您对 {number} 号的办理满意吗？").format(number=draft.ticket_number)
            )
        elif draft is not None and draft.ticket_id:  # scanned while the server was down
            self.title.setText(self.tr("您对这次办理满意吗？"))
        else:
            self.title.setText(self.tr("您对自助服务区满意吗？"))
        names = [self.tr("非常满意"), self.tr("满意"), self.tr("基本满意"), self.tr("不满意"),
                 self.tr("非常不满意")]  # fmt: skip
        for b, name in zip(self.levels, names, strict=True):
            b.setText(name)
        self.message.setText(rating_message_text(state.message) if state.message else "")
        self.message.setVisible(state.message is not None)
        self.note.setText(self.tr("您的评价会如实记录，只用于改进服务。"))


class RateReasonsScreen(ScreenBase):
    """Reasons (at least one) and an optional short comment: quick phrases to tap, and a
    free-text field written on the on-screen keyboard (in 长辈版 too, with its larger keys
    and handwriting pad). Built once; the
    server's reasons re-use their buttons by position."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.comment = QLineEdit()
        self.comment.setObjectName("rating_comment")
        self.comment.setMaxLength(RATING_COMMENT_MAX)
        self.comment.setStyleSheet(
            "QLineEdit { border: 2px solid #0b5394; padding: 8px; min-height: 56px; }"
        )
        self.tail = QVBoxLayout()
        self.tail.setSpacing(16)
        self.outer.insertWidget(2, self.comment)
        self.outer.insertLayout(3, self.tail)
        # the on-screen keyboard (拼音/手写/ABC) for the comment: built when first asked for
        self.keyboard: Keyboard | None = None
        reasons, phrases = QGridLayout(), QGridLayout()
        self.reasons = Choices(reasons, prefix="reason_")
        self.phrases = Choices(phrases, prefix="phrase_")
        self.phrases_label = label("", name="phrases_label")
        self.comment_label = label("", name="rating_comment_label")
        self.open_keyboard = button("", lambda: self._show_keyboard(True), role="secondary",
                                    name="rating_open_keyboard")  # fmt: skip
        self.choices = section(section(reasons), self.phrases_label, section(phrases),
                               self.page_row(), self.comment_label, self.open_keyboard)  # fmt: skip
        self.body.addWidget(self.choices)
        self.message = label("", role="warning", name="rating_message")
        self.submit_button = button("", self._submit, name="rating_submit")
        self.bad_note = label("", role="muted")
        for w in (self.message, self.submit_button, self.bad_note):
            self.tail.addWidget(w)

    def reset(self) -> None:
        super().reset()
        self.comment.clear()
        self.comment.setMaxLength(self.flow.rating.comment_max)
        if self.keyboard is not None:
            self.keyboard.reset()  # nothing half typed outlives the visit
            self.keyboard.hide()

    def _show_keyboard(self, show: bool) -> None:
        if self.keyboard is None:
            from ui.keyboard import Keyboard  # imported on first use: start-up stays as fast

            self.keyboard = Keyboard()
            self.keyboard.speak.connect(lambda text: self.read_back(text))
            self.keyboard.close_requested.connect(lambda: self._show_keyboard(False))
            self.outer.insertWidget(3, self.keyboard)  # under the comment field
        if show:
            self.keyboard.set_elder(self.flow.state.elder)  # 长辈版: larger keys and pad
            self.keyboard.attach(self.comment, self.flow.rating.comment_max)
        self.keyboard.setVisible(show)
        self.flow.touch()
        self.on_page()  # re-render: while typing, only the comment and 提交 are shown

    def render(self, state: State) -> None:
        draft = state.rating
        self.title.setText(self.tr("请告诉我们哪里不满意（可多选）"))
        self.message.setText(rating_message_text(state.message) if state.message else "")
        self.message.setVisible(state.message is not None)
        self.submit_button.setText(self.tr("提交评价"))
        typing = self.keyboard is not None and self.keyboard.isVisibleTo(self)
        if typing:  # typing the comment
            self.title.setText(self.tr("请写下您的意见"))
            self.choices.hide()
            self.bad_note.hide()
            return
        self.choices.show()
        if self.keyboard is not None:
            self.keyboard.hide()
        self._choices(state)
        self.comment_label.setText(
            self.tr("其他意见（可不填，最多{n}字）：").format(n=self.flow.rating.comment_max)
        )
        self.comment.setPlaceholderText(self.tr("在这里输入"))
        self.open_keyboard.setText(self.tr("用键盘写（拼音、手写）"))
        bad = draft is not None and draft.level in BAD_LEVELS
        self.bad_note.setText(self.tr("差评会由专人核实、整改并回复。"))
        self.bad_note.setVisible(bad)

    def _choices(self, state: State) -> None:
        draft = state.rating
        reasons = draft.reasons if draft else ()
        phrases = draft.phrases if draft else ()
        names = {"态度": self.tr("态度"), "效率": self.tr("效率"),
                 "一次性告知不到位": self.tr("一次性告知不到位"), "多次跑动": self.tr("多次跑动"),
                 "环境": self.tr("环境"), "其他": self.tr("其他")}  # fmt: skip
        phrase_names = {"等候时间太长": self.tr("等候时间太长"),
                        "工作人员不在窗口": self.tr("工作人员不在窗口"),
                        "材料要求前后不一致": self.tr("材料要求前后不一致"),
                        "系统故障没办成": self.tr("系统故障没办成")}  # fmt: skip
        choices = [("reason", i, r) for i, r in enumerate(self.flow.rating.reasons)]
        choices += [("phrase", i, p) for i, p in enumerate(COMMENT_PHRASES)]
        shown = self.paginate(choices)
        placed: dict[str, list[tuple[QPushButton, int, int, int]]] = {"reason": [], "phrase": []}
        for kind, i, value in shown:
            chooser = self.reasons if kind == "reason" else self.phrases
            columns = 3 if kind == "reason" and not state.elder else 2  # keep the screen short
            on = value in (reasons if kind == "reason" else phrases)
            # the server's own reasons have no translation here: shown as it words them
            text = (names if kind == "reason" else phrase_names).get(value, value)
            action = (lambda r=value: self.flow.rating.toggle_reason(r)) if kind == "reason" else (
                lambda p=value: self.flow.rating.toggle_comment_phrase(p))  # fmt: skip
            b = chooser.get(str(i), ("✓ " if on else "") + text, action)
            set_role(b, "" if on else "secondary")
            b.setAccessibleName((self.tr("已选：") if on else "") + text)
            n = len(placed[kind])
            placed[kind].append((b, n // columns, n % columns, 1))
        self.reasons.place(placed["reason"])
        self.phrases.place(placed["phrase"])
        self.phrases_label.setText(self.tr("想多说一句（可不选）："))
        self.phrases_label.setVisible(bool(placed["phrase"]))
        self.show_pages(len(choices))

    def _submit(self) -> None:
        typed = self.comment.text() if self.comment.isVisible() else ""
        self.flow.rating.submit(typed)


class RateDoneScreen(ScreenBase):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.result = label("", role="ok", name="rating_result")
        self.home_button = button("", self.flow.home, name="rating_home")
        self.body.addWidget(self.result)
        self.body.addWidget(self.home_button)

    def render(self, state: State) -> None:
        result = state.rating.result if state.rating else None
        self.title.setText(self.tr("谢谢您的评价"))
        texts = {
            "sending": self.tr("正在提交…"),
            "confirmed": self.tr("评价已提交，谢谢您！"),
            "queued": self.tr("评价已保存在本机，网络恢复后会自动提交。谢谢您！"),
            "duplicate": self.tr("这张号票已经评价过了，每次办事评价一次。谢谢您的关心！"),
            "refused": self.tr("这次评价没有被系统接受，已转交工作人员处理。谢谢您！"),
        }
        self.result.setText(texts.get(result or "", ""))
        self.home_button.setText(self.tr("返回首页"))
