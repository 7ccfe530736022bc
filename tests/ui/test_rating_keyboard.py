"""A bad review's comment written on the on-screen keyboard in pinyin (and by hand) reaches
the real hall server with the rating; the keyboard forgets it all when the visit ends."""

from __future__ import annotations

import httpx
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from test_accessibility import audit
from test_keyboard import draw
from uihelpers import click, find_button

from hall.db import add_staff
from kiosk.app import KioskCore
from kiosk.visit import Screen
from ui.keyboard import PINYIN
from ui.main_window import MainWindow
from ui.screens.rating import RateReasonsScreen


def test_a_comment_typed_in_pinyin_arrives_with_the_rating(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    flow = core.flow
    spoken: list[str] = []
    screen = window.screens[Screen.RATE_REASONS]
    assert isinstance(screen, RateReasonsScreen)
    assert screen.keyboard is None  # not built at start-up: the kiosk starts as fast as before

    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_dissatisfied")
    assert flow.state.screen is Screen.RATE_REASONS
    click(qtbot, window, "reason_0")  # 态度
    assert screen.keyboard is None  # the keyboard waits to be asked for
    click(qtbot, window, "rating_open_keyboard")
    kb = screen.keyboard
    assert kb is not None
    kb.speak.connect(spoken.append)
    qtbot.waitUntil(lambda: kb.isVisible() and kb.ready, timeout=60_000)
    assert kb.mode == PINYIN
    assert "屏幕键盘" in window.announcement()  # read as one thing, not forty keys

    guide = window.guide
    assert guide is not None
    guide.normal_mode = True  # the hall turned voice on: chosen words are read back
    said_before = guide.last
    for ch in "banbuchengshi":
        click(qtbot, kb, f"kb_key_{ch}")
    click(qtbot, kb, "kb_cand_0")
    qtbot.waitUntil(lambda: "办不成事" in guide.voice.spoken, timeout=5000)  # type: ignore[attr-defined]
    assert guide.last == said_before  # 重听 still repeats the screen, not the typing
    guide.normal_mode = False
    click(qtbot, kb, "kb_punct_0")  # ，
    click(qtbot, kb, "kb_mode_handwriting")
    draw(qtbot, kb, "大")
    top = [b.text() for b in kb.candidate_buttons if b.isVisible()]
    click(qtbot, kb, f"kb_cand_{top.index('大')}")
    assert screen.comment.text() == "办不成事，大"
    assert spoken == ["办不成事", "，", "大"]  # the keyboard offers each choice
    assert "大" not in guide.voice.spoken  # type: ignore[attr-defined]  # voice off: not said

    click(qtbot, window, "rating_submit")
    qtbot.waitUntil(lambda: flow.state.rating.result == "confirmed", timeout=10_000)
    token = add_staff(core.hall.server.database_url, "window-16")  # type: ignore[union-attr]
    auth = {"Authorization": f"Bearer {token}"}
    exported = httpx.get(f"{core.hall.base_url}/api/v1/ratings/export?format=json",
                         headers=auth).json()  # fmt: skip
    [record] = exported
    assert record["satisfaction"] == "非常不满意" and record["text"] == "办不成事，大"

    # the next visit: nothing of this one's typing is left
    click(qtbot, window, "rating_home")
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_dissatisfied")
    assert screen.comment.text() == "" and not kb.isVisible()
    assert kb.field is None and not kb.composition.composing and kb.pad.strokes == []


def test_the_rating_screen_with_the_keyboard_open_passes_the_audit(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """The accessibility audit of the whole window (tests/ui/test_accessibility.py) with
    the keyboard open in both Chinese modes: everything fits, nothing is squeezed."""
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_dissatisfied")
    click(qtbot, window, "rating_open_keyboard")
    screen = window.screens[Screen.RATE_REASONS]
    assert isinstance(screen, RateReasonsScreen) and screen.keyboard is not None
    kb = screen.keyboard
    qtbot.waitUntil(lambda: kb.isVisible() and kb.ready, timeout=60_000)
    for ch in "shebaoka":
        click(qtbot, kb, f"kb_key_{ch}")
    # the screen re-rendered for typing: its new 提交 button shown (and the old one gone)
    qtbot.waitUntil(lambda: find_button(window, "rating_submit") is not None)
    assert audit("rating_keyboard_pinyin", window, elder=False) == []
    click(qtbot, kb, "kb_mode_handwriting")
    draw(qtbot, kb, "口")
    assert audit("rating_keyboard_handwriting", window, elder=False) == []
    assert screen.comment.isVisible() and find_button(window, "rating_submit") is not None
    assert window.current_screen().title.text() == "请写下您的意见"  # typing the comment


def test_in_elder_mode_the_comment_is_written_on_the_large_keyboard(
    qtbot: QtBot, window: MainWindow, core: KioskCore
) -> None:
    """长辈版 offers the comment too, on the keyboard's 长辈版 sizes (keys >= 60 px, a large
    writing pad), and the window still passes the 长辈版 audit with it open."""
    click(qtbot, window, "elder")  # the citizen's own tap: the window restyles for 长辈版
    assert core.flow.state.elder
    click(qtbot, window, "tile_rating")
    click(qtbot, window, "rate_self_service")
    click(qtbot, window, "level_very_dissatisfied")
    screen = window.screens[Screen.RATE_REASONS]
    assert isinstance(screen, RateReasonsScreen)
    click(qtbot, window, "rating_open_keyboard")
    kb = screen.keyboard
    assert kb is not None
    qtbot.waitUntil(lambda: kb.isVisible() and kb.ready, timeout=60_000)
    key = kb.findChild(QPushButton, "kb_key_a")
    assert key is not None and min(key.width(), key.height()) >= 60
    for ch in "da":
        click(qtbot, kb, f"kb_key_{ch}")
    # 长辈版's restyle runs on the next turn of the event loop (a 0 ms timer); the clicks
    # above need not have given it one when every button was already there
    qtbot.waitUntil(lambda: not window.restyle_timer.isActive())
    # the larger keyboard pushes 提交 below the fold of a 1280x960 window while typing; 收起键盘
    # is in view and brings the reasons and 提交 back (the page scrolls, as every screen does)
    close = find_button(window, "kb_close")
    assert close is not None and close.visibleRegion().boundingRect() == close.rect()
    assert audit("rating_keyboard_elder_pinyin", window, elder=True, visible_only=True) == []
    click(qtbot, kb, "kb_mode_handwriting")
    qtbot.waitUntil(lambda: kb.pad.isVisible())
    assert kb.pad.width() >= 400, "the writing pad is large in 长辈版"
    draw(qtbot, kb, "口")
    assert audit("rating_keyboard_elder_handwriting", window, elder=True, visible_only=True) == []
    click(qtbot, kb, "kb_close")
    qtbot.waitUntil(lambda: not kb.isVisible())
    assert find_button(window, "rating_submit") is not None  # back to the reasons and 提交
