"""The on-screen keyboard: 拼音 (Rime), 手写 (Zinnia) and ABC/123, for one text field at a time.

PySide6's wheels carry no virtual keyboard, so the kiosk draws its own. A screen opens it for
a field (``attach``); whatever is chosen goes into that field only, cut to its length limit.
The engines (``ime``) start off the GUI thread the first time a keyboard is shown; until then,
or for good if a library or model is missing, the Chinese modes say so and the letter and
digit keys still work. Key taps and strokes run on the GUI thread (a few ms each; see
benchmarks/ime.py). Nothing typed is logged; ``reset`` forgets it all (a visit ends).

The keyboard emits ``speak`` with the characters just chosen; the window routes it to the
voice guide, which reads them back when voice is on. It never touches a device itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ime import Composition, EngineState, EngineStatus, HandwritingEngine, PinyinEngine
from ui import theme
from ui.runner import QtRunner
from ui.widgets import button, label

PINYIN, HANDWRITING, LETTERS = "pinyin", "handwriting", "letters"
CANDIDATES = 6  # candidate buttons in the bar (Rime's page size, ime.rime.PAGE_SIZE)
HANDWRITING_RESULTS = 24  # handwriting candidates kept, shown a page at a time
LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGITS = "1234567890"
# bottom-row punctuation: the key Rime's punctuator maps, and the mark it gives
PUNCTUATION = ((",", "，"), (".", "。"), ("?", "？"), ("!", "！"), ("\\", "、"))
DEFAULT_TEXT_MAX = 200  # a QTextEdit has no limit of its own

Field = QLineEdit | QTextEdit


@dataclass
class Engines:
    """The process's engines (Rime is one per process anyway); started on first use."""

    pinyin: PinyinEngine
    handwriting: HandwritingEngine


_shared: Engines | None = None


def shared_engines() -> Engines:
    global _shared
    if _shared is None:
        _shared = Engines(PinyinEngine(), HandwritingEngine())
    return _shared


def key_size(elder: bool) -> int:
    """Keys are at least the mode's target size: 长辈版 >= 60 px."""
    return 72 if elder else 56


