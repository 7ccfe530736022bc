"""Ticket and notice layouts: the exact ESC/POS bytes, checked without a printer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from escpos.printer import Dummy

from devices.printer.layout import (
    NoticeMaterial,
    NoticePrint,
    TicketPrint,
    display_width,
    wrap,
    write_notice,
    write_ticket,
)
from devices.printer.render import render

GOLDEN = Path(__file__).parent / "golden" / "ticket_80mm.bin"
GS_SIZE = b"\x1d!"
# Read at import: tests/conftest.py removes KIOSK_* variables before each test runs.
REGEN_GOLDEN = os.environ.get("KIOSK_REGEN_GOLDEN") == "1"


def sample_notice() -> NoticePrint:
    return NoticePrint(
        hall_name="示范市政务服务中心",
        title="企业开办一件事",
        materials=(
            NoticeMaterial("公司设立登记申请书", core=True),
            NoticeMaterial("全体股东签署的公司章程", core=True),
            NoticeMaterial("住所使用证明（租赁合同或产权证明）", core=False),
        ),
        time_limit="即办",
        fee="免费",
        where="市场准入 二楼 B区 5–9号窗口",
        issued_at=dt.datetime(2026, 3, 2, 9, 31, 45),
    )


def sample_ticket(**changes: object) -> TicketPrint:
    ticket = TicketPrint(
        hall_name="示范市政务服务中心",
        number="A042",
        service_name="企业开办一件事（设立登记、公章刻制、发票申领、社保登记）",
        window_group="市场准入",
        location="二楼 B区 5–9号窗口",
        people_ahead=3,
        estimated_wait_min=15,
        issued_at=dt.datetime(2026, 3, 2, 9, 31, 45),
        qr_data="https://hall.example/t/7f3a9c21",
        masked_name="张*",
    )
    return dataclasses.replace(ticket, **changes)  # type: ignore[arg-type]


def ticket_bytes(ticket: TicketPrint | None = None, width: int = 80) -> bytes:
    p = Dummy()
    write_ticket(p, ticket or sample_ticket(), width)
    return p.output


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def number_magnification(data: bytes, number: str) -> tuple[int, int]:
    """(width, height) multipliers of the last GS ! before the number's line."""
    at = data.index(number.encode() + b"\n")
    size_at = data.rindex(GS_SIZE, 0, at)
    n = data[size_at + 2]
    return ((n >> 4) & 7) + 1, (n & 7) + 1


@pytest.mark.parametrize("width", [58, 80])
def test_number_is_printed_very_large(width: int) -> None:
    data = ticket_bytes(width=width)
    mul_w, mul_h = number_magnification(data, "A042")
    assert mul_w >= 4 and mul_h >= 4
    assert b"\x1d!\x55A042\n" in data  # 6x6 fits both papers for a 4-character number
    # and the size is reset afterwards, so the next line is normal again
    assert data[data.index(b"A042\n") + 5 :].startswith(b"\x1d!\x00")


def test_long_number_is_shrunk_to_fit_58mm() -> None:
    data = ticket_bytes(sample_ticket(number="VIP-1042"), width=58)
    mul_w, _ = number_magnification(data, "VIP-1042")
    assert mul_w * len("VIP-1042") <= 32
    assert mul_w >= 4


def test_job_starts_with_reset_and_chinese_mode_and_ends_with_partial_cut() -> None:
    data = ticket_bytes()
    assert data.startswith(b"\x1b@\x1c&")
    assert data.count(b"\x1c&") == 1
    assert data.endswith(b"\x1bd\x06\x1dV\x01")


def test_chinese_text_is_gb18030() -> None:
    data = ticket_bytes()
    for text in ("市场准入", "示范市政务服务中心", "前面还有 3 人", "预计等待约 15 分钟"):
        assert gb(text) in data, text
    assert gb("取号时间：2026-03-02 09:31") in data  # minutes, no seconds
    assert gb("窗口位置：二楼 B区 5–9号窗口") in data


def test_punctuation_only_line_is_gb18030_not_question_marks() -> None:
    data = ticket_bytes(sample_ticket(extra_lines=("（）：", "，。")))
    assert gb("（）：") + b"\n" in data
    assert gb("，。") + b"\n" in data
    assert b"?" not in data


