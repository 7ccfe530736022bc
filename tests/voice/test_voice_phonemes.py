"""Pronunciation proof from espeak-ng's phonemes: the voice really speaks Mandarin.

Phonemes come from ``voice.espeak.phonemes``: the text prepared exactly as ``say`` prepares
it, run through espeak-ng's synthesis with ``-x`` (the same library and data as pyttsx3's,
checked below). Mnemonics are espeak-ng's (``-x``): tones are
the digits after a vowel (55 = tone 1, 35 = 2, 214 = 3, 51 = 4); ``(en)`` marks a switch to
English.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from voice.cache import DEFAULT_PROMPTS
from voice.espeak import EspeakVoice, espeak_library_version, phonemes, pronunciation_problems
from voice.playback import wav_duration
from voice.text import LETTERS, pinyin_for_speech

CALL = "请A042号到3号窗口办理"

# espeak-ng 1.51, cmn-latn-pinyin: the numerals the call sentence must contain, in order.
NUMERALS = {
    "零": "l'i35N",  # ling2
    "四": "s'i[51",  # si4
    "二": "'@r51",  # er4
    "三": "s'a55n",  # san1
}


def words(phonemes: str) -> list[str]:
    return [w for w in re.split(r"[_| ]+", phonemes) if w]


def test_call_sentence_is_mandarin_with_chinese_numerals() -> None:
    ph = phonemes(CALL)
    assert "(en)" not in ph
    assert pronunciation_problems(ph) == []
    assert words(ph) == [
        "tS;h'i21N",  # qing3 (half third tone before a non-third)
        "'ei51",  # the letter A
        NUMERALS["零"],
        NUMERALS["四"],
        NUMERALS["二"],
        "X'Au51",  # hao4
        "t'Au51",  # dao4
        NUMERALS["三"],
        "X'Au51",  # hao4
        "ts.hw'A55N",  # chuang1
        "kh'ou21",  # kou3 (half third)
        "p'a51n",  # ban4
        "l'i214",  # li3
    ]
    # The same as if the text had been written in Chinese numerals: the digits became them.
    assert ph == phonemes("请A零四二号到三号窗口办理")
    for numeral, expected in NUMERALS.items():
        assert words(phonemes(numeral)) == [expected]


def test_every_syllable_carries_a_mandarin_tone() -> None:
    ph = phonemes("您好，欢迎使用自助取号机。请刷身份证，前面还有12人")
    for word in words(ph):
        assert re.search(r"(55|35|214|21|51|11)", word), word


def test_letters_are_said_by_name_not_as_english_or_pinyin() -> None:
    for letter in LETTERS:
        alone = phonemes(letter)
        assert alone and pronunciation_problems(alone) == [], letter
        # In a ticket number the letter sounds the same as on its own ...
        ticket = words(phonemes(f"请{letter}042号"))
        assert ticket[1:2] == words(alone)[:1], letter
    # ... and is not the pinyin syllable written with that letter (A would be 啊 "a1").
    for letter in "AEO":
        assert phonemes(letter) != phonemes(letter.lower() + "1"), letter


def test_letter_a_sounds_like_the_english_letter() -> None:
    # English "A" is /eI/; the pinyin voice says 'ei51: the same diphthong on a falling tone,
    # the way Mandarin speakers name the letter. Pinyin "a" would be a plain 'a.
    assert words(phonemes("A")) == ["'ei51"]
    english = subprocess.run(
        ["espeak-ng", "-v", "en", "-x", "-q", "A"], capture_output=True, text=True, check=True
    ).stdout
    assert "eI" in english


def test_every_cached_prompt_is_clean() -> None:
    for prompt in DEFAULT_PROMPTS:
        assert pronunciation_problems(phonemes(prompt)) == [], prompt


def test_english_text_uses_the_english_voice() -> None:
    ph = phonemes("Please tap your ID card")
    assert "(en)" not in ph and "'" in ph
    assert not re.search(r"\d", ph)  # no Mandarin tones


def test_environment_stock_cmn_voice_falls_back_to_english() -> None:
    """Documents the environment (DEVICES.md): why the pinyin route is needed at all.

    Debian 12's espeak-ng 1.51 ``cmn`` voice switches to English for most characters and
    reads tone numbers as English words (号 "hao four"). If this starts failing, the
    installed espeak-ng was fixed (1.52+) and the stock voice could be reconsidered.
    """
    out = subprocess.run(
        ["espeak-ng", "-v", "cmn", "-x", "-q", CALL], capture_output=True, text=True, check=True
    ).stdout
    problems = pronunciation_problems(out)
    assert "switches to English: (en)" in problems
    assert "English number word 'fo@'" in problems  # the tone of 号 (hao4) read "four"


def test_phonemes_come_from_the_library_pyttsx3_speaks_with() -> None:
    """``phonemes`` runs the espeak-ng program; it must be the same engine as pyttsx3's: the
    same libespeak-ng file (as this process mapped it) and the same version."""
    voice = EspeakVoice(sound_card=False, prompts=())  # its worker loads pyttsx3's library
    try:
        voice.save_wav("请刷身份证", "/dev/null")
        maps = Path("/proc/self/maps").read_text()
        loaded = {
            Path(line.split()[-1]).resolve() for line in maps.splitlines() if "libespeak-ng" in line
        }
        ldd = subprocess.run(
            ["ldd", shutil.which("espeak-ng") or "espeak-ng"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        linked = {
            Path(line.split("=>")[1].split()[0]).resolve()
            for line in ldd.splitlines()
            if "libespeak-ng" in line
        }
        assert loaded and loaded == linked
        version = subprocess.run(
            ["espeak-ng", "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert f"text-to-speech: {espeak_library_version()} " in version
    finally:
        voice.close()


def test_the_audio_spoken_is_the_audio_phonemized(tmp_path: Path) -> None:
    """The WAV pyttsx3 makes for the call sentence is the one the espeak-ng program makes
    from the same pinyin (same length to 1%), and not the stock ``cmn`` voice's."""

    def cli_seconds(voice: str, text: str) -> float:
        out = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "150", "--stdout"],
            input=text.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return (len(out) - 44) / 2 / 22050  # the streamed header has no length: count bytes

    voice = EspeakVoice(sound_card=False, prompts=(), rate=150)
    try:
        made = wav_duration(voice.save_wav(CALL, tmp_path / "call.wav").read_bytes())
    finally:
        voice.close()
    pinyin = cli_seconds("cmn-latn-pinyin", pinyin_for_speech(CALL))
    stock = cli_seconds("cmn", CALL)
    assert abs(made - pinyin) < 0.01 * pinyin, (made, pinyin)
    assert abs(made - stock) > 0.1 * stock, (made, stock)
