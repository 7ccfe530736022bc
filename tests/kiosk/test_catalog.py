"""contract/catalog.py and config/services.toml: the shipped catalog, bundle materials, and
malformed catalogs stopping start-up with the file and the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.catalog import DEFAULT_PATH, Bundle, Catalog, Service, load_catalog
from contract.errors import ConfigError

SIX_GROUPS = ["项目建设", "市场准入", "民生服务", "大综窗", "出件", "办不成事反映"]


# -- the shipped catalog ------------------------------------------------------------------
def test_shipped_catalog_size(catalog: Catalog) -> None:
    assert len(catalog.services) >= 20
    assert len(catalog.bundles) >= 3


def test_shipped_window_groups(catalog: Catalog) -> None:
    names = [g.name for g in catalog.groups]
    assert sorted(names) == sorted(SIX_GROUPS)
    prefixes = [g.prefix for g in catalog.groups]
    assert len(set(prefixes)) == len(prefixes) == 6
    assert all(len(p) == 1 and p.isupper() for p in prefixes)
    assert len({g.id for g in catalog.groups}) == 6


def test_general_window_accepts_any_item(catalog: Catalog) -> None:
    by_name = {g.name: g for g in catalog.groups}
    assert by_name["大综窗"].any_item is True
    assert [g.name for g in catalog.groups if g.any_item] == ["大综窗"]


def test_every_group_has_counters_and_a_location(catalog: Catalog) -> None:
    for g in catalog.groups:
        assert g.counters and g.location and g.location_en, g.id


def test_counters_are_not_shared_between_groups(catalog: Catalog) -> None:
    counters = [c for g in catalog.groups for c in g.counters]
    assert len(counters) == len(set(counters))


def test_every_entry_references_a_real_group_and_items(catalog: Catalog) -> None:
    group_ids = {g.id for g in catalog.groups}
    service_ids = {s.id for s in catalog.services}
    for s in catalog.services:
        assert s.group in group_ids, s.id
        assert s.materials, s.id
    for b in catalog.bundles:
        assert b.group in group_ids, b.id
        assert set(b.items) <= service_ids, b.id
        assert len(b.items) >= 2


def test_every_group_with_intake_has_an_item(catalog: Catalog) -> None:
    for g in catalog.intake_groups():
        assert catalog.services_in(g.id), f"{g.name} lists no item"


def test_ids_are_unique_across_services_and_bundles(catalog: Catalog) -> None:
    ids = [s.id for s in catalog.services] + [b.id for b in catalog.bundles]
    assert len(ids) == len(set(ids))


def test_lookups(catalog: Catalog) -> None:
    assert isinstance(catalog.entry("business-license"), Service)
    assert isinstance(catalog.entry("newborn-bundle"), Bundle)
    assert catalog.group("general").name == "大综窗"
    with pytest.raises(KeyError):
        catalog.entry("no-such-item")
    with pytest.raises(KeyError):
        catalog.group("no-such-group")
    assert {s.group for s in catalog.services_in("market")} == {"market"}


def test_newborn_bundle_is_the_documented_one(catalog: Catalog) -> None:
    b = catalog.entry("newborn-bundle")
    assert isinstance(b, Bundle)
    assert {s.name for s in catalog.bundle_items(b)} == {
        "出生医学证明办理",
        "新生儿户口登记",
        "新生儿医保参保",
    }


def test_anonymous_only_where_declared(catalog: Catalog) -> None:
    anonymous = {s.id for s in catalog.services if catalog.allows_anonymous(s)}
    assert anonymous == {s.id for s in catalog.services if s.anonymous}
    assert "business-license" not in anonymous
    assert "policy-consultation" in anonymous


# -- bundle materials: one set (一套材料) ---------------------------------------------------
def test_bundle_materials_are_each_items_materials_once(catalog: Catalog) -> None:
    for bundle in catalog.bundles:
        merged = catalog.materials_for(bundle)
        names = [m.name for m in merged]
        assert len(names) == len(set(names)), f"{bundle.id}: a material listed twice"
        expected = {m.name for item in catalog.bundle_items(bundle) for m in item.materials}
        assert set(names) == expected, bundle.id


def test_bundle_material_core_in_any_item_stays_core(catalog: Catalog) -> None:
    for bundle in catalog.bundles:
        merged = {m.name: m for m in catalog.materials_for(bundle)}
        for name, m in merged.items():
            core_somewhere = any(
                x.core
                for item in catalog.bundle_items(bundle)
                for x in item.materials
                if x.name == name
            )
            assert m.core is core_somewhere, f"{bundle.id}: {name}"


def test_shipped_bundles_actually_share_materials(catalog: Catalog) -> None:
    """Otherwise the dedupe tests above prove nothing on the shipped data."""
    total = sum(len(item.materials) for b in catalog.bundles for item in catalog.bundle_items(b))
    merged = sum(len(catalog.materials_for(b)) for b in catalog.bundles)
    assert merged < total


def test_service_materials_are_its_own(catalog: Catalog) -> None:
    s = catalog.entry("business-license")
    assert isinstance(s, Service)
    assert catalog.materials_for(s) == list(s.materials)


# -- synthetic catalogs -------------------------------------------------------------------
HEAD = """
version = "t"
hall_name = "测试大厅"
hall_name_en = "Test hall"

