"""Splitting an ESC/POS byte stream into whole commands, and the paper a job feeds.

Pure and cheap (no drawing, no fonts), for two jobs the renderer is too heavy for:

- the simulator reads a TCP stream in arbitrary chunks and must find the real-time status
  questions (``DLE EOT n``) and the cuts (``GS V``) without mistaking bytes inside a QR
  payload or a bit image for them: ``scan`` walks command by command, with the same
  parameter lengths as ``devices.printer.render``, and stops before an incomplete command;
- printers that never answer status get a paper counter: ``feed_dots`` estimates how much
  paper (in dots, 8 dots/mm) a job feeds from its line feeds, line spacing, character
  heights, ``ESC d``/``ESC J`` feeds, QR codes, raster images and cut feeds.

Text bytes (ASCII, and GB18030 in Chinese mode) never contain a byte below 0x20, so a run of
bytes ≥ 0x20 is always text, whichever mode the printer is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

DOTS_PER_MM = 8
DEFAULT_LINE_DOTS = 30  # ESC 2
CHAR_HEIGHT_DOTS = 24  # font A ASCII and Chinese characters

#: Parameter byte counts of commands that are skipped (they do not change the drawing);
#: the renderer (``devices.printer.render``) uses these too.
_ESC_FIXED = {"c": 2, "p": 3, "$": 2, "\\": 2, "W": 8}
_ESC_ONE = set(" !%-3=?EGJMRTUVadert{")
_GS_FIXED = {
    "L": 2,
    "W": 2,
    "P": 2,
    "$": 2,
    "\\": 2,
    "^": 3,
    "H": 1,
    "f": 1,
    "h": 1,
    "w": 1,
    "r": 1,
    "I": 1,
    "a": 1,
    "b": 1,
    "/": 1,
    "T": 1,
}
_FS_FIXED = {"S": 2, "p": 2, "C": 1, "?": 2}

# qrcode's error-correction levels (qrcode.constants.ERROR_CORRECT_L/M/Q/H: 1, 0, 3, 2 —
# tested), here so that loading this module does not import qrcode and Pillow (~0.1 s on
# the kiosk's start path); qrcode is imported where a code is measured.
ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H = 1, 0, 3, 2
_QR_EC = {48: ERROR_CORRECT_L, 49: ERROR_CORRECT_M, 50: ERROR_CORRECT_Q, 51: ERROR_CORRECT_H}


@dataclass(frozen=True)
class Command:
    """One whole command (or a run of text) found in a byte stream.

    ``kind`` is one of: "text", "lf", "reset" (ESC @), "feed_lines" (ESC d, ``arg`` lines),
    "feed_dots" (ESC J, ``arg`` dots), "line_spacing" (ESC 3 / ESC 2, ``arg`` dots),
    "size" (GS !, ``arg`` = n), "print_mode" (ESC !, ``arg`` = n), "cut" (GS V / ESC i /
    ESC m, ``arg`` = feed in dots before the cut), "status_request" (DLE EOT, ``arg`` = n),
    "qr" (GS ( k, ``body`` = cn fn params), "raster" (GS v 0, ``arg`` = height in dots
    after scaling), "bit_image" (ESC *), "other". ``start``/``end`` index the stream.
    """

    kind: str
    start: int
    end: int
    arg: int = 0
    body: bytes = b""


def _sized(data: bytes, pos: int) -> tuple[int, bytes] | None:
    """A ``pL pH data`` block at ``pos`` (after the command letters): (end, data)."""
    if pos + 2 > len(data):
        return None
    size = data[pos] | data[pos + 1] << 8
    end = pos + 2 + size
    if end > len(data):
        return None
    return end, data[pos + 2 : end]


def _next(data: bytes, pos: int) -> Command | None:
    """The command starting at ``pos``, or None when it is not complete yet."""
    n = len(data)
    b = data[pos]
    if b >= 0x20 and b != 0x7F:
        end = pos + 1
        while end < n and data[end] >= 0x20 and data[end] != 0x7F:
            end += 1
        return Command("text", pos, end)
    if b == 0x0A:
        return Command("lf", pos, pos + 1)
    if b not in (0x10, 0x1B, 0x1C, 0x1D):
        return Command("other", pos, pos + 1)
    if pos + 1 >= n:
        return None
    c = data[pos + 1]
    ch = chr(c)

    def need(count: int) -> bool:
        return pos + count <= n

    if b == 0x10:  # DLE
        if c in (0x04, 0x05):
            if not need(3):
                return None
            kind = "status_request" if c == 0x04 else "other"
            return Command(kind, pos, pos + 3, data[pos + 2])
        if c == 0x14:
            return Command("other", pos, pos + 5) if need(5) else None
        return Command("other", pos, pos + 2)

    if b == 0x1B:  # ESC
        if ch == "@":
            return Command("reset", pos, pos + 2)
        if ch == "2":
            return Command("line_spacing", pos, pos + 2, DEFAULT_LINE_DOTS)
        if ch in "im":
            return Command("cut", pos, pos + 2, 0)
        if ch == "*":
            if not need(5):
                return None
            m, count = data[pos + 2], data[pos + 3] | data[pos + 4] << 8
            end = pos + 5 + count * (3 if m in (32, 33) else 1)
            return Command("bit_image", pos, end) if end <= n else None
        if ch == "(":
            if not need(3):
                return None
            sized = _sized(data, pos + 3)
            return None if sized is None else Command("other", pos, sized[0])
        if ch == "D":
            end = data.find(b"\x00", pos + 2)
            return None if end < 0 else Command("other", pos, end + 1)
        if ch in _ESC_FIXED:
            end = pos + 2 + _ESC_FIXED[ch]
            return Command("other", pos, end) if end <= n else None
        if ch in _ESC_ONE:
            if not need(3):
                return None
            arg = data[pos + 2]
            kind = {"d": "feed_lines", "J": "feed_dots", "3": "line_spacing", "!": "print_mode"}
            return Command(kind.get(ch, "other"), pos, pos + 3, arg)
        return Command("other", pos, pos + 2)

    if b == 0x1D:  # GS
        if ch in "!B":
            if not need(3):
                return None
            return Command("size" if ch == "!" else "other", pos, pos + 3, data[pos + 2])
        if ch == "V":
            if not need(3):
                return None
            m = data[pos + 2]
            if m >= 65:
                return Command("cut", pos, pos + 4, data[pos + 3]) if need(4) else None
            return Command("cut", pos, pos + 3, 0)
        if ch == "(":
            if not need(3):
                return None
            sized = _sized(data, pos + 3)
            if sized is None:
                return None
            kind = "qr" if data[pos + 2] == ord("k") else "other"
            return Command(kind, pos, sized[0], body=sized[1])
        if ch == "v":
            if not need(8):
                return None
            m, xb = data[pos + 3], data[pos + 4] | data[pos + 5] << 8
            y = data[pos + 6] | data[pos + 7] << 8
            end = pos + 8 + xb * y
            if end > n:
                return None
            if data[pos + 2] not in (0, 48):
                return Command("other", pos, pos + 8)
            scale_h = 2 if m in (2, 3, 50, 51) else 1
            return Command("raster", pos, end, y * scale_h)
        if ch == "8":
            if not need(7):
                return None
            size = int.from_bytes(data[pos + 3 : pos + 7], "little")
            end = pos + 7 + size
            return Command("other", pos, end) if end <= n else None
        if ch == "*":
            if not need(4):
                return None
            end = pos + 4 + data[pos + 2] * data[pos + 3] * 8
            return Command("other", pos, end) if end <= n else None
        if ch == "k":
            if not need(3):
                return None
            m = data[pos + 2]
            if m <= 6:
                end = data.find(b"\x00", pos + 3)
                return None if end < 0 else Command("other", pos, end + 1)
            if not need(4):
                return None
            end = pos + 4 + data[pos + 3]
            return Command("other", pos, end) if end <= n else None
        if ch in _GS_FIXED:
            end = pos + 2 + _GS_FIXED[ch]
            return Command("other", pos, end) if end <= n else None
        return Command("other", pos, pos + 2)

    # FS
    if ch in "&.":
        return Command("other", pos, pos + 2)
    if ch == "(":
        if not need(3):
            return None
        sized = _sized(data, pos + 3)
        return None if sized is None else Command("other", pos, sized[0])
    if ch in "!W-":
        return Command("other", pos, pos + 3) if need(3) else None
    if ch in _FS_FIXED:
        end = pos + 2 + _FS_FIXED[ch]
        return Command("other", pos, end) if end <= n else None
    return Command("other", pos, pos + 2)


def scan(data: bytes, start: int = 0) -> Iterator[Command]:
    """Yield the whole commands of ``data`` from ``start``; stop before an incomplete one.

    The caller keeps ``data[last.end:]`` and scans again when more bytes arrive. At the end
    of a stream the leftover bytes are a truncated command (a printer would drop them).
    """
    pos = start
    n = len(data)
    while pos < n:
        cmd = _next(data, pos)
        if cmd is None:
            return
        yield cmd
        pos = cmd.end


def _qr_modules(payload: bytes, ec: int) -> int:
    """Modules per side of the QR code the printer draws for ``payload``; 0 if too long."""
    import qrcode

    try:
        code = qrcode.QRCode(version=None, error_correction=ec, border=0)
        code.add_data(payload)
        version = code.best_fit()
    except Exception:  # noqa: BLE001 - too long for any version: nothing is printed
        return 0
    return 17 + 4 * version


def feed_dots(data: bytes) -> int:
    """Paper fed by ``data`` in dots (8 dots/mm), as a printer would feed it.

    Mirrors the renderer's model: a text line is as tall as the line spacing or its
    tallest character (24 dots × height multiplier), ``ESC d n`` feeds n lines, ``ESC J n``
    n dots, a QR code modules × module size, a raster image its height, ``GS V 65/66 n`` n
    dots before cutting. Font B and printer-side wrapping are ignored (the kiosk uses
    neither), so the estimate is exact for our layouts and close for others.
    """
    y = 0
    pending = 0  # height of the line being built, 0 when nothing is on it
    line_dots = DEFAULT_LINE_DOTS
    mul_h = 1
    qr_module, qr_ec, qr_data = 3, ERROR_CORRECT_L, b""

    def flush() -> int:
        return max(line_dots, pending)

    for cmd in scan(data):
        kind = cmd.kind
        if kind == "text":
            pending = max(pending, CHAR_HEIGHT_DOTS * mul_h)
        elif kind == "lf":
            y += flush()
            pending = 0
        elif kind == "feed_lines":
            if cmd.arg:
                y += flush() + line_dots * (cmd.arg - 1)
            elif pending:
                y += flush()
            pending = 0
        elif kind in ("feed_dots", "cut", "raster", "qr", "reset") and pending:
            y += flush()  # these print the pending line first, then do their own feed
            pending = 0
        if kind in ("feed_dots", "cut", "raster"):
            y += cmd.arg
        elif kind == "bit_image":
            pending = max(pending, CHAR_HEIGHT_DOTS)
        elif kind == "line_spacing":
            line_dots = cmd.arg
        elif kind == "size":
            mul_h = (cmd.arg & 0x07) + 1
        elif kind == "print_mode":
            mul_h = 2 if cmd.arg & 0x10 else 1
        elif kind == "reset":
            line_dots, mul_h = DEFAULT_LINE_DOTS, 1
        elif kind == "qr" and len(cmd.body) >= 2 and cmd.body[0] == 49:  # cn 49: QR
            fn, args = cmd.body[1], cmd.body[2:]
            if fn == 67 and args:
                qr_module = max(1, min(16, args[0]))
            elif fn == 69 and args:
                qr_ec = _QR_EC.get(args[0], ERROR_CORRECT_L)
            elif fn == 80:
                qr_data = args[1:]
            elif fn == 81 and qr_data:
                y += _qr_modules(qr_data, qr_ec) * qr_module
    if pending:
        y += flush()
    return y


def feed_mm(data: bytes) -> float:
    """Paper fed by ``data`` in millimetres (see ``feed_dots``)."""
    return feed_dots(data) / DOTS_PER_MM
