"""The queue's rules as plain functions (``hall.queue_rules``), which every ticket store
uses, on the real catalog (config/services.toml); no database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from contract.api import TicketRequest
from contract.catalog import DEFAULT_PATH, load_catalog
from hall.queue_rules import (
    TRANSITIONS,
    CatalogIndex,
    InvalidTransition,
    UnknownCounter,
    UnknownGroup,
    UnknownService,
    new_ticket_values,
    service_time_s,
    ticket_out,
    transfer_target,
    wait_s,
)

INDEX = CatalogIndex(load_catalog(DEFAULT_PATH))
MARKET = INDEX.groups["market"]  # prefix B, counters 5–9, avg 720 s
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_wait_is_rounds_of_counters_times_the_median_or_the_catalogs_average() -> None:
    assert wait_s(MARKET, 0, [100.0] * 5) == 0
    assert wait_s(MARKET, 7, [240.0, 250.0, 230.0]) == 2 * 240  # ceil(7 / 5) × median
    assert wait_s(MARKET, 5, [60.0, 60.0]) == 720  # fewer than 3 known: the catalog's
    assert wait_s(None, 3, [60.0] * 3) == 0  # a group the catalog no longer has
    assert service_time_s(MARKET, [10.0, 30.0, 20.0, 1000.0]) == 25.0


def test_only_the_listed_states_allow_an_action() -> None:
    assert TRANSITIONS["complete"].allowed_from == {"called"}
    assert TRANSITIONS["resume"].allowed_from == {"held"}
    assert TRANSITIONS["transfer"].allowed_from == {"called", "held"}
    assert TRANSITIONS["transfer"].to == TRANSITIONS["resume"].to == "waiting"


def test_a_new_ticket_is_numbered_in_its_groups_period_and_keeps_no_id_number() -> None:
    now = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
    req = TicketRequest.model_validate({
        "service_id": "business-license", "idempotency_key": "k1",
        "holder": {"id_number": "11010519491231002X"},
    })  # fmt: skip
    group, values = new_ticket_values(INDEX, SHANGHAI, b"k" * 32, "kiosk-1", req, now)
    assert group is MARKET
    assert (values["prefix"], values["service_day"]) == ("B", dt.date(2026, 3, 2))
    assert values["holder_hash"] and "11010519491231002X" not in str(values)
    unknown = TicketRequest(service_id="nothing-such", idempotency_key="k2")
    with pytest.raises(UnknownService):
        new_ticket_values(INDEX, SHANGHAI, b"k" * 32, "kiosk-1", unknown, now)


def test_the_api_view_names_the_service_in_the_tickets_language() -> None:
    now = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)
    row = SimpleNamespace(
        id="t1", number="B001", service_id="business-license", window_group="market",
        service_day=dt.date(2026, 3, 2), issued_at=now, status="waiting", priority=False,
        language="en", masked_name=None, kiosk_id="kiosk-1", counter=None, called_at=None,
        completed_at=None, recall_count=0, transferred_at=now,
    )  # fmt: skip
    out = ticket_out(INDEX, row, 3, 720)
    assert out.window_group_name == "Market entry"
    assert (out.status, out.people_ahead, out.estimated_wait_s) == ("transferred", 3, 720)


def test_a_transfer_names_one_known_group_or_counter() -> None:
    assert transfer_target(INDEX, "market", None, " 材料 ") == (MARKET, "group:market  材料")
    group, detail = transfer_target(INDEX, None, "7", None)
    assert (group, detail) == (MARKET, "counter:7")
    with pytest.raises(InvalidTransition):
        transfer_target(INDEX, "market", "7", None)
    with pytest.raises(UnknownGroup):
        transfer_target(INDEX, "nowhere", None, None)
    with pytest.raises(UnknownCounter):
        transfer_target(INDEX, None, "999", None)
