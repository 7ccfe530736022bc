"""The pre-check's verdict against an item's or a bundle's checklist, and the printed slip.

Pure functions over plain data: the catalog's materials and a summary of each analysed page.
The verdict is advice to the citizen, never a refusal: staff confirm at the window.

Each required material gets one status:

``present_fine``        a page of the expected document type was read (quality fine or the
                        key fields read anyway) — and, for the card holder's own ID card,
                        it is the holder's;
``present_unreadable``  a page of the expected type is there but could not be read well
                        (a quality flag and key fields missing): rescan it;
``wrong_document``      no page of the expected type, but a page that belongs to no required
                        material was shown (or the holder's ID card is someone else's);
``missing``             nothing for it.

Overall: ``complete`` (every material fine), ``can_queue_with_rongque`` (every core material
fine, some non-core ones not: 容缺受理 under a written promise, 告知承诺), ``core_missing``
(a core material is missing, wrong, or unreadable — unreadable counts as not confirmed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from contract.catalog import Bundle, Catalog, Material, Service
from contract.vocab import PrecheckOverall, PrecheckStatus

Status = PrecheckStatus
Overall = PrecheckOverall

DOC_NAMES: dict[str, tuple[str, str]] = {
    "id_card_front": ("居民身份证（人像面）", "ID card (photo side)"),
    "id_card_back": ("居民身份证（国徽面）", "ID card (emblem side)"),
    "household_register": ("居民户口簿", "household register"),
    "business_license": ("营业执照", "business licence"),
    "marriage_certificate": ("结婚证", "marriage certificate"),
    "birth_certificate": ("出生医学证明", "medical birth certificate"),
    "real_estate_certificate": ("不动产权证书", "real estate title certificate"),
    "application_form": ("申请表", "application form"),
    "other": ("其他材料", "other document"),
}
QUALITY_ZH = {
    "blurred": "照片模糊",
    "too_dark": "光线太暗",
    "too_bright": "光线太强",
    "glare": "反光",
    "cropped": "未完整拍入",
}
QUALITY_EN = {
    "blurred": "blurred",
    "too_dark": "too dark",
    "too_bright": "too bright",
    "glare": "glare",
    "cropped": "cut off",
}
# Materials that are the card holder's own: their ID number/name must match the card.
# Others (a legal representative's, both parents', both partners') may be someone else's.
_NOT_HOLDERS_OWN = ("法定代表人", "父母", "双方", "委托人")
_NO_MATERIAL = ("无需材料",)


@dataclass(frozen=True)
class PageSummary:
    """What the verdict needs of one analysed page — no names or ID numbers."""

    file: str
    doc_type: str
    confidence: float = 1.0
    quality: tuple[str, ...] = ()
    readable: bool = True
    holder_match: str = "unknown"  # "match", "mismatch", "unknown"

    @classmethod
    def from_result(cls, result: Any) -> PageSummary:
        """From a ``pipeline.PageResult`` (or anything with the same attributes)."""
        return cls(
            result.file,
            result.doc_type,
            result.confidence,
            tuple(result.quality),
            result.readable,
            result.holder_match,
        )

    @property
    def fine(self) -> bool:
        """Readable enough to count: no quality flag, or the key fields read anyway."""
        return self.readable or not self.quality


@dataclass(frozen=True)
class MaterialCheck:
    name: str
    name_en: str
    doc_type: str
    core: bool
    status: Status
    page: str = ""  # the file/page that was matched, if any
    reason: str = ""  # "quality:blurred,glare", "got:household_register", "holder_mismatch"


@dataclass(frozen=True)
class Verdict:
    entry_id: str
    entry_name: str
    entry_name_en: str
    overall: Overall
    materials: tuple[MaterialCheck, ...]
    extra_pages: tuple[str, ...] = ()  # pages that matched nothing (not counted as wrong)
    unreadable_pages: tuple[str, ...] = ()  # pages nothing could be read from

    def with_status(self, *statuses: Status, core: bool | None = None) -> list[MaterialCheck]:
        return [
            m for m in self.materials if m.status in statuses and (core is None or m.core == core)
        ]

    @property
    def complete_rate_counts(self) -> bool:
        """For the hall's 一次性备齐率: all materials present and fine at the first check."""
        return self.overall == "complete"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["materials"] = [asdict(m) for m in self.materials]
        data["missing_core"] = [m.name for m in self.with_status("missing", core=True)]
        data["missing_rongque"] = [m.name for m in self.with_status("missing", core=False)]
        return data


