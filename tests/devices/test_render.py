"""The ESC/POS renderer: what a job looks like on paper."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
import qrcode
import qrcode.constants
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from devices.printer.layout import NoticeMaterial, NoticePrint, TicketPrint, write_ticket
from devices.printer.render import find_cjk_font, render

QR_DATA = "https://hall.example/t/7f3a9c21"


def sample_ticket(**changes: object) -> TicketPrint:
    notice = NoticePrint(
        hall_name="示范市政务服务中心",
        title="企业开办一件事",
        materials=(
            NoticeMaterial("公司设立登记申请书", core=True),
            NoticeMaterial("住所使用证明", core=False),
        ),
        time_limit="即办",
        fee="免费",
        where="市场准入 二楼 B区",
        issued_at=dt.datetime(2026, 3, 2, 9, 31),
    )
    values: dict[str, object] = dict(
        hall_name="示范市政务服务中心",
        number="A042",
        service_name="企业开办一件事",
        window_group="市场准入",
        location="二楼 B区 5–9号窗口",
        people_ahead=3,
        estimated_wait_min=15,
        issued_at=dt.datetime(2026, 3, 2, 9, 31),
        qr_data=QR_DATA,
        masked_name="张*",
        notice=notice,
    )
    values.update(changes)
    return TicketPrint(**values)  # type: ignore[arg-type]


def ticket_bytes(width: int = 80, **changes: object) -> bytes:
    p = Dummy()
    write_ticket(p, sample_ticket(**changes), width)
    return p.output


def ink_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of dark pixels."""
    return img.point(lambda v: 255 if v < 128 else 0).getbbox()


@pytest.mark.parametrize(("width", "dots"), [(58, 384), (80, 576)])
def test_ticket_rendering_has_paper_width_and_text(width: int, dots: int) -> None:
    rendered = render(ticket_bytes(width), width)
    assert rendered.image.width == dots
    assert rendered.image.height > 600
    assert rendered.image.getpixel((0, 0)) == 255  # white paper
    lines = rendered.text.splitlines()
    assert "A042" in lines
    assert "办理窗口：市场准入" in lines
    assert "前面还有 3 人" in lines
    assert "取号时间：2026-03-02 09:31" in lines
    assert "1. 【核心】公司设立登记申请书" in lines
    assert rendered.cuts == 1
    assert rendered.qr_payloads == [QR_DATA]
    assert rendered.auto_wraps == 0


def test_job_enters_chinese_mode_itself() -> None:
    # A printer that powers up outside Chinese mode still prints the ticket right.
    rendered = render(ticket_bytes(), 80, chinese_at_start=False)
    assert "办理窗口：市场准入" in rendered.text.splitlines()


def test_without_chinese_mode_gb18030_is_not_chinese() -> None:
    data = "市场准入\n".encode("gb18030")
    assert render(data, chinese_at_start=True).text == "市场准入"
    assert "市场" not in render(data, chinese_at_start=False).text
    assert render(b"\x1c&" + data, chinese_at_start=False).text == "市场准入"


def test_number_is_drawn_large() -> None:
    small = render(b"\x1b@8\n").image
    big = render(b"\x1b@\x1d!\x338\n").image  # 4x4
    sb, bb = ink_box(small), ink_box(big)
    assert sb is not None and bb is not None
    assert (bb[3] - bb[1]) >= 3.5 * (sb[3] - sb[1])
    assert (bb[2] - bb[0]) >= 3.5 * (sb[2] - sb[0])


def test_centered_line_is_centered() -> None:
    box = ink_box(render(b"\x1b@\x1ba\x01HHHH\n", 80).image)
    assert box is not None
    middle = (box[0] + box[2]) / 2
    assert abs(middle - 288) <= 6


def test_bold_is_heavier() -> None:
    def ink(data: bytes) -> int:
        hist = render(data).image.point(lambda v: 255 if v < 128 else 0).histogram()
        return hist[255]

    assert ink(b"\x1bE\x01" + "政务服务".encode("gb18030") + b"\n") > 1.15 * ink(
        "政务服务\n".encode("gb18030")
    )


