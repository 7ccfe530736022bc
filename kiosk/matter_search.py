"""Find the matter (事项) a 办不成事 case is about in the hall's catalog.

The citizen types either the pinyin initials of its name ("hk" → 户口迁移, "yyzz" → 营业执照…)
with the keyboard's letter keys, or Chinese characters (through the keyboard's pinyin or
handwriting mode) found anywhere in the name; or browses the catalog's window groups.
Initials come from pypinyin (already a dependency, for the voice), computed once per
catalog and off the start-up path (its dictionaries take ~0.5 s to load).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from contract.catalog import Catalog
from kiosk.cases import WINDOW_SERVICE

MAX_RESULTS = 6
_LETTERS = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Matter:
    id: str
    name: str
    name_en: str
    group: str


def initials_of(name: str) -> str:
    from pypinyin import Style, lazy_pinyin  # imported on first search, not at start-up

    return "".join(
        p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    ).lower()


@lru_cache(maxsize=4)
def matters(catalog: Catalog) -> tuple[Matter, ...]:
    """Every service the citizen could have come for (bundles are made of services), but
    the 办不成事 window's own item."""
    return tuple(
        Matter(s.id, s.name, s.name_en, s.group) for s in catalog.services if s.id != WINDOW_SERVICE
    )


@lru_cache(maxsize=4)
def _initials(catalog: Catalog) -> dict[str, str]:
    """id → pinyin initials ("hkqy" for 户口迁移): computed at the first letter search only,
    so opening the form never waits for pypinyin."""
    return {m.id: initials_of(m.name) for m in matters(catalog)}


def search(catalog: Catalog, query: str, limit: int = MAX_RESULTS) -> list[Matter]:
    """Matters whose initials start with (then contain) the typed letters, or whose name
    holds the typed characters; best first, at most ``limit``."""
    q = re.sub(r"\s+", "", query).lower()
    if not q:
        return []
    found = matters(catalog)
    if _LETTERS.match(q):
        initials = _initials(catalog)
        starts = [m for m in found if initials[m.id].startswith(q)]
        inside = [m for m in found if q in initials[m.id] and m not in starts]
        english = [m for m in found if q in m.name_en.lower().replace(" ", "")]
        ranked = starts + inside + [m for m in english if m not in starts and m not in inside]
    else:
        ranked = [m for m in found if q in m.name]
    return ranked[:limit]


def in_group(catalog: Catalog, group_id: str) -> list[Matter]:
    return [m for m in matters(catalog) if m.group == group_id]


def name_of(catalog: Catalog, item_id: str | None) -> str | None:
    for m in matters(catalog):
        if m.id == item_id:
            return m.name
    return None
