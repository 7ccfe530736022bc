"""The one set of field types every request of the hall API is built from (issue 15, item 4).

Hostile input is refused where it enters, with 422, before it reaches a database: text
without NUL or other control characters, every string bounded, integers within what a
64-bit signed column holds, or tighter by meaning (row ids and stored counts: 32-bit), dates and datetimes within 2000–2100,
datetimes with their UTC offset. Both sides use them: the hall's request models and
path/query parameters, the kiosk's client when it builds a request.

Pure types (pydantic only): the hall wraps them in FastAPI's ``Path``/``Query`` itself.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

INT64_MAX = 2**63 - 1
"""The largest value a PostgreSQL BIGINT (and SQLite INTEGER) holds."""

INT32_MAX = 2**31 - 1
"""The largest value a PostgreSQL INTEGER holds: the hall's row ids and stored counts."""

YEAR_MIN = 2000
YEAR_MAX = 2100
"""Dates and datetimes a hall can mean; year 0001 with +14:00 is not one (it overflows)."""

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
"""One line: no NUL, no other C0 control character, no DEL."""

_NO_CONTROL_MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text: like a line, but tab and line breaks are allowed."""


def line(max_length: int, *, min_length: int = 0, pattern: str | None = None) -> type[str]:
    """A single line of text of at most ``max_length`` characters, no control characters.

    ``pattern`` narrows it further (it must itself exclude control characters).
    """
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(
            min_length=min_length, max_length=max_length, pattern=pattern or _NO_CONTROL
        ),
    ]


def text(max_length: int, *, min_length: int = 0) -> type[str]:
    """Free text (notes, comments, descriptions): line breaks and tabs allowed, no other
    control character, at most ``max_length`` characters."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(
            min_length=min_length, max_length=max_length, pattern=_NO_CONTROL_MULTILINE
        ),
    ]


Key = line(100, min_length=1)
"""An idempotency key: unique per kiosk and record; retries repeat it."""

ShortId = line(64, min_length=1)
"""An identifier chosen by the hall (service, kiosk, group id)."""

TicketId = line(36, min_length=1)
"""A ticket's id (a UUID as the server hands it out)."""

CounterId = line(16, min_length=1)
"""A counter's id (e.g. "3")."""

Version = line(64)
"""A software or catalog version string."""

Int64 = Annotated[int, Field(ge=-(2**63), le=INT64_MAX)]
"""Any integer a 64-bit signed column holds."""

RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""A database row id (path parameters such as /followups/{id}): the id columns are
32-bit INTEGER, so a larger number names no row (and PostgreSQL would refuse it)."""

Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
"""A count of things (never negative), stored in an INTEGER column."""


def _year_in_range(value: dt.date) -> dt.date:
    # the year alone: comparing an aware datetime of year 1 at +14:00 would overflow
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"must be within the years {YEAR_MIN}–{YEAR_MAX}")
    return value


Day = Annotated[
    dt.date,
    AfterValidator(_year_in_range),
    Field(description=f"a calendar day within {YEAR_MIN}–{YEAR_MAX}"),
]
"""A calendar day within 2000–2100."""

Moment = Annotated[
    AwareDatetime,
    AfterValidator(_year_in_range),
    Field(description=f"a moment with its UTC offset, within the years {YEAR_MIN}–{YEAR_MAX}"),
]
"""An aware datetime within 2000–2100 (the offset is required)."""


# -- mobile numbers (the opt-in text message, hall/sms.py) -------------------------------
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
"""A mainland China mobile number: 11 digits, 1 then 3–9."""

_MOBILE = re.compile(MOBILE_PATTERN)


def is_mobile(number: str) -> bool:
    return _MOBILE.match(number) is not None


def mask_mobile(number: str) -> str:
    """13812345678 -> 138****5678 (what logs and answers show)."""
    return number[:3] + "****" + number[-4:] if len(number) >= 7 else "****"


MobilePhone = Annotated[
    str,
    StringConstraints(min_length=11, max_length=11, pattern=MOBILE_PATTERN),
    Field(description="a mainland mobile number, 11 digits: 1, then 3–9, then 9 digits"),
]


# -- masked names --------------------------------------------------------------------------
MASKED_NAME_MAX = 32


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; Latin names keep the first letter; one character -> *.

    The one definition: the card reader masks with it, the hall accepts only its output.
    """
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


MASKED_NAME_PATTERN = r"^(\*|[^\s*\x00-\x1f\x7f]\*+)?$"
"""What ``mask_name`` produces: empty, ``*``, or one visible character and stars."""

_MASKED = re.compile(MASKED_NAME_PATTERN)


def is_masked_name(name: str) -> bool:
    """True when ``name`` is something ``mask_name`` can produce (张*, 欧***, *, empty)."""
    return len(name) <= MASKED_NAME_MAX and _MASKED.match(name) is not None


MaskedName = Annotated[
    str,
    StringConstraints(max_length=MASKED_NAME_MAX, pattern=MASKED_NAME_PATTERN),
    Field(description="masked as printed: first character and stars, e.g. 张*, 欧***"),
]
