"""kiosk/identity.py: GB 11643 ID numbers and the masked ``Holder`` of one visit."""

from __future__ import annotations

import datetime as dt

import pytest

from contract.idnumber import InvalidIdNumber, check_char, parse_id_number
from devices.idcard.card import IdCard, mask_id, mask_name
from kiosk.identity import Holder

TODAY = dt.date(2026, 11, 20)

# Published examples of GB 11643-1999 (the standard's own and a textbook one).
PUBLISHED = ["11010519491231002X", "440524188001010014"]


# -- check character ---------------------------------------------------------------------
@pytest.mark.parametrize("number", PUBLISHED)
def test_check_char_matches_published_examples(number: str) -> None:
    assert check_char(number[:17]) == number[17]


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_examples_are_valid(number: str) -> None:
    assert parse_id_number(number, TODAY) == number


def test_check_char_covers_x_and_zero() -> None:
    # sum % 11 == 2 -> "X", == 1 -> "0": the two places a naive table goes wrong
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"
    assert check_char("11010519900307123") == "9"


def test_lower_case_x_is_accepted_and_upper_cased() -> None:
    assert parse_id_number("11010519491231002x", TODAY) == "11010519491231002X"


def test_surrounding_and_inner_spaces_are_ignored() -> None:
    assert parse_id_number(" 110105 19491231 002X ", TODAY) == "11010519491231002X"


def test_fifteen_digit_number_is_converted_to_eighteen() -> None:
    # 110105 491231 002 -> 110105 19491231 002 + check character
    assert parse_id_number("110105491231002", TODAY) == "11010519491231002X"


def test_fifteen_digit_conversion_computes_check_char() -> None:
    # weighted sum of 44052419800101001 is 196, 196 % 11 = 9 -> "3"
    assert parse_id_number("440524800101001", TODAY) == "440524198001010013"


