"""The pre-check slip on the ticket printer: the hall's name, then ``verdict.slip_lines``.

Written with the ticket layout's writer (GB18030 text wrapped to 32 or 48 columns, a partial
cut), so it looks like the kiosk's other slips. No personal data: only the item, the result
and the names of the materials.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from devices.printer.layout import _Writer


def write_slip(
    p: Any, hall_name: str, lines: Sequence[str], when: dt.datetime, paper_width_mm: int = 80
) -> None:
    """Write one slip onto the python-escpos object ``p`` and cut."""
    w = _Writer(p, paper_width_mm)
    w.start()
    w.align("center")
    w.bold(True)
    w.line(hall_name)
    if lines:
        w.size(2, 2)
        w.line(lines[0], width_mul=2)
        w.size(1, 1)
    w.bold(False)
    w.rule()
    w.align("left")
    for line in lines[1:]:
        w.line(line)
    w.rule()
    w.line(when.strftime("%Y-%m-%d %H:%M"))
    w.finish()
