"""Folder scanner: images dropped into a folder are the captured pages (oldest first).

Used by ``./run`` and tests in place of a document camera, and by halls whose flatbed
scanner saves into a folder. A file still being written (its size or modification time
changed within ``settle_s`` seconds) is left for the next capture, so a half-copied JPEG is
never read. With ``repeat=True`` the pages start over once all were taken (demo and
training with the sample documents in ``config/sample_documents``).
"""

from __future__ import annotations

import time
from pathlib import Path

from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.scanner.base import Scanner

SUFFIXES = {".png", ".jpg", ".jpeg"}


class FolderScanner(Scanner):
    def __init__(self, folder: str | Path, *, repeat: bool = False, settle_s: float = 0.5) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.repeat = repeat
        self.settle_s = settle_s  # seconds a file must be unchanged before it is a page
        self._taken: set[Path] = set()

    def _open(self) -> None:
        if not self.folder.is_dir():
            raise DeviceUnavailable(f"scanner folder does not exist: {self.folder}")

    def taken(self) -> frozenset[Path]:
        """The pages captured so far (a demo removes the files it put here once taken)."""
        return frozenset(self._taken)

    def pending(self) -> list[Path]:
        """Pages not taken yet, oldest first (files still being written excluded)."""
        now = time.time()
        pages = []
        for p in self.folder.iterdir():
            if p.suffix.lower() not in SUFFIXES or p in self._taken or not p.is_file():
                continue
            try:
                stat = p.stat()
            except FileNotFoundError:  # removed meanwhile
                continue
            if now - stat.st_mtime < self.settle_s:
                continue
            pages.append((stat.st_mtime, p.name, p))
        return [p for _, _, p in sorted(pages)]

    def capture(self) -> bytes:
        pages = self.pending()
        if not pages and self.repeat and self._taken:
            self._taken.clear()
            pages = self.pending()
        if not pages:
            raise DeviceTimeout(f"no new page in {self.folder}")
        self._taken.add(pages[0])
        return pages[0].read_bytes()
