"""What a card read yields: an ``IdCard``, held in memory only.

The photo and fingerprint bytes never go to disk or logs; ``repr`` masks the personal
fields so an accidental log line or crash report shows nothing identifying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

# one definition of masking, shared with the hall server (which accepts only its output)
from contract.fields import mask_name as mask_name
from contract.idnumber import age_on

CardKind = Literal["resident", "hk_mo_tw_permit", "foreign_2017", "foreign_2023"]


def mask_id(number: str) -> str:
    """330106198506121234 -> 3301**********1234 (first 4 and last 4 kept)."""
    number = number.strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


@dataclass(frozen=True, repr=False)
class IdCard:
    kind: CardKind
    name: str
    id_number: str
    sex: Literal["M", "F", "U"] = "U"
    birth_date: dt.date | None = None
    name_en: str = ""
    nation: str = ""
    nationality: str = ""
    address: str = ""
    issuer: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # None means 长期 (no expiry)
    pass_number: str = ""
    issue_count: int | None = None
    photo: bytes = field(default=b"", compare=False)
    fingerprint: bytes = field(default=b"", compare=False)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name or self.name_en)

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    def age_on(self, day: dt.date) -> int | None:
        return age_on(self.birth_date, day)

    def __repr__(self) -> str:
        return f"IdCard(kind={self.kind!r}, name={self.masked_name!r}, id={self.masked_id!r})"

    __str__ = __repr__
