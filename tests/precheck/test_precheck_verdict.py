"""The verdict against a checklist and the printed slip: pure functions on page summaries."""

from __future__ import annotations

import pytest

from contract.catalog import load_catalog
from kiosk.precheck.verdict import PageSummary, slip_lines, spoken_summary, verdict_for


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def page(
    doc_type: str,
    *,
    file: str = "",
    quality: tuple[str, ...] = (),
    readable: bool = True,
    holder: str = "unknown",
) -> PageSummary:
    return PageSummary(file or f"{doc_type}.jpg", doc_type, 0.9, quality, readable, holder)


def test_bundle_with_one_core_and_one_rongque_missing(catalog) -> None:  # type: ignore[no-untyped-def]
    # newborn bundle: 父母双方身份证, 结婚证 (容缺), 出生医学证明首次签发登记表, 出生医学证明, 居民户口簿
    pages = [page("id_card_front"), page("application_form"), page("household_register")]
    v = verdict_for(catalog, "newborn-bundle", pages)
    assert v.overall == "core_missing"
    status = {m.name: (m.status, m.core) for m in v.materials}
    assert status == {
        "父母双方身份证": ("present_fine", True),
        "结婚证": ("missing", False),
        "出生医学证明首次签发登记表": ("present_fine", True),
        "出生医学证明": ("missing", True),
        "居民户口簿": ("present_fine", True),
    }
    data = v.to_json()
    assert data["missing_core"] == ["出生医学证明"]
    assert data["missing_rongque"] == ["结婚证"]
    slip = slip_lines(v)
    text = "\n".join(slip)
    core_at = slip.index("缺少的核心材料：")
    rongque_at = next(i for i, line in enumerate(slip) if line.startswith("缺少的容缺材料"))
    assert slip[core_at + 1] == "  · 出生医学证明"
    assert slip[rongque_at + 1] == "  · 结婚证"
    assert "缺少核心材料" in text and "以窗口工作人员审核为准" in text
    assert "出生医学证明" in spoken_summary(v) and "结婚证" not in spoken_summary(v)


def test_complete_and_rongque(catalog) -> None:  # type: ignore[no-untyped-def]
    full = [
        page(t)
        for t in (
            "id_card_front",
            "birth_certificate",
            "household_register",
            "marriage_certificate",
        )
    ]
    assert verdict_for(catalog, "newborn-hukou", full).overall == "complete"
    v = verdict_for(catalog, "newborn-hukou", full[:3])
    assert v.overall == "can_queue_with_rongque"
    assert [m.name for m in v.with_status("missing")] == ["结婚证"]
    assert any("可签署告知承诺书" in line for line in slip_lines(v))


def test_unreadable_core_page_is_not_confirmed(catalog) -> None:  # type: ignore[no-untyped-def]
    pages = [page("id_card_front", quality=("blurred",), readable=False), page("business_license")]
    v = verdict_for(catalog, "tax-invoice", pages)
    assert v.overall == "core_missing"
    card = v.materials[0]
    assert (card.status, card.reason) == ("present_unreadable", "quality:blurred")
    assert "  · 经办人身份证（照片模糊）" in slip_lines(v)


def test_flagged_page_that_was_read_anyway_counts(catalog) -> None:  # type: ignore[no-untyped-def]
    pages = [page("id_card_front", quality=("glare",), readable=True), page("business_license")]
    assert verdict_for(catalog, "tax-invoice", pages).overall == "complete"


def test_wrong_document_in_place_of_a_missing_one(catalog) -> None:  # type: ignore[no-untyped-def]
    pages = [page("id_card_front"), page("marriage_certificate")]
    v = verdict_for(catalog, "tax-invoice", pages)
    licence = v.materials[1]
    assert (licence.status, licence.reason) == ("wrong_document", "got:marriage_certificate")
    assert v.overall == "core_missing"
    assert "  · 营业执照（识别为结婚证）" in slip_lines(v)


def test_someone_elses_id_card(catalog) -> None:  # type: ignore[no-untyped-def]
    v = verdict_for(catalog, "social-security-card", [page("id_card_front", holder="mismatch")])
    assert (v.materials[0].status, v.materials[0].reason) == ("wrong_document", "holder_mismatch")
    # a legal representative's card may be someone else's
    v = verdict_for(
        catalog,
        "business-change",
        [
            page("application_form"),
            page("business_license"),
            page("id_card_front", holder="mismatch"),
        ],
    )
    assert v.overall == "can_queue_with_rongque"


def test_id_card_back_is_not_a_wrong_document_and_unreadable_pages_are_listed(catalog) -> None:  # type: ignore[no-untyped-def]
    pages = [
        page("id_card_front"),
        page("id_card_back"),
        page("other", file="x.jpg", quality=("too_dark",), readable=False),
        page("business_license"),
    ]
    v = verdict_for(catalog, "tax-invoice", pages)
    assert v.overall == "complete"
    assert v.extra_pages == ("id_card_back.jpg",)
    assert v.unreadable_pages == ("x.jpg",)
    assert any("无法识别" in line for line in slip_lines(v))


def test_other_typed_materials_take_a_readable_other_page(catalog) -> None:  # type: ignore[no-untyped-def]
    pages = [page("application_form"), page("other")]
    v = verdict_for(catalog, "business-deregistration", pages)
    assert v.overall == "complete"


def test_no_material_item(catalog) -> None:  # type: ignore[no-untyped-def]
    v = verdict_for(catalog, "policy-consultation", [])
    assert v.overall == "complete" and v.materials == ()


def test_english_slip(catalog) -> None:  # type: ignore[no-untyped-def]
    v = verdict_for(catalog, "newborn-hukou", [page("id_card_front")])
    lines = slip_lines(v, "en")
    assert lines[0] == "Material pre-check"
    assert "Missing core materials:" in lines
    assert "  · Medical birth certificate" in lines
