"""What a page is and what it says: document type, key fields, checks, the holder cross-check.

Input is the OCR's lines (text and box), output plain data. No image work here, so the
rules can be tested on hand-written lines.

Classification scores keywords and layout cues per document type (a keyword that OCR
misread by one character still counts, for a little less); below a minimum score the page
is ``other``. Key fields are read next to their printed labels (to the right on the same
row, else on the line below), and checked where a check exists:

- ID numbers (GB 11643) with ``contract.idnumber.parse_id_number`` — a number whose check
  character fails is not reported as read;
- unified social credit codes (GB 32100): 18 characters from
  ``0123456789ABCDEFGHJKLMNPQRTUWXY``, check character C18 = 31 − (Σ value × weight mod 31),
  31 → 0, weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28;
- dates must exist (returned as ISO ``YYYY-MM-DD``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, get_args

from contract.catalog import DocType
from contract.idnumber import InvalidIdNumber, parse_id_number
from devices.idcard.card import mask_id, mask_name
from kiosk.precheck.ocr import Box, TextLine

log = logging.getLogger(__name__)

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

DOC_TYPES: tuple[str, ...] = get_args(DocType)  # the catalog's list, one source

# Key fields per type: what the pre-check must read for the page to count as read. Fields
# ending in "id_number(s)" hold ID numbers (masked in output unless asked otherwise).
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "id_card_front": ("name", "id_number", "birth_date"),
    "id_card_back": ("valid_from", "valid_to"),
    "household_register": ("name", "id_number", "birth_date"),
    "business_license": ("credit_code", "legal_representative", "established"),
    "marriage_certificate": ("names", "id_numbers", "registered"),
    "birth_certificate": (
        "child_name",
        "mother_name",
        "mother_id_number",
        "father_name",
        "father_id_number",
    ),
    "real_estate_certificate": ("owner", "certificate_number"),
    "application_form": ("applicant", "id_number"),
    "other": (),
}
NAME_FIELDS = {
    "name",
    "names",
    "legal_representative",
    "child_name",
    "mother_name",
    "father_name",
    "owner",
    "applicant",
    "holder",
}

# (keyword, weight). Weights: a title that only this document has ~4, a label only it has
# 2–3, a label several documents share ≤ 1.
KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "id_card_front": (
        ("公民身份号码", 3),
        ("姓名", 0.5),
        ("性别", 0.5),
        ("民族", 1),
        ("出生", 0.5),
        ("住址", 2),
    ),
    "id_card_back": (
        ("中华人民共和国", 1),
        ("居民身份证", 2),
        ("签发机关", 3),
        ("有效期限", 3),
    ),
    "household_register": (
        ("常住人口登记卡", 4),
        ("居民户口簿", 4),
        ("户主或与户主关系", 3),
        ("户号", 1),
        ("曾用名", 1.5),
        ("籍贯", 1),
        ("公民身份证件编号", 2),
        ("宗教信仰", 1),
        ("服务处所", 1),
        ("承办人签章", 1),
    ),
    "business_license": (
        ("营业执照", 4),
        ("统一社会信用代码", 3),
        ("法定代表人", 2),
        ("注册资本", 2),
        ("经营范围", 2),
        ("成立日期", 1),
        ("营业期限", 1),
        ("登记机关", 1),
    ),
    "marriage_certificate": (
        ("结婚证", 4),
        ("持证人", 2),
        ("结婚证字号", 3),
        ("登记日期", 1),
        ("身份证件号", 1),
        ("国籍", 1),
    ),
    "birth_certificate": (
        ("出生医学证明", 4),
        ("新生儿姓名", 3),
        ("出生孕周", 2),
        ("出生体重", 1),
        ("出生身长", 1),
        ("母亲姓名", 2),
        ("父亲姓名", 2),
        ("接生机构", 2),
        ("出生地点", 1),
    ),
    "real_estate_certificate": (
        ("不动产权证书", 4),
        ("不动产权第", 2),
        ("权利人", 2),
        ("共有情况", 2),
        ("不动产单元号", 3),
        ("权利类型", 1.5),
        ("权利性质", 1.5),
        ("坐落", 1),
        ("使用期限", 1),
    ),
    "application_form": (
        ("申请表", 3),
        ("申请书", 3),
        ("申报表", 3),
        ("申领表", 3),
        ("登记表", 2),
        ("申请人", 2),
        ("申请事项", 2),
        ("申请日期", 1.5),
        ("申请理由", 1),
        ("签名", 1),
        ("联系电话", 1),
    ),
}
MIN_SCORE = 3.0  # below this the page is "other"
CARD_ASPECT = (1.45, 1.75)  # width / height of an ID card (85.6 × 54 mm = 1.585)


@dataclass
class Understanding:
    """The reading of one page. ``fields`` hold plain values: mask before showing or logging."""

    doc_type: str
    confidence: float  # 0–1, how sure the classification is
    fields: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    id_numbers: list[str] = field(default_factory=list)  # every valid ID number on the page
    names: list[str] = field(default_factory=list)  # every name read next to a label
    characters: int = 0  # characters read on the page (0: nothing readable)

    @property
    def missing_fields(self) -> list[str]:
        """Key fields of this type that could not be read (or failed their check)."""
        return [k for k in KEY_FIELDS.get(self.doc_type, ()) if not self.fields.get(k)]


# ----------------------------------------------------------------------------- checks
def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_credit_code(code: str) -> bool:
    """True for an 18-character unified social credit code with a correct check character."""
    if len(code) != 18 or any(c not in CREDIT_ALPHABET for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def valid_id(number: str) -> str | None:
    """The canonical ID number, or None if it fails GB 11643 (length, date, check)."""
    try:
        return parse_id_number(number)
    except InvalidIdNumber:
        return None


def mask_fields(fields: dict[str, Any], *, ids: bool = True, names: bool = False) -> dict[str, Any]:
    """A copy with ID numbers (and optionally names) masked: 1101**********002X, 张*."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        is_id = "id_number" in key
        is_name = key in NAME_FIELDS
        if (is_id and ids) or (is_name and names):
            masker = mask_id if is_id else mask_name
            out[key] = [masker(v) for v in value] if isinstance(value, list) else masker(value)
        else:
            out[key] = value
    return out


