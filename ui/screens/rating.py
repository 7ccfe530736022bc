"""好差评: find the visit, the five levels with faces, reasons for a bad review, thanks."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout

from kiosk.flow import BAD_LEVELS, LEVELS, Flow, State
from ui.messages import message_text
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label

REASONS = ("态度", "效率", "一次性告知不到位", "多次跑动", "环境", "其他")  # as the hall server's


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


class RateFindScreen(ScreenBase):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.typed = ""

    def reset(self) -> None:
        super().reset()
        self.typed = ""

    def _press(self, key: str) -> None:
        self.typed = self.typed[:-1] if key == "⌫" else (self.typed + key)[:5]
        self.flow.touch()
        self.on_page()

    def render(self, state: State) -> None:
        self.title.setText(self.tr("评价：请输入号票上的号码"))
        clear_layout(self.body)
        shown = self.typed or self.tr("例如 B001")
        entry = label(shown, role="entry", name="rating_number", wrap=False)
        entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(entry)
        keys = QGridLayout()
        prefixes = [g.prefix for g in self.flow.catalog.groups]
        for i, key in enumerate([*prefixes, "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "⌫"]):
            b = button(key, lambda k=key: self._press(k), role="key", name=f"rkey_{key}")
            if key == "⌫":
                b.setObjectName("rkey_delete")
                b.setAccessibleName(self.tr("删除一位"))
            keys.addWidget(b, i // 6, i % 6)
        self.body.addLayout(keys)
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="rating_message")
            )
        row = QHBoxLayout()
        row.addWidget(button(self.tr("评价自助服务区"), self.flow.rate_self_service, role="secondary",
                             name="rate_self_service"))  # fmt: skip
        find = button(self.tr("查找中…") if state.busy else self.tr("下一步"),
                      lambda: self.flow.find_ticket_for_rating(self.typed), name="rating_find")  # fmt: skip
        find.setEnabled(state.busy is None and bool(self.typed))
        row.addWidget(find)
        self.body.addLayout(row)


class RateLevelScreen(ScreenBase):
    def render(self, state: State) -> None:
        draft = state.rating
        if draft is not None and draft.ticket_number:
            self.title.setText(
                self.tr("您对 {number} 号的办理满意吗？").format(number=draft.ticket_number)
            )
        else:
            self.title.setText(self.tr("您对自助服务区满意吗？"))
        clear_layout(self.body)
        names = [self.tr("非常满意"), self.tr("满意"), self.tr("基本满意"), self.tr("不满意"),
                 self.tr("非常不满意")]  # fmt: skip
        for i, (level, name) in enumerate(zip(LEVELS, names, strict=True)):
            b = button(name, lambda lv=level: self.flow.choose_level(lv), role="secondary",
                       name=f"level_{level}")  # fmt: skip
            b.setIcon(face(i))
            b.setIconSize(QSize(64, 64))
            self.body.addWidget(b)
        self.body.addWidget(label(self.tr("您的评价会如实记录，只用于改进服务。"), role="muted"))


class RateReasonsScreen(ScreenBase):
    def render(self, state: State) -> None:
        draft = state.rating
        self.title.setText(self.tr("请告诉我们哪里不满意（可多选）"))
        clear_layout(self.body)
        chosen = draft.reasons if draft else ()
        grid = QGridLayout()
        names = {"态度": self.tr("态度"), "效率": self.tr("效率"),
                 "一次性告知不到位": self.tr("一次性告知不到位"), "多次跑动": self.tr("多次跑动"),
                 "环境": self.tr("环境"), "其他": self.tr("其他")}  # fmt: skip
        for i, reason in enumerate(REASONS):
            mark = "✓ " if reason in chosen else ""
            b = button(mark + names[reason], lambda r=reason: self.flow.toggle_reason(r),
                       role="" if reason in chosen else "secondary", name=f"reason_{i}")  # fmt: skip
            b.setAccessibleName((self.tr("已选：") if reason in chosen else "") + names[reason])
            grid.addWidget(b, i // 2, i % 2)
        self.body.addLayout(grid)
        if state.message:
            self.body.addWidget(
                label(message_text(state.message), role="warning", name="rating_message")
            )
        self.body.addWidget(
            button(self.tr("提交评价"), self.flow.submit_rating, name="rating_submit")
        )
        if draft is not None and draft.level in BAD_LEVELS:
            self.body.addWidget(label(self.tr("差评会由专人核实、整改并回复。"), role="muted"))


class RateDoneScreen(ScreenBase):
    def render(self, state: State) -> None:
        result = state.rating.result if state.rating else None
        self.title.setText(self.tr("谢谢您的评价"))
        clear_layout(self.body)
        texts = {
            "sending": self.tr("正在提交…"),
            "confirmed": self.tr("评价已提交，谢谢您！"),
            "queued": self.tr("评价已保存在本机，网络恢复后会自动提交。谢谢您！"),
            "duplicate": self.tr("这张号票已经评价过了，每次办事评价一次。谢谢您的关心！"),
            "refused": self.tr("这次评价没有被系统接受，已转交工作人员处理。谢谢您！"),
        }
        self.body.addWidget(label(texts.get(result or "", ""), role="ok", name="rating_result"))
        self.body.addWidget(button(self.tr("返回首页"), self.flow.home, name="rating_home"))
