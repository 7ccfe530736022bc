"""The spoken call "请 A042 号 到 3号窗口办理" is Mandarin all through, as the kiosk's
prompts are (tests/ui/test_pronunciation.py): queue numbers letter by letter and digit by
digit, the window as a number, no fallback to English letter names or tone numbers."""

from __future__ import annotations

import pytest

from hall.announcements import call_sentence, spoken_sentence
from voice.espeak import MANDARIN_VOICE, phonemes, prepare, pronunciation_problems

CALLS = [("A042", "3"), ("B105", "12"), ("C007", "10"), ("D200", "16"), ("E010", "21"),
         ("F001", "23"), ("B999", "5")]  # fmt: skip


def test_the_call_sentence_is_read_as_the_hall_reads_numbers() -> None:
    assert call_sentence("A042", "3") == "请 A042 号 到 3号窗口办理"
    voice, spoken = prepare(spoken_sentence("A042", "3"))
    assert voice == MANDARIN_VOICE  # cmn-latn-pinyin, not Debian's plain cmn voice
    assert spoken == "qing3 A ling2 si4 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3"
    assert prepare(call_sentence("A042", "3")) == (voice, spoken)
    # window 12 is 十二号窗口, the number 105 is 一 零 五
    assert prepare(spoken_sentence("B105", "12"))[1] == (
        "qing3 B yi1 ling2 wu3 hao4 dao4 shi2 er4 hao4 chuang1 kou3 ban4 li3"
    )


@pytest.mark.parametrize(("number", "counter"), CALLS)
def test_every_call_is_spoken_in_mandarin(number: str, counter: str) -> None:
    mnemonics = phonemes(spoken_sentence(number, counter))
    assert mnemonics
    assert pronunciation_problems(mnemonics) == [], mnemonics
