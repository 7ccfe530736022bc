"""The service catalog: window groups, items (事项) and bundles (一件事), loaded from TOML.

The catalog is data (``config/services.toml``), validated on load so that a typo stops
start-up with a message naming the file, the key and what is allowed. Both the kiosk and the
hall server read it: the server needs each item's window group and ticket prefix.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contract.errors import ConfigError, describe_validation_error

DocType = Literal[
    "id_card_front",
    "id_card_back",
    "household_register",
    "business_license",
    "marriage_certificate",
    "birth_certificate",
    "real_estate_certificate",
    "application_form",
    "other",
]

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "services.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowGroup(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    name_en: str
    prefix: str = Field(pattern=r"^[A-Z]$", description="ticket prefix, one capital letter")
    location: str
    location_en: str
    counters: tuple[str, ...] = Field(min_length=1, description="counter (window) numbers")
    avg_service_s: int = Field(default=600, gt=0, description="fallback service time, seconds")
    daily_reset: bool = True
    any_item: bool = False  # 无差别受理: this group's counters accept every item
    intake: bool = True  # False for groups that issue no intake tickets themselves (出件)
    served_by_any_item: bool = True  # may 无差别受理 counters call this group's tickets?


class Material(_Strict):
    name: str
    name_en: str
    core: bool = True  # False: 容缺 — may be supplied later under a written promise
    doc_type: DocType = "other"
    copies: int = Field(default=1, ge=1)


class Service(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    name_en: str
    group: str
    time_limit: str  # 承诺时限, as citizens read it: "即办", "5个工作日"
    time_limit_en: str
    fee: str = "免费"
    fee_en: str = "Free"
    anonymous: bool = False  # may a ticket be taken without identifying?
    materials: tuple[Material, ...] = Field(min_length=1)


class Bundle(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    name_en: str
    group: str
    items: tuple[str, ...] = Field(min_length=2)
    time_limit: str
    time_limit_en: str
    fee: str = "免费"
    fee_en: str = "Free"


class Catalog(_Strict):
    version: str
    hall_name: str
    hall_name_en: str
    # The one rule for a missed call (过号), said alike by the thank-you screen, the voice
    # and the printed ticket; it must match what the counters do with a no-show.
    missed_call_rule: str = Field(default="过号请重新取号。", min_length=2, max_length=40)
    missed_call_rule_en: str = Field(
        default="If you miss your call, please take a new number.", min_length=2, max_length=80
    )
    groups: tuple[WindowGroup, ...] = Field(min_length=1)
    services: tuple[Service, ...] = Field(min_length=1)
    bundles: tuple[Bundle, ...] = ()

    @model_validator(mode="after")
    def _check_references(self) -> Catalog:
        group_ids = [g.id for g in self.groups]
        _no_duplicates("groups", group_ids)
        _no_duplicates("groups.prefix", [g.prefix for g in self.groups])
        _no_duplicates(
            "services/bundles", [s.id for s in self.services] + [b.id for b in self.bundles]
        )
        service_ids = {s.id for s in self.services}
        for kind, entries in (("services", self.services), ("bundles", self.bundles)):
            for i, entry in enumerate(entries):
                if entry.group not in group_ids:
                    raise ValueError(
                        f"{kind}[{i}] ({entry.id}).group: unknown window group {entry.group!r};"
                        f" allowed: {', '.join(group_ids)}"
                    )
        for i, bundle in enumerate(self.bundles):
            for item in bundle.items:
                if item not in service_ids:
                    raise ValueError(f"bundles[{i}] ({bundle.id}).items: unknown item {item!r}")
        return self

    # -- look-ups ---------------------------------------------------------------------
    def group(self, group_id: str) -> WindowGroup:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def entry(self, entry_id: str) -> Service | Bundle:
        """An item or a bundle by id (tickets name either)."""
        for s in self.services:
            if s.id == entry_id:
                return s
        for b in self.bundles:
            if b.id == entry_id:
                return b
        raise KeyError(entry_id)

    def services_in(self, group_id: str) -> list[Service]:
        return [s for s in self.services if s.group == group_id]

    def tile_services(self, group_id: str) -> list[Service]:
        """What a group's tile on the kiosk lists: its own items, or for a 无差别受理 group
        (``any_item``) its own items first and then every item its counters also call
        (of the groups with ``served_by_any_item``). A ticket always goes to the item's own
        group; the 大综窗's counters call those queues too (hall.call_order)."""
        group = self.group(group_id)
        own = self.services_in(group_id)
        if not group.any_item:
            return own
        shared = {g.id for g in self.groups if g.served_by_any_item and g.id != group_id}
        return own + [s for s in self.services if s.group in shared]

    def bundle_items(self, bundle: Bundle) -> list[Service]:
        return [s for s in self.services if s.id in bundle.items]

    def materials_for(self, entry: Service | Bundle) -> list[Material]:
        """The one-time notice's list; a bundle merges its items' materials (一套材料).

        A material named in several items appears once, and is core if any item needs it
        as core.
        """
        if isinstance(entry, Service):
            return list(entry.materials)
        merged: dict[str, Material] = {}
        for item in self.bundle_items(entry):
            for m in item.materials:
                seen = merged.get(m.name)
                if seen is None or (m.core and not seen.core):
                    merged[m.name] = m
        return list(merged.values())

    def allows_anonymous(self, entry: Service | Bundle) -> bool:
        if isinstance(entry, Service):
            return entry.anonymous
        return all(s.anonymous for s in self.bundle_items(entry))

    def intake_groups(self) -> list[WindowGroup]:
        return [g for g in self.groups if g.intake]


def _no_duplicates(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: duplicate id {i!r}")
        seen.add(i)


def load_catalog(path: str | Path = DEFAULT_PATH) -> Catalog:
    """Read and validate the catalog; raise ConfigError naming the file, key and problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: service catalog not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
