"""Real-time status decoding (DLE EOT 1–4) for every documented bit, and for silence."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.printer.base import PrinterStatus
from devices.printer.status import (
    DLE_EOT,
    answer_bytes,
    decode_status,
    is_status_byte,
    query_status,
)

OK = 0x12  # fixed bits only: bit 1 and bit 4 set


def test_all_clear_is_ok() -> None:
    status = decode_status(OK, OK, None, OK)
    assert status.state == "ok"
    assert status.can_print and status.answered
    assert status.flags == frozenset()
    assert status.raw == ((1, OK), (2, OK), (4, OK))


# n=1 printer status ----------------------------------------------------------------------


def test_n1_bit3_offline_without_cause() -> None:
    status = decode_status(OK | 0x08, OK, None, OK)
    assert status.state == "offline"
    assert "offline" in status.flags
    assert not status.can_print


@pytest.mark.parametrize("bit", [0x04, 0x20, 0x40])  # undocumented n=1 bits change nothing
def test_n1_other_bits_are_ignored(bit: int) -> None:
    assert decode_status(OK | bit, OK, None, OK).state == "ok"


# n=2 offline cause -----------------------------------------------------------------------


def test_n2_bit2_cover_open() -> None:
    status = decode_status(OK | 0x08, OK | 0x04, None, OK)
    assert status.state == "cover_open"
    assert status.cover_open
    assert not status.can_print


def test_n2_bit5_paper_end_stop() -> None:
    status = decode_status(OK | 0x08, OK | 0x20, None, OK)
    assert status.state == "paper_out"
    assert {"paper_end_stop", "paper_out"} <= status.flags
    assert status.paper_out and not status.can_print


def test_n2_bit6_error_without_cause() -> None:
    status = decode_status(OK | 0x08, OK | 0x40, None, OK)
    assert status.state == "error"
    assert "error" in status.flags
    assert not status.can_print


def test_cover_open_wins_over_paper_end() -> None:
    assert decode_status(OK | 0x08, OK | 0x04 | 0x20, None, OK | 0x60).state == "cover_open"


# n=3 error cause -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bit", "flag"),
    [(0x08, "cutter_error"), (0x20, "unrecoverable_error"), (0x40, "auto_recoverable_error")],
)
def test_n3_error_causes(bit: int, flag: str) -> None:
    status = decode_status(OK | 0x08, OK | 0x40, OK | bit, OK)
    assert status.state == "error"
    assert flag in status.flags
    assert flag in status.detail
    assert status.cutter_error == (flag == "cutter_error")
    assert not status.can_print


def test_n3_cause_alone_is_an_error() -> None:
    """A cause bit counts even when n=2 did not flag the error (belt and braces)."""
    assert decode_status(OK, OK, OK | 0x08, OK).state == "error"


# n=4 paper sensor ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [0x04, 0x08, 0x0C])
def test_n4_near_end(bits: int) -> None:
    status = decode_status(OK, OK, None, OK | bits)
    assert status.state == "near_end"
    assert status.paper_near_end
    assert status.can_print  # the ticket prints; staff are told


@pytest.mark.parametrize("bits", [0x20, 0x40, 0x60])
def test_n4_paper_out(bits: int) -> None:
    status = decode_status(OK, OK, None, OK | bits)
    assert status.state == "paper_out"
    assert not status.can_print


def test_paper_out_wins_over_near_end() -> None:
    assert decode_status(OK | 0x08, OK | 0x20, None, OK | 0x6C).state == "paper_out"


# silence and garbage ---------------------------------------------------------------------


def test_silence_is_unknown_never_ok() -> None:
    status = decode_status(None, None, None, None)
    assert status.state == "unknown"
    assert not status.can_print
    assert not status.answered
    assert "no_answer" in status.flags


def test_missing_paper_answer_is_unknown() -> None:
    status = decode_status(OK, OK, None, None)
    assert status.state == "unknown"
    assert "DLE EOT 4" in status.detail


def test_missing_answers_do_not_hide_a_known_problem() -> None:
    assert decode_status(OK | 0x08, None, None, None).state == "offline"
    assert decode_status(None, None, None, OK | 0x60).state == "paper_out"


@pytest.mark.parametrize("value", [0x00, 0xFF, 0x13, 0x92, 0x02, 0x10])
def test_bytes_without_the_fixed_bits_are_not_answers(value: int) -> None:
    assert not is_status_byte(value)
    status = decode_status(value, value, None, value)
    assert status.state == "unknown"
    assert "bad_answer" in status.flags


@given(
    p1=st.one_of(st.none(), st.integers(0, 255)),
    p2=st.one_of(st.none(), st.integers(0, 255)),
    p3=st.one_of(st.none(), st.integers(0, 255)),
    p4=st.one_of(st.none(), st.integers(0, 255)),
)
def test_decoding_is_total_and_never_calls_silence_fine(
    p1: int | None, p2: int | None, p3: int | None, p4: int | None
) -> None:
    status = decode_status(p1, p2, p3, p4)
    if status.can_print:
        # only when the printer really answered n=1 and n=4 with valid bytes
        assert is_status_byte(p1) and is_status_byte(p4)
        assert p1 is not None and not p1 & 0x08
        assert p4 is not None and not p4 & 0x60


# the question-and-answer sequence --------------------------------------------------------


class FakeLine:
    """A transport to a printer whose answers are given per question number (None: silent)."""

    def __init__(self, answers: dict[int, int | None], stale: bytes = b"") -> None:
        self.answers = answers
        self.pending = bytearray(stale)
        self.sent: list[bytes] = []
        self.waited = 0.0

    def write(self, data: bytes) -> None:
        assert data[:2] == DLE_EOT and len(data) == 3
        self.sent.append(data)
        answer = self.answers.get(data[2])
        if answer is not None:
            self.pending.append(answer)

    def read(self, timeout_s: float) -> bytes:
        if not self.pending:
            self.waited += timeout_s  # a real transport would block this long
            return b""
        byte = bytes(self.pending[:1])
        del self.pending[:1]
        return byte


def query(line: FakeLine, timeout_s: float) -> PrinterStatus:
    """query_status on a clock that moves only when the line waits: no real time passes."""
    return query_status(line.write, line.read, timeout_s, clock=lambda: line.waited)


def questions(line: FakeLine) -> list[int]:
    return [d[2] for d in line.sent]


@pytest.mark.parametrize(
    "state", ["ok", "near_end", "paper_out", "cover_open", "offline", "cutter_error", "error"]
)
def test_query_matches_the_simulated_answers(state: str) -> None:
    line = FakeLine(dict(answer_bytes(state)))
    status = query(line, 0.2)
    assert status.state == {"cutter_error": "error"}.get(state, state)
    assert status.cutter_error == (state == "cutter_error")
    expected = [1, 2, 3, 4] if state in ("cutter_error", "error") else [1, 2, 4]
    assert questions(line) == expected  # n=3 only after n=2 reported an error


def test_silent_printer_costs_one_timeout() -> None:
    line = FakeLine({})
    status = query(line, 0.5)
    assert status.state == "unknown"
    assert questions(line) == [1]
    assert line.waited == pytest.approx(0.5)


def test_printer_silent_on_paper_question() -> None:
    line = FakeLine({1: OK, 2: OK})
    assert query(line, 0.1).state == "unknown"


def test_stale_bytes_are_drained_before_asking() -> None:
    # a late 'paper out' answer to an earlier question must not be read as today's answer
    line = FakeLine(dict(answer_bytes("ok")), stale=bytes([OK | 0x08, OK | 0x60]))
    assert query(line, 0.1).state == "ok"


def test_transport_errors_propagate() -> None:
    def broken_write(data: bytes) -> None:
        raise ConnectionResetError("gone")

    read: Callable[[float], bytes] = lambda timeout_s: b""  # noqa: E731
    with pytest.raises(OSError):
        query_status(broken_write, read, timeout_s=0.1)


def test_answer_bytes_rejects_unknown_states() -> None:
    with pytest.raises(ValueError):
        answer_bytes("silent")


def test_status_summary_is_one_line() -> None:
    status = PrinterStatus(
        "near_end",
        "no answer",
        frozenset({"no_answer", "roll_estimate_low"}),
        roll_remaining_mm=1234.0,
    )
    line = status.summary()
    assert "\n" not in line
    assert line.startswith("near_end")
    assert "1.2 m" in line
    assert not status.answered
