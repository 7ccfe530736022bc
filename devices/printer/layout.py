"""Ticket and one-time-notice layouts, written onto any python-escpos printer object.

Pure: no I/O of its own and no clock (times come from the dataclasses). The same function
writes to a real printer, the simulator, or ``escpos.printer.Dummy`` in tests.

Wire format (ESC/POS, Chinese-mode printers):

- ``ESC @`` resets, then ``FS &`` (1C 26) enters Chinese mode once per job. Every text byte
  is GB18030 and is sent with ``p._raw``: python-escpos 3.1 ``text()`` sends a string of
  only Chinese punctuation (``"（）："``) through its code-page path, which prints ``?``.
- Every text line ends with LF. Long text is wrapped here, by display columns, so the
  printer never wraps on its own: an ASCII byte is 1 column (12 dots, font A), any other
  character is 2 columns (a 24-dot Chinese glyph). 58 mm paper has 32 columns (384 dots),
  80 mm paper 48 columns (576 dots).
- The queue number is printed with ``GS !`` at up to 6× width and height (whatever fits
  the paper); the QR code uses the printer's native ``GS ( k`` (model 2, module size 6
  dots, error correction M) so it stays sharp and the job stays small. Printers without
  ``GS ( k`` get the same code as a ``GS v 0`` raster image (``native_qr=False``).
- The job ends with ``ESC d 6`` and a partial cut ``GS V 1``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2

log = logging.getLogger(__name__)

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
LF = b"\n"

#: Printable columns of font A (12 dots per ASCII column) by paper width in mm.
COLUMNS = {58: 32, 80: 48}
#: Largest ``GS !`` magnification used for the queue number (the command allows 1–8).
MAX_NUMBER_MAGNIFICATION = 6
#: QR module size in dots (8 dots/mm: 6 dots = 0.75 mm, easy for phone cameras).
QR_MODULE_DOTS = 6
#: Characters a line must not start with (Chinese line-breaking rule, 避头点).
_NO_LINE_START = set("，。、；：？！）》」』】〕〉”’,.;:?!)]}%")
#: Characters a line must not end with (避尾点).
_NO_LINE_END = set("（《「『【〔〈“‘([{")


@dataclass(frozen=True)
class NoticeMaterial:
    name: str
    core: bool  # False: 容缺 — may be supplied later under a written promise (告知承诺)


@dataclass(frozen=True)
class NoticePrint:
    """一次性告知: everything the citizen must bring, for one item or a bundle."""

    hall_name: str
    title: str  # item or bundle name
    materials: tuple[NoticeMaterial, ...]
    time_limit: str  # e.g. "即办" or "3个工作日"
    fee: str  # e.g. "免费"
    where: str  # window group and its location
    issued_at: dt.datetime
    heading: str = "一次性告知单"  # printed large at the top of a stand-alone slip
    lines: tuple[str, ...] = ()  # printed under the title (e.g. a case's matter, severity)
    qr_data: str = ""  # a QR printed at the end (e.g. a case's signed phone-page link)
    qr_caption: str = ""  # the line under that QR


@dataclass(frozen=True)
class TicketPrint:
    hall_name: str
    number: str  # e.g. "A042"
    service_name: str  # item or bundle name
    window_group: str  # e.g. "市场准入"
    location: str  # e.g. "二楼 B区 5–9号窗口"
    people_ahead: int
    estimated_wait_min: int
    issued_at: dt.datetime
    qr_data: str  # carries the ticket id, for status and rating
    masked_name: str = ""  # only when real-name (实名取号)
    notice: NoticePrint | None = None  # printed under the ticket when asked
    footer: str = "请留意叫号，过号请重新取号"
    priority: bool = False  # 绿色通道
    extra_lines: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- text helpers


def columns_for(paper_width_mm: int) -> int:
    """Font-A columns (12 dots each) for a paper width in mm; 58 → 32, 80 → 48."""
    try:
        return COLUMNS[paper_width_mm]
    except KeyError:
        raise ValueError(f"paper_width_mm must be one of {sorted(COLUMNS)}") from None


def char_width(ch: str) -> int:
    """Columns one character takes in Chinese mode: ASCII 1, anything else 2.

    A Chinese-mode printer draws every multi-byte GB18030 character as a full-width glyph,
    so this (not Unicode's East Asian Width) is what decides whether a line fits.
    """
    return 1 if ord(ch) < 0x80 else 2


def display_width(text: str) -> int:
    """Columns ``text`` takes on paper (see ``char_width``)."""
    return sum(char_width(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """Split into unbreakable pieces: runs of ASCII letters/digits, single other chars."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) < 0x80 and not ch.isspace() and ch not in "-/":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to lines of at most ``width`` columns (CJK = 2 columns).

    Breaks between any two Chinese characters, and between ASCII words; a word longer than
    a line is split. Keeps closing punctuation off the start of a line and opening
    punctuation off the end where it can. Explicit newlines are kept. Never returns an
    empty list (an empty string gives ``[""]``).
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        current: list[str] = []
        used = 0
        for token in _tokens(paragraph):
            w = display_width(token)
            if used + w <= width:
                current.append(token)
                used += w
                continue
            if token.isspace():  # a space at a break is simply dropped
                lines.append("".join(current).rstrip())
                current, used = [], 0
                continue
            if w > width:  # an over-long word: fill the line, split the rest
                for ch in token:
                    cw = char_width(ch)
                    if used + cw > width:
                        lines.append("".join(current).rstrip())
                        current, used = [], 0
                    current.append(ch)
                    used += cw
                continue
            carry: list[str] = []
            # 避头点: move the previous piece down rather than start with "，" or "）".
            if token in _NO_LINE_START and len(current) > 1:
                carry.insert(0, current.pop())
            # 避尾点: never leave "（" dangling at the end of a line.
            while len(current) > 1 and current[-1] in _NO_LINE_END:
                carry.insert(0, current.pop())
            lines.append("".join(current).rstrip())
            current = [*carry, token]
            used = display_width("".join(current))
            if used > width:  # carrying did not help (tiny width): give up on the nicety
                lines.append("".join(carry).rstrip())
                current, used = [token], w
        lines.append("".join(current).rstrip())
    return lines


def _encode(text: str) -> bytes:
    """GB18030 bytes of ``text``; never fails (unencodable characters become ``?``)."""
    return text.encode("gb18030", errors="replace")


class _Writer:
    """Small helper that keeps the column count and writes raw bytes onto ``p``."""

    def __init__(self, p: Any, paper_width_mm: int) -> None:
        self.p = p
        self.cols = columns_for(paper_width_mm)

    def raw(self, data: bytes) -> None:
        self.p._raw(data)

    def start(self) -> None:
        """``ESC @`` reset, then ``FS &`` Chinese mode (once per job)."""
        self.raw(ESC + b"@" + FS + b"&")

    def align(self, how: str) -> None:
        self.raw(ESC + b"a" + bytes([{"left": 0, "center": 1, "right": 2}[how]]))

    def bold(self, on: bool) -> None:
        self.raw(ESC + b"E" + bytes([1 if on else 0]))

    def size(self, width: int = 1, height: int = 1) -> None:
        """``GS !``: character width and height multipliers, each 1–8."""
        width = max(1, min(8, width))
        height = max(1, min(8, height))
        self.raw(GS + b"!" + bytes([((width - 1) << 4) | (height - 1)]))

    def line(self, text: str = "", *, width_mul: int = 1) -> None:
        """Write ``text`` wrapped to the paper, each line ending with LF."""
        for piece in wrap(text, max(2, self.cols // width_mul)):
            self.raw(_encode(piece) + LF)

    def label(self, label: str, value: str) -> None:
        """``label`` then ``value``; continuation lines hang under the value."""
        indent = display_width(label)
        if indent > self.cols // 2:
            self.line(label + value)
            return
        pieces = wrap(value, self.cols - indent)
        self.raw(_encode(label + pieces[0]) + LF)
        for piece in pieces[1:]:
            self.raw(_encode(" " * indent + piece) + LF)

    def rule(self, ch: str = "-") -> None:
        self.raw(_encode(ch * (self.cols // char_width(ch))) + LF)

    def feed(self, lines: int = 1) -> None:
        self.raw(ESC + b"d" + bytes([max(0, min(255, lines))]))

    def finish(self) -> None:
        """Feed past the cutter and cut partially (``ESC d 6``, ``GS V 1``)."""
        self.p.cut(mode="PART", feed=True)


def _time(value: dt.datetime) -> str:
    """``YYYY-MM-DD HH:MM`` — minutes are what a citizen needs."""
    return value.strftime("%Y-%m-%d %H:%M")


def _number_magnification(number: str, cols: int) -> int:
    """The largest ``GS !`` multiplier (≤ MAX_NUMBER_MAGNIFICATION) that fits one line."""
    width = max(1, display_width(number))
    return max(1, min(MAX_NUMBER_MAGNIFICATION, cols // width))


# --------------------------------------------------------------------------- layouts


def _notice_body(w: _Writer, notice: NoticePrint) -> None:
    """The part of a notice shared by the stand-alone notice and a ticket's appendix."""
    w.align("center")
    w.bold(True)
    w.line(notice.title)
    w.bold(False)
    w.align("left")
    for extra in notice.lines:
        w.line(extra)
    w.line("所需材料：")
    for index, material in enumerate(notice.materials, start=1):
        mark = "【核心】" if material.core else "【可容缺】"
        w.label(f"{index}. ", mark + material.name)
    if not notice.materials:
        w.line("无需提交材料")
    if any(not m.core for m in notice.materials):
        w.line("注：可容缺材料可承诺后补交，不影响受理。")
    w.label("办理时限：", notice.time_limit)
    w.label("收费标准：", notice.fee)
    w.label("办理地点：", notice.where)
    if notice.qr_data:  # as a raster image: every printer prints it (as on a ticket)
        w.align("center")
        w.feed(1)
        w.raw(qr_raster(notice.qr_data))
        w.raw(LF)
        if notice.qr_caption:
            w.line(notice.qr_caption)
        w.align("left")


def write_notice(p: Any, notice: NoticePrint, paper_width_mm: int) -> None:
    """Write a stand-alone 一次性告知 (one-time notice) onto ``p`` and cut.

    ``paper_width_mm`` is 58 or 80; text is wrapped to 32 or 48 columns.
    """
    w = _Writer(p, paper_width_mm)
    w.start()
    w.align("center")
    w.bold(True)
    w.line(notice.hall_name)
    w.size(2, 2)
    w.line(notice.heading, width_mul=2)
    w.size(1, 1)
    w.bold(False)
    w.rule()
    _notice_body(w, notice)
    w.label("打印时间：", _time(notice.issued_at))
    w.rule()
    w.align("center")
    w.line("请按清单备齐材料，谢谢！")
    w.finish()


def qr_raster(data: str, module_dots: int = QR_MODULE_DOTS) -> bytes:
    """The QR code of ``data`` (error correction M) as a ``GS v 0`` raster image.

    For printers without native ``GS ( k``: the same code, ``module_dots`` dots per module,
    no quiet zone (the paper around it is blank), 1 bit per dot, most significant bit left.
    python-escpos's own image path is not used: it prints a warning to stdout for every
    image when the printer profile has no paper width.
    """
    import qrcode  # with Pillow ~0.1 s to import: not on the kiosk's start path
    import qrcode.constants

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * module_dots
    width_bytes = (size + 7) // 8
    rows = []
    for row in matrix:
        bits = "".join(("1" if dark else "0") * module_dots for dark in row)
        line = int(bits.ljust(width_bytes * 8, "0"), 2).to_bytes(width_bytes, "big")
        rows.append(line * module_dots)
    head = GS + b"v0" + bytes([0, width_bytes & 0xFF, width_bytes >> 8, size & 0xFF, size >> 8])
    return head + b"".join(rows)


def write_ticket(
    p: Any, ticket: TicketPrint, paper_width_mm: int, *, native_qr: bool = True
) -> None:
    """Write one queue ticket onto ``p`` (any python-escpos printer) and cut.

    ``paper_width_mm`` is 58 or 80. The number is printed as large as fits (up to 6×);
    people ahead is a count of people and the estimated wait is in whole minutes.
    ``native_qr=False`` sends the QR code as a raster image (printers without ``GS ( k``).
    """
    w = _Writer(p, paper_width_mm)
    w.start()

    w.align("center")
    w.bold(True)
    w.line(ticket.hall_name)
    w.bold(False)
    w.rule()

    if ticket.priority:
        w.bold(True)
        w.size(2, 2)
        w.line("【绿色通道】", width_mul=2)
        w.size(1, 1)
        w.bold(False)

    mag = _number_magnification(ticket.number, w.cols)
    w.bold(True)
    w.size(mag, mag)
    w.line(ticket.number, width_mul=mag)
    w.size(1, 1)
    w.bold(False)

    w.size(1, 2)  # double height only: same columns, easier to read
    w.line(ticket.service_name)
    w.size(1, 1)
    w.rule()

    w.align("left")
    w.label("办理窗口：", ticket.window_group)
    w.label("窗口位置：", ticket.location)
    if ticket.people_ahead < 0:  # not known (a ticket issued offline): never a guess
        w.line("前面人数：请看大厅屏幕")
    else:
        w.line(f"前面还有 {ticket.people_ahead} 人")
        w.line(f"预计等待约 {max(0, ticket.estimated_wait_min)} 分钟")
    w.label("取号时间：", _time(ticket.issued_at))
    if ticket.masked_name:
        w.label("姓名：", ticket.masked_name)
    for extra in ticket.extra_lines:
        w.line(extra)

    if ticket.qr_data:
        w.align("center")
        w.feed(1)
        if native_qr:
            p.qr(
                ticket.qr_data, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, model=QR_MODEL_2, native=True
            )
        else:
            w.raw(qr_raster(ticket.qr_data))
        w.raw(LF)
        w.line("扫码查看排队进度、评价服务")

    if ticket.notice is not None:
        w.rule("=")
        w.align("center")
        w.bold(True)
        w.line("一次性告知")
        w.bold(False)
        _notice_body(w, ticket.notice)

    w.rule()
    w.align("center")
    w.line(ticket.footer)
    w.finish()
    log.debug("ticket %s laid out for %d mm paper", ticket.number, paper_width_mm)
