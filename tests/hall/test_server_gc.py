"""The server keeps its long-lived objects out of the garbage collector's full
collections (a full collection stops every request in flight): the modules and the app
are frozen at start, pypinyin's dictionaries (loaded in the background by the announcer's
priming) once loaded, and full collections are rare."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hall import announcements
from hall.app import FULL_GC_EVERY, create_app
from hall.db import migrate

# each test's marker: a list made by the (replaced) priming, as the dictionaries are
MARKERS: list[list[Any]] = []


def _tracked(marker: object) -> bool:
    """The object is in a generation a collection walks (frozen ones are in none)."""
    return any(o is marker for o in gc.get_objects())


def test_what_the_announcers_priming_loads_is_frozen_once_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def prime(self: Any) -> None:
        MARKERS.append([["pinyin"]])  # made after the app's first freeze

    monkeypatch.setattr(announcements.Announcer, "_prime", prime)
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(url)
    app = create_app(url, id_hash_key=b"k" * 32)
    before, thresholds = len(MARKERS), gc.get_threshold()
    with TestClient(app):
        deadline = time.monotonic() + 10
        while len(MARKERS) == before or _tracked(MARKERS[-1]):
            assert time.monotonic() < deadline, "the priming's objects were never frozen"
            time.sleep(0.02)
        assert gc.get_threshold()[2] >= FULL_GC_EVERY
    assert _tracked(MARKERS[-1])  # unfrozen again when the app stops
    assert gc.get_threshold() == thresholds
