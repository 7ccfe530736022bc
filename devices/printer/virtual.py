"""A printer that prints to memory and, optionally, to PNG + text files.

For development, staff training and tests: it collects the exact ESC/POS bytes a real
printer would receive (``escpos.printer.Dummy``), and when ``out_dir`` is set it renders
each job to ``out_dir/NNNN-<name>.png`` and ``.txt`` (NNNN counts jobs, continuing after
the highest number already in the folder, so a restart never overwrites earlier jobs).
Its state ("paper_out", "cover_open", …) is set by hand with ``set_state`` so the kiosk's
handling of a broken printer can be exercised.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import get_args

from devices.errors import DeviceUnavailable, PrinterError
from devices.printer.base import (
    Printer,
    PrinterStateName,
    PrinterStatus,
    PrintJob,
    Writer,
    new_dummy,
)

log = logging.getLogger(__name__)

STATES: tuple[str, ...] = get_args(PrinterStateName)


def _safe_name(name: str) -> str:
    """A job name usable in a file name (letters, digits, '.', '_', '-'; ≤ 60 chars)."""
    cleaned = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII).strip("._") or "job"
    return cleaned[:60]


class VirtualPrinter(Printer):
    """In-memory printer; ``jobs`` lists every job printed, oldest first."""

    def __init__(
        self,
        out_dir: str | Path | None = None,
        paper_width_mm: int = 80,
        state: str = "ok",
    ) -> None:
        super().__init__(paper_width_mm)
        self.out_dir = Path(out_dir).expanduser() if out_dir is not None else None
        self._check_state(state)
        self._state: PrinterStateName = state  # type: ignore[assignment]
        self._job_lock = threading.Lock()
        self._count = 0
        self.jobs: list[PrintJob] = []

    @staticmethod
    def _check_state(state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown printer state {state!r}; allowed: {', '.join(STATES)}")

    def _open(self) -> None:
        if self.out_dir is None:
            return
        from devices.printer.render import FontNotFoundError, find_cjk_font

        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            find_cjk_font()
        except (OSError, FontNotFoundError) as exc:
            raise DeviceUnavailable(
                f"virtual printer cannot write to {self.out_dir}: {exc}"
            ) from exc

    def status(self) -> PrinterStatus:
        return PrinterStatus(self._state)

    def set_state(self, state: str) -> None:
        """Simulate a printer condition: "ok", "near_end", "paper_out", "cover_open", …"""
        self._check_state(state)
        self._state = state  # type: ignore[assignment]
        log.info("virtual printer state set to %s", state)

    def run_job(self, name: str, write: Writer) -> PrintJob:
        """Run ``write`` on a Dummy printer and keep the bytes (and rendering).

        Raises PrinterError, recording nothing, when the state does not allow printing.
        """
        with self._job_lock:
            status = self.status()
            if not status.can_print:
                raise PrinterError(f"printer cannot print: {status.state}", status)
            dummy = new_dummy()
            write(dummy)
            data = dummy.output
            if self._count == 0 and self.out_dir is not None:
                self._count = self._last_saved_number()
            self._count += 1
            png_path = self._save(self._count, name, data) if self.out_dir is not None else None
            job = PrintJob(name, data, png_path, status=status, status_before=status)
            self.jobs.append(job)
        log.info("printed job %s (%d bytes)", name, len(data))
        return job

    def _last_saved_number(self) -> int:
        """Highest NNNN already in out_dir, so a restarted kiosk does not overwrite jobs."""
        assert self.out_dir is not None
        if not self.out_dir.is_dir():
            return 0
        numbers = [int(p.name[:4]) for p in self.out_dir.glob("[0-9][0-9][0-9][0-9]-*")]
        return max(numbers, default=0)

    def _save(self, count: int, name: str, data: bytes) -> Path:
        from devices.printer.render import render

        assert self.out_dir is not None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{count:04d}-{_safe_name(name)}"
        rendered = render(data, self.paper_width_mm)
        png_path = self.out_dir / f"{stem}.png"
        rendered.image.save(png_path, compress_level=1)  # fast; these are previews
        text_path = self.out_dir / f"{stem}.txt"
        text_path.write_text(rendered.text + "\n", encoding="utf-8")
        return png_path
