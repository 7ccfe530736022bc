"""ID numbers: GB 11643-1999 validation and the keyed hash both sides compute.

Two different operations, with two different names:

- ``parse_id_number`` checks a number a citizen typed (ISO 7064 MOD 11-2 check character,
  a date that exists and is not in the future; old 15-digit numbers converted) and returns
  the canonical 18 characters, or raises ``InvalidIdNumber``.
- ``compact_id_number`` only strips spaces and upper-cases the check letter — what the
  hall server does to any card or permit number before hashing it, so that the same person
  gets the same hash (it validates nothing: foreign permits have other shapes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

# masking has one definition (contract.fields); re-exported for the modules importing it here
from contract.fields import is_masked_name as is_masked_name
from contract.fields import mask_name as mask_name

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """The typed number is not a valid ID number; ``reason`` says why in plain words."""

    def __init__(self, code: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.code = code  # "length", "chars", "date", "check": the UI words each one


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_id_number(raw: str, today: dt.date | None = None) -> str:
    """Return the canonical 18-character number or raise InvalidIdNumber.

    Accepts lower-case x and old 15-digit numbers (converted by inserting "19" before the
    year and computing the check character).
    """
    number = raw.strip().replace(" ", "").upper()
    if re.fullmatch(r"\d{15}", number):
        body = number[:6] + "19" + number[6:]
        number = body + check_char(body)
    if len(number) != 18:
        raise InvalidIdNumber("length", f"an ID number has 18 characters, not {len(number)}")
    if not _SHAPE.match(number):
        raise InvalidIdNumber("chars", "the first 17 must be digits, the last a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("date", "the birth date in the number does not exist") from None
    if birth > (today or dt.date.today()) or birth.year < 1880:
        raise InvalidIdNumber("date", "the birth date in the number is not possible")
    if check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("check", "the check character does not match")
    return number


def birth_date_of(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    """Whole years from ``birth_date`` to ``day`` (None when the birth date is unknown)."""
    if birth_date is None:
        return None
    b = birth_date
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def compact_id_number(id_number: str) -> str:
    """Same person, same hash: strip spaces and upper-case the check letter (x → X)."""
    return "".join(id_number.split()).upper()


def keyed_hash(key: bytes, id_number: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of the compacted ID number: links records to a
    person without storing the number."""
    digest = hmac.new(key, compact_id_number(id_number).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()
