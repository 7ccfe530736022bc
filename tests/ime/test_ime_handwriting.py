"""Handwriting through the real Zinnia engine and Debian's simplified-Chinese model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ime import EngineState, HandwritingEngine

DATA = json.loads((Path(__file__).parent / "handwriting_strokes.json").read_text("utf-8"))


@pytest.mark.parametrize("char", sorted(DATA["characters"]))
def test_written_characters_are_in_the_top_five(handwriting: HandwritingEngine, char: str) -> None:
    width, height = DATA["pad"]
    strokes = [[tuple(p) for p in s] for s in DATA["characters"][char]]
    top = handwriting.recognize(strokes, width, height, n=5)
    assert char in top, top


def test_scaled_pad_still_recognises(handwriting: HandwritingEngine) -> None:
    """The 长辈版 pad is larger: the same strokes scaled keep their answer."""
    strokes = [[(x * 1.4, y * 1.4) for x, y in s] for s in DATA["characters"]["王"]]
    assert "王" in handwriting.recognize(strokes, 420, 420, n=5)


def test_nothing_drawn_or_a_scribble_gives_no_candidates(handwriting: HandwritingEngine) -> None:
    assert handwriting.recognize([], 300, 300) == []
    scribble = [[(i % 300, (i * 7) % 300)] for i in range(200)]  # 200 dots: not a character
    assert handwriting.recognize(scribble, 300, 300) == []


def test_missing_library_or_model_is_unavailable(tmp_path: Path) -> None:
    no_lib = HandwritingEngine(library=str(tmp_path / "libzinnia.so.0"))
    assert no_lib.start().state is EngineState.UNAVAILABLE
    no_model = HandwritingEngine(model=tmp_path / "none.model")
    status = no_model.start()
    assert status.unavailable and "tegaki-zinnia-simplified-chinese" in status.reason
    with pytest.raises(RuntimeError, match="not ready"):
        no_model.recognize([[(1, 1)]], 10, 10)
