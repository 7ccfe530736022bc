"""The prompt cache's keys and counters."""

from __future__ import annotations

from pathlib import Path

from voice_stubs import silence_wav

from voice.cache import DEFAULT_PROMPTS, GREETING, TAP_ID_CARD, PromptCache
from voice.text import DIGITS, LETTERS


def test_key_depends_on_text_voice_and_rate() -> None:
    key = PromptCache.key("qing3", "espeak-ng 1.51 cmn-latn-pinyin", 150)
    assert key == PromptCache.key("qing3", "espeak-ng 1.51 cmn-latn-pinyin", 150)
    assert key != PromptCache.key("qing2", "espeak-ng 1.51 cmn-latn-pinyin", 150)
    assert key != PromptCache.key("qing3", "espeak-ng 1.52 cmn-latn-pinyin", 150)
    assert key != PromptCache.key("qing3", "espeak-ng 1.51 cmn-latn-pinyin", 151)


def test_hits_and_misses_are_counted_and_files_survive_a_restart(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "voice-cache")
    wav = silence_wav(100)
    assert cache.get("ni3 hao3", "v", 150) is None
    path = cache.put("ni3 hao3", "v", 150, wav)
    assert path.parent == tmp_path / "voice-cache" and path.suffix == ".wav"
    assert cache.get("ni3 hao3", "v", 150) == wav
    assert cache.get("ni3 hao3", "v", 200) is None
    assert ("ni3 hao3", "v", 150) in cache  # not counted
    assert cache.stats() == {"hits": 1, "misses": 2, "files": 1}
    assert not list(path.parent.glob("*.part"))

    restarted = PromptCache(tmp_path / "voice-cache")
    assert restarted.get("ni3 hao3", "v", 150) == wav
    assert (restarted.hits, restarted.misses) == (1, 0)


def test_an_empty_file_is_a_miss(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    cache.path("x", "v", 1).write_bytes(b"")
    assert cache.get("x", "v", 1) is None and cache.misses == 1


def test_default_prompts() -> None:
    assert GREETING in DEFAULT_PROMPTS and TAP_ID_CARD == "请刷身份证"
    assert set(DIGITS) <= set(DEFAULT_PROMPTS) and set(LETTERS) <= set(DEFAULT_PROMPTS)
