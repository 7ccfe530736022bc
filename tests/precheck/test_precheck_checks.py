"""Checks that need no image: credit codes, ID numbers, dates, text clean-up, masking,
classification and field extraction on hand-written OCR lines, the holder cross-check."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.precheck import understand as u
from kiosk.precheck.ocr import TextLine, apply_whitelist, strip_cjk_spaces


# ----------------------------------------------------------------------- credit codes
def test_credit_code_example_from_the_standard_is_valid() -> None:
    assert u.credit_code_check_char("91350100M000100Y4") == "3"
    assert u.is_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100I43",  # I is not in the alphabet
        "91350100m000100y43",  # lower case is not accepted
    ],
)
def test_bad_credit_codes_are_rejected(code: str) -> None:
    assert not u.is_credit_code(code)


@given(st.text(alphabet=u.CREDIT_ALPHABET, min_size=17, max_size=17))
def test_every_body_gets_a_check_char_that_validates(body: str) -> None:
    code = body + u.credit_code_check_char(body)
    assert u.is_credit_code(code)
    assert code[17] in u.CREDIT_ALPHABET


@given(
    st.text(alphabet=u.CREDIT_ALPHABET, min_size=17, max_size=17),
    st.integers(0, 17),
    st.sampled_from(u.CREDIT_ALPHABET),
)
def test_any_single_substitution_is_detected(body: str, pos: int, char: str) -> None:
    code = body + u.credit_code_check_char(body)
    changed = code[:pos] + char + code[pos + 1 :]
    assert u.is_credit_code(changed) == (changed == code)


def test_credit_codes_are_found_in_text_with_lookalikes() -> None:
    good, bad = u.find_credit_codes("统一社会信用代码 91350100M000100Y43 (副本)")
    assert good == ["91350100M000100Y43"] and bad == []
    good, bad = u.find_credit_codes("91350100M0001OOY43")  # O read for 0
    assert good == ["91350100M000100Y43"]
    good, bad = u.find_credit_codes("91350100M000100Y44")
    assert good == [] and bad == ["91350100M000100Y44"]


# ----------------------------------------------------------------------- ID numbers
def test_id_numbers_found_and_checked() -> None:
    good, bad = u.find_id_numbers("公民身份号码 11010519491231002X")
    assert good == ["11010519491231002X"] and bad == []
    good, bad = u.find_id_numbers("公民身份号码11010519491231002x")  # lower-case x
    assert good == ["11010519491231002X"]
    good, bad = u.find_id_numbers("身份证件号 110105194912310021")  # wrong check character
    assert good == [] and bad


def test_id_number_next_to_a_table_rule_is_still_found() -> None:
    # Tesseract reads a table's vertical rule as "|" (or 1) right before the number
    assert u.find_id_numbers("公民身份证件编号 | 44052418800101001 4")[0] == ["440524188001010014"]
    assert u.find_id_numbers("1440524188001010014")[0] == ["440524188001010014"]


def test_dates_must_exist() -> None:
    assert u.find_dates("出生 1981 年 1 月 23 日") == ["1981-01-23"]
    assert u.find_dates("2014.07.15-2034.07.15") == ["2014-07-15", "2034-07-15"]
    assert u.find_dates("成立日期2013年9月1]日") == ["2013-09-01"]
    assert u.find_dates("2013年2月30日") == []


def test_cjk_spaces_are_stripped_latin_spaces_kept() -> None:
    assert strip_cjk_spaces("公 民 身 份 号 码 1101") == "公民身份号码1101"
    assert (
        strip_cjk_spaces("http://www.gsxt.gov.cn Hello World")
        == "http://www.gsxt.gov.cn Hello World"
    )


def test_whitelist_maps_lookalikes_and_drops_the_rest() -> None:
    assert apply_whitelist("11O1O5l949l23lOO2x号", "0123456789X") == "11010519491231002X"


def test_masking() -> None:
    fields = {
        "name": "张三",
        "id_number": "11010519491231002X",
        "id_numbers": ["440524188001010014"],
    }
    masked = u.mask_fields(fields)
    assert masked == {
        "name": "张三",
        "id_number": "1101**********002X",
        "id_numbers": ["4405**********0014"],
    }
    assert u.mask_fields(fields, names=True)["name"] == "张*"


# ----------------------------------------------------------------------- understanding
def _lines(*rows: tuple[str, tuple[int, int, int, int]]) -> list[TextLine]:
    return [TextLine(text, box, 0.9) for text, box in rows]


ID_FRONT = _lines(
    ("姓名", (50, 40, 60, 30)),
    ("沈慧华", (150, 38, 110, 36)),
    ("性别", (50, 90, 60, 30)),
    ("女", (150, 90, 30, 30)),
    ("民族", (220, 90, 60, 30)),
    ("回", (300, 90, 30, 30)),
    ("出生", (50, 140, 60, 30)),
    ("1981年1月23日", (150, 140, 250, 30)),
    ("住址", (50, 190, 60, 30)),
    ("北京市海淀区学府路116号", (150, 190, 330, 30)),
    ("公民身份号码", (50, 330, 150, 30)),
    ("11010819810123928X", (280, 325, 360, 36)),
)


def test_id_card_front_is_classified_and_read() -> None:
    reading = u.understand(ID_FRONT, (1000, 630))
    assert reading.doc_type == "id_card_front"
    assert reading.confidence > 0.5
    assert reading.fields == {
        "name": "沈慧华",
        "id_number": "11010819810123928X",
        "birth_date": "1981-01-23",
    }
    assert reading.missing_fields == []


def test_a_card_shaped_page_is_not_an_a4_form() -> None:
    # the same words on an A4-shaped page lose the card bonus
    card = u.classify(ID_FRONT, (1000, 630))[2]["id_card_front"]
    a4 = u.classify(ID_FRONT, (1000, 1414))[2]["id_card_front"]
    assert card > a4


def test_label_with_one_wrong_character_still_finds_its_value() -> None:
    lines = _lines(("新生儿娃名", (10, 10, 200, 30)), ("熊刚明", (300, 10, 100, 30)))
    assert u.extract_fields("birth_certificate", lines)["child_name"] == "熊刚明"


def test_father_label_never_takes_the_mother_value() -> None:
    lines = _lines(
        ("出生医学证明", (300, 10, 300, 60)),
        ("母亲姓名", (10, 100, 120, 30)),
        ("韦丹志", (300, 100, 100, 30)),
        ("父亲姓名", (10, 200, 120, 30)),
        ("熊轩汐", (300, 200, 100, 30)),
    )
    fields = u.extract_fields("birth_certificate", lines)
    assert fields["mother_name"] == "韦丹志" and fields["father_name"] == "熊轩汐"


def test_a_label_is_not_taken_for_a_name() -> None:
    lines = _lines(("权利人", (10, 10, 90, 30)), ("共有情况", (200, 10, 120, 30)))
    assert u.extract_fields("real_estate_certificate", lines)["owner"] == ""


def test_business_license_fields() -> None:
    lines = _lines(
        ("营业执照", (500, 40, 300, 80)),
        ("统一社会信用代码", (100, 200, 300, 30)),
        ("91350100M000100Y43", (100, 240, 400, 34)),
        ("法定代表人", (100, 400, 150, 30)),
        ("谢霞敏", (300, 400, 100, 30)),
        ("成立日期", (700, 400, 120, 30)),
        ("2013年9月1日", (850, 400, 200, 30)),
    )
    reading = u.understand(lines, (1485, 1050))
    assert reading.doc_type == "business_license"
    assert reading.fields["credit_code"] == "91350100M000100Y43"
    assert reading.fields["legal_representative"] == "谢霞敏"
    assert reading.fields["established"] == "2013-09-01"


def test_no_keywords_is_other_and_little_text_is_unsure() -> None:
    prose = _lines(
        (
            "第一章总则本公司依照法律规定设立，依法经营管理，按照国家有关规定办理登记手续。" * 2,
            (10, 10, 900, 30),
        )
    )
    doc, conf, _ = u.classify(prose)
    assert doc == "other" and conf >= 0.8
    doc, conf, _ = u.classify(_lines(("二", (10, 10, 30, 30))))
    assert doc == "other" and conf == 0.0


def test_holder_cross_check() -> None:
    reading = u.understand(ID_FRONT, (1000, 630))
    assert u.holder_check(reading, holder_id="11010819810123928X") == "match"
    assert u.holder_check(reading, holder_id="11010519491231002X") == "mismatch"
    assert u.holder_check(reading, holder_name="沈慧华") == "match"
    assert u.holder_check(reading) == "unknown"
    nameless = u.understand(_lines(("结婚证", (10, 10, 100, 50))), (1000, 700))
    assert u.holder_check(nameless, holder_id="11010519491231002X") == "unknown"


def test_synthetic_truth_uses_valid_numbers() -> None:
    from kiosk.precheck import synth

    rng = random.Random(3)
    for _ in range(50):
        person = synth.make_person(rng)
        assert u.valid_id(person.id_number) == person.id_number
        assert u.is_credit_code(synth.make_credit_code(rng))
