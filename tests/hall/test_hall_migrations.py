"""Alembic migrations: they match the models, and concurrent upgrades are safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hall.db import alembic_config, make_engine, migrate
from hall.models import Base
from hall.testing import REPO_ROOT


def test_the_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_concurrent_migrations_on_one_sqlite_file(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    code = f"from hall.db import migrate; migrate({db_url!r})"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()
