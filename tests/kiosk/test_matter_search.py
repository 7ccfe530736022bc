"""Finding the matter of a 办不成事 case in the catalog: pinyin initials, characters, groups."""

from __future__ import annotations

from contract.catalog import load_catalog
from kiosk.matter_search import in_group, initials_of, name_of, search


def test_pinyin_initials_find_the_matter() -> None:
    catalog = load_catalog()
    assert initials_of("户口迁移") == "hkqy"
    assert search(catalog, "hk")[0].name == "户口迁移"
    assert search(catalog, " HKQY ")[0].id == "hukou-transfer"  # case and spaces ignored
    assert {m.name for m in search(catalog, "yyzz")} >= {"营业执照设立登记", "营业执照变更登记"}
    assert len(search(catalog, "s")) <= 6  # a bounded list, best first


def test_characters_and_groups_find_the_matter() -> None:
    catalog = load_catalog()
    assert [m.id for m in search(catalog, "户口")][:1] == ["hukou-transfer"]
    assert search(catalog, "不存在的事项") == [] and search(catalog, "") == []
    assert search(catalog, "zzzzqx") == []
    livelihood = in_group(catalog, "livelihood")
    assert livelihood and all(m.group == "livelihood" for m in livelihood)
    assert name_of(catalog, "hukou-transfer") == "户口迁移" and name_of(catalog, None) is None


def test_the_case_window_itself_is_not_a_matter() -> None:
    catalog = load_catalog()
    assert all(
        m.id != "unresolved-report" for m in search(catalog, "bbcs") + search(catalog, "办不成事")
    )
