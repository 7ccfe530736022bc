"""Does the window's current screen fit? Used by the layout test at each hall screen size.

Looks at what Qt laid out, not at pixels:

- **outside**: a visible widget whose rectangle (in window coordinates) is not inside the
  window — cut off by the screen's edge. Inside a scroll area only the scroll area itself
  must be inside: its content is reached by scrolling;
- **overlap**: two visible controls (buttons, line edits) of the same layer whose visible
  parts (clipped by their scroll areas) intersect (the overlay of a question is a layer
  above the screen: it may cover the screen);
- **clipped**: a label or button whose text needs more room than it got — a one-line text
  wider than the widget (``sizeHint`` vs ``size``), a wrapped label taller than its height
  (``heightForWidth``), a wrapping button (``ui.widgets.WrapButton``) whose text, wrapped
  into the rectangle it is painted in, is taller than that rectangle or has a word
  wider than it, or an elided text (``…``) that the source text does not contain.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)

from ui.widgets import BUTTON_PAD_PX, WrapButton, wrapped_text_size

SLACK_PX = 2  # rounding in the layouts


def _rect_in(window: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(window, QPoint(0, 0)), w.size())


def _describe(w: QWidget) -> str:
    name = w.objectName() or type(w).__name__
    text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
    return f"{name}({text[:20]!r})" if text else name


def _layer(w: QWidget, overlay: QWidget | None) -> int:
    return 1 if overlay is not None and (w is overlay or overlay.isAncestorOf(w)) else 0


def _scrolled(w: QWidget) -> bool:
    """Inside a scroll area's content (reachable by scrolling)."""
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None:
            if parent.widget() is w or parent.widget().isAncestorOf(w):
                return True
        parent = parent.parentWidget()
    return False


def _visible_rect(window: QWidget, w: QWidget) -> QRect:
    """The part of ``w`` not clipped by its parents (scroll areas), in window coordinates."""
    box = w.visibleRegion().boundingRect()
    return box.translated(w.mapTo(window, QPoint(0, 0)))


def _shown(w: QWidget) -> bool:
    return w.isVisible() and w.width() > 0 and w.height() > 0


def problems(window: QWidget, overlay: QWidget | None = None) -> list[str]:
    """Every fault on the screen shown now (empty: it fits)."""
    found: list[str] = []
    bounds = window.rect().adjusted(-SLACK_PX, -SLACK_PX, SLACK_PX, SLACK_PX)
    widgets = [w for w in window.findChildren(QWidget) if _shown(w)]
    for w in widgets:
        r = _rect_in(window, w)
        if not _scrolled(w) and not bounds.contains(r):
            found.append(f"outside: {_describe(w)} at {r.getRect()} in {window.size().toTuple()}")
        found.extend(_clipped(w))
    controls = [w for w in widgets if isinstance(w, QAbstractButton | QLineEdit)]
    shown = [(c, _visible_rect(window, c)) for c in controls]
    shown = [(c, r) for c, r in shown if not r.isEmpty()]
    for i, (a, ra) in enumerate(shown):
        ra = ra.adjusted(SLACK_PX, SLACK_PX, -SLACK_PX, -SLACK_PX)
        for b, rb in shown[i + 1 :]:
            if a.isAncestorOf(b) or b.isAncestorOf(a):
                continue
            if _layer(a, overlay) != _layer(b, overlay):
                continue
            if ra.intersects(rb):
                found.append(f"overlap: {_describe(a)} and {_describe(b)}")
    return found


def _text_width(w: QLabel | QAbstractButton, text: str) -> int:
    fm = w.fontMetrics()
    return max((fm.horizontalAdvance(line) for line in text.splitlines()), default=0)


def _clipped(w: QWidget) -> list[str]:
    """Text that needs more room than the widget got: a label's text against its contents
    rectangle (the style sheet's padding excluded), a button's against its width less a
    little padding; wrapped labels by the height they need at their width."""
    if isinstance(w, QLabel):
        text = w.text()
        pixmap = w.pixmap()
        if not text.strip() or (pixmap is not None and not pixmap.isNull()):
            return []
        if w.textFormat() == Qt.TextFormat.RichText or "<" in text:
            return []  # laid out as a document: measured by Qt, not by lines here
        room = w.contentsRect()
        if w.wordWrap():
            need = w.heightForWidth(w.width())
            if need > w.height() + SLACK_PX:
                return [f"clipped: {_describe(w)} needs {need} px high, has {w.height()}"]
        elif _text_width(w, text) > room.width() + SLACK_PX:
            return [f"clipped: {_describe(w)} needs {_text_width(w, text)} px wide, "
                    f"has {room.width()}"]  # fmt: skip
        if "…" in text and "…" not in (w.accessibleName() or text):
            return [f"clipped: {_describe(w)} is elided"]
    elif isinstance(w, WrapButton) and w.hasHeightForWidth():
        return _wrap_clipped(w)
    elif isinstance(w, QAbstractButton) and w.text().strip():
        need = _text_width(w, w.text()) + 2 * BUTTON_PAD_PX
        if need > w.width() + SLACK_PX:
            return [f"clipped: {_describe(w)} needs {need} px wide, has {w.width()}"]
    return []


def _wrap_clipped(w: WrapButton) -> list[str]:
    """A wrapping button: its text wrapped into the rectangle it is painted in (the least
    padding across, the style's down), measured here by the font, not asked of the button."""
    room = w.text_room()
    need = wrapped_text_size(w.fontMetrics(), w.text(), room.width())
    if need.width() > room.width() + SLACK_PX:
        return [f"clipped: {_describe(w)} needs {need.width()} px wide, has {room.width()}"]
    if need.height() > room.height() + SLACK_PX:
        return [f"clipped: {_describe(w)} needs {need.height()} px high, has {room.height()}"]
    return []
