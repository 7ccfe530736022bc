"""Text preparation for Mandarin speech: numbers as people say them, pinyin for the voice."""

from __future__ import annotations

import pytest

from voice.text import (
    cardinal,
    english_for_speech,
    is_mandarin,
    normalize_for_speech,
    pinyin_for_speech,
    spell_ticket_number,
    to_pinyin,
    window_phrase,
)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("A042", "A 零 四 二"),
        ("a042", "A 零 四 二"),
        ("B100", "B 一 零 零"),
        ("VIP7", "V I P 七"),
        ("0123456789", "零 一 二 三 四 五 六 七 八 九"),
        ("C-015", "C 零 一 五"),
        ("Ａ０４２", "A 零 四 二"),  # full-width, as some input methods type it
    ],
)
def test_ticket_numbers_are_spelled_character_by_character(number: str, spoken: str) -> None:
    assert spell_ticket_number(number) == spoken


@pytest.mark.parametrize("bad", ["", "  ", "A04?", "号1"])
def test_spell_ticket_number_rejects_what_is_not_a_ticket(bad: str) -> None:
    with pytest.raises(ValueError):
        spell_ticket_number(bad)


def test_window_phrase_is_written_with_digits_and_spoken_as_a_number() -> None:
    assert window_phrase("3") == "3号窗口"
    assert window_phrase(12) == "12号窗口"
    assert window_phrase("03") == "3号窗口"
    assert window_phrase("3号窗口") == "3号窗口"
    assert normalize_for_speech(window_phrase("3")) == "三号窗口"
    assert normalize_for_speech(window_phrase("12")) == "十二号窗口"
    with pytest.raises(ValueError):
        window_phrase(" ")


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1000, "一千"),
        (1010, "一千零一十"),
        (2000, "两千"),
        (250, "两百五十"),
        (9999, "九千九百九十九"),
    ],
)
def test_cardinal(n: int, spoken: str) -> None:
    assert cardinal(n) == spoken


def test_cardinal_range() -> None:
    with pytest.raises(ValueError):
        cardinal(10000)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请A042号到3号窗口办理", "请A 零 四 二号到三号窗口办理"),
        ("前面还有 12 人", "前面还有 十二 人"),
        ("前面还有12人", "前面还有十二人"),
        ("前面还有2人", "前面还有两人"),  # 两 before a measure word
        ("请到2号窗口", "请到二号窗口"),  # but 二号
        ("前面还有 0 人", "前面还有 零 人"),
        ("请于14:30前办理", "请于十四点三十分前办理"),
        ("9:05开始", "九点零五分开始"),
        ("10:00开门", "十点开门"),
        ("满意度95%", "满意度百分之九十五"),
        ("费用3.5元", "费用三点五元"),
        ("2024年", "二零二四年"),
        ("验证码 042", "验证码 零四二"),  # zero-led: digit by digit
        ("电话13800138000", "电话一三八零零一三八零零零"),  # 5+ digits: a code
        ("请 B007 号到 12 号窗口", "请 B 零 零 七 号到 十二 号窗口"),
        ("没有数字", "没有数字"),
    ],
)
def test_normalize_for_speech(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


def test_normalize_leaves_no_ascii_digit() -> None:
    text = "请A042号到3号窗口，前面还有12人，预计14:30，满意度99.5%，2024年，电话13800138000"
    assert not any(c.isdigit() and c.isascii() for c in normalize_for_speech(text))


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        ("请刷身份证", "qing3 shua1 shen1 fen4 zheng4"),
        ("银行", "yin2 hang2"),  # phrase reading, not xing2
        ("长辈版", "zhang3 bei4 ban3"),  # zhang3, not chang2
        ("绿色通道", "lv4 se4 tong1 dao4"),  # ü as v, which cmn-latn-pinyin reads as y
        ("我的", "wo3 de5"),  # neutral tone as 5
        ("您好，欢迎光临。", "nin2 hao3, huan1 ying2 guang1 lin2."),
        ("ID卡", "I D ka3"),  # letters stay letters, one per word
        ("呼叫工作人员！", "hu1 jiao4 gong1 zuo4 ren2 yuan2!"),
    ],
)
def test_to_pinyin(text: str, pinyin: str) -> None:
    assert to_pinyin(text) == pinyin


def test_pinyin_for_speech_of_the_call_sentence() -> None:
    assert pinyin_for_speech("请A042号到3号窗口办理") == (
        "qing3 A ling2 si4 er4 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3"
    )


def test_every_pinyin_syllable_has_a_tone_and_letters_have_none() -> None:
    words = pinyin_for_speech("请B007号到12号窗口，前面还有3人。谢谢您的耐心").replace(",", "")
    for word in words.replace(".", "").split():
        if len(word) == 1 and word.isupper():
            continue  # a letter: no digit, so the voice says its name, not a syllable
        assert word[-1] in "12345", word


def test_language_choice() -> None:
    assert is_mandarin("请刷身份证")
    assert is_mandarin("A042")  # a bare queue number
    assert is_mandarin("请刷ID卡")
    assert not is_mandarin("Please tap your ID card")
    assert english_for_speech("Ticket A042, window 3") == "Ticket A 0 4 2, window 3"
