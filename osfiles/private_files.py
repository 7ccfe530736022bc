"""Files that hold secrets or personal data are readable by their owner only.

0600 for files (a kiosk's ``site.toml`` with its token, the outbox with phone numbers of
cases in flight, the hall server's SQLite database, key file and backups), 0700 for the
directories made for them. An existing file with looser bits is tightened (an older
version made them 0644). SQLite gives its ``-wal`` and ``-shm`` side files the mode of the
database file. Used by both the kiosk and the hall server (kept once here).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a directory of this user only (created 0700, or tightened to 0700)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing; tighten an existing one to 0600.
    Side files of an SQLite database (``-wal``, ``-shm``, ``-journal``) are tightened too."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        pass
    for candidate in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        try:
            if stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                candidate.chmod(FILE_MODE)
        except FileNotFoundError:
            pass
    return path