def holders_own(material: Material) -> bool:
    """True if this material must be the card holder's (their own ID card)."""
    return material.doc_type == "id_card_front" and not any(
        w in material.name for w in _NOT_HOLDERS_OWN
    )


def check_materials(
    materials: Sequence[Material], pages: Sequence[PageSummary]
) -> tuple[list[MaterialCheck], list[str], list[str]]:
    """(one check per material in checklist order, extra pages, unreadable pages)."""
    needed = [m for m in materials if m.name not in _NO_MATERIAL]
    free = list(range(len(pages)))
    result: dict[int, MaterialCheck] = {}

    def take(i: int, m: Material, status: Status, reason: str = "") -> None:
        free.remove(i)
        result[id(m)] = MaterialCheck(
            m.name, m.name_en, m.doc_type, m.core, status, pages[i].file, reason
        )

    def recognised(p: PageSummary) -> bool:
        return p.doc_type != "other" or p.fine

    # 1: a fine page of the right type (the holder's, where it must be)
    for m in needed:
        for i in list(free):
            p = pages[i]
            if p.doc_type == m.doc_type and p.fine and recognised(p):
                if holders_own(m) and p.holder_match == "mismatch":
                    continue
                take(i, m, "present_fine")
                break
    # 2: the right type but not readable
    for m in needed:
        if id(m) in result:
            continue
        for i in list(free):
            p = pages[i]
            if p.doc_type == m.doc_type and p.doc_type != "other" and not p.fine:
                take(i, m, "present_unreadable", "quality:" + ",".join(p.quality))
                break
    # 3: the holder's ID card that is somebody else's
    for m in needed:
        if id(m) in result or not holders_own(m):
            continue
        for i in list(free):
            p = pages[i]
            if p.doc_type == m.doc_type and p.holder_match == "mismatch":
                take(i, m, "wrong_document", "holder_mismatch")
                break
    # ID-card backs go with a required ID card front: never "wrong"
    has_card = any(m.doc_type == "id_card_front" for m in needed)
    backs = [i for i in free if has_card and pages[i].doc_type == "id_card_back"]
    extra = [pages[i].file for i in backs]
    free = [i for i in free if i not in backs]
    unreadable = [pages[i].file for i in free if not recognised(pages[i])]
    free = [i for i in free if recognised(pages[i])]
    # a second page of a type the checklist asks for (both parents' cards) is not wrong
    wanted = {m.doc_type for m in needed}
    extra += [pages[i].file for i in free if pages[i].doc_type in wanted]
    free = [i for i in free if pages[i].doc_type not in wanted]
    # 4: what is left was shown in place of something missing
    for m in needed:
        if id(m) in result:
            continue
        if free:
            i = free[0]
            take(i, m, "wrong_document", "got:" + pages[i].doc_type)
        else:
            result[id(m)] = MaterialCheck(m.name, m.name_en, m.doc_type, m.core, "missing")
    extra += [pages[i].file for i in free]
    return [result[id(m)] for m in needed], extra, unreadable


def overall_of(checks: Iterable[MaterialCheck]) -> Overall:
    checks = list(checks)
    if any(m.core and m.status != "present_fine" for m in checks):
        return "core_missing"
    if any(m.status != "present_fine" for m in checks):
        return "can_queue_with_rongque"
    return "complete"


def verdict_for(
    catalog: Catalog, entry: str | Service | Bundle, pages: Sequence[PageSummary]
) -> Verdict:
    """The verdict for an item or bundle (by id or object) given the analysed pages."""
    item = catalog.entry(entry) if isinstance(entry, str) else entry
    checks, extra, unreadable = check_materials(catalog.materials_for(item), pages)
    return Verdict(
        item.id,
        item.name,
        item.name_en,
        overall_of(checks),
        tuple(checks),
        tuple(extra),
        tuple(unreadable),
    )


