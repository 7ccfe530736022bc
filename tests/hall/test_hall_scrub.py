"""The free-text scrubber (contract/scrub.py) masks ID and mobile numbers however they are
spaced or dashed; property-tested with hypothesis over random numbers, separators and the
text around them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.scrub import MAX_GAP, scrub_text

SEPARATORS = [" ", "-", "\u3000", "\u00a0", "－", "—", ".", "/", "_", "\t"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Text around a number: Chinese and punctuation, never a digit or a Latin letter that would
# make the number part of a longer code.
around = st.text(alphabet=st.sampled_from("我的号码是请联系谢谢，。：（） 办事窗口"), max_size=12)
gap = st.lists(st.sampled_from(SEPARATORS), max_size=MAX_GAP).map("".join)


def spaced(chars: str, gaps: list[str]) -> str:
    return "".join(c + g for c, g in zip(chars, [*gaps, ""], strict=False))


def digits_of(text: str) -> str:
    return "".join(c for c in text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                   if c.isdigit() or c in "Xx")  # fmt: skip


id_numbers = st.tuples(
    st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789Xx")
).map("".join)
mobiles = st.tuples(
    st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9)
).map(lambda t: "1" + t[0] + t[1])


@settings(max_examples=300, deadline=None)
@given(id_numbers, st.lists(gap, min_size=17, max_size=17), around, around, st.booleans())
def test_an_id_number_in_any_spacing_is_masked(
    number: str, gaps: list[str], before: str, after: str, fullwidth: bool
) -> None:
    written = spaced(number, gaps)
    if fullwidth:
        written = written.translate(FULLWIDTH)
    scrubbed = scrub_text(before + written + after)
    assert number not in digits_of(scrubbed)
    assert number[:4] + "*" * 10 + number[-4:] in scrubbed
    assert len(digits_of(scrubbed)) == 8  # only the 4 + 4 kept


@settings(max_examples=300, deadline=None)
@given(mobiles, st.lists(gap, min_size=10, max_size=10), around, around,
       st.sampled_from(["", "+86", "+86 ", "0086-", "+ 86 "]))  # fmt: skip
def test_a_mobile_number_in_any_spacing_is_masked(
    number: str, gaps: list[str], before: str, after: str, prefix: str
) -> None:
    scrubbed = scrub_text(before + prefix + spaced(number, gaps) + after)
    assert number not in digits_of(scrubbed)
    assert number[:3] + "****" + number[-4:] in scrubbed
    assert len(re.findall(r"\d", scrubbed)) == 7


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cc", "Cs"]), max_size=60))
def test_text_without_digits_is_unchanged(text: str) -> None:
    assert scrub_text(text) == text


def test_examples_and_short_numbers_that_stay() -> None:
    assert scrub_text("电话 138 1234 5678 谢谢") == "电话 138****5678 谢谢"
    assert scrub_text("138-1234-5678") == "138****5678"
    assert scrub_text("身份证1101 0519 4912 3100 2X。") == "身份证1101**********002X。"
    assert scrub_text("窗口5号 20 分钟，等了 3 - 4 个小时") == "窗口5号 20 分钟，等了 3 - 4 个小时"
    assert scrub_text("a\x00b\x1bc\nd\te") == "abc\nd\te"
