"""好差评 on the kiosk: a good and a bad review reach the hall server through the outbox."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot
from uihelpers import click, text_of

from hall.db import add_staff
from kiosk.app import KioskCore
from kiosk.visit import Message, Problem, Screen
from ui.main_window import MainWindow


def _served_ticket(qtbot: QtBot, window: MainWindow, core: KioskCore) -> str:
    """Take a ticket at the kiosk, then have a counter call and complete it."""
    for name in ("tile_ticket", "group_general", "entry_policy-consultation", "skip_identity",
                 "confirm_notice"):  # fmt: skip
        click(qtbot, window, name)
    qtbot.waitUntil(lambda: core.flow.state.printed, timeout=10_000)
    number = core.flow.state.ticket.number
    click(qtbot, window, "finish")
    click(qtbot, window, "thanks_home")
    staff = add_staff(core.hall.server.database_url, "window-16")  # type: ignore[union-attr]
    auth = {"Authorization": f"Bearer {staff}"}
    called = httpx.post(f"{core.hall.base_url}/api/v1/counters/16/call-next", headers=auth).json()
    assert called["number"] == number
    httpx.post(
        f"{core.hall.base_url}/api/v1/tickets/{called['id']}/complete", headers=auth
    ).raise_for_status()
    return number


def _type_number(qtbot: QtBot, window: MainWindow, number: str) -> None:
    for ch in number:
        click(qtbot, window, f"rkey_{ch}")
    click(qtbot, window, "rating_find")


def test_good_review_is_confirmed_and_a_second_one_refused(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    number = _served_ticket(qtbot, window, core)
    click(qtbot, window, "tile_rating")
    _type_number(qtbot, window, number)
    qtbot.waitUntil(lambda: core.flow.state.screen is Screen.RATE_LEVEL, timeout=10_000)
    click(qtbot, window, "level_satisfied")
    assert core.flow.state.screen is Screen.RATE_DONE
    qtbot.waitUntil(lambda: core.flow.state.rating.result == "confirmed", timeout=10_000)
    # the screen is told as soon as the server answered; the sender thread removes the
    # message from the outbox just after, so wait for that rather than race it
    qtbot.waitUntil(lambda: core.outbox.backlog() == 0, timeout=5_000)
    qtbot.waitUntil(lambda: "评价已提交" in text_of(window.current_screen(), "rating_result"))

    click(qtbot, window, "rating_home")
    click(qtbot, window, "tile_rating")
    _type_number(qtbot, window, number)
    qtbot.waitUntil(
        lambda: core.flow.state.message == Message(Problem.ALREADY_RATED), timeout=10_000
    )
    assert core.flow.state.screen is Screen.RATE_FIND


def test_bad_review_needs_a_reason(qtbot: QtBot, window: MainWindow, core: KioskCore) -> None:
    number = _served_ticket(qtbot, window, core)
    click(qtbot, window, "tile_rating")
    _type_number(qtbot, window, number)
    qtbot.waitUntil(lambda: core.flow.state.screen is Screen.RATE_LEVEL, timeout=10_000)
    click(qtbot, window, "level_dissatisfied")
    assert core.flow.state.screen is Screen.RATE_REASONS
    click(qtbot, window, "rating_submit")
    assert core.flow.state.message == Message(Problem.REASON_NEEDED)
    assert core.outbox.backlog() == 0  # nothing sent without a reason
    click(qtbot, window, "reason_1")  # 效率
    click(qtbot, window, "rating_submit")
    qtbot.waitUntil(lambda: core.flow.state.rating.result == "confirmed", timeout=10_000)
    staff = add_staff(core.hall.server.database_url, "supervisor")  # type: ignore[union-attr]
    stats = httpx.get(f"{core.hall.base_url}/api/v1/ratings/stats?by=day",
                      headers={"Authorization": f"Bearer {staff}"}).json()  # fmt: skip
    assert stats["overall"]["counts"]["dissatisfied"] == 1


def test_self_service_area_rating_kept_when_the_server_is_down(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    core.hall.stop_server()  # type: ignore[union-attr]
    now = [0.0]
    core.flow.visit.clock = lambda: now[0]
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_satisfied")
    assert core.flow.state.rating.result == "sending"
    now[0] += 3.5
    window._tick()
    assert core.flow.state.rating.result == "queued"
    qtbot.waitUntil(
        lambda: "网络恢复后会自动提交" in text_of(window.current_screen(), "rating_result")
    )
    assert core.outbox.backlog() == 1  # kept on disk, sent when the server is back
