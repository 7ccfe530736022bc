"""The on-screen keyboard on real engines: taps and strokes -> text in the field it was opened
for, and nowhere else; a missing engine leaves letters and digits; the audit's measures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot
from test_accessibility import screenshot, text_contrast
from uihelpers import click

from ime import HandwritingEngine, PinyinEngine
from ui import theme
from ui.keyboard import HANDWRITING, LETTERS, PINYIN, Engines, Keyboard, shared_engines

STROKES = json.loads(
    (Path(__file__).parent.parent / "ime" / "handwriting_strokes.json").read_text("utf-8")
)


class Host(QWidget):
    """A screen-like page: a field and the keyboard, styled like the kiosk."""

    def __init__(self, engines: Engines | None = None, elder: bool = False) -> None:
        super().__init__()
        self.setStyleSheet(theme.style(elder))
        col = QVBoxLayout(self)
        self.field = QLineEdit()
        self.field.setObjectName("field")
        self.field.setMaxLength(30)
        self.other = QTextEdit()
        col.addWidget(self.field)
        col.addWidget(self.other)
        self.keyboard = Keyboard(engines)
        self.keyboard.set_elder(elder)
        col.addWidget(self.keyboard)
        self.resize(1280, 960)


def host(qtbot: QtBot, engines: Engines | None = None, elder: bool = False) -> Host:
    h = Host(engines, elder)
    qtbot.addWidget(h)
    h.show()
    h.keyboard.attach(h.field)
    qtbot.waitUntil(lambda: h.keyboard.ready, timeout=60_000)  # first start deploys Rime
    return h


def type_keys(qtbot: QtBot, kb: Keyboard, letters: str) -> None:
    for ch in letters:
        click(qtbot, kb, f"kb_key_{ch}")


def draw(qtbot: QtBot, kb: Keyboard, char: str) -> None:
    """Write ``char`` on the pad stroke by stroke, as a finger would (press, move, release)."""
    pad = kb.pad
    w, h = STROKES["pad"]
    for stroke in STROKES["characters"][char]:
        points = [
            QPoint(round(x * pad.width() / w), round(y * pad.height() / h)) for x, y in stroke
        ]
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=points[0])
        for p in points[1:]:
            qtbot.mouseMove(pad, p)
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=points[-1])


def candidates(kb: Keyboard) -> list[str]:
    return [b.text() for b in kb.candidate_buttons if b.isVisible()]


def test_pinyin_taps_put_the_chosen_phrase_into_the_field(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = host(qtbot)
    kb = h.keyboard
    spoken: list[str] = []
    kb.speak.connect(spoken.append)
    assert kb.mode == PINYIN  # Chinese first once the engine is ready
    type_keys(qtbot, kb, "banbuchengshi")
    assert candidates(kb)[0] == "办不成事"
    assert h.field.text() == ""  # nothing in the field until chosen
    click(qtbot, kb, "kb_cand_0")
    assert h.field.text() == "办不成事"
    type_keys(qtbot, kb, "hukou")
    click(qtbot, kb, "kb_punct_0")  # ，commits 户口 first
    assert h.field.text() == "办不成事户口，"
    assert spoken == ["办不成事", "户口，"]
    assert h.other.toPlainText() == ""  # only the field it was opened for
    for typed in ("banbuchengshi", "办不成事", "hukou", "户口"):  # nothing typed is logged
        assert typed not in caplog.text


def test_pinyin_paging_and_backspace(qtbot: QtBot) -> None:
    h = host(qtbot)
    kb = h.keyboard
    type_keys(qtbot, kb, "shi")
    first = candidates(kb)
    assert len(first) == 6 and not kb.prev_button.isVisible()
    click(qtbot, kb, "kb_next")
    assert candidates(kb) != first and kb.prev_button.isVisible()
    click(qtbot, kb, "kb_prev")
    assert candidates(kb) == first
    click(qtbot, kb, "kb_delete")
    click(qtbot, kb, "kb_delete")
    click(qtbot, kb, "kb_delete")  # the composition is gone: nothing deleted from the field
    assert not kb.composition.composing and candidates(kb) == []
    h.field.setText("办事")
    click(qtbot, kb, "kb_delete")  # now it deletes in the field
    assert h.field.text() == "办"


def test_handwriting_candidates_after_each_stroke(qtbot: QtBot) -> None:
    h = host(qtbot)
    kb = h.keyboard
    spoken: list[str] = []
    kb.speak.connect(spoken.append)
    click(qtbot, kb, "kb_mode_handwriting")
    assert kb.mode == HANDWRITING and kb.pad.isVisible()
    draw(qtbot, kb, "王")
    assert len(kb.pad.strokes) == 4
    top = candidates(kb)
    assert "王" in top[:5], top
    click(qtbot, kb, "kb_undo")  # one stroke fewer, candidates follow
    assert len(kb.pad.strokes) == 3 and candidates(kb) != top
    click(qtbot, kb, "kb_rewrite")
    assert kb.pad.strokes == [] and candidates(kb) == []
    draw(qtbot, kb, "大")
    i = candidates(kb).index("大")
    click(qtbot, kb, f"kb_cand_{i}")
    assert h.field.text() == "大" and spoken == ["大"]
    assert kb.pad.strokes == []  # the pad is ready for the next character


def test_letters_digits_and_the_length_limit(qtbot: QtBot) -> None:
    h = host(qtbot)
    kb = h.keyboard
    h.field.setMaxLength(5)
    kb.attach(h.field)
    click(qtbot, kb, "kb_mode_letters")
    type_keys(qtbot, kb, "ab12")
    click(qtbot, kb, "kb_space")
    assert h.field.text() == "ab12 "
    type_keys(qtbot, kb, "cd")
    assert h.field.text() == "ab12 "  # full: nothing more goes in
    assert kb.notice.isVisible() and "上限" in kb.notice.text()


def test_text_goes_only_to_the_field_it_was_opened_for(qtbot: QtBot) -> None:
    h = host(qtbot)
    kb = h.keyboard
    type_keys(qtbot, kb, "hukou")
    kb.attach(h.other)  # opened for another field: the half-typed pinyin is dropped
    assert not kb.composition.composing
    type_keys(qtbot, kb, "shebaoka")
    click(qtbot, kb, "kb_cand_0")
    assert h.other.toPlainText() == "社保卡" and h.field.text() == ""
    type_keys(qtbot, kb, "jiehun")
    kb.reset()  # the visit ends
    assert kb.field is None and not kb.composition.composing
    assert shared_engines().pinyin.state().preedit == ""
    type_keys(qtbot, kb, "ab")  # no field: goes nowhere
    assert h.other.toPlainText() == "社保卡" and h.field.text() == ""


def test_missing_engines_leave_letters_and_digits(qtbot: QtBot, tmp_path: Path) -> None:
    engines = Engines(
        PinyinEngine(library=str(tmp_path / "librime.so.1")),
        HandwritingEngine(library=str(tmp_path / "libzinnia.so.0")),
    )
    h = host(qtbot, engines)
    kb = h.keyboard
    assert kb.mode == LETTERS
    assert kb.mode_buttons[PINYIN].text() == "拼音（不可用）"
    assert kb.mode_buttons[HANDWRITING].text() == "手写（不可用）"
    assert kb.notice.isVisible() and "中文输入暂时不能用" in kb.notice.text()
    click(qtbot, kb, "kb_mode_pinyin")
    assert kb.mode == LETTERS
    click(qtbot, kb, "kb_mode_handwriting")
    assert kb.mode == LETTERS and not kb.pad.isVisible()
    type_keys(qtbot, kb, "b7")
    click(qtbot, kb, "kb_punct_1")
    assert h.field.text() == "b7。"


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("mode", [PINYIN, HANDWRITING])
def test_keyboard_passes_the_accessibility_measures(qtbot: QtBot, elder: bool, mode: str) -> None:
    """The audit's measures (tests/ui/test_accessibility.py) on the keyboard itself, with
    candidates shown: text size, target size, spoken label, contrast."""
    h = host(qtbot, elder=elder)
    kb = h.keyboard
    click(qtbot, kb, f"kb_mode_{mode}")
    if mode == PINYIN:
        type_keys(qtbot, kb, "hukou")
    else:
        draw(qtbot, kb, "十")
    assert candidates(kb)
    m = theme.metrics(elder)
    shot = screenshot(h)
    scale = shot.width / h.width()
    problems = []
    for w in kb.findChildren(QWidget):
        if not isinstance(w, QLabel | QAbstractButton) or not w.isVisible() or not w.text():
            continue
        ident = f"{type(w).__name__} {w.objectName()}"
        if w.font().pointSizeF() < m.min_text_pt:
            problems.append(f"{ident}: text {w.font().pointSizeF()} pt")
        if isinstance(w, QAbstractButton):
            if min(w.width(), w.height()) < max(m.min_target_px, 56):
                problems.append(f"{ident}: target {w.width()}x{w.height()}")
            if not (w.accessibleName() or w.text()).strip():
                problems.append(f"{ident}: no spoken label")
        top_left = w.mapTo(h, QPoint(0, 0))
        inset = round(10 * scale) if isinstance(w, QAbstractButton) else 0
        box = (round(top_left.x() * scale) + inset, round(top_left.y() * scale) + inset,
               round((top_left.x() + w.width()) * scale) - inset,
               round((top_left.y() + w.height()) * scale) - inset)  # fmt: skip
        if text_contrast(shot.crop(box)) < 4.5:
            problems.append(f"{ident}: contrast")
    if mode == HANDWRITING:
        side = kb.pad.width()
        assert side >= (400 if elder else 280), "the pad is large in 长辈版"
    assert not problems, "\n".join(problems)


def test_english_switch_retranslates_the_keyboard(qtbot: QtBot) -> None:
    h = host(qtbot)
    kb = h.keyboard
    assert kb.close_button.text() == "收起键盘"
    translator = QTranslator()
    assert translator.load(str(Path(__file__).parents[2] / "ui" / "i18n" / "kiosk_en.qm"))
    QApplication.installTranslator(translator)
    try:
        qtbot.waitUntil(lambda: kb.close_button.text() == "Close keyboard")
        assert kb.undo_button.text() == "Undo stroke" and kb.space_button.text() == "Space"
        assert kb.mode_buttons[PINYIN].text() == "Pinyin"
    finally:
        QApplication.removeTranslator(translator)
    qtbot.waitUntil(lambda: kb.close_button.text() == "收起键盘")
