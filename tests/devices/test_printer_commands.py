"""ESC/POS stream splitting (for the simulator) and the paper-length estimate."""

from __future__ import annotations

import random

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.printer.commands import feed_dots, feed_mm, scan
from devices.printer.layout import write_notice, write_ticket
from devices.printer.render import render
from devices.printer.samples import sample_notice, sample_ticket

MARGINS_DOTS = 32  # the renderer's blank paper above and below
CUT_MARK_DOTS = 24  # the renderer's dashed cut line


def job(kind: str, width: int, native_qr: bool = True, **changes: object) -> bytes:
    p = Dummy()
    if kind == "ticket":
        write_ticket(p, sample_ticket(**changes), width, native_qr=native_qr)
    else:
        write_notice(p, sample_notice(), width)
    return p.output


def kinds(data: bytes) -> list[str]:
    return [c.kind for c in scan(data)]


def test_commands_cover_the_whole_job() -> None:
    data = job("ticket", 80, notice=sample_notice())
    commands = list(scan(data))
    assert commands[0].start == 0 and commands[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(commands, commands[1:], strict=False))
    assert [c.kind for c in commands].count("cut") == 1
    assert commands[-1].kind == "cut"


def test_status_request_inside_a_qr_payload_is_not_a_question() -> None:
    p = Dummy()
    p._raw(b"\x10\x04\x01")
    p.qr("x\x10\x04\x01y\x1dV\x00z", native=True)  # the payload holds DLE EOT 1 and GS V 0
    p._raw(b"\x10\x04\x04")
    found = [(c.kind, c.arg) for c in scan(p.output) if c.kind in ("status_request", "cut")]
    assert found == [("status_request", 1), ("status_request", 4)]


def test_incomplete_command_waits_for_more_bytes() -> None:
    data = b"ab\n\x1d(k\x10\x00"  # a QR block announced but not arrived
    commands = list(scan(data))
    assert [c.kind for c in commands] == ["text", "lf"]
    assert commands[-1].end == 3
    assert kinds(b"\x10\x04") == []  # DLE EOT without n
    assert kinds(b"\x1dV") == []
    assert kinds(b"\x1dVA") == []  # GS V 65 needs its feed byte
    assert kinds(b"\x1dVA\x05") == ["cut"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 64), min_size=1, max_size=40))
def test_chunked_scanning_finds_the_same_commands(sizes: list[int]) -> None:
    """The simulator sees TCP chunks of any size; splitting must not change the result."""
    data = job("ticket", 58, notice=sample_notice()) + b"\x10\x04\x01" + job("notice", 80)
    whole = [(c.kind, data[c.start : c.end]) for c in scan(data)]
    buf = bytearray()
    found: list[tuple[str, bytes]] = []
    chunks = iter(sizes * (len(data) // sum(sizes) + 1))
    pos = 0
    while pos < len(data):
        size = next(chunks)
        buf += data[pos : pos + size]
        pos += size
        consumed = 0
        for c in scan(bytes(buf)):
            found.append((c.kind, bytes(buf[c.start : c.end])))
            consumed = c.end
        del buf[:consumed]
    assert not buf

    # text runs may be split where a chunk ended; compare with text joined up
    def merged(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        for kind, raw in items:
            if out and kind == "text" and out[-1][0] == "text":
                out[-1] = ("text", out[-1][1] + raw)
            else:
                out.append((kind, raw))
        return out

    assert merged(found) == merged(whole)


@pytest.mark.parametrize("seed", range(20))
def test_garbage_never_raises_and_never_loops(seed: int) -> None:
    rnd = random.Random(seed)
    data = bytes(rnd.randrange(256) for _ in range(500))
    commands = list(scan(data))
    ends = [c.end for c in commands]
    assert ends == sorted(set(ends))
    feed_dots(data)


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize(
    "kind,changes",
    [
        ("ticket", {}),
        ("ticket", {"priority": True, "notice": sample_notice()}),
        ("ticket", {"number": "VIP-1042", "qr_data": "x" * 300}),
        ("ticket", {"native_qr": False}),  # QR code as a raster image
        ("notice", {}),
    ],
)
def test_paper_estimate_matches_the_rendering(kind: str, changes: dict, width: int) -> None:
    data = job(kind, width, **changes)
    rendered = render(data, width)
    paper_dots = rendered.image.height - MARGINS_DOTS - CUT_MARK_DOTS * rendered.cuts
    assert feed_dots(data) == paper_dots
    assert feed_mm(data) == pytest.approx(paper_dots / 8)


def test_paper_estimate_of_simple_commands() -> None:
    assert feed_dots(b"a\n") == 30  # one line at the default spacing
    assert feed_dots(b"\n\n\n") == 90
    assert feed_dots(b"\x1d!\x11A\n") == 48  # double height: 48-dot line
    assert feed_dots(b"\x1b3\x40a\n") == 64  # ESC 3 64: taller line spacing
    assert feed_dots(b"\x1bd\x03") == 90  # ESC d 3
    assert feed_dots(b"\x1bJ\x50") == 80  # ESC J 80 dots
    assert feed_dots(b"\x1dVA\x40") == 64  # feed 64 dots, then cut
    assert feed_dots(b"\x1dv0\x00\x02\x00\x10\x00" + b"\xff" * 32) == 16  # raster 16 high
    assert feed_dots(b"") == 0


def test_error_correction_levels_are_qrcodes() -> None:
    """The splitter keeps qrcode's levels as numbers so that loading it imports no qrcode."""
    import qrcode.constants

    from devices.printer import commands

    assert (commands.ERROR_CORRECT_L, commands.ERROR_CORRECT_M, commands.ERROR_CORRECT_Q,
            commands.ERROR_CORRECT_H) == (qrcode.constants.ERROR_CORRECT_L,
            qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_Q,
            qrcode.constants.ERROR_CORRECT_H)  # fmt: skip
