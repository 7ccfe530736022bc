"""Accessibility audit: every screen and overlay, both modes, both languages.

Measured on what is rendered, not on what the style sheet intends: font sizes from the
widgets, target sizes from their geometry, contrast from the screenshot's pixels.
Fails naming the screen and the widget.
"""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QPoint
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from kiosk.app import KioskCore
from ui import theme
from ui.main_window import MainWindow
from ui.screens.base import spoken_label
from ui.tour import tour

READABLE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_contrast(image: Image.Image) -> float:
    """Background = the commonest colour; text = the most contrasting colour present in more
    than a few pixels (anti-aliasing fringes lie between the two, so the maximum is the
    glyphs' own colour)."""
    rgb = image.convert("RGB")
    counts = Counter({color: n for n, color in rgb.getcolors(rgb.width * rgb.height) or []})
    background, _ = counts.most_common(1)[0]
    floor = max(8, sum(counts.values()) // 5000)
    candidates = [c for c, n in counts.items() if n >= floor and c != background]
    return max((contrast(c, background) for c in candidates), default=1.0)


def screenshot(window: QWidget) -> Image.Image:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    window.grab().save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data())))


def audit(name: str, window: MainWindow, elder: bool, visible_only: bool = False) -> list[str]:
    """``visible_only``: skip widgets partly scrolled out of view (the caller scrolls)."""
    m = theme.metrics(elder)
    problems: list[str] = []
    shot = screenshot(window)
    scale = shot.width / window.width()
    # an overlay dims what is behind it: then only the overlay's own widgets are in use
    scope: QWidget = window.overlay if window.overlay.isVisible() else window
    widgets = [w for w in scope.findChildren(QWidget) if isinstance(w, QLabel | QAbstractButton)]
    for w in widgets:
        if not w.isVisible() or w.property("silent") or not w.text().strip():
            continue
        if visible_only and w.visibleRegion().boundingRect() != w.rect():
            continue
        ident = f"{name}: {type(w).__name__} {w.objectName() or repr(w.text()[:20])}"
        pt = w.font().pointSizeF()
        if pt < m.min_text_pt:
            problems.append(f"{ident}: text {pt:g} pt < {m.min_text_pt} pt")
        if isinstance(w, QAbstractButton):
            if w.width() < m.min_target_px or w.height() < m.min_target_px:
                problems.append(f"{ident}: target {w.width()}x{w.height()} < {m.min_target_px}")
            if not READABLE.search(spoken_label(w)):
                problems.append(f"{ident}: no spoken label ({spoken_label(w)!r})")
        top_left = w.mapTo(window, QPoint(0, 0))
        box = tuple(round(v * scale) for v in (top_left.x(), top_left.y(),
                                                 top_left.x() + w.width(), top_left.y() + w.height()))  # fmt: skip
        inset = round(10 * scale) if isinstance(w, QAbstractButton) else 0  # rounded corners
        box = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
        ratio = text_contrast(shot.crop(box))
        if ratio < 4.5:
            problems.append(f"{ident}: contrast {ratio:.2f}:1 < 4.5:1")
    if elder:
        largest = max((w.font().pointSizeF() for w in widgets if w.isVisible()), default=0)
        if largest < 30:
            problems.append(f"{name}: largest text {largest:g} pt < 30 pt in 长辈版")
    entry = window.elder_button
    if (
        not entry.isVisible()
        or entry.text() != ("返回标准版" if elder else "长辈版")
        and not (elder and entry.text() == "Standard version")
    ):
        problems.append(f"{name}: the 长辈版 entry is missing")
    return problems


def audit_scrolled(name: str, window: MainWindow, app: QApplication) -> list[str]:
    """The accessibility audit on every part of a screen taller than the window: scrolled
    one viewport at a time, each widget audited where it is wholly in view."""
    page = window.pages[window.current_screen()]
    bar = page.verticalScrollBar()
    found: list[str] = []
    value = 0
    while True:
        bar.setValue(value)
        app.processEvents()
        for p in audit(name, window, elder=name.startswith("elder"), visible_only=True):
            if p not in found:
                found.append(p)
        if value >= bar.maximum():
            break
        value = min(bar.maximum(), value + max(1, bar.pageStep() // 2))
    bar.setValue(0)
    app.processEvents()
    return found


@pytest.mark.slow
def test_every_screen_passes_the_audit(window: MainWindow, core: KioskCore) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    problems: list[str] = []
    seen = []
    for name in tour(app, window, core):
        seen.append(name)
        problems += audit_scrolled(name, window, app)
    # the tour really covered both modes, both languages, every screen and overlay
    assert len(seen) == 74, seen
    assert not problems, "\n".join(problems)


def test_the_audit_catches_small_text_and_low_contrast(window: MainWindow) -> None:
    """The audit itself can fail: shrink a label and wash out a button."""
    title = window.current_screen().title
    title.setStyleSheet("font-size: 10pt; color: #c8c8c8;")
    QApplication.processEvents()
    problems = audit("home", window, elder=False)
    assert any("screen_title" in p and "10 pt" in p for p in problems), problems
    assert any("screen_title" in p and "contrast" in p for p in problems), problems
