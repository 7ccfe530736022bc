"""Real-time printer status: ``DLE EOT n`` questions and their one-byte answers.

Pure decoding (``decode_status``) plus the question-and-answer sequence (``query_status``)
over any transport given as two functions, so the same logic serves TCP, serial and USB.

Wire format (ESC/POS real-time status; the printer answers even while its buffer is full):

- Question ``10 04 n``; answer one byte. Every valid answer has bit 1 and bit 4 set and
  bits 0 and 7 clear (``byte & 0x93 == 0x12``); anything else is treated as no answer.
- n=1 printer status: bit 3 (0x08) offline.
- n=2 offline cause: bit 2 (0x04) cover open, bit 5 (0x20) stopped by paper end,
  bit 6 (0x40) error.
- n=3 error cause (asked only when n=2 reports an error): bit 3 (0x08) cutter error,
  bit 5 (0x20) unrecoverable error, bit 6 (0x40) automatically recoverable error.
- n=4 paper sensor: bits 2–3 (0x0C) roll near end, bits 5–6 (0x60) paper out.

No answer means "unknown", never "fine": python-escpos's ``paper_status()`` reports plenty
of paper when the printer is silent, which is why it is not used here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from devices.printer.base import PrinterStateName, PrinterStatus

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"

#: Status question numbers (the ``n`` of ``DLE EOT n``).
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4

# Bits of the answers (see the module docstring).
BIT_OFFLINE = 0x08  # n=1
BIT_COVER_OPEN = 0x04  # n=2
BIT_PAPER_END_STOP = 0x20  # n=2
BIT_ERROR = 0x40  # n=2
BIT_CUTTER_ERROR = 0x08  # n=3
BIT_UNRECOVERABLE = 0x20  # n=3
BIT_AUTO_RECOVERABLE = 0x40  # n=3
BITS_NEAR_END = 0x0C  # n=4
BITS_PAPER_OUT = 0x60  # n=4

#: Fixed bits of every real-time status byte: mask and expected value.
FIXED_MASK, FIXED_VALUE = 0x93, 0x12

# Flag names carried in PrinterStatus.flags.
OFFLINE = "offline"
COVER_OPEN = "cover_open"
PAPER_END_STOP = "paper_end_stop"
ERROR = "error"
CUTTER_ERROR = "cutter_error"
UNRECOVERABLE_ERROR = "unrecoverable_error"
AUTO_RECOVERABLE_ERROR = "auto_recoverable_error"
NEAR_END = "near_end"
PAPER_OUT = "paper_out"
NO_ANSWER = "no_answer"
BAD_ANSWER = "bad_answer"
UNREACHABLE = "unreachable"
ROLL_LOW = "roll_estimate_low"

Write = Callable[[bytes], None]
#: ``read(timeout_s)``: bytes that arrived within ``timeout_s`` seconds, b"" if none.
Read = Callable[[float], bytes]


def is_status_byte(value: int | None) -> bool:
    """True when ``value`` has the fixed bits every real-time status answer carries."""
    return value is not None and (value & FIXED_MASK) == FIXED_VALUE


def decode_status(
    printer: int | None,
    offline_cause: int | None = None,
    error_cause: int | None = None,
    paper: int | None = None,
) -> PrinterStatus:
    """Turn the answers to ``DLE EOT`` 1, 2, 3 and 4 (None: no answer) into a status.

    A condition that stops printing wins over missing answers (an offline printer whose
    paper sensor is silent is still "offline"); otherwise a missing answer to n=1 or n=4
    makes the state "unknown". Priority: cover_open, paper_out, error, offline, unknown,
    near_end, ok.
    """
    answers = {PRINTER: printer, OFFLINE_CAUSE: offline_cause, ERROR_CAUSE: error_cause}
    answers[PAPER] = paper
    flags: set[str] = set()
    valid: dict[int, int] = {}
    for n, value in answers.items():
        if value is None:
            continue
        if is_status_byte(value):
            valid[n] = value
        else:
            flags.add(BAD_ANSWER)
    p1, p2, p3, p4 = (valid.get(n) for n in (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER))

    if p1 is not None and p1 & BIT_OFFLINE:
        flags.add(OFFLINE)
    if p2 is not None:
        if p2 & BIT_COVER_OPEN:
            flags.add(COVER_OPEN)
        if p2 & BIT_PAPER_END_STOP:
            flags.update((PAPER_END_STOP, PAPER_OUT))
        if p2 & BIT_ERROR:
            flags.add(ERROR)
    if p3 is not None:
        for bit, name in (
            (BIT_CUTTER_ERROR, CUTTER_ERROR),
            (BIT_UNRECOVERABLE, UNRECOVERABLE_ERROR),
            (BIT_AUTO_RECOVERABLE, AUTO_RECOVERABLE_ERROR),
        ):
            if p3 & bit:
                flags.update((name, ERROR))
    if p4 is not None:
        if p4 & BITS_NEAR_END:
            flags.add(NEAR_END)
        if p4 & BITS_PAPER_OUT:
            flags.add(PAPER_OUT)

    state: PrinterStateName
    if COVER_OPEN in flags:
        state, detail = "cover_open", "cover open"
    elif PAPER_OUT in flags:
        state, detail = "paper_out", "paper out"
    elif ERROR in flags:
        causes = [
            f for f in (CUTTER_ERROR, UNRECOVERABLE_ERROR, AUTO_RECOVERABLE_ERROR) if f in flags
        ]
        state, detail = "error", "printer error" + (f": {', '.join(causes)}" if causes else "")
    elif OFFLINE in flags:
        state, detail = "offline", "printer offline"
    elif p1 is None or p4 is None:
        missing = [f"DLE EOT {n}" for n, v in ((PRINTER, p1), (PAPER, p4)) if v is None]
        flags.add(NO_ANSWER)
        state, detail = "unknown", f"no valid answer to {', '.join(missing)}"
    elif NEAR_END in flags:
        state, detail = "near_end", "paper near end"
    else:
        state, detail = "ok", ""
    # n=3 is only asked on an error, so it is listed only when it was answered
    raw = tuple((n, v) for n, v in sorted(answers.items()) if n != ERROR_CAUSE or v is not None)
    return PrinterStatus(state, detail, frozenset(flags), raw=raw)


def ask(
    write: Write,
    read: Read,
    n: int,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> int | None:
    """Send ``DLE EOT n`` and return the answer byte, or None after ``timeout_s`` seconds.

    Bytes already waiting (a late answer to an earlier question) are drained first; if
    several bytes arrive, the last one is taken as the answer to this question. ``clock``
    (seconds) is injectable so tests need not wait out real timeouts.
    """
    drained = 0
    while chunk := read(0.0):
        drained += len(chunk)
        if drained > 4096:  # a chatty device; do not spin forever
            break
    if drained:
        log.debug("dropped %d stale status byte(s)", drained)
    write(DLE_EOT + bytes([n]))
    deadline = clock() + timeout_s
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return None
        chunk = read(remaining)
        if chunk:
            return chunk[-1]


def query_status(
    write: Write,
    read: Read,
    timeout_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
) -> PrinterStatus:
    """Ask ``DLE EOT`` 1, 2 and 4 (and 3 when n=2 reports an error); decode the answers.

    ``write(data)`` sends bytes; ``read(timeout_s)`` returns the bytes that arrived within
    that many seconds (b"" if none). Each question waits at most ``timeout_s`` seconds.
    When n=1 gets no answer the others are not asked (a silent printer costs one timeout,
    not three) and the status is "unknown". Transport errors (OSError and subclasses)
    propagate to the caller, which knows whether the connection can be re-opened.
    """
    p1 = ask(write, read, PRINTER, timeout_s, clock)
    if p1 is None:
        return decode_status(None)
    p2 = ask(write, read, OFFLINE_CAUSE, timeout_s, clock)
    p3 = None
    if is_status_byte(p2) and p2 is not None and p2 & BIT_ERROR:
        p3 = ask(write, read, ERROR_CAUSE, timeout_s, clock)
    p4 = ask(write, read, PAPER, timeout_s, clock)
    return decode_status(p1, p2, p3, p4)


def answer_bytes(state: str) -> dict[int, int]:
    """The answers a healthy ESC/POS printer gives in ``state`` (for the simulator and tests).

    ``state`` is one of "ok", "near_end", "paper_out", "cover_open", "offline",
    "cutter_error", "error"; returns ``{n: byte}`` for n = 1…4.
    """
    base = FIXED_VALUE
    answers = {PRINTER: base, OFFLINE_CAUSE: base, ERROR_CAUSE: base, PAPER: base}
    if state == "near_end":
        answers[PAPER] |= BITS_NEAR_END
    elif state == "paper_out":
        answers[PRINTER] |= BIT_OFFLINE
        answers[OFFLINE_CAUSE] |= BIT_PAPER_END_STOP
        answers[PAPER] |= BITS_NEAR_END | BITS_PAPER_OUT
    elif state == "cover_open":
        answers[PRINTER] |= BIT_OFFLINE
        answers[OFFLINE_CAUSE] |= BIT_COVER_OPEN
    elif state == "offline":
        answers[PRINTER] |= BIT_OFFLINE
    elif state in ("cutter_error", "error"):
        answers[PRINTER] |= BIT_OFFLINE
        answers[OFFLINE_CAUSE] |= BIT_ERROR
        answers[ERROR_CAUSE] |= BIT_CUTTER_ERROR if state == "cutter_error" else BIT_UNRECOVERABLE
    elif state != "ok":
        raise ValueError(f"no status answers for state {state!r}")
    return answers
