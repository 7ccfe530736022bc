"""What every screen has: a title, a body it rebuilds from the flow's state, and the words
the voice guide says for it (read off the widgets shown, in reading order)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from kiosk.flow import Flow, State
from ui import theme
from ui.widgets import button, label

T = TypeVar("T")


def spoken_label(widget: QWidget) -> str:
    """What the voice says for a widget: its accessible name, else its text."""
    name = widget.accessibleName()
    if name:
        return name
    if isinstance(widget, QLabel | QAbstractButton):
        return widget.text().replace("\n", "，")
    return ""


def spoken_lines(root: QWidget) -> list[str]:
    """The texts of ``root``'s visible labels and buttons, in layout order.

    A widget with the property ``speak_as_one`` (the keypad) is read by its accessible name
    only; labels marked ``silent`` (decorations such as the QR code) are skipped.
    """
    lines: list[str] = []

    def visit_widget(w: QWidget) -> None:
        if w is not root and not w.isVisibleTo(root):
            return
        if w.property("silent"):
            return
        if w.property("speak_as_one") or isinstance(w, QLabel | QAbstractButton):
            text = spoken_label(w)
            if text:
                lines.append(text)
            return
        layout = w.layout()
        if layout is not None:
            visit_layout(layout)
        else:
            for child in w.findChildren(QWidget):
                if child.parentWidget() is w:
                    visit_widget(child)

    def visit_layout(layout: QLayout) -> None:
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if item.widget() is not None:
                visit_widget(item.widget())
            elif item.layout() is not None:
                visit_layout(item.layout())

    visit_widget(root)
    return lines


class ScreenBase(QWidget):
    def __init__(self, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        self.page = 0  # 长辈版 shows choices a few at a time
        self.on_page: Callable[[], None] = lambda: None  # set by the window: re-render, speak
        # set by the window: the voice guide reads back characters chosen on the keyboard
        self.read_back: Callable[[str], None] = lambda text: None
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 24, 40, 24)
        self.outer.setSpacing(18)
        self.title = label("", role="title", name="screen_title")
        self.outer.addWidget(self.title)
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        self.outer.addLayout(self.body)
        self.outer.addStretch(1)

    def zh(self) -> bool:
        return self.flow.language == "zh"

    def page_size(self) -> int:
        return theme.metrics(self.flow.state.elder).page_size

    def reset(self) -> None:
        """The screen is entered afresh: first page, nothing half-typed."""
        self.page = 0

    def paginate(self, items: Sequence[T]) -> list[T]:
        """The choices of the current page."""
        size = self.page_size()
        pages = max(1, -(-len(items) // size))
        self.page = max(0, min(self.page, pages - 1))
        return list(items[self.page * size : (self.page + 1) * size])

    def add_page_buttons(self, total: int) -> None:
        if total <= self.page_size():
            return
        row = QHBoxLayout()
        if self.page > 0:
            row.addWidget(
                button(
                    self.tr("上一页"), lambda: self._turn(-1), role="secondary", name="page_prev"
                )
            )
        if (self.page + 1) * self.page_size() < total:
            row.addWidget(
                button(self.tr("下一页"), lambda: self._turn(1), role="secondary", name="page_next")
            )
        self.body.addLayout(row)

    def _turn(self, step: int) -> None:
        self.page += step
        self.flow.touch()
        self.on_page()

    def render(self, state: State) -> None:
        """Rebuild from ``state`` (called on every change while this screen is shown)."""
        raise NotImplementedError
