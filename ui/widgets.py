"""Small widgets shared by the screens: buttons with roles, the ID keypad, the idle prompt."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QIcon, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

BUTTON_PAD_PX = 6  # the least room a button's text needs on each side (its border radius)
WRAP_FLAGS = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)


def wrapped_text_size(fm: QFontMetrics, text: str, width: int) -> QSize:
    """The room ``text`` takes word-wrapped into ``width`` px (wider only if one word is)."""
    return fm.boundingRect(QRect(0, 0, max(1, width), 1_000_000), WRAP_FLAGS, text).size()


_MEASURED: dict[tuple[str, str], tuple[int, int]] = {}  # (text, font) → (one line, longest piece)


def _measure(fm: QFontMetrics, font_key: str, text: str) -> tuple[int, int]:
    """The text's width on one line and its widest unbreakable piece, measured once per font
    (buttons are re-styled and re-texted often; the texts and fonts are few)."""
    key = (text, font_key)
    known = _MEASURED.get(key)
    if known is None:
        if len(_MEASURED) > 4000:
            _MEASURED.clear()
        line = max((fm.horizontalAdvance(part) for part in text.splitlines()), default=0)
        # at 1 px Qt breaks at every chance: what is left is the widest unbreakable piece
        known = _MEASURED[key] = (line, wrapped_text_size(fm, text, 1).width())
    return known


class WrapButton(QPushButton):
    """A push button whose text wraps onto more lines when its column is narrower than the
    text (Chinese breaks between characters, English between words) — never elided.

    ``text()`` stays the whole text (the voice and the tests read it). It asks for one line
    (``sizeHint``) but may shrink to its longest word (``minimumSizeHint``); the layout then
    gives it the height its lines need (``heightForWidth``). A button with an icon keeps
    QPushButton's own one-line layout."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._style_min = -1  # the style sheet's min-width (its polish sets minimumWidth)
        self._own_min = -1  # the minimum width this button set last
        self._line_width = -1  # the text's width on one line (-1: not measured yet)
        self._longest = 0  # its widest unbreakable piece
        self._wrap = bool(text)  # has a text and no icon
        self._has_icon = False
        self._hint: QSize | None = None  # QPushButton's one-line size hint, kept
        self._heights: dict[int, int] = {}  # heightForWidth, by width
        # the style's contents rectangle (y, height) by button size: asking the style sheet
        # style for it costs ~0.5 ms, and a wrapped button is painted often
        self._rooms: dict[tuple[int, int], tuple[int, int]] = {}

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text == self.text():
            return  # screens set their texts on every render: nothing to measure again
        super().setText(text)
        self._changed()

    def setIcon(self, icon: QIcon) -> None:  # noqa: N802 (Qt's name)
        super().setIcon(icon)
        self._has_icon = not icon.isNull()
        self._changed()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._changed()

    def _changed(self) -> None:
        self._line_width = -1
        self._wrap = bool(self.text()) and not self._has_icon
        self._hint = None
        self._heights.clear()
        self._rooms.clear()
        self._fit_minimum()

    def _measured(self) -> None:
        if self._line_width < 0:
            self._line_width, self._longest = _measure(
                self.fontMetrics(), self.font().key(), self.text()
            )

    def _one_line(self, width: int) -> bool:
        """The text fits ``width`` unwrapped (the usual case: measured once, then cheap)."""
        self._measured()
        return self._line_width + 2 * BUTTON_PAD_PX <= width

    def _fit_minimum(self) -> None:
        """Layouts take an explicit minimum width (the style sheet's min-width sets one) over
        ``minimumSizeHint``: make that minimum the longest word too, or a squeezed column
        would cut it. The style sheet's own minimum is kept when it is larger."""
        if self.minimumWidth() != self._own_min:
            self._style_min = self.minimumWidth()  # (re)set by the style since we last did
        width = max(self._style_min, self._longest_piece() if self._wraps() else 0)
        if width != self.minimumWidth():
            self.setMinimumWidth(width)
        self._own_min = width

    def _longest_piece(self) -> int:
        self._measured()
        return self._longest + 2 * BUTTON_PAD_PX

    def _wraps(self) -> bool:
        return self._wrap

    def _option(self) -> QStyleOptionButton:
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        return opt

    def _chrome(self) -> QSize:
        """What the button needs around its wrapped text: across, the least padding (the
        style sheet's padding is what it likes, not what it needs: a squeezed button's text
        may use it, as a QPushButton's does, before it wraps); down, the style's padding."""
        opt = self._option()
        _y, height = self._room(opt)
        return QSize(2 * BUTTON_PAD_PX, max(0, opt.rect.height() - height))

    def _room(self, opt: QStyleOptionButton) -> tuple[int, int]:
        """The style's contents rectangle's top and height, asked once per button size."""
        size = (opt.rect.width(), opt.rect.height())
        known = self._rooms.get(size)
        if known is None:
            r = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, self)
            known = self._rooms[size] = (r.y(), r.height())
        return known

    def text_room(self, opt: QStyleOptionButton | None = None) -> QRect:
        """Where the text is painted: the style's contents rectangle, widened across to
        the least padding."""
        y, height = self._room(opt or self._option())
        return QRect(BUTTON_PAD_PX, y, self.width() - 2 * BUTTON_PAD_PX, height)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return self._wraps()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        known = self._heights.get(width)
        if known is not None:
            return known
        height = self._height_for(width)
        self._heights[width] = height
        return height

    def _one_line_hint(self) -> QSize:
        if self._hint is None:
            self._hint = super().sizeHint()
        return self._hint

    def _height_for(self, width: int) -> int:
        one_line = self._one_line_hint().height()
        if not self._wraps() or self._one_line(width):
            return one_line
        chrome = self._chrome()
        fm = self.fontMetrics()
        need = wrapped_text_size(fm, self.text(), width - chrome.width())
        if need.height() <= fm.height() * (self.text().count("\n") + 1):
            return one_line  # as many lines as unwrapped: QPushButton's own height
        return max(one_line, need.height() + chrome.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = self._one_line_hint()
        if not self._wraps():
            return hint
        width = min(hint.width(), self._longest_piece())
        width = max(width, self.minimumWidth())
        return QSize(width, self.heightForWidth(width))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._wraps() or self._one_line(self.width()):  # QPushButton paints one line
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        opt = self._option()
        text, opt.text = opt.text, ""
        painter.drawControl(QStyle.ControlElement.CE_PushButton, opt)
        room = self.text_room(opt)
        painter.drawItemText(
            room, WRAP_FLAGS, opt.palette, self.isEnabled(), text, QPalette.ColorRole.ButtonText
        )


def button(text: str, on_click: Callable[[], None], role: str = "", name: str = "") -> QPushButton:
    b = WrapButton(text)
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


def set_role(widget: QWidget, role: str) -> None:
    """Change a widget's style role in place (re-polished only when it changes)."""
    if (widget.property("role") or "") == role:
        return
    widget.setProperty("role", role or None)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


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


class Overlay(QFrame):
    """A question or notice over the current screen: a text and one or two big buttons."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setProperty("role", "overlay")
        self.setObjectName("overlay")
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.box = QFrame()
        self.box.setProperty("role", "dialog")
        self.box.setMinimumWidth(700)
        inner = QVBoxLayout(self.box)
        self.text = label("", role="title", name="overlay_text")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner.addWidget(self.text)
        self.buttons = QHBoxLayout()
        inner.addLayout(self.buttons)
        outer.addWidget(self.box)
        self.kind = ""
        self.hide()

    def present(
        self, kind: str, text: str, buttons: list[tuple[str, Callable[[], None], str]]
    ) -> None:
        """Show ``text`` with ``buttons`` (label, action, object name); keeps them if unchanged."""
        self.text.setText(text)
        if kind != self.kind or not self.isVisible():
            clear_layout(self.buttons)
            for caption, action, name in buttons:
                self.buttons.addWidget(button(caption, action, name=name))
            self.kind = kind
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def dismiss(self) -> None:
        self.kind = ""
        self.hide()
