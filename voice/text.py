"""Text preparation for Mandarin speech: pure functions, no audio, no engine.

Why this exists: Debian 12's espeak-ng 1.51 ``cmn`` voice reads most Chinese characters as
pinyin plus an English tone number ("hao four"). The fix used here is to convert the text to
tone-numbered pinyin with pypinyin and speak that with the ``cmn-latn-pinyin`` voice, which
pronounces pinyin syllables correctly. Digits are turned into Chinese numerals first, because
that voice would read "042" as a number (零四十二) and the hall's rules say queue numbers are
read character by character ("A 零 四 二").

Latin letters are kept as separate upper-case words: the ``cmn-latn-pinyin`` voice reads a
lone letter by its letter name as Mandarin speakers say it (A → ``'ei51``, B → ``p'i51``),
and a pinyin syllable always carries a tone digit here, so a letter can never be mistaken
for a syllable (``a1`` is 啊, ``A`` is the letter).
"""

from __future__ import annotations

import re
import unicodedata

DIGITS = "零一二三四五六七八九"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Measure words after which "2" is read 两 (两人, 两位), not 二.
_LIANG_BEFORE = ("人", "个", "位", "张", "次", "份", "本", "件", "天", "名", "小时", "分钟")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%")
_TICKET = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,3})-?(\d{1,6})(?![A-Za-z0-9])")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
_DIGIT_RUN = re.compile(r"\d+")
_TOKEN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<latin>[A-Za-z]+)|(?P<digits>\d+)|(?P<punct>[,.?!;:])")

# Sentence punctuation the voice pauses on; everything else that is not a word is dropped.
_PUNCT_MAP = str.maketrans({"。": ".", "、": ",", "，": ",", "！": "!", "？": "?", "；": ";"})


def spell_ticket_number(number: str) -> str:
    """Queue number spoken character by character: ``"A042" -> "A 零 四 二"``.

    Letters are kept (upper-cased) and digits become 零一二三四五六七八九, all separated by
    spaces so the voice says each one on its own. A hyphen or spaces in the number are ignored.
    """
    chars = [c for c in unicodedata.normalize("NFKC", number) if c not in " -"]
    if not chars or not all(c.isascii() and c.isalnum() for c in chars):
        raise ValueError(f"not a ticket number: {number!r}")
    return " ".join(DIGITS[int(c)] if c.isdigit() else c.upper() for c in chars)


def window_phrase(window: str | int) -> str:
    """The written phrase for a service window: ``"3" -> "3号窗口"``.

    ``normalize_for_speech`` reads it as 三号窗口 (window numbers are said as numbers, not
    digit by digit). Leading zeros are dropped ("03" is window 3).
    """
    name = str(window).strip()
    if not name:
        raise ValueError("empty window number")
    if name.isdigit():
        name = str(int(name))
    return name if name.endswith("号窗口") else f"{name}号窗口"


def cardinal(n: int, *, liang: bool = False) -> str:
    """Chinese reading of 0 ≤ n ≤ 9999: 12 → 十二, 105 → 一百零五, 2000 → 两千.

    ``liang`` reads a lone 2 as 两 (before a measure word: 两人).
    """
    if not 0 <= n <= 9999:
        raise ValueError(f"cardinal only reads 0..9999, got {n}")
    if n == 0:
        return "零"
    if n == 2 and liang:
        return "两"
    text = str(n)
    out: list[str] = []
    pending_zero = False
    for i, ch in enumerate(text):
        d = int(ch)
        place = len(text) - 1 - i
        if d == 0:
            pending_zero = True
            continue
        if pending_zero and out:
            out.append("零")
        pending_zero = False
        digit = "两" if d == 2 and i == 0 and place >= 2 else DIGITS[d]
        out.append(digit + ("", "十", "百", "千")[place])
    spoken = "".join(out)
    return spoken[1:] if spoken.startswith("一十") else spoken  # 十二, not 一十二


def digit_by_digit(digits: str) -> str:
    """Each digit as its numeral, no spaces: ``"2024" -> "二零二四"``."""
    return "".join(DIGITS[int(c)] for c in digits)


def _read_number(digits: str, after: str = "") -> str:
    """A run of ASCII digits as spoken, given the text that follows it."""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) >= 5:
        return digit_by_digit(digits)  # codes, phone and ID numbers, zero-led numbers
    if len(digits) == 4 and after.startswith("年"):
        return digit_by_digit(digits)  # 2024年 → 二零二四年
    return cardinal(int(digits), liang=after.lstrip().startswith(_LIANG_BEFORE))


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return match.group(0)
    if minute == 0:
        return f"{cardinal(hour)}点"
    spoken_minute = f"零{DIGITS[minute]}" if minute < 10 else cardinal(minute)
    return f"{cardinal(hour)}点{spoken_minute}分"


