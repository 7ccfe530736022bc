"""Folder scanner: images dropped into a folder are the captured pages (oldest first).

Used by ``./run`` and tests in place of a document camera.
"""

from __future__ import annotations

from pathlib import Path

from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.scanner.base import Scanner

SUFFIXES = {".png", ".jpg", ".jpeg"}


class FolderScanner(Scanner):
    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self._taken: set[Path] = set()

    def _open(self) -> None:
        if not self.folder.is_dir():
            raise DeviceUnavailable(f"scanner folder does not exist: {self.folder}")

    def capture(self) -> bytes:
        pages = sorted(
            (
                p
                for p in self.folder.iterdir()
                if p.suffix.lower() in SUFFIXES and p not in self._taken
            ),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        if not pages:
            raise DeviceTimeout(f"no new page in {self.folder}")
        self._taken.add(pages[0])
        return pages[0].read_bytes()