[[groups]]
id = "one"
name = "一"
name_en = "One"
prefix = "A"
location = "一楼"
location_en = "Floor 1"
counters = ["1"]

[[groups]]
id = "two"
name = "二"
name_en = "Two"
prefix = "{prefix2}"
location = "二楼"
location_en = "Floor 2"
counters = ["2"]
"""

SERVICE = """
[[services]]
id = "{id}"
name = "事项{id}"
name_en = "Item {id}"
group = "{group}"
time_limit = "即办"
time_limit_en = "On the spot"
anonymous = {anonymous}
materials = [{materials}]
"""


def material(name: str, core: bool = True) -> str:
    return f'{{ name = "{name}", name_en = "{name}", core = {str(core).lower()} }}'


def service(
    id: str, group: str = "one", materials: str | None = None, anonymous: bool = False
) -> str:
    return SERVICE.format(
        id=id,
        group=group,
        materials=materials or material("身份证"),
        anonymous=str(anonymous).lower(),
    )


def bundle(id: str, items: list[str], group: str = "one") -> str:
    quoted = ", ".join(f'"{i}"' for i in items)
    return (
        f'\n[[bundles]]\nid = "{id}"\nname = "{id}"\nname_en = "{id}"\ngroup = "{group}"\n'
        f'items = [{quoted}]\ntime_limit = "1天"\ntime_limit_en = "1 day"\n'
    )


def write_catalog(tmp_path: Path, *parts: str, prefix2: str = "B") -> Path:
    path = tmp_path / "services.toml"
    path.write_text(HEAD.format(prefix2=prefix2) + "".join(parts), encoding="utf-8")
    return path


def test_synthetic_catalog_loads(tmp_path: Path) -> None:
    c = load_catalog(write_catalog(tmp_path, service("a"), service("b", "two")))
    assert [s.id for s in c.services] == ["a", "b"]
    assert c.group("two").prefix == "B"


@pytest.mark.parametrize(
    ("first_core", "second_core"), [(False, True), (True, False), (True, True), (False, False)]
)
def test_bundle_merge_core_wins_whatever_the_order(
    tmp_path: Path, first_core: bool, second_core: bool
) -> None:
    path = write_catalog(
        tmp_path,
        service("a", materials=", ".join([material("共同材料", first_core), material("甲")])),
        service("b", materials=", ".join([material("乙"), material("共同材料", second_core)])),
        bundle("ab", ["a", "b"]),
    )
    c = load_catalog(path)
    merged = c.materials_for(c.entry("ab"))
    assert [m.name for m in merged].count("共同材料") == 1
    assert sorted(m.name for m in merged) == sorted(["共同材料", "甲", "乙"])
    shared = next(m for m in merged if m.name == "共同材料")
    assert shared.core is (first_core or second_core)


def test_bundle_anonymous_only_if_every_item_is(tmp_path: Path) -> None:
    path = write_catalog(
        tmp_path,
        service("a", anonymous=True),
        service("b", anonymous=False),
        service("c", anonymous=True),
        bundle("ab", ["a", "b"]),
        bundle("ac", ["a", "c"]),
    )
    c = load_catalog(path)
    assert c.allows_anonymous(c.entry("ab")) is False
    assert c.allows_anonymous(c.entry("ac")) is True


# -- malformed catalogs -------------------------------------------------------------------
def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    msg = str(info.value)
    assert str(path) in msg, "the message must name the file"
    return msg


def test_unknown_group_reference(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a", group="nope")))
    assert "group" in msg and "'nope'" in msg
    assert "services[0] (a)" in msg
    assert "one" in msg and "two" in msg  # what is allowed


def test_unknown_group_reference_in_a_bundle(tmp_path: Path) -> None:
    msg = load_error(
        write_catalog(tmp_path, service("a"), service("b"), bundle("ab", ["a", "b"], group="nope"))
    )
    assert "bundles[0] (ab).group" in msg and "'nope'" in msg


def test_bundle_with_unknown_item(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a"), bundle("ab", ["a", "ghost"])))
    assert "bundles[0] (ab).items" in msg and "'ghost'" in msg


def test_bundle_with_one_item(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a"), bundle("ab", ["a"])))
    assert "bundles.0.items" in msg


def test_duplicate_prefix(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a"), prefix2="A"))
    assert "prefix" in msg and "'A'" in msg


def test_duplicate_service_id(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a"), service("a")))
    assert "duplicate" in msg and "'a'" in msg


def test_bad_prefix_shape(tmp_path: Path) -> None:
    msg = load_error(write_catalog(tmp_path, service("a"), prefix2="b2"))
    assert "groups.1.prefix" in msg


def test_bad_toml(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, service("a"))
    path.write_text(path.read_text(encoding="utf-8") + "\n[[services]\n", encoding="utf-8")
    msg = load_error(path)
    assert "TOML" in msg


def test_missing_field(tmp_path: Path) -> None:
    text = service("a").replace('name_en = "Item a"\n', "")
    msg = load_error(write_catalog(tmp_path, text))
    assert "services.0.name_en" in msg and "required" in msg.lower()


def test_missing_materials(tmp_path: Path) -> None:
    text = "\n".join(line for line in service("a").splitlines() if not line.startswith("materials"))
    msg = load_error(write_catalog(tmp_path, text))
    assert "services.0.materials" in msg


def test_typo_in_a_material_key_is_not_ignored(tmp_path: Path) -> None:
    """A misspelt ``core`` must not silently turn a 容缺 material into a core one."""
    bad = '{ name = "x", name_en = "x", cor = false }'
    msg = load_error(write_catalog(tmp_path, service("a", materials=bad)))
    assert "services.0.materials.0.cor" in msg


def test_unknown_doc_type(tmp_path: Path) -> None:
    bad = '{ name = "x", name_en = "x", doc_type = "passport" }'
    msg = load_error(write_catalog(tmp_path, service("a", materials=bad)))
    assert "services.0.materials.0.doc_type" in msg and "id_card_front" in msg


def test_missing_catalog_file(tmp_path: Path) -> None:
    msg = load_error(tmp_path / "absent.toml")
    assert "not found" in msg


def test_shipped_catalog_broken_by_one_edit(tmp_path: Path) -> None:
    """The same checks hold on the real file: point one item at a group that does not exist."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert 'group = "market"' in text
    path = tmp_path / "services.toml"
    path.write_text(text.replace('group = "market"', 'group = "markt"', 1), encoding="utf-8")
    msg = load_error(path)
    assert "'markt'" in msg and "business-license" in msg


def test_the_any_item_tile_lists_every_item_its_counters_call(catalog: Catalog) -> None:
    tile = [s.id for s in catalog.tile_services("general")]
    own = [s.id for s in catalog.services_in("general")]
    assert tile[: len(own)] == own  # its own items first
    shared = {g.id for g in catalog.groups if g.served_by_any_item}
    assert set(tile) == {s.id for s in catalog.services if s.group in shared}
    assert {"business-license", "hukou-transfer", "construction-permit"} <= set(tile)
    assert "result-pickup" not in tile and "unresolved-report" not in tile
    assert len(tile) == len(set(tile))
    # Other groups' tiles are unchanged.
    assert catalog.tile_services("market") == catalog.services_in("market")