def test_qr_is_drawn_module_by_module() -> None:
    """The drawn QR equals the qrcode library's matrix at 6 dots per module (so it scans)."""
    p = Dummy()
    p.qr(QR_DATA, ec=QR_ECLEVEL_M, size=6, native=True)
    rendered = render(p.output, 80)
    assert rendered.qr_payloads == [QR_DATA]
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(QR_DATA)
    code.make(fit=True)
    matrix = code.get_matrix()
    box = ink_box(rendered.image)
    assert box is not None
    assert box[2] - box[0] == len(matrix) * 6
    img = rendered.image
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            value = img.getpixel((box[0] + c * 6 + 3, box[1] + r * 6 + 3))
            assert (value < 128) == dark, (r, c)


def test_raster_image_is_drawn() -> None:
    # GS v 0, 2 bytes (16 dots) wide, 8 dots high, all black, left aligned
    data = b"\x1b@\x1dv0\x00\x02\x00\x08\x00" + b"\xff" * 16 + b"after\n"
    rendered = render(data, 58)
    box = ink_box(rendered.image.crop((0, 0, 384, 24)))
    assert box is not None and box[2] - box[0] == 16
    assert rendered.text == "after"


def test_feed_lines_and_cut() -> None:
    rendered = render(b"a\n\x1bd\x03b\n\x1dV\x01\x1dVA\x10", 80)
    assert rendered.text.splitlines() == ["a", "", "", "", "b"]  # ESC d 3: three lines
    assert rendered.cuts == 2


def test_too_long_line_is_wrapped_and_counted() -> None:
    rendered = render(b"x" * 40 + b"\n", 58)  # 32 columns on 58 mm
    assert rendered.text.splitlines() == ["x" * 32, "x" * 8]
    assert rendered.auto_wraps == 1


def test_unknown_and_ignored_commands_are_skipped() -> None:
    data = b"\x1bt\x10\x1bR\x0f\x1b\x01\x1d\xfe\x1c\x01\x10\x04\x01\x1bp\x00\x19\xfaok\n"
    assert render(data).text == "ok"


@pytest.mark.parametrize("seed", range(30))
def test_garbage_never_raises(seed: int) -> None:
    rnd = random.Random(seed)
    pieces = [b"\x1b", b"\x1d", b"\x1c", b"\x1d(k", b"\x1dv0", b"\x1d!", b"\n", b"\xb0", b"A"]
    data = b"".join(
        rnd.choice(pieces) if rnd.random() < 0.5 else bytes([rnd.randrange(256)])
        for _ in range(400)
    )
    result = render(data, rnd.choice([58, 80]))
    assert result.image.width in (384, 576)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x1d(k\xff\xff1P0abc", b"\x1dv0\x00\xff\xff\xff\xff", b"\x1b", b"\xb0", b"\x81\x30"],
)
def test_truncated_commands(data: bytes) -> None:
    assert render(data).image.width == 576


def test_font_is_found() -> None:
    path, _ = find_cjk_font()
    assert path.exists()


@pytest.mark.slow
def test_ocr_reads_the_rendering() -> None:
    """Tesseract (chi_sim) can read the key words: the glyphs are real Chinese."""
    pytesseract = pytest.importorskip("pytesseract")
    try:
        pytesseract.get_tesseract_version()
    except pytesseract.TesseractNotFoundError:
        pytest.skip("tesseract is not installed")
    if "chi_sim" not in pytesseract.get_languages():
        pytest.skip("tesseract chi_sim data is not installed")
    image = render(ticket_bytes(80), 80).image
    image = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
    text = pytesseract.image_to_string(image, lang="chi_sim")
    squeezed = re.sub(r"\s+", "", text)
    for word in ("政务服务中心", "市场准入", "前面还有", "预计等待", "A042"):
        assert word in squeezed, (word, squeezed)


def test_column_bit_image_is_drawn() -> None:
    # ESC * 33: 24-dot double density, 2 columns; column 0 has its top 8 dots set
    rendered = render(b"\x1b*\x21\x02\x00" + b"\xff\x00\x00" + b"\x00\x00\x00" + b"\n")
    box = ink_box(rendered.image)
    assert box is not None
    assert (box[2] - box[0], box[3] - box[1]) == (1, 8)
