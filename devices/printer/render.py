"""A pure ESC/POS interpreter: turns printer bytes into a picture of the paper.

Used by the virtual printer (hall staff see exactly what a citizen would get), by tests
(OCR of the rendering, QR payloads, no automatic wraps) and for golden files. It never
raises on garbage input: unknown commands are skipped, truncated ones end the job.

Model of the printer (an 80 mm or 58 mm Chinese-mode thermal printer, 8 dots/mm):

- Printable width 576 dots on 80 mm paper, 384 dots on 58 mm paper.
- Font A: ASCII 12 × 24 dots; font B: 9 × 17 dots. A Chinese (multi-byte GB18030)
  character is 24 × 24 dots. ``GS !`` multiplies width and height by 1–8.
- Default line spacing 30 dots (``ESC 2``); a line is as tall as its tallest character.
- Text is GB18030 in Chinese mode (``FS &`` … ``FS .``), else code page 437 (``ESC t`` is
  ignored). Glyphs come from Noto Sans Mono CJK, whose Latin glyphs are exactly half the
  width of its ideographs, like a printer's font.

Handled: ESC @, ESC a, ESC E, ESC G, ESC -, ESC !, ESC M, ESC 2, ESC 3, ESC d, ESC J,
ESC *, GS !, GS B, GS V, GS ( k (QR), GS v 0, FS &, FS ., FS !, FS W, FS -, LF, HT, CR.
Skipped with their parameters: ESC t, ESC R, ESC SP, ESC =, ESC p, ESC c, ESC V, ESC {,
ESC D, ESC $, GS L, GS W, GS H, GS f, GS h, GS w, GS k, GS r, GS I, GS a, GS (x, GS 8 L,
FS S, FS p, DLE EOT, DLE DC4. Anything else: the prefix byte is dropped.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

# the parameter lengths are shared with the light command splitter (no Pillow, no qrcode)
from devices.printer.commands import _ESC_FIXED, _ESC_ONE, _FS_FIXED, _GS_FIXED

log = logging.getLogger(__name__)

DOTS_PER_MM = 8
#: Printable width in dots by paper width in mm.
PRINTABLE_DOTS = {58: 384, 80: 576}
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

_ASCII_CELL = {0: (12, 24), 1: (9, 17)}  # font A / font B, dots
_CJK_CELL = (24, 24)
_DEFAULT_LINE_DOTS = 30
_PAPER_MARGIN_DOTS = 16  # blank paper above the first line and below the last
#: FreeType faces are not thread-safe; glyphs are drawn once each (cached), under this lock.
_FONT_LOCK = threading.Lock()
_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}


class FontNotFoundError(RuntimeError):
    """No Noto Sans CJK font is installed (Debian: ``apt install fonts-noto-cjk``)."""


@dataclass
class Rendered:
    """What a job looks like on paper.

    ``image`` is greyscale (mode "L"), white paper, 8 dots/mm, as wide as the printable
    area. ``text`` holds the printed lines (LF-separated, magnified text as plain text).
    ``cuts`` counts cut commands; ``qr_payloads`` the QR codes printed, in order;
    ``auto_wraps`` counts lines the printer had to break itself because they were too wide
    (a good layout has none).
    """

    image: Image.Image
    text: str
    cuts: int = 0
    qr_payloads: list[str] = field(default_factory=list)
    auto_wraps: int = 0


# --------------------------------------------------------------------------- fonts


@functools.cache
def find_cjk_font(bold: bool = False) -> tuple[Path, int]:
    """Return (font file, face index) of Noto Sans Mono CJK SC, or the closest CJK face.

    Searches FONT_DIRS for ``NotoSans*CJK*-Regular`` / ``-Bold`` files (.ttc or .otf).
    Raises FontNotFoundError with the package to install when none is found.
    """
    style = "Bold" if bold else "Regular"
    candidates: list[Path] = []
    for base in FONT_DIRS:
        if base.is_dir():
            candidates += sorted(base.rglob(f"NotoSans*CJK*{style}.tt[cf]"))
            candidates += sorted(base.rglob(f"NotoSans*CJK*{style}.otf"))
    if not candidates and bold:
        return find_cjk_font(False)
    if not candidates:
        raise FontNotFoundError(
            "no Noto Sans CJK font found under "
            + ", ".join(str(d) for d in FONT_DIRS)
            + "; install the fonts-noto-cjk package"
        )
    best: tuple[int, Path, int] | None = None
    for path in candidates:
        for index in range(16):
            try:
                family = ImageFont.truetype(str(path), 24, index=index).getname()[0] or ""
            except OSError:
                break
            score = ("Mono" in family) * 2 + ("SC" in family) + ("SC" in path.name)
            if best is None or score > best[0]:
                best = (score, path, index)
    if best is None:
        raise FontNotFoundError(f"Noto Sans CJK files found but none could be opened: {candidates}")
    return best[1], best[2]


@functools.cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    path, index = find_cjk_font(bold)
    return ImageFont.truetype(str(path), size, index=index)


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, bold: bool, cell_w: int, cell_h: int, mul_w: int, mul_h: int) -> Image.Image:
    """A character's mask (mode "L", 255 = ink), ``cell_w*mul_w`` × ``cell_h*mul_h`` dots.

    Drawn at the magnified size (smoother than scaling a 24-dot bitmap) and squeezed
    horizontally when the multipliers differ. The baseline sits at 85 % of the cell, which
    keeps ideographs inside the cell and clips only the tip of long descenders.
    """
    height = cell_h * mul_h
    width = cell_w * mul_w
    draw_w = cell_w * mul_h  # the glyph at square scale, squeezed below if needed
    size = height if cell_h >= 20 else round(height * 1.15)  # font B glyphs fill their cell
    mask = Image.new("L", (draw_w, height), 0)
    if ch.strip():
        with _FONT_LOCK:
            font = _font(bold, size)
            x = (draw_w - font.getlength(ch)) / 2
            baseline = round(height * 0.85)
            ImageDraw.Draw(mask).text((x, baseline), ch, fill=255, font=font, anchor="ls")
    if draw_w != width:
        mask = mask.resize((width, height), Image.Resampling.BILINEAR)
    return mask


# --------------------------------------------------------------------------- state


@dataclass
class _Style:
    bold: bool = False
    underline: bool = False
    reverse: bool = False
    font_b: bool = False
    mul_w: int = 1  # ESC ! / GS ! multipliers, 1–8
    mul_h: int = 1
    kanji_mul_w: int = 1  # FS ! / FS W multipliers for Chinese characters
    kanji_mul_h: int = 1
    kanji_underline: bool = False


@dataclass
class _Item:
    """One thing on the current line: a glyph or a bit image, already sized in dots."""

    mask: Image.Image  # mode "L" (255 = ink) or "1" images converted to "L"
    x: int
    underline: bool = False
    reverse: bool = False


class _Paper:
    """Collects drawn lines on a growing canvas."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.canvas = Image.new("L", (width, 2048), 255)
        self.y = _PAPER_MARGIN_DOTS

    def ensure(self, height: int) -> None:
        need = self.y + height + _PAPER_MARGIN_DOTS
        if need <= self.canvas.height:
            return
        grown = Image.new("L", (self.width, max(need, self.canvas.height * 2)), 255)
        grown.paste(self.canvas, (0, 0))
        self.canvas = grown

    def finish(self) -> Image.Image:
        return self.canvas.crop((0, 0, self.width, self.y + _PAPER_MARGIN_DOTS))


