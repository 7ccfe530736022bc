"""Golden ESC/POS bytes for every layout at both paper widths.

A layout change shows up here on purpose. When it is intended, regenerate, then look at
the renderings before committing:

    KIOSK_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/devices/test_printer_golden.py
    .venv/bin/python -c "import pathlib; from devices.printer.render import render; \
[render(p.read_bytes(), int(p.stem.split('_')[1][:2])).image.save(p.with_suffix('.png')) \
for p in pathlib.Path('tests/devices/golden').glob('*.bin')]"

``ticket_80mm.bin`` is shared with tests/devices/test_layout.py (same sample data).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from escpos.printer import Dummy

from devices.printer.layout import write_notice, write_ticket
from devices.printer.render import render
from devices.printer.samples import sample_notice, sample_ticket

GOLDEN_DIR = Path(__file__).parent / "golden"
# Read at import: tests/conftest.py removes KIOSK_* variables before each test runs.
REGEN_GOLDEN = os.environ.get("KIOSK_REGEN_GOLDEN") == "1"


def ticket_job(width: int) -> bytes:
    p = Dummy()
    write_ticket(p, sample_ticket(priority=True, notice=sample_notice()), width)
    return p.output


def notice_job(width: int) -> bytes:
    p = Dummy()
    write_notice(p, sample_notice(), width)
    return p.output


LAYOUTS: dict[str, Callable[[int], bytes]] = {"ticket": ticket_job, "notice": notice_job}
CASES = [(layout, width) for layout in LAYOUTS for width in (58, 80)]


@pytest.mark.parametrize(("layout", "width"), CASES)
def test_golden_bytes(layout: str, width: int) -> None:
    path = GOLDEN_DIR / f"{layout}_{width}mm.bin"
    data = LAYOUTS[layout](width)
    if REGEN_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        pytest.skip(f"regenerated {path}")
    assert path.exists(), f"{path} missing: run with KIOSK_REGEN_GOLDEN=1"
    golden = path.read_bytes()
    if data != golden:
        at = next(
            (i for i, (a, b) in enumerate(zip(data, golden, strict=False)) if a != b),
            min(len(data), len(golden)),
        )
        pytest.fail(
            f"{path.name}: bytes differ from offset {at} "
            f"(got {data[at : at + 24]!r}, golden {golden[at : at + 24]!r}); "
            "if the layout change is intended, regenerate with KIOSK_REGEN_GOLDEN=1"
        )


@pytest.mark.parametrize(("layout", "width"), CASES)
def test_golden_files_render_cleanly(layout: str, width: int) -> None:
    """The golden bytes themselves are a good job: one cut, no printer-side wraps."""
    path = GOLDEN_DIR / f"{layout}_{width}mm.bin"
    if not path.exists():
        pytest.skip("golden file not generated yet")
    rendered = render(path.read_bytes(), width)
    assert rendered.cuts == 1
    assert rendered.auto_wraps == 0
    assert rendered.image.width == {58: 384, 80: 576}[width]


def test_widths_differ() -> None:
    """58 mm and 80 mm really are different layouts (wrapping at 32 vs 48 columns)."""
    assert ticket_job(58) != ticket_job(80)
    assert notice_job(58) != notice_job(80)
