"""Who the citizen is, with as little personal data as each step needs.

ID numbers are checked against GB 11643-1999 (ISO 7064 MOD 11-2 check character, a date
that exists and is not in the future). A ``Holder`` keeps the plain number only in memory
for the length of one visit; anything shown, printed or logged uses the masked forms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from devices.idcard.card import IdCard, mask_id, mask_name

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


def normalize_id_number(raw: str, today: dt.date | None = None) -> str:
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


@dataclass(frozen=True, repr=False)
class Holder:
    """The identified citizen for one visit. ``repr`` is masked; never persist ``id_number``."""

    id_number: str
    name: str  # "" when the number was typed
    birth_date: dt.date | None
    source: str  # "card" or "typed"
    kind: str = "resident"  # the card type: resident, hk_mo_tw_permit, foreign_2017, foreign_2023
    valid_to: dt.date | None = None  # None: 长期 (or typed)

    @classmethod
    def from_card(cls, card: IdCard) -> Holder:
        # foreign cards: the Chinese name if printed, else the English one
        return cls(card.id_number, card.name or card.name_en, card.birth_date, "card",
                   card.kind, card.valid_to)  # fmt: skip

    def expired_on(self, day: dt.date) -> bool:
        """The card's validity ended before ``day`` (it is still read: 换领 needs it)."""
        return self.valid_to is not None and self.valid_to < day

    @classmethod
    def from_typed(cls, raw: str, today: dt.date | None = None) -> Holder:
        number = normalize_id_number(raw, today)
        return cls(number, "", birth_date_of(number), "typed")

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def __repr__(self) -> str:
        return f"Holder({self.masked_name!r}, {self.masked_id!r}, {self.source})"

    __str__ = __repr__


def keyed_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number: links records to a person without
    storing the number (the hall server uses the same construction)."""
    normalised = "".join(id_number.split()).upper()
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