class _Interpreter:
    def __init__(self, data: bytes, width: int, chinese: bool) -> None:
        self.data = data
        self.pos = 0
        self.paper = _Paper(width)
        self.width = width
        self.chinese_at_start = chinese
        self.chinese = chinese
        self.style = _Style()
        self.align = 0
        self.line_dots = _DEFAULT_LINE_DOTS
        self.items: list[_Item] = []
        self.x = 0
        self.line_text: list[str] = []
        self.line_align: int | None = None
        self.lines: list[str] = []
        self.cuts = 0
        self.auto_wraps = 0
        self.qr_payloads: list[str] = []
        self.qr_data = b""
        self.qr_module = 3
        self.qr_ec = qrcode.constants.ERROR_CORRECT_L

    # ----------------------------------------------------------------- byte reading

    def take(self, n: int) -> bytes | None:
        """The next ``n`` bytes, or None (and the end of the job) when truncated."""
        if self.pos + n > len(self.data):
            self.pos = len(self.data)
            return None
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int | None:
        chunk = self.take(1)
        return None if chunk is None else chunk[0]

    # ----------------------------------------------------------------- lines

    def add(self, mask: Image.Image, text: str, *, wide: bool = False) -> None:
        """Put a glyph on the current line, wrapping like a printer when it is full."""
        if self.x + mask.width > self.width and self.items:
            self.auto_wraps += 1
            self.flush(0)
        if self.line_align is None:
            self.line_align = self.align
        underline = self.style.kanji_underline if wide else self.style.underline
        self.items.append(_Item(mask, self.x, underline, self.style.reverse))
        self.x += mask.width
        self.line_text.append(text)

    def flush(self, extra_feed_lines: int) -> None:
        """Print the current line and feed ``extra_feed_lines`` more empty lines."""
        height = max((item.mask.height for item in self.items), default=0)
        pitch = max(self.line_dots, height)
        if self.items:
            used = self.x
            align = self.line_align or 0
            offset = 0 if align == 0 else (self.width - used) // (2 if align == 1 else 1)
            offset = max(0, offset)
            self.paper.ensure(pitch)
            canvas = self.paper.canvas
            base = self.paper.y + height  # bottoms aligned
            for item in self.items:
                x = offset + item.x
                top = base - item.mask.height
                if item.reverse:
                    canvas.paste(0, (x, top, x + item.mask.width, base))
                    canvas.paste(255, (x, top, x + item.mask.width, base), item.mask)
                else:
                    canvas.paste(0, (x, top, x + item.mask.width, base), item.mask)
                if item.underline:
                    canvas.paste(0, (x, base - 2, x + item.mask.width, base))
        self.paper.y += pitch + self.line_dots * max(0, extra_feed_lines)
        self.lines.append("".join(self.line_text).rstrip())
        self.lines.extend([""] * max(0, extra_feed_lines))
        self.items = []
        self.x = 0
        self.line_text = []
        self.line_align = None

    def flush_if_pending(self) -> None:
        if self.items:
            self.flush(0)

    def block(self, image: Image.Image) -> None:
        """A bit image or QR code: on a line of its own, honouring the alignment."""
        self.flush_if_pending()
        img = image.convert("L")
        if img.width > self.width:
            img = img.crop((0, 0, self.width, img.height))
        offset = 0 if self.align == 0 else (self.width - img.width) // (2 if self.align == 1 else 1)
        self.paper.ensure(img.height)
        self.paper.canvas.paste(img, (max(0, offset), self.paper.y))
        self.paper.y += img.height

    # ----------------------------------------------------------------- text

    def text_char(self, ch: str, wide: bool) -> None:
        st = self.style
        if wide:
            cell_w, cell_h = _CJK_CELL
            mul_w, mul_h = st.kanji_mul_w, st.kanji_mul_h
        else:
            cell_w, cell_h = _ASCII_CELL[1 if st.font_b else 0]
            mul_w, mul_h = st.mul_w, st.mul_h
        self.add(_glyph(ch, st.bold, cell_w, cell_h, mul_w, mul_h), ch, wide=wide)

    def multibyte(self, first: int) -> None:
        """A GB18030 character starting with ``first`` (0x81–0xFE), in Chinese mode."""
        second = self.data[self.pos] if self.pos < len(self.data) else None
        if second is not None and 0x30 <= second <= 0x39:
            raw = bytes([first]) + self.data[self.pos : self.pos + 3]
            self.pos += 3
        elif second is not None and 0x40 <= second <= 0xFE and second != 0x7F:
            raw = bytes([first, second])
            self.pos += 1
        else:
            self.text_char("?", wide=False)
            return
        ch = raw.decode("gb18030", errors="replace")
        self.text_char(ch[0] if ch else "?", wide=True)

    def tab(self) -> None:
        cell = _ASCII_CELL[1 if self.style.font_b else 0][0] * self.style.mul_w
        stop = cell * 8
        target = (self.x // stop + 1) * stop
        if target > self.width:
            return
        self.add(Image.new("L", (target - self.x, 1), 0), " ")

    # ----------------------------------------------------------------- commands

    def reset(self) -> None:
        self.flush_if_pending()
        self.style = _Style()
        self.align = 0
        self.line_dots = _DEFAULT_LINE_DOTS
        self.chinese = self.chinese_at_start

    def esc(self) -> None:
        cmd = self.byte()
        if cmd is None:
            return
        c = chr(cmd)
        st = self.style
        if c == "@":
            self.reset()
        elif c == "2":
            self.line_dots = _DEFAULT_LINE_DOTS
        elif c in "im":  # ESC i / ESC m: old-style cuts
            self.cut_mark(0)
        elif c == "*":
            self.esc_star()
        elif c == "(":
            self.skip_sized()
        elif c == "D":  # tab stops, NUL-terminated
            while self.byte() not in (None, 0):
                pass
        elif c in _ESC_FIXED:
            self.take(_ESC_FIXED[c])
        elif c in _ESC_ONE:
            n = self.byte()
            if n is None:
                return
            if c == "a":
                align = n - 48 if n >= 48 else n
                self.align = align if align in (0, 1, 2) else 0
            elif c in "EG":
                st.bold = bool(n & 1)
            elif c == "-":
                st.underline = n in (1, 2, 49, 50)
            elif c == "!":
                st.font_b = bool(n & 0x01)
                st.bold = bool(n & 0x08)
                st.mul_h = 2 if n & 0x10 else 1
                st.mul_w = 2 if n & 0x20 else 1
                st.underline = bool(n & 0x80)
            elif c == "M":
                st.font_b = n in (1, 49)
            elif c == "3":
                self.line_dots = n
            elif c == "d":
                if n:
                    self.flush(n - 1)
                else:
                    self.flush_if_pending()
            elif c == "J":
                self.flush_if_pending()
                self.paper.y += n
            # the others (ESC t, ESC R, ESC SP, …) do not change what we draw
        # anything else: drop ESC and this byte

    def esc_star(self) -> None:
        """``ESC * m nL nH d…``: column bit image, 8 or 24 dots tall."""
        head = self.take(3)
        if head is None:
            return
        m, n = head[0], head[1] | head[2] << 8
        rows = 3 if m in (32, 33) else 1
        data = self.take(n * rows)
        if data is None:
            return
        if not n:
            return
        # Each column is ``rows`` bytes, top bit first: read it as a raster one column per
        # row, then transpose. Raw "1" maps a set bit to 255, i.e. ink in a glyph mask.
        mask = Image.frombytes("1", (rows * 8, n), data, "raw", "1").convert("L")
        mask = mask.transpose(Image.Transpose.TRANSPOSE)
        if m in (0, 32):  # single density: twice as wide
            mask = mask.resize((n * 2, mask.height), Image.Resampling.NEAREST)
        if rows == 1:  # 8-dot modes are printed at double height
            mask = mask.resize((mask.width, 24), Image.Resampling.NEAREST)
        self.add(mask, " ")

    def skip_sized(self) -> bytes | None:
        """``… pL pH data``: skip the sized block, return it (fn byte first)."""
        head = self.take(3)
        if head is None:
            return None
        size = head[1] | head[2] << 8
        body = self.take(size)
        return None if body is None else bytes([head[0]]) + body

    def gs(self) -> None:
        cmd = self.byte()
        if cmd is None:
            return
        c = chr(cmd)
        st = self.style
        if c == "!":
            n = self.byte()
            if n is None:
                return
            st.mul_w = st.kanji_mul_w = ((n >> 4) & 0x07) + 1
            st.mul_h = st.kanji_mul_h = (n & 0x07) + 1
        elif c == "B":
            n = self.byte()
            st.reverse = bool(n and n & 1)
        elif c == "V":
            self.cut()
        elif c == "(":
            block = self.skip_sized()
            if block and block[0] == ord("k"):
                self.qr_command(block[1:])
        elif c == "v":
            self.raster()
        elif c == "8":  # GS 8 L p1 p2 p3 p4 …: 4-byte size
            head = self.take(5)
            if head is not None:
                self.take(head[1] | head[2] << 8 | head[3] << 16 | head[4] << 24)
        elif c == "*":  # GS * x y d…: downloaded bit image, x*y*8 bytes
            head = self.take(2)
            if head is not None:
                self.take(head[0] * head[1] * 8)
        elif c == "k":
            self.barcode()
        elif c in _GS_FIXED:
            self.take(_GS_FIXED[c])
        # anything else: drop GS and this byte

    def cut(self) -> None:
        """``GS V m [n]``: cut; m 65/66/97/98 … take a feed count n first."""
        m = self.byte()
        if m is None:
            return
        self.cut_mark((self.byte() or 0) if m >= 65 else 0)

    def cut_mark(self, feed_dots: int) -> None:
        """Print what is pending, feed ``feed_dots`` and draw a dashed cut line."""
        self.flush_if_pending()
        self.paper.y += feed_dots
        self.paper.ensure(24)
        y = self.paper.y + 8
        draw = ImageDraw.Draw(self.paper.canvas)
        for x in range(0, self.width, 16):
            draw.line((x, y, x + 8, y), fill=128, width=2)
        self.paper.y += 24
        self.cuts += 1

    def qr_command(self, body: bytes) -> None:
        """``GS ( k`` for cn 49 (QR): fn 65 model, 67 size, 69 EC, 80 store, 81 print."""
        if len(body) < 2 or body[0] != 49:
            return
        fn, args = body[1], body[2:]
        if fn == 67 and args:
            self.qr_module = max(1, min(16, args[0]))
        elif fn == 69 and args:
            self.qr_ec = _QR_EC.get(args[0], qrcode.constants.ERROR_CORRECT_L)
        elif fn == 80:
            self.qr_data = args[1:]  # args[0] is m = 48
        elif fn == 81:
            self.qr_print()

    def qr_print(self) -> None:
        payload = self.qr_data.decode("utf-8", errors="replace")
        if not self.qr_data:
            return
        try:
            code = qrcode.QRCode(
                version=None, error_correction=self.qr_ec, box_size=self.qr_module, border=0
            )
            code.add_data(self.qr_data)
            code.make(fit=True)
            matrix = code.get_matrix()
        except Exception:  # data too long for any QR version: the printer prints nothing
            log.debug("QR data of %d bytes cannot be encoded", len(self.qr_data))
            return
        self.qr_payloads.append(payload)
        modules = len(matrix)
        img = Image.new("L", (modules, modules), 255)
        img.putdata([0 if cell else 255 for row in matrix for cell in row])
        size = modules * self.qr_module
        self.block(img.resize((size, size), Image.Resampling.NEAREST))

    def raster(self) -> None:
        """``GS v 0 m xL xH yL yH d…``: raster bit image, 1 = black dot, MSB first."""
        head = self.take(6)
        if head is None or head[0] not in (0, 48):
            return
        m = head[1]
        x_bytes = head[2] | head[3] << 8
        y_dots = head[4] | head[5] << 8
        data = self.take(x_bytes * y_dots)
        if data is None or not x_bytes or not y_dots:
            return
        img = Image.frombytes("1", (x_bytes * 8, y_dots), data, "raw", "1;I").convert("L")
        scale_w = 2 if m in (1, 3, 49, 51) else 1
        scale_h = 2 if m in (2, 3, 50, 51) else 1
        if scale_w > 1 or scale_h > 1:
            img = img.resize((img.width * scale_w, img.height * scale_h), Image.Resampling.NEAREST)
        self.block(img)

    def barcode(self) -> None:
        """``GS k``: skipped (not drawn); NUL-terminated (m 0–6) or counted (m ≥ 65)."""
        m = self.byte()
        if m is None:
            return
        if m <= 6:
            while self.byte() not in (None, 0):
                pass
        else:
            n = self.byte()
            if n is not None:
                self.take(n)

    def fs(self) -> None:
        cmd = self.byte()
        if cmd is None:
            return
        c = chr(cmd)
        st = self.style
        if c == "&":
            self.chinese = True
        elif c == ".":
            self.chinese = False
        elif c == "(":
            self.skip_sized()
        elif c in "!W-":
            n = self.byte()
            if n is None:
                return
            if c == "!":
                st.kanji_mul_w = 2 if n & 0x04 else 1
                st.kanji_mul_h = 2 if n & 0x08 else 1
                st.kanji_underline = bool(n & 0x80)
            elif c == "W":
                st.kanji_mul_w = st.kanji_mul_h = 2 if n & 1 else 1
            else:
                st.kanji_underline = n in (1, 2, 49, 50)
        elif c in _FS_FIXED:
            self.take(_FS_FIXED[c])
        # anything else: drop FS and this byte

    def dle(self) -> None:
        cmd = self.byte()
        if cmd == 0x04:  # DLE EOT n: real-time status request
            self.take(1)
        elif cmd == 0x14:  # DLE DC4 fn …
            self.take(3)
        elif cmd == 0x05:  # DLE ENQ n
            self.take(1)

    # ----------------------------------------------------------------- main loop

    def run(self) -> Rendered:
        data = self.data
        while self.pos < len(data):
            b = data[self.pos]
            self.pos += 1
            if b == 0x0A:
                self.flush(0)
            elif b == 0x1B:
                self.esc()
            elif b == 0x1D:
                self.gs()
            elif b == 0x1C:
                self.fs()
            elif b == 0x10:
                self.dle()
            elif b == 0x09:
                self.tab()
            elif b == 0x0C:  # FF in standard mode: print and feed a line
                self.flush(0)
            elif b < 0x20 or b == 0x7F:
                pass  # CR and other controls
            elif b < 0x80:
                self.text_char(chr(b), wide=False)
            elif self.chinese and 0x81 <= b <= 0xFE:
                self.multibyte(b)
            else:
                self.text_char(bytes([b]).decode("cp437"), wide=False)
        self.flush_if_pending()
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return Rendered(
            image=self.paper.finish(),
            text="\n".join(self.lines),
            cuts=self.cuts,
            qr_payloads=self.qr_payloads,
            auto_wraps=self.auto_wraps,
        )


def printable_dots(paper_width_mm: int) -> int:
    """Printable width in dots: 384 for 58 mm, 576 for 80 mm, else 8 dots/mm minus 8 mm."""
    return PRINTABLE_DOTS.get(paper_width_mm, max(64, (paper_width_mm - 8) * DOTS_PER_MM))


def render(data: bytes, paper_width_mm: int = 80, *, chinese_at_start: bool = True) -> Rendered:
    """Interpret ESC/POS ``data`` as a printer with ``paper_width_mm`` paper would.

    ``chinese_at_start`` mirrors most Chinese printers, which power up (and stay, across
    ``ESC @``) in Chinese mode; pass False to check that a job enters it with ``FS &``.
    Never raises on bad bytes; raises FontNotFoundError when no CJK font is installed.
    """
    find_cjk_font(False)  # fail clearly before doing any work
    interpreter = _Interpreter(bytes(data), printable_dots(paper_width_mm), chinese_at_start)
    try:
        return interpreter.run()
    except FontNotFoundError:
        raise
    except Exception:  # a bug here must not lose the job; show what was rendered so far
        log.exception("ESC/POS rendering stopped at byte %d", interpreter.pos)
        interpreter.items = []
        return Rendered(
            image=interpreter.paper.finish(),
            text="\n".join(interpreter.lines),
            cuts=interpreter.cuts,
            qr_payloads=interpreter.qr_payloads,
            auto_wraps=interpreter.auto_wraps,
        )