class HandwritingPad(QWidget):
    """A square to write on with a finger (touch arrives as mouse events) or the mouse."""

    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kb_pad")
        self.setAccessibleName(self.tr("手写板：请用手指在这里写一个字"))
        self.strokes: list[list[tuple[float, float]]] = []
        self._drawing = False
        self.set_elder(False)

    def set_elder(self, elder: bool) -> None:
        side = 420 if elder else 300
        self.setFixedSize(side, side)

    def clear(self) -> None:
        self.strokes = []
        self._drawing = False
        self.update()

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        p = event.position()
        self.strokes.append([(p.x(), p.y())])
        self._drawing = True
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if not self._drawing:
            return
        p = event.position()
        last = self.strokes[-1][-1]
        if abs(p.x() - last[0]) + abs(p.y() - last[1]) >= 3:  # thin the points
            self.strokes[-1].append((p.x(), p.y()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if not self._drawing:
            return
        self._drawing = False
        p = event.position()
        if self.strokes[-1][-1] != (p.x(), p.y()):
            self.strokes[-1].append((p.x(), p.y()))
        self.update()
        self.stroke_finished.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.PAPER))
        p.setPen(QPen(QColor(theme.PRIMARY), 3))
        p.drawRect(self.rect().adjusted(1, 1, -2, -2))
        guide = QPen(QColor("#c8d3e0"), 1, Qt.PenStyle.DashLine)  # 田字格
        p.setPen(guide)
        w, h = self.width(), self.height()
        p.drawLine(w // 2, 0, w // 2, h)
        p.drawLine(0, h // 2, w, h // 2)
        p.setPen(QPen(QColor(theme.INK), 8 if w > 350 else 6, Qt.PenStyle.SolidLine,
                      Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))  # fmt: skip
        for stroke in self.strokes:
            if len(stroke) == 1:
                p.drawPoint(QPointF(*stroke[0]))
            for a, b in zip(stroke, stroke[1:], strict=False):
                p.drawLine(QPointF(*a), QPointF(*b))
        p.end()


class Keyboard(QFrame):
    """拼音 / 手写 / ABC·123 keys, a candidate bar with paging, for one field at a time."""

    speak = Signal(str)  # characters just chosen: the window reads them back (voice on)
    engines_changed = Signal()  # an engine became ready or unavailable
    close_requested = Signal()

    def __init__(self, engines: Engines | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyboard")
        self.setProperty("role", "bar")
        # the voice guide reads the keyboard as one thing, not forty keys
        self.setProperty("speak_as_one", True)
        self.setAccessibleName(self.tr("屏幕键盘：拼音、手写、字母和数字"))
        self.engines = engines or shared_engines()
        self.field: Field | None = None
        self.max_length = DEFAULT_TEXT_MAX
        self.mode = LETTERS
        self.elder = False
        self.composition = Composition()
        self.hand_candidates: list[str] = []
        self.hand_page = 0
        self._runner: QtRunner | None = None
        self._starting = False
        self._auto_mode = True  # 拼音 once ready, unless the citizen chose or typed letters
        self._at_limit = False

        col = QVBoxLayout(self)
        col.setContentsMargins(12, 8, 12, 8)
        col.setSpacing(6)
        modes = QHBoxLayout()
        self.mode_buttons = {
            PINYIN: button(self.tr("拼音"), lambda: self.set_mode(PINYIN), name="kb_mode_pinyin"),
            HANDWRITING: button(
                self.tr("手写"), lambda: self.set_mode(HANDWRITING), name="kb_mode_handwriting"
            ),  # fmt: skip
            LETTERS: button(
                self.tr("ABC/123"), lambda: self.set_mode(LETTERS), name="kb_mode_letters"
            ),  # fmt: skip
        }
        self.mode_buttons[LETTERS].setAccessibleName(self.tr("字母和数字"))
        for b in self.mode_buttons.values():
            modes.addWidget(b)
        self.notice = label("", role="warning", name="kb_notice")
        self.notice.hide()
        modes.addWidget(self.notice, 1)
        self.close_button = button(self.tr("收起键盘"), self.close_requested.emit,
                                   role="secondary", name="kb_close")  # fmt: skip
        modes.addWidget(self.close_button)
        col.addLayout(modes)

        bar = QHBoxLayout()
        self.preedit = label("", name="kb_preedit", wrap=False)
        bar.addWidget(self.preedit)
        self.candidate_buttons: list[QPushButton] = []
        for i in range(CANDIDATES):
            b = button("", lambda i=i: self.choose(i), role="secondary", name=f"kb_cand_{i}")
            self.candidate_buttons.append(b)
            bar.addWidget(b)
        bar.addStretch(1)
        self.prev_button = button("‹", self.prev_page, role="secondary", name="kb_prev")
        self.prev_button.setAccessibleName(self.tr("上一页候选字"))
        self.next_button = button("›", self.next_page, role="secondary", name="kb_next")
        self.next_button.setAccessibleName(self.tr("下一页候选字"))
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        col.addLayout(bar)

        self.pages = QStackedWidget()
        keys = QWidget()
        grid = QVBoxLayout(keys)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.keys: list[QPushButton] = []
        for row in (DIGITS, *LETTER_ROWS):
            line = QHBoxLayout()
            line.addStretch(1)
            for ch in row:
                b = button(ch, lambda c=ch: self.tap(c), name=f"kb_key_{ch}")
                self.keys.append(b)
                line.addWidget(b)
            line.addStretch(1)
            grid.addLayout(line)
        self.pages.addWidget(keys)
        hand = QWidget()
        hrow = QHBoxLayout(hand)
        hrow.setContentsMargins(0, 0, 0, 0)
        hrow.addStretch(1)
        self.pad = HandwritingPad()
        self.pad.stroke_finished.connect(self._stroke)
        hrow.addWidget(self.pad)
        side = QVBoxLayout()
        self.undo_button = button(self.tr("撤销一笔"), self.undo_stroke, role="secondary",
                                  name="kb_undo")  # fmt: skip
        self.rewrite_button = button(self.tr("重写"), self.clear_pad, role="secondary",
                                     name="kb_rewrite")  # fmt: skip
        side.addWidget(self.undo_button)
        side.addWidget(self.rewrite_button)
        side.addStretch(1)
        hrow.addLayout(side)
        hrow.addStretch(1)
        self.pages.addWidget(hand)
        col.addWidget(self.pages)

        bottom = QHBoxLayout()
        self.punct_buttons: list[QPushButton] = []
        for i, (key, mark) in enumerate(PUNCTUATION):
            b = button(mark, lambda k=key, m=mark: self.punctuate(k, m), name=f"kb_punct_{i}")
            b.setAccessibleName({"，": self.tr("逗号"), "。": self.tr("句号"), "？": self.tr("问号"),
                                 "！": self.tr("叹号"), "、": self.tr("顿号")}[mark])  # fmt: skip
            self.punct_buttons.append(b)
            bottom.addWidget(b)
        self.space_button = button(self.tr("空格"), self.space, name="kb_space")
        bottom.addWidget(self.space_button, 2)
        self.delete_button = button("⌫", self.backspace, name="kb_delete")
        self.delete_button.setAccessibleName(self.tr("删除"))
        bottom.addWidget(self.delete_button)
        col.addLayout(bottom)
        self.set_elder(False)
        self._retranslate()
        self._show()

    def _retranslate(self) -> None:
        """The fixed words, again in the language now installed (中文 / English)."""
        self.setAccessibleName(self.tr("屏幕键盘：拼音、手写、字母和数字"))
        self.pad.setAccessibleName(
            QCoreApplication.translate("HandwritingPad", "手写板：请用手指在这里写一个字")
        )
        self.mode_buttons[LETTERS].setAccessibleName(self.tr("字母和数字"))
        self.close_button.setText(self.tr("收起键盘"))
        self.prev_button.setAccessibleName(self.tr("上一页候选字"))
        self.next_button.setAccessibleName(self.tr("下一页候选字"))
        self.undo_button.setText(self.tr("撤销一笔"))
        self.rewrite_button.setText(self.tr("重写"))
        names = [
            self.tr("逗号"),
            self.tr("句号"),
            self.tr("问号"),
            self.tr("叹号"),
            self.tr("顿号"),
        ]
        for b, name in zip(self.punct_buttons, names, strict=True):
            b.setAccessibleName(name)
        self.space_button.setText(self.tr("空格"))
        self.delete_button.setAccessibleName(self.tr("删除"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self._show()
        super().changeEvent(event)

    # -- opening ----------------------------------------------------------------------
    def attach(self, field: Field, max_length: int | None = None) -> None:
        """Type into ``field`` (and nothing else) from now on; starts the engines if needed."""
        if field is not self.field:
            self._drop_composition()
        self.field = field
        if max_length is not None:
            self.max_length = max_length
        elif isinstance(field, QLineEdit):
            self.max_length = field.maxLength()
        else:
            self.max_length = DEFAULT_TEXT_MAX
        self.start_engines()
        self._show()

    def reset(self) -> None:
        """A visit ends: forget the field, what is half typed, the strokes and candidates."""
        self._drop_composition()
        self.field = None
        self._at_limit = False
        self._auto_mode = True
        self._show()

    def _drop_composition(self) -> None:
        if self.engines.pinyin.status.ready:
            self.engines.pinyin.clear()
        self.composition = Composition()
        self.pad.clear()
        self.hand_candidates, self.hand_page = [], 0

    def _pending(self) -> bool:
        """An engine not started yet, or starting (perhaps for another keyboard)."""
        e = self.engines
        waiting = (EngineState.NOT_STARTED, EngineState.STARTING)
        return any(s.state in waiting for s in (e.pinyin.status, e.handwriting.status))

    def start_engines(self) -> None:
        """Load Rime (deploys its schema the first time: seconds) and Zinnia off the GUI
        thread; the Chinese modes light up when they are ready. (A start under way for
        another keyboard is waited for on the worker, the engines' own lock.)"""
        e = self.engines
        if self._starting or not self._pending():
            return
        self._starting = True
        if self._runner is None:
            self._runner = QtRunner(max_threads=1)

        def work() -> tuple[EngineStatus, EngineStatus]:
            return e.pinyin.start(), e.handwriting.start()

        def done(_result: object) -> None:
            self._starting = False
            self._show()
            self.engines_changed.emit()

        self._runner.submit(work, done)

    def set_elder(self, elder: bool) -> None:
        self.elder = elder
        m = theme.metrics(elder)
        size = key_size(elder)
        self.setStyleSheet(
            f"QPushButton {{ font-size: {m.body_pt + 2}pt; min-height: {size}px;"
            f" min-width: {size}px; padding: 4px 8px; }}"
            f" QLabel#kb_preedit {{ font-size: {m.body_pt}pt; color: {theme.PRIMARY}; }}"
        )
        self.pad.set_elder(elder)

    # -- modes ------------------------------------------------------------------------
    def available(self, mode: str) -> bool:
        if mode == PINYIN:
            return self.engines.pinyin.status.ready
        if mode == HANDWRITING:
            return self.engines.handwriting.status.ready
        return True

    def set_mode(self, mode: str) -> None:
        if mode != LETTERS and not self.available(mode):
            self._show(explain=mode)
            return
        self._commit_pending()
        self.mode = mode
        self._auto_mode = False
        self._show()

    def _commit_pending(self) -> None:
        """Leaving pinyin with letters typed: keep them as the first candidate."""
        if self.mode == PINYIN and self.composition.composing:
            self._apply(self.engines.pinyin.confirm())
        self.pad.clear()
        self.hand_candidates, self.hand_page = [], 0

    # -- keys -------------------------------------------------------------------------
    def tap(self, ch: str) -> None:
        if self.mode == PINYIN and ch.isalpha():
            self._apply(self.engines.pinyin.letter(ch))
            return
        if self.mode == PINYIN and self.composition.composing:
            self._apply(self.engines.pinyin.confirm())
        self._auto_mode = False
        self.insert(ch)

    def punctuate(self, key: str, mark: str) -> None:
        if self.mode == PINYIN:
            self._apply(self.engines.pinyin.punctuation(key))
        else:
            self._commit_pending()
            self.insert(mark)
            self._show()

    def space(self) -> None:
        if self.mode == PINYIN and self.composition.composing:
            self._apply(self.engines.pinyin.confirm())
        elif self.mode == HANDWRITING and self.hand_candidates:
            self.choose(0)
        else:
            self.insert(" ")

    def backspace(self) -> None:
        self._at_limit = False
        if self.mode == PINYIN and self.composition.composing:
            self._apply(self.engines.pinyin.backspace())
        elif self.mode == HANDWRITING and self.pad.strokes:
            self.undo_stroke()
        elif isinstance(self.field, QLineEdit):
            self.field.backspace()
        elif isinstance(self.field, QTextEdit):
            self.field.textCursor().deletePreviousChar()

    def choose(self, index: int) -> None:
        if self.mode == PINYIN:
            if index < len(self.composition.candidates):
                self._apply(self.engines.pinyin.select(index))
        elif self.mode == HANDWRITING:
            i = self.hand_page * CANDIDATES + index
            if i < len(self.hand_candidates):
                chosen = self.hand_candidates[i]
                self.pad.clear()
                self.hand_candidates, self.hand_page = [], 0
                self.insert(chosen, speak=True)
                self._show()

    def next_page(self) -> None:
        self._turn(1)

    def prev_page(self) -> None:
        self._turn(-1)

    def _turn(self, step: int) -> None:
        if self.mode == PINYIN and self.composition.composing:
            pinyin = self.engines.pinyin
            self._apply(pinyin.next_page() if step > 0 else pinyin.prev_page())
        elif self.mode == HANDWRITING:
            pages = -(-len(self.hand_candidates) // CANDIDATES)
            self.hand_page = max(0, min(self.hand_page + step, pages - 1))
            self._show()

    def undo_stroke(self) -> None:
        self.pad.undo()
        self._stroke()

    def clear_pad(self) -> None:
        self.pad.clear()
        self.hand_candidates, self.hand_page = [], 0
        self._show()

    def _stroke(self) -> None:
        """After each stroke: the candidates for what is on the pad so far."""
        engine = self.engines.handwriting
        if not engine.status.ready or not self.pad.strokes:
            self.hand_candidates = []
        else:
            self.hand_candidates = engine.recognize(
                self.pad.strokes, self.pad.width(), self.pad.height(), HANDWRITING_RESULTS
            )
        self.hand_page = 0
        self._show()

    def _apply(self, composition: Composition) -> None:
        self.composition = composition
        if composition.committed:
            self.insert(composition.committed, speak=True)
        self._show()

    # -- the field --------------------------------------------------------------------
    def room(self) -> int:
        if self.field is None:
            return 0
        return max(0, self.max_length - len(self._text()))

    def _text(self) -> str:
        if isinstance(self.field, QLineEdit):
            return self.field.text()
        if isinstance(self.field, QTextEdit):
            return self.field.toPlainText()
        return ""

    def insert(self, text: str, speak: bool = False) -> str:
        """Put ``text`` into the attached field, cut to its limit; returns what went in."""
        if self.field is None:
            return ""
        fits = text[: self.room()]
        if fits:
            if isinstance(self.field, QLineEdit):
                self.field.insert(fits)
            else:
                self.field.insertPlainText(fits)
            if speak:
                self.speak.emit(fits)
        self._at_limit = len(fits) < len(text)
        if self._at_limit:
            self._show()
        return fits

    # -- showing (in place: texts and visibility, no rebuild) --------------------------
    def _show(self, explain: str = "") -> None:
        pinyin_ok, hand_ok = self.available(PINYIN), self.available(HANDWRITING)
        if self.mode != LETTERS and not self.available(self.mode):
            self.mode = LETTERS
        if self._auto_mode and pinyin_ok:
            self.mode = PINYIN  # Chinese first, once it can
        for mode, b in self.mode_buttons.items():
            role = "" if mode == self.mode else "secondary"
            if b.property("role") != role:  # restyle only on a change of mode
                b.setProperty("role", role)
                b.style().unpolish(b)
                b.style().polish(b)
        self.mode_buttons[PINYIN].setText(
            self.tr("拼音") if pinyin_ok else self.tr("拼音（不可用）")
        )
        self.mode_buttons[HANDWRITING].setText(
            self.tr("手写") if hand_ok else self.tr("手写（不可用）")
        )
        if self._at_limit:
            self.notice.setText(self.tr("已到字数上限（{n}字）").format(n=self.max_length))
        elif explain or not (pinyin_ok and hand_ok):
            self.notice.setText(self._explanation())
        self.notice.setVisible(self._at_limit or bool(explain) or not (pinyin_ok and hand_ok))
        self.pages.setCurrentIndex(1 if self.mode == HANDWRITING else 0)
        cands: list[str] = []
        if self.mode == PINYIN:
            cands = list(self.composition.candidates)
            self.preedit.setText(self.composition.preedit)
            more_prev = self.composition.page > 0
            more_next = self.composition.composing and not self.composition.last_page
        elif self.mode == HANDWRITING:
            start = self.hand_page * CANDIDATES
            cands = self.hand_candidates[start : start + CANDIDATES]
            self.preedit.setText("")
            more_prev = self.hand_page > 0
            more_next = start + CANDIDATES < len(self.hand_candidates)
        else:
            self.preedit.setText("")
            more_prev = more_next = False
        self.preedit.setVisible(bool(self.preedit.text()))
        for i, b in enumerate(self.candidate_buttons):
            b.setVisible(i < len(cands))
            if i < len(cands):
                b.setText(cands[i])
                b.setAccessibleName(self.tr("第{n}个：{text}").format(n=i + 1, text=cands[i]))
        self.prev_button.setVisible(more_prev)
        self.next_button.setVisible(more_next)

    def _explanation(self) -> str:
        if self._starting or self._pending():
            return self.tr("中文输入正在准备，请稍等；现在可以输入字母和数字。")
        if not self.available(PINYIN) and not self.available(HANDWRITING):
            return self.tr("中文输入暂时不能用，请用字母和数字键。")
        if not self.available(PINYIN):
            return self.tr("拼音输入暂时不能用，可以用手写。")
        return self.tr("手写输入暂时不能用，可以用拼音。")

    def shutdown(self) -> None:
        """Wait for an engine start still under way (the window closes)."""
        if self._runner is not None:
            self._runner.shutdown()

    @property
    def ready(self) -> bool:
        """Engines started (ready or known to be unavailable)."""
        return not self._starting and not self._pending()


__all__ = ["Engines", "HandwritingPad", "Keyboard", "shared_engines"]