def test_masked_name_only_when_given() -> None:
    assert gb("姓名：张*") in ticket_bytes()
    assert gb("姓名") not in ticket_bytes(sample_ticket(masked_name=""))


def test_priority_marker_only_for_green_channel() -> None:
    assert gb("绿色通道") not in ticket_bytes()
    data = ticket_bytes(sample_ticket(priority=True))
    assert gb("绿色通道") in data
    assert data.index(gb("绿色通道")) < data.index(b"A042")


def test_qr_is_native_model_2_size_6_ec_m() -> None:
    data = ticket_bytes()
    assert b"\x1d(k\x04\x001A2\x00" in data  # fn 65: model 2
    assert b"\x1d(k\x03\x001C\x06" in data  # fn 67: module size 6 dots
    assert b"\x1d(k\x03\x001E1" in data  # fn 69: error correction M (49)
    payload = b"https://hall.example/t/7f3a9c21"
    assert b"\x1d(k" + bytes([len(payload) + 3, 0]) + b"1P0" + payload in data
    assert b"\x1d(k\x03\x001Q0" in data  # fn 81: print


@pytest.mark.parametrize("width", [58, 80])
def test_every_line_fits_the_paper(width: int) -> None:
    ticket = sample_ticket(
        priority=True,
        notice=sample_notice(),
        extra_lines=("本号仅限当日使用，请妥善保管。如需帮助请咨询导办台工作人员" * 2,),
        location="二楼 B区 5–9号窗口（自助服务区东侧，综合受理窗口旁）",
    )
    rendered = render(ticket_bytes(ticket, width), width)
    assert rendered.auto_wraps == 0
    cols = {58: 32, 80: 48}[width]
    for line in rendered.text.splitlines():
        if line != "A042":  # the number is magnified; checked above
            assert display_width(line) <= cols, line


def test_notice_appended_with_marks() -> None:
    data = ticket_bytes(sample_ticket(notice=sample_notice()))
    assert gb("【核心】公司设立登记申请书") in data
    assert gb("【可容缺】住所使用证明") in data
    assert gb("办理时限：即办") in data
    assert gb("收费标准：免费") in data
    assert data.index(gb("一次性告知")) < data.index(gb("请留意叫号"))
    assert data.count(b"\x1dV") == 1


def test_stand_alone_notice() -> None:
    p = Dummy()
    write_notice(p, sample_notice(), 58)
    data = p.output
    assert data.startswith(b"\x1b@\x1c&")
    assert gb("一次性告知单") in data
    assert gb("打印时间：2026-03-02 09:31") in data
    assert data.endswith(b"\x1dV\x01")
    assert render(data, 58).auto_wraps == 0


def test_layout_is_pure() -> None:
    assert ticket_bytes() == ticket_bytes()


def test_rejects_unknown_paper_width() -> None:
    with pytest.raises(ValueError):
        ticket_bytes(width=76)


@pytest.mark.parametrize("width", [2, 5, 16, 32, 48])
def test_wrap_respects_width_and_keeps_text(width: int) -> None:
    text = (
        "企业开办一件事（设立登记、公章刻制），Business licence 2026 ABCDEFGHIJKLMNOPQRSTUVWXYZ。"
    )
    lines = wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_wrap_keeps_closing_punctuation_off_line_start() -> None:
    lines = wrap("请留意叫号，过号请重新取号", 10)  # 5 CJK per line: "，" would start line 2
    assert lines == ["请留意叫", "号，过号请", "重新取号"]
    assert not any(line.startswith(("，", "。", "）")) for line in lines)


def test_golden_ticket_bytes() -> None:
    """Byte-for-byte comparison with tests/devices/golden/ticket_80mm.bin.

    A layout change shows up here on purpose. When the change is intended, regenerate and
    review the rendering before committing:

        KIOSK_REGEN_GOLDEN=1 python -m pytest tests/devices/test_layout.py -k golden
        python -c "from devices.printer.render import render; import pathlib; \
render(pathlib.Path('tests/devices/golden/ticket_80mm.bin').read_bytes()).image.show()"
    """
    data = ticket_bytes(sample_ticket(priority=True, notice=sample_notice()), 80)
    if REGEN_GOLDEN:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(data)
        pytest.skip(f"regenerated {GOLDEN}")
    assert GOLDEN.exists(), f"{GOLDEN} missing: run with KIOSK_REGEN_GOLDEN=1"
    assert data == GOLDEN.read_bytes()
