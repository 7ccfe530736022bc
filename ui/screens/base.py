"""What every screen has: a title, a body it shows the flow's state in, and the words the
voice guide says for it (read off the widgets shown, in reading order). Screens build their
widgets once and update them in place (``Choices``, ``page_row``, ``section``): a render
sets texts, visibility and style roles, never builds or deletes widgets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import Flow
from kiosk.visit import State
from ui import theme
from ui.language import local
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
        self._page_row: QWidget | None = None
        self._prev: QPushButton | None = None
        self._next: QPushButton | None = None

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
        """Show ``state`` (called on every change while this screen is shown). Screens build
        their widgets once and update text, visibility and style here."""
        raise NotImplementedError

    def build_ahead(self) -> None:
        """Build now the widgets a first render would add (the catalog's choices), so the
        window styles them with the screen while the kiosk is idle, not inside a visit."""

    # -- screens built once, updated in place ------------------------------------------------
    def local(self, model: object, field: str) -> Any:
        """A catalog name (or any model text) in the visit's language (ui/language.py)."""
        return local(model, field, self.flow.language)

    def page_row(self) -> QWidget:
        """上一页/下一页, built once; place it, then ``show_pages(total)`` on each render."""
        if self._page_row is None:
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            self._prev = button("", lambda: self._turn(-1), role="secondary", name="page_prev")
            self._next = button("", lambda: self._turn(1), role="secondary", name="page_next")
            box.addWidget(self._prev)
            box.addWidget(self._next)
            self._page_row = row
        return self._page_row

    def show_pages(self, total: int) -> None:
        """The page buttons of ``total`` choices, shown only when there is more than a page."""
        row = self.page_row()
        size = self.page_size()
        row.setVisible(total > size)
        assert self._prev is not None and self._next is not None
        self._prev.setText(self.tr("上一页"))
        self._next.setText(self.tr("下一页"))
        self._prev.setVisible(self.page > 0)
        self._next.setVisible((self.page + 1) * size < total)


def section(*parts: QWidget | QLayout, row: bool = False) -> QWidget:
    """A part of a screen shown or hidden as one: ``parts`` stacked as the body stacks its
    parts, or side by side as a row of buttons."""
    holder = QWidget()
    box: QBoxLayout = QHBoxLayout(holder) if row else QVBoxLayout(holder)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(16)  # as the body's (a layout in it would take its spacing)
    for part in parts:
        if isinstance(part, QLayout):
            box.addLayout(part)
        else:
            box.addWidget(part)
    return holder


class Choices:
    """Buttons a screen shows a few of at a time, built once by key and re-used: a render
    sets their text and action and places the shown ones in a grid; the rest are hidden."""

    def __init__(self, grid: QGridLayout, role: str = "", prefix: str = "") -> None:
        self.grid = grid
        self.role = role
        self.prefix = prefix
        self.buttons: dict[str, QPushButton] = {}
        self.actions: dict[str, Callable[[], None]] = {}
        self._placed: list[tuple[int, int, int, int]] = []  # what the grid holds now

    def get(self, key: str, text: str, action: Callable[[], None], role: str = "") -> QPushButton:
        b = self.buttons.get(key)
        if b is None:
            b = button(text, lambda: self.actions[key](), role=role or self.role,
                       name=f"{self.prefix}{key}")  # fmt: skip
            self.buttons[key] = b
        elif b.text() != text:
            b.setText(text)
        self.actions[key] = action
        return b

    def build_ahead(self, key: str, text: str, action: Callable[[], None]) -> None:
        """Build a button before it is first shown: hidden, in the grid's widget (styled
        with the screen), placed by a later render."""
        b = self.get(key, text, action)
        if b.parentWidget() is None:
            b.setParent(self.grid.parentWidget())
            b.hide()

    def place(self, shown: Sequence[tuple[QPushButton, int, int, int]]) -> None:
        """Put exactly ``shown`` (button, row, column, column span) in the grid, in order.
        The same placement again changes nothing (re-filling the grid re-lays it out)."""
        placed = [(id(b), row, column, span) for b, row, column, span in shown]
        if placed == self._placed and all(not b.isHidden() for b, *_ in shown):
            return
        self._placed = placed
        while self.grid.count():
            self.grid.takeAt(0)
        wanted = {id(b) for b, *_ in shown}
        for b in self.buttons.values():
            if id(b) not in wanted:
                b.hide()
        for b, row, column, span in shown:
            self.grid.addWidget(b, row, column, 1, span)
            b.show()
