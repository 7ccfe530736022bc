"""Backups of the hall database, and restoring one.

    python -m hall backup DIR      # prints the file written
    python -m hall restore FILE    # into --database-url (servers stopped)

SQLite: SQLite's online backup API — a consistent copy while servers keep running — into
``DIR/hall-YYYYmmdd-HHMMSS.sqlite3``. PostgreSQL: ``pg_dump --format=custom`` into
``DIR/hall-….pgdump``; restored with ``pg_restore --clean --if-exists --no-owner``. Backup
files are 0600 in a directory made 0700: they hold the same personal data as the database.

The keys are not in the database (hall/keys.py): back up the key file too, but separately
— a backup without its key file reveals nothing, and cannot be used without it either.
After a restore, ``python -m hall verify-ratings`` checks the rating chain.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from hall.db import DatabaseError, normalize_url
from osfiles.private_files import FILE_MODE, private_dir, private_file


def _kind(database_url: str) -> tuple[str, str]:
    """('sqlite', file path) or ('postgresql', libpq URL)."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseError("backup needs an SQLite database file")
        return "sqlite", url.database
    if url.get_backend_name() == "postgresql":
        # the password goes in PGPASSWORD (_run), not on a command line others can read
        plain = url.set(drivername="postgresql", password=None)
        return "postgresql", plain.render_as_string(hide_password=False)
    raise DatabaseError(f"unsupported database {url.get_backend_name()!r}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        for version_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (version_dir / name).exists():
                return str(version_dir / name)
        raise DatabaseError(f"{name} not found: install the PostgreSQL client programs")
    return found


def backup(database_url: str, directory: Path, now: dt.datetime | None = None) -> Path:
    kind, target = _kind(database_url)
    env = _pg_env(database_url)
    private_dir(directory)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    if kind == "sqlite":
        if not Path(target).exists():
            raise DatabaseError(f"no database file {target}")
        out = directory / f"hall-{stamp}.sqlite3"
        private_file(out)
        source = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        dest = sqlite3.connect(out)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
            source.close()
        return out
    out = directory / f"hall-{stamp}.pgdump"
    private_file(out)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out), target], env)
    os.chmod(out, FILE_MODE)
    return out


def restore(database_url: str, backup_file: Path) -> None:
    """Replace the database's contents with the backup's. Stop every server first."""
    if not backup_file.is_file():
        raise DatabaseError(f"no backup file {backup_file}")
    kind, target = _kind(database_url)
    if kind == "sqlite":
        if backup_file.suffix != ".sqlite3":
            raise DatabaseError(f"{backup_file}: not an SQLite backup (hall-….sqlite3)")
        private_file(Path(target))
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        return
    if backup_file.suffix != ".pgdump":
        raise DatabaseError(f"{backup_file}: not a PostgreSQL backup (hall-….pgdump)")
    _run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--dbname", target, str(backup_file)],
        _pg_env(database_url),
    )  # fmt: skip


def _pg_env(database_url: str) -> dict[str, str]:
    password = make_url(normalize_url(database_url)).password
    return {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise DatabaseError(f"{Path(cmd[0]).name}: {reason}")