# -- rejections, each with its code --------------------------------------------------------
def _code(raw: str, today: dt.date = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(raw, today)
    return info.value.code


@pytest.mark.parametrize(
    "wrong",
    ["110105194912310020", "110105194912310021", "440524188001010015", "44052418800101001X"],
)
def test_wrong_check_char_is_check(wrong: str) -> None:
    assert _code(wrong) == "check"


def test_one_changed_digit_is_caught_by_the_check_char() -> None:
    # transposition/typo in the sequence part: date still valid, so only the check catches it
    assert _code("11010519491231003X") == "check"


def test_impossible_date_is_date() -> None:
    body = "11010519900230123"  # 30 February
    assert _code(body + check_char(body)) == "date"


def test_month_thirteen_is_date() -> None:
    body = "11010519901301123"
    assert _code(body + check_char(body)) == "date"


def test_future_birth_date_is_date() -> None:
    body = "11010520270101123"  # born after TODAY
    assert _code(body + check_char(body), TODAY) == "date"


def test_birth_date_today_is_accepted() -> None:
    body = "110105" + TODAY.strftime("%Y%m%d") + "123"
    assert parse_id_number(body + check_char(body), TODAY).startswith(body)


def test_leap_day_is_a_real_date() -> None:
    body = "11010520000229123"
    assert parse_id_number(body + check_char(body), TODAY) == body + "5"


def test_before_1880_is_date() -> None:
    body = "11010518790101123"
    assert _code(body + check_char(body)) == "date"


def test_future_date_uses_the_given_today() -> None:
    body = "11010520270101123"
    number = body + check_char(body)
    assert parse_id_number(number, dt.date(2027, 6, 1)) == number


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002XX", "1234567"])
def test_wrong_length_is_length(raw: str) -> None:
    assert _code(raw) == "length"


@pytest.mark.parametrize(
    "raw", ["1101051949123100AX", "11010519491231002Y", "X10105194912310020", "11010519491231-02X"]
)
def test_letters_are_chars(raw: str) -> None:
    assert _code(raw) == "chars"


def test_x_only_allowed_last() -> None:
    assert _code("1101051949123100X2") == "chars"


def test_invalid_id_number_is_a_value_error_without_the_number() -> None:
    raw = "110105194912310020"
    with pytest.raises(ValueError) as info:
        parse_id_number(raw, TODAY)
    assert isinstance(info.value, InvalidIdNumber)
    assert raw not in str(info.value)
    assert raw[:17] not in str(info.value)


# -- Holder: never shows the plain number or name ----------------------------------------
CARD = IdCard(
    kind="resident",
    name="王小明",
    id_number="110105199003071239",
    sex="M",
    birth_date=dt.date(1990, 3, 7),
    address="示范市测试路1号",
)


def test_holder_from_card_keeps_number_and_name_in_memory() -> None:
    h = Holder.from_card(CARD)
    assert (h.id_number, h.name, h.birth_date, h.source) == (
        "110105199003071239",
        "王小明",
        dt.date(1990, 3, 7),
        "card",
    )


@pytest.mark.parametrize("show", [repr, str, lambda h: f"{h}", format])
def test_holder_text_forms_are_masked(show) -> None:  # type: ignore[no-untyped-def]
    h = Holder.from_card(CARD)
    text = show(h)
    assert "110105199003071239" not in text
    assert "19900307" not in text
    assert "王小明" not in text and "小明" not in text
    assert "王**" in text and "1101**********1239" in text


def test_holder_in_a_container_repr_is_masked() -> None:
    text = repr([Holder.from_card(CARD)]) + repr({"h": Holder.from_card(CARD)})
    assert "110105199003071239" not in text and "王小明" not in text


def test_typed_holder() -> None:
    h = Holder.from_typed("11010519491231002x", TODAY)
    assert h.id_number == "11010519491231002X"
    assert h.name == "" and h.source == "typed"
    assert h.birth_date == dt.date(1949, 12, 31)
    assert "11010519491231002X" not in repr(h)
    assert h.masked_id == "1101**********002X"


def test_typed_holder_rejects_invalid() -> None:
    with pytest.raises(InvalidIdNumber) as info:
        Holder.from_typed("11010519491231002Y", TODAY)
    assert info.value.code == "chars"


def test_holder_from_foreign_card_uses_latin_name() -> None:
    card = IdCard(
        kind="foreign_2023", name="", name_en="SMITH JOHN", id_number="9311001990030712X3"
    )
    h = Holder.from_card(card)
    assert h.name == "SMITH JOHN"
    assert h.masked_name == "S*********"
    assert "SMITH" not in repr(h)


def test_holder_age() -> None:
    h = Holder.from_card(CARD)
    assert h.age_on(dt.date(2026, 3, 6)) == 35
    assert h.age_on(dt.date(2026, 3, 7)) == 36


# -- masking forms ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),
        ("李", "*"),
        ("", ""),
        (" 张三 ", "张*"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("440524188001010014", "4405**********0014"),
        ("110105491231002", "1101*******1002"),
        ("12345678", "********"),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked
    assert len(mask_id(number)) == len(number)


def test_holder_masked_properties() -> None:
    h = Holder.from_card(CARD)
    assert h.masked_name == "王**"
    assert h.masked_id == "1101**********1239"


def test_keyed_hash_is_stable_and_keyed() -> None:
    from contract.idnumber import keyed_hash

    a = keyed_hash(b"k" * 32, "11010519491231002x")
    assert a == keyed_hash(b"k" * 32, " 11010519491231002X ")  # same person, same hash
    assert a != keyed_hash(b"j" * 32, "11010519491231002X")  # another key, another hash
    assert "11010519491231002X" not in a and len(a) == 64


def test_expired_and_foreign_cards() -> None:
    import datetime as dt

    from devices.idcard.card import IdCard
    from kiosk.identity import Holder

    card = IdCard(kind="foreign_2023", name="", name_en="JOHNSON MARY ANN", id_number="9" + "0" * 17,
                  valid_to=dt.date(2026, 1, 31))  # fmt: skip
    holder = Holder.from_card(card)
    assert holder.masked_name == "J" + "*" * (len("JOHNSON MARY ANN") - 1)
    assert holder.kind == "foreign_2023"
    assert holder.expired_on(dt.date(2026, 2, 1)) and not holder.expired_on(dt.date(2026, 1, 31))
    assert not Holder.from_card(IdCard(kind="resident", name="张三", id_number="x")).expired_on(
        dt.date(2099, 1, 1)
    )  # 长期
