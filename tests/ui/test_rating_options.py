"""The kiosk offers the hall server's own rating reasons and case categories (fetched when
the screen opens), and keeps its built-in lists while the server is down."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pytestqt.qtbot import QtBot
from uihelpers import click, find_button

from hall.db import add_staff
from hall.embedded import EmbeddedHallServer
from kiosk.app import KioskCore, build_core
from kiosk.journeys.case import CASE_CATEGORIES
from kiosk.journeys.rating import RATING_REASONS
from kiosk.settings import load_settings
from ui.main_window import MainWindow
from ui.runner import QtRunner

REASONS = ("态度", "排队太久", "其他")
CATEGORIES = ("跨部门协调", "证照办理", "其他")


@pytest.fixture
def core(runner: QtRunner, monkeypatch: pytest.MonkeyPatch) -> Iterator[KioskCore]:
    monkeypatch.setenv("HALL_RATING_REASONS", ",".join(REASONS))
    monkeypatch.setenv("HALL_CASE_CATEGORIES", ",".join(CATEGORIES))
    c = build_core(load_settings(), runner, hall_server=EmbeddedHallServer)
    yield c
    c.close()


def test_rating_reasons_and_case_categories_come_from_the_server(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    assert flow.rating.reasons == RATING_REASONS  # built in until the server answered
    click(qtbot, window, "tile_rating")
    qtbot.waitUntil(lambda: flow.rating.reasons == REASONS, timeout=10_000)
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_dissatisfied")
    qtbot.waitUntil(lambda: find_button(window, "reason_1") is not None)
    assert find_button(window, "reason_1").text() == "排队太久"
    assert find_button(window, "reason_3") is None  # 多次跑动 is not offered by this hall
    click(qtbot, window, "reason_1")
    click(qtbot, window, "rating_submit")
    # the built-in list's 效率 would have been refused as unknown_reason; this one arrives
    qtbot.waitUntil(lambda: flow.state.rating.result == "confirmed", timeout=10_000)
    staff = add_staff(core.hall.server.database_url, "auditor")  # type: ignore[union-attr]
    [record] = httpx.get(f"{core.hall.base_url}/api/v1/ratings/export?format=json",
                         headers={"Authorization": f"Bearer {staff}"}).json()  # fmt: skip
    assert record["reasons"] == "排队太久"

    click(qtbot, window, "rating_home")
    click(qtbot, window, "tile_case")
    qtbot.waitUntil(lambda: flow.case.categories == CATEGORIES, timeout=10_000)
    qtbot.waitUntil(lambda: find_button(window, "cat_1") is not None)
    assert find_button(window, "cat_1").text() == "证照办理"
    assert find_button(window, "cat_3") is None


def test_built_in_lists_stay_while_the_server_is_down(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    core.hall.stop_server()  # type: ignore[union-attr]
    pending = core.flow.visit.runner.pending  # type: ignore[attr-defined]
    click(qtbot, window, "tile_case")
    click(qtbot, window, "home")
    click(qtbot, window, "tile_rating")
    qtbot.waitUntil(lambda: core.flow.visit.runner.pending == pending, timeout=10_000)  # type: ignore[attr-defined]
    assert flow.rating.reasons == RATING_REASONS and flow.case.categories == CASE_CATEGORIES
    assert find_button(window, "rate_self_service") is not None