# ----------------------------------------------------------------------------- text
_PUNCT = str.maketrans(
    {"：": ":", "（": "(", "）": ")", "〈": "(", "〉": ")", "《": "(", "》": ")", "|": None}
)


def clean(text: str) -> str:
    """NFKC (full-width to half-width), Chinese brackets unified, spaces and ``|`` (a table
    rule read as a character) removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_PUNCT))


_DIGIT_LIKE = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "x": "X",
    }
)


def _digit_runs(text: str) -> list[str]:
    """Runs that look like ID numbers once look-alike letters are read as digits."""
    runs = re.findall(r"[0-9OoDQIlZSBXx]{15,22}", text)
    return [r.translate(_DIGIT_LIKE) for r in runs if sum(c.isdigit() for c in r) >= 12]


def find_id_numbers(text: str) -> tuple[list[str], list[str]]:
    """(valid ID numbers, ID-shaped runs that failed the check) found in ``text``."""
    good: list[str] = []
    bad: list[str] = []
    for run in _digit_runs(clean(text)):
        # every 18-character window: a stray character read before or after the number
        # must not hide it; the check character makes a false find unlikely (1 in 11)
        windows = [run[i : i + 18] for i in range(max(1, len(run) - 17))]
        valid = [n for w in windows if re.fullmatch(r"\d{17}[\dX]", w) and (n := valid_id(w))]
        if valid:
            good.extend(n for n in valid[:1] if n not in good)
        else:
            bad.append(run)
    return good, bad


_CREDIT_LIKE = str.maketrans({"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"})


def find_credit_codes(text: str) -> tuple[list[str], list[str]]:
    """(valid credit codes, 18-character candidates that failed the check) in ``text``."""
    good, bad = [], []
    upper = clean(text).upper()
    for m in re.finditer(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])", upper):
        code = m.group().translate(_CREDIT_LIKE)
        if sum(c.isdigit() for c in code) < 6:
            continue
        (good if is_credit_code(code) else bad).append(code)
    return good, bad


_DATE_PATTERNS = (
    # 日 not required: OCR often garbles the character after the day ("1]日")
    re.compile(r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})(?!\d)"),
    re.compile(r"((?:19|20)\d{2})[-./](\d{1,2})[-./](\d{1,2})"),
)


def find_dates(text: str) -> list[str]:
    """Dates that exist, as ISO strings, in reading order."""
    text = clean(text)
    found: list[tuple[int, str]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
            found.append((m.start(), day.isoformat()))
    return [d for _, d in sorted(found)]


_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}")
# printed labels that can sit where a name should be (the name itself unreadable)
_LABELS = {k for kws in KEYWORDS.values() for k, _ in kws} | {
    "性别",
    "民族",
    "出生",
    "住址",
    "名称",
    "类型",
    "国籍",
    "备注",
    "年龄",
    "曾用名",
    "户主",
}


def _as_name(text: str) -> str | None:
    """A personal name (2–4 Chinese characters, · allowed) at the start of ``text``."""
    m = _NAME.match(clean(text).lstrip(":"))
    if not m:
        return None
    name = m.group().strip("·")
    if not 2 <= len(name) <= 4 or any(name.startswith(label) for label in _LABELS):
        return None
    return name


# ----------------------------------------------------------------------------- matching
def fuzzy_find(keyword: str, text: str) -> float:
    """1.0 if ``keyword`` is in ``text``; 0.7 if a same-length window differs by one
    character (keywords of 4+ characters, so OCR slips still count); else 0."""
    if keyword in text:
        return 1.0
    n = len(keyword)
    if n < 4:
        return 0.0
    for i in range(len(text) - n + 1):
        window = text[i : i + n]
        if sum(a != b for a, b in zip(window, keyword, strict=True)) <= 1:
            return 0.7
    return 0.0


def classify(
    lines: list[TextLine], page_size: tuple[int, int] | None = None
) -> tuple[str, float, dict[str, float]]:
    """(document type, confidence 0–1, score per type) from keywords and the page shape."""
    text = "\n".join(clean(t.text) for t in lines)
    scores = {doc: sum(w * fuzzy_find(k, text) for k, w in kws) for doc, kws in KEYWORDS.items()}
    if page_size:
        w, h = page_size
        aspect = max(w, h) / max(1, min(w, h))
        card = CARD_ASPECT[0] <= aspect <= CARD_ASPECT[1]
        for doc in ("id_card_front", "id_card_back"):
            scores[doc] += 1.5 if card else -2
    ids, _ = find_id_numbers(text)
    codes, _ = find_credit_codes(text)
    if codes:
        scores["business_license"] += 2
    if ids and "住址" in text:
        scores["id_card_front"] += 1
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_SCORE:
        chars = sum(len(clean(t.text)) for t in lines)
        # plenty of text and no keyword: confidently "other"; little text: unsure
        confidence = 0.8 if chars >= 40 else 0.3 if chars >= 8 else 0.0
        return "other", confidence, {k: round(v, 2) for k, v in scores.items()}
    confidence = (top - max(second, 0)) / top * min(1.0, top / (2 * MIN_SCORE))
    return best, round(max(0.05, confidence), 2), {k: round(v, 2) for k, v in scores.items()}


# ----------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class _Line:
    text: str  # cleaned
    box: Box


def _same_row(a: Box, b: Box) -> bool:
    top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
    return bottom - top >= 0.4 * min(a[3], b[3])


class _Page:
    """The lines of one page with label look-ups."""

    def __init__(self, lines: list[TextLine]) -> None:
        self.lines = [_Line(clean(t.text), t.box) for t in lines if clean(t.text)]

    def values_after(self, label: str) -> list[str]:
        """Texts that follow ``label``: the rest of its line, else the nearest box to its
        right on the same row, else the line just below. One entry per label found.

        Labels are matched exactly first; only if the page has no exact match may one
        character differ (labels of 4+ characters), so 父亲姓名 never lands on 母亲姓名.
        """
        found = [
            (i, ln.text.find(label) + len(label))
            for i, ln in enumerate(self.lines)
            if label in ln.text
        ]
        if not found and len(label) >= 4:
            found = [
                (i, pos)
                for i, ln in enumerate(self.lines)
                if (pos := self._fuzzy_pos(label, ln.text)) is not None
            ]
        out = []
        for i, pos in found:
            line = self.lines[i]
            rest = line.text[pos:].lstrip(":")
            if rest:
                out.append(rest)
                continue
            right = [
                other
                for other in self.lines
                if other is not line
                and _same_row(line.box, other.box)
                and other.box[0] >= line.box[0] + line.box[2] - 2
            ]
            if right:
                out.append(min(right, key=lambda o: o.box[0]).text.lstrip(":"))
                continue
            below = [
                other
                for other in self.lines[i + 1 :]
                if other.box[1] > line.box[1] + line.box[3] * 0.6
                and abs(other.box[0] - line.box[0]) < 3 * line.box[3]
            ]
            if below:
                out.append(below[0].text.lstrip(":"))
        return out

    @staticmethod
    def _fuzzy_pos(label: str, text: str) -> int | None:
        """Index just after a window of ``text`` that differs from ``label`` in one
        character, or None."""
        n = len(label)
        for j in range(len(text) - n + 1):
            if sum(a != b for a, b in zip(text[j : j + n], label, strict=True)) <= 1:
                return j + n
        return None

    def name_after(self, *labels: str) -> list[str]:
        names = []
        for label in labels:
            for value in self.values_after(label):
                name = _as_name(value)
                if name and name not in names:
                    names.append(name)
        return names

    def first_name_after(self, *labels: str) -> str:
        names = self.name_after(*labels)
        return names[0] if names else ""

    def date_after(self, *labels: str) -> str:
        for label in labels:
            for value in self.values_after(label):
                dates = find_dates(value)
                if dates:
                    return dates[0]
        return ""

    def id_after(self, *labels: str) -> str:
        for label in labels:
            for value in self.values_after(label):
                ids, _ = find_id_numbers(value)
                if ids:
                    return ids[0]
        return ""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def extract_fields(doc_type: str, lines: list[TextLine]) -> dict[str, Any]:
    """The key fields of a page of type ``doc_type`` (see KEY_FIELDS); unread ones are ""."""
    page = _Page(lines)
    text = page.text
    ids, _ = find_id_numbers(text)
    f: dict[str, Any] = {}
    if doc_type == "id_card_front":
        f["name"] = page.first_name_after("姓名")
        f["id_number"] = page.id_after("公民身份号码") or (ids[0] if ids else "")
        f["birth_date"] = page.date_after("出生")
    elif doc_type == "id_card_back":
        period = re.search(
            r"((?:19|20)\d{2}[.\-]\d{1,2}[.\-]\d{1,2})-((?:19|20)\d{2}[.\-]\d{1,2}[.\-]\d{1,2}|长期)",
            text.replace("\n", ""),
        )
        f["valid_from"] = (
            find_dates(period.group(1))[0] if period and find_dates(period.group(1)) else ""
        )
        f["valid_to"] = ""
        if period:
            f["valid_to"] = (
                "长期" if period.group(2) == "长期" else next(iter(find_dates(period.group(2))), "")
            )
        f["issuer"] = next(iter(page.values_after("签发机关")), "")
    elif doc_type == "household_register":
        f["name"] = page.first_name_after("姓名")
        f["id_number"] = page.id_after("公民身份证件编号", "身份证件编号") or (
            ids[0] if ids else ""
        )
        f["birth_date"] = page.date_after("出生日期")
    elif doc_type == "business_license":
        codes, _ = find_credit_codes(text)
        f["credit_code"] = codes[0] if codes else ""
        f["legal_representative"] = page.first_name_after("法定代表人", "负责人", "经营者")
        f["established"] = page.date_after("成立日期", "注册日期")
        f["company"] = next(iter(v for v in page.values_after("名称") if len(v) >= 4), "")
    elif doc_type == "marriage_certificate":
        f["holder"] = page.first_name_after("持证人")
        f["names"] = sorted(page.name_after("姓名"))
        f["id_numbers"] = sorted(ids)
        f["registered"] = page.date_after("登记日期")
        number = re.search(r"[JLB]\d{6}-\d{4}-\d{4,6}", text)
        f["certificate_number"] = number.group() if number else ""
    elif doc_type == "birth_certificate":
        f["child_name"] = page.first_name_after("新生儿姓名")
        f["mother_name"] = page.first_name_after("母亲姓名")
        f["mother_id_number"] = page.id_after("母亲身份证件号码", "母亲身份证件号")
        f["father_name"] = page.first_name_after("父亲姓名")
        f["father_id_number"] = page.id_after("父亲身份证件号码", "父亲身份证件号")
        f["born"] = page.date_after("出生时间")
    elif doc_type == "real_estate_certificate":
        f["owner"] = page.first_name_after("权利人")
        number = re.search(r".\((?:19|20)\d{2}\)[\u4e00-\u9fff]{1,12}不动产权第\d{5,8}号", text)
        f["certificate_number"] = number.group() if number else ""
    elif doc_type == "application_form":
        f["applicant"] = page.first_name_after("申请人姓名", "申请人", "姓名")
        f["id_number"] = page.id_after("公民身份号码", "身份证号码", "身份证件号码") or (
            ids[0] if ids else ""
        )
    return f


def page_people(lines: list[TextLine]) -> tuple[list[str], list[str]]:
    """Every valid ID number and every name printed next to a name label on the page."""
    page = _Page(lines)
    ids, _ = find_id_numbers(page.text)
    names = page.name_after(
        "姓名", "持证人", "法定代表人", "权利人", "申请人", "母亲姓名", "父亲姓名", "新生儿姓名"
    )
    return ids, names


def understand(lines: list[TextLine], page_size: tuple[int, int] | None = None) -> Understanding:
    """Classify the page and read its key fields."""
    doc_type, confidence, scores = classify(lines, page_size)
    fields = extract_fields(doc_type, lines)
    ids, names = page_people(lines)
    chars = sum(len(clean(t.text)) for t in lines)
    result = Understanding(doc_type, confidence, fields, scores, ids, names, chars)
    log.debug(
        "page: %s (%.2f), %d characters, missing %s",
        doc_type,
        confidence,
        chars,
        result.missing_fields,
    )
    return result


def id_like_lines(lines: Iterable[TextLine]) -> list[TextLine]:
    """Lines holding an ID-number-shaped run that failed its check: worth a second read
    with a digit whitelist."""
    out = []
    for line in lines:
        good_ids, bad_ids = find_id_numbers(line.text)
        if bad_ids and not good_ids:
            out.append(line)
    return out


# ----------------------------------------------------------------------------- holder
def holder_check(understanding: Understanding, holder_name: str = "", holder_id: str = "") -> str:
    """ "match", "mismatch" or "unknown": is the card holder on this page?

    An ID number read on the page is decisive (it carries a check character); without one,
    the name decides; with neither read, or no holder given, "unknown".
    """
    holder_id = (valid_id(holder_id) or "") if holder_id else ""
    if holder_id and understanding.id_numbers:
        return "match" if holder_id in understanding.id_numbers else "mismatch"
    names = set(understanding.names)
    for key in NAME_FIELDS:
        value = understanding.fields.get(key)
        if isinstance(value, str) and value:
            names.add(value)
        elif isinstance(value, list):
            names.update(value)
    if holder_name and names:
        return "match" if holder_name.strip() in names else "mismatch"
    return "unknown"
