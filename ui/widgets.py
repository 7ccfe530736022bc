"""Small widgets shared by the screens: buttons with roles, the ID keypad, the idle prompt."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def button(text: str, on_click: Callable[[], None], role: str = "", name: str = "") -> QPushButton:
    b = QPushButton(text)
    if role:
        b.setProperty("role", role)
    if name:
        b.setObjectName(name)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.clicked.connect(lambda _checked=False: on_click())
    return b


def label(text: str = "", role: str = "", name: str = "", wrap: bool = True) -> QLabel:
    lab = QLabel(text)
    if role:
        lab.setProperty("role", role)
    if name:
        lab.setObjectName(name)
    lab.setWordWrap(wrap)
    return lab


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.setParent(None)
            widget.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())


class Keypad(QWidget):
    """On-screen keypad for an ID number: 0–9, X, delete, clear. Shows what was typed."""

    submitted = Signal(str)
    MAX = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value = ""
        layout = QVBoxLayout(self)
        self.display = label("", role="entry", name="id_entry", wrap=False)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.display)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "⌫"]
        for i, key in enumerate(keys):
            b = button(key, lambda k=key: self.press(k), role="key", name=f"key_{key}")
            if key == "⌫":
                b.setAccessibleName(self.tr("删除一位"))
                b.setObjectName("key_delete")
            grid.addWidget(b, i // 3, i % 3)
        layout.addLayout(grid)
        self.clear_button = button(self.tr("清空"), self.clear, role="secondary", name="key_clear")
        self.ok_button = button(self.tr("确定"), self.submit, name="key_ok")
        row = QGridLayout()
        row.addWidget(self.clear_button, 0, 0)
        row.addWidget(self.ok_button, 0, 1)
        layout.addLayout(row)
        self._show()

    def press(self, key: str) -> None:
        if key == "⌫":
            self.value = self.value[:-1]
        elif len(self.value) < self.MAX:
            self.value += key
        self._show()

    def clear(self) -> None:
        self.value = ""
        self._show()

    def submit(self) -> None:
        self.submitted.emit(self.value)

    def _show(self) -> None:
        v = self.value
        grouped = " ".join(filter(None, [v[:6], v[6:14], v[14:]]))
        self.display.setText(grouped or self.tr("请输入18位身份证号"))


class IdlePrompt(QFrame):
    """Asks "are you still there?" over the current screen, with a countdown and one button."""

    def __init__(self, parent: QWidget, on_continue: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setProperty("role", "overlay")
        self.setObjectName("idle_prompt")
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box = QFrame()
        box.setProperty("role", "dialog")
        inner = QVBoxLayout(box)
        self.text = label("", role="title", name="idle_text")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner.addWidget(self.text)
        inner.addWidget(button(self.tr("继续办理"), on_continue, name="idle_continue"))
        box.setMinimumWidth(600)
        outer.addWidget(box)
        self.hide()

    def show_seconds(self, seconds: int) -> None:
        self.text.setText(self.tr("您还在吗？{s} 秒后将返回首页").format(s=seconds))
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
