"""The real input-method engines (Debian's librime and Zinnia, installed by ./test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ime import HandwritingEngine, PinyinEngine


@pytest.fixture(scope="session")
def rime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rime-user")


@pytest.fixture
def pinyin(rime_dir: Path) -> Iterator[PinyinEngine]:
    """A started engine (Rime is set up once per process; the first start deploys)."""
    engine = PinyinEngine(user_data_dir=rime_dir)
    status = engine.start()
    assert status.ready, status.reason
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def handwriting() -> Iterator[HandwritingEngine]:
    engine = HandwritingEngine()
    status = engine.start()
    assert status.ready, status.reason
    yield engine
    engine.close()
