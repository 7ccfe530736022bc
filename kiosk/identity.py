"""Who the citizen is, with as little personal data as each step needs.

ID numbers are checked against GB 11643-1999 by ``contract.idnumber`` (shared with the
hall server). A ``Holder`` keeps the plain number only in memory
for the length of one visit; anything shown, printed or logged uses the masked forms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from contract.idnumber import (  # re-exported: the kiosk's callers import them from here
    CHECK_CHARS,
    WEIGHTS,
    InvalidIdNumber,
    age_on,
    birth_date_of,
    check_char,
    parse_id_number,
)
from devices.idcard.card import IdCard, mask_id, mask_name

__all__ = ["CHECK_CHARS", "WEIGHTS", "Holder", "InvalidIdNumber", "birth_date_of",
           "check_char", "parse_id_number"]  # fmt: skip


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
        number = parse_id_number(raw, today)
        return cls(number, "", birth_date_of(number), "typed")

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    def age_on(self, day: dt.date) -> int | None:
        return age_on(self.birth_date, day)

    def __repr__(self) -> str:
        return f"Holder({self.masked_name!r}, {self.masked_id!r}, {self.source})"

    __str__ = __repr__