def _decimal(whole: str, fraction: str = "") -> str:
    """``"3", "5"`` → 三点五; without a fraction just the whole number."""
    spoken = _read_number(whole)
    return f"{spoken}点{digit_by_digit(fraction)}" if fraction else spoken


def normalize_for_speech(text: str) -> str:
    """Replace digits in Chinese text by Chinese numerals read the way people say them.

    - letters followed by digits are a queue number, spelled: ``A042`` → ``A 零 四 二``;
    - ``14:30`` → 十四点三十分, ``95%`` → 百分之九十五, ``3.5`` → 三点五;
    - counts and window numbers as numbers: ``前面还有 12 人`` → ``前面还有 十二 人``,
      ``3号窗口`` → 三号窗口, ``2人`` → 两人;
    - zero-led runs, runs of 5+ digits (codes, phone and ID numbers) and 4-digit years digit
      by digit: ``2024年`` → 二零二四年.

    A caller that knows a value is a queue number should pass it through
    ``spell_ticket_number`` itself: a digits-only ticket like "123" reads here as 一百二十三.
    Full-width digits and letters are folded to ASCII first (NFKC).
    """
    text = unicodedata.normalize("NFKC", text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(lambda m: "百分之" + _decimal(*m.group(1).split(".")), text)
    text = _TICKET.sub(lambda m: spell_ticket_number(m.group(1) + m.group(2)), text)
    text = _DECIMAL.sub(lambda m: _decimal(m.group(1), m.group(2)), text)
    return _DIGIT_RUN.sub(lambda m: _read_number(m.group(0), m.string[m.end() :]), text)


def is_mandarin(text: str) -> bool:
    """True when the text is to be spoken in Mandarin.

    Any Chinese character makes it Mandarin; so does text without a Latin word of two or more
    letters (a bare queue number "A042"). English UI text ("Please tap your ID card") is not.
    """
    text = unicodedata.normalize("NFKC", text)
    if re.search(f"[{_HAN}]", text):
        return True
    return re.search(r"[A-Za-z]{2,}", text) is None


def english_for_speech(text: str) -> str:
    """English text for an English voice: queue numbers spaced out ("A042" → "A 0 4 2").

    Without the spaces English voices read "A042" as "A forty-two".
    """
    text = unicodedata.normalize("NFKC", text)
    return _TICKET.sub(lambda m: " ".join((m.group(1) + m.group(2)).upper()), text)


def to_pinyin(text: str) -> str:
    """Tone-numbered pinyin (pypinyin ``Style.TONE3``, neutral tone 5) for ``cmn-latn-pinyin``.

    ``"请刷身份证" -> "qing3 shua1 shen1 fen4 zheng4"``. Runs of Chinese characters are
    converted whole, so phrase readings are right (银行 → yin2 hang2, 长辈 → zhang3 bei4).
    Latin letters become separate upper-case letters ("ID" → "I D"), read as letter names.
    Sentence punctuation is kept as ASCII (the voice pauses on it); other symbols are
    dropped. Digits are left as they are: run ``normalize_for_speech`` first, or use
    ``pinyin_for_speech``. Characters pypinyin has no reading for are dropped.
    """
    # imported here: pypinyin's dictionaries take ~0.5 s to load, not to be paid at start-up
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)
    words: list[str] = []
    for token in _TOKEN.finditer(text):
        if token.group("han"):
            words.extend(
                lazy_pinyin(
                    token.group("han"),
                    style=Style.TONE3,
                    neutral_tone_with_five=True,
                    errors="ignore",
                )
            )
        elif token.group("latin"):
            words.extend(token.group("latin").upper())
        elif token.group("punct"):
            if words and words[-1][-1] not in ",.?!;:":
                words[-1] += token.group("punct")
        elif token.group("digits"):
            words.append(token.group("digits"))
    return " ".join(words)


def pinyin_for_speech(text: str) -> str:
    """Exactly what the Mandarin voice is given: ``to_pinyin(normalize_for_speech(text))``.

    ``"请A042号到3号窗口办理"`` → ``"qing3 A ling2 si4 er4 hao4 dao4 san1 hao4 chuang1 kou3
    ban4 li3"``.
    """
    return to_pinyin(normalize_for_speech(text))
