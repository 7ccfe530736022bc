"""Pinyin through the real Rime engine (librime, luna_pinyin_simp, the hall's phrases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ime import Composition, EngineState, PinyinEngine

HALL_WORDS = [
    ("hukou", "户口"),
    ("yingyezhizhao", "营业执照"),
    ("shebaoka", "社保卡"),
    ("budongchan", "不动产"),
    ("jiehundengji", "结婚登记"),
    ("banbuchengshi", "办不成事"),  # whole phrase: the hall's phrase table, not a homophone
]


def type_in(engine: PinyinEngine, letters: str) -> Composition:
    state = Composition()
    for ch in letters:
        state = engine.letter(ch)
    return state


@pytest.mark.parametrize(("letters", "word"), HALL_WORDS)
def test_the_hall_words_come_first(pinyin: PinyinEngine, letters: str, word: str) -> None:
    pinyin.clear()
    state = type_in(pinyin, letters)
    assert state.candidates[0] == word, state
    assert state.composing and not state.committed
    assert pinyin.confirm().committed == word  # space commits the first candidate
    assert not pinyin.state().composing


def test_paging_select_backspace_clear(pinyin: PinyinEngine) -> None:
    pinyin.clear()
    first = type_in(pinyin, "shi")
    assert first.page == 0 and len(first.candidates) == 6 and not first.last_page
    second = pinyin.next_page()
    assert second.page == 1 and not set(second.candidates) & set(first.candidates)
    back = pinyin.prev_page()
    assert back.page == 0 and back.candidates == first.candidates
    chosen = pinyin.select(2)
    assert chosen.committed == first.candidates[2] and not chosen.composing

    state = type_in(pinyin, "hukoux")
    state = pinyin.backspace()
    assert state.preedit.replace(" ", "") == "hukou" and state.candidates[0] == "户口"
    assert pinyin.clear() == Composition()
    assert not pinyin.state().composing


def test_choosing_part_of_a_phrase_leaves_the_rest(pinyin: PinyinEngine) -> None:
    pinyin.clear()
    state = type_in(pinyin, "shebaoka")
    i = state.candidates.index("社保")
    state = pinyin.select(i)
    assert state.committed == ""  # nothing final yet: 卡 still to choose
    assert state.composing and "卡" in state.candidates
    state = pinyin.select(state.candidates.index("卡"))
    assert state.committed == "社保卡"


def test_punctuation_commits_the_word_then_the_chinese_mark(pinyin: PinyinEngine) -> None:
    pinyin.clear()
    type_in(pinyin, "hukou")
    assert pinyin.punctuation(",").committed == "户口，"
    assert pinyin.punctuation(".").committed == "。"
    assert pinyin.punctuation("?").committed == "？"
    assert pinyin.punctuation("\\").committed == "、"  # Rime offers several: the first
    with pytest.raises(ValueError):
        pinyin.punctuation("#")
    with pytest.raises(ValueError):
        pinyin.letter("好")


def test_nothing_typed_is_written_to_the_user_data_dir(
    pinyin: PinyinEngine, rime_dir: Path
) -> None:
    pinyin.clear()
    type_in(pinyin, "jiehundengji")
    pinyin.confirm()
    files = [p for p in rime_dir.rglob("*") if p.is_file()]
    assert not any("userdb" in str(p) for p in files), files  # no learning dictionary
    for p in files:
        assert "结婚登记" not in p.read_bytes().decode("utf-8", "ignore"), p


def test_a_missing_library_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    engine = PinyinEngine(library=str(tmp_path / "librime.so.1"))
    status = engine.start()
    assert status.state is EngineState.UNAVAILABLE and "librime.so.1" in status.reason
    assert engine.start() is status  # stays unavailable, no retry storm
    with pytest.raises(RuntimeError, match="not ready"):
        engine.letter("a")