# ----------------------------------------------------------------------------- words
OVERALL_TEXT = {
    "complete": ("材料齐全，可以取号办理", "All materials are here: take a ticket"),
    "can_queue_with_rongque": (
        "核心材料齐全，可容缺受理（需签署告知承诺书，后补材料）",
        "Core materials are here: you may queue and supply the rest later under a written promise",
    ),
    "core_missing": (
        "缺少核心材料，建议补齐后再办理",
        "Core materials are missing: please bring them before queueing",
    ),
}


def _reason_text(m: MaterialCheck, zh: bool) -> str:
    if m.reason == "holder_mismatch":
        return "不是持卡人本人的证件" if zh else "not the card holder's"
    if m.reason.startswith("got:"):
        got = DOC_NAMES.get(m.reason[4:], DOC_NAMES["other"])
        return f"识别为{got[0]}" if zh else f"looks like a {got[1]}"
    if m.reason.startswith("quality:"):
        flags = [f for f in m.reason[8:].split(",") if f]
        if not flags:
            return "未能识别" if zh else "could not be read"
        names = QUALITY_ZH if zh else QUALITY_EN
        return ("、" if zh else ", ").join(names.get(f, f) for f in flags)
    return ""


def slip_lines(verdict: Verdict, language: str = "zh") -> list[str]:
    """The printed slip's lines (no personal data): overall result, then what is missing,
    what to rescan and what was wrong, and a reminder that staff decide."""
    zh = language == "zh"
    name = verdict.entry_name if zh else verdict.entry_name_en
    lines = [
        "材料预审结果" if zh else "Material pre-check",
        f"事项：{name}" if zh else f"Service: {name}",
        ("结论：" if zh else "Result: ") + OVERALL_TEXT[verdict.overall][0 if zh else 1],
    ]

    def section(title: str, items: list[MaterialCheck], with_reason: bool = False) -> None:
        if not items:
            return
        lines.append(title)
        for m in items:
            label = m.name if zh else m.name_en
            why = _reason_text(m, zh) if with_reason else ""
            lines.append(
                f"  · {label}" + (f"（{why}）" if zh and why else f" ({why})" if why else "")
            )

    core_missing = verdict.with_status("missing", core=True)
    rongque_missing = verdict.with_status("missing", core=False)
    section("缺少的核心材料：" if zh else "Missing core materials:", core_missing)
    section(
        "缺少的容缺材料（可签署告知承诺书后补交）："
        if zh
        else "Missing non-core materials (may follow later):",
        rongque_missing,
    )
    section(
        "请重新拍摄：" if zh else "Please scan again:",
        verdict.with_status("present_unreadable"),
        with_reason=True,
    )
    section(
        "材料不符：" if zh else "Not the right document:",
        verdict.with_status("wrong_document"),
        with_reason=True,
    )
    if verdict.unreadable_pages:
        n = len(verdict.unreadable_pages)
        lines.append(
            f"有{n}页无法识别，请重新拍摄" if zh else f"{n} page(s) could not be read: scan again"
        )
    fine = len(verdict.with_status("present_fine"))
    lines.append(
        f"已备齐：{fine}/{len(verdict.materials)} 项"
        if zh
        else f"Ready: {fine} of {len(verdict.materials)}"
    )
    lines.append(
        "本结果仅供参考，以窗口工作人员审核为准"
        if zh
        else "This is advice only: staff at the window decide"
    )
    return lines


def spoken_summary(verdict: Verdict, language: str = "zh") -> str:
    """One or two sentences for the voice guide: the result and what is missing."""
    zh = language == "zh"
    text = OVERALL_TEXT[verdict.overall][0 if zh else 1]
    missing = verdict.with_status("missing", "wrong_document", "present_unreadable", core=True)
    if missing:
        names = "、".join(m.name for m in missing) if zh else ", ".join(m.name_en for m in missing)
        text += f"。还需要：{names}" if zh else f". Still needed: {names}"
    return text + ("。" if zh else ".")


@dataclass
class PrecheckSession:
    """The pages of one citizen's pre-check, in memory only (wiped with the session)."""

    entry_id: str
    pages: list[PageSummary] = field(default_factory=list)

    def add(self, page: PageSummary) -> None:
        self.pages.append(page)

    def verdict(self, catalog: Catalog) -> Verdict:
        return verdict_for(catalog, self.entry_id, self.pages)
