"""A tour of every screen and overlay, in both modes and both languages.

Used by ``python -m kiosk --screenshots DIR`` (staff documentation) and by the
accessibility audit test, so both see exactly the same screens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from devices.scanner import page as pagelib
from kiosk.app import KioskCore
from kiosk.flow import Flow
from kiosk.precheck.pipeline import PageResult
from kiosk.visit import Screen
from ui.main_window import ANNOUNCE_SETTLE_MS, MainWindow


def settle(
    app: QApplication, condition: Callable[[], bool] = lambda: True, timeout_s: float = 60.0
) -> None:
    """Process events until ``condition`` holds and the screen has been spoken. The deadline
    is generous: on a loaded machine the embedded hall server and the printer take their time."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the kiosk did not reach the expected state in time")
        app.processEvents()
        QTest.qWait(5)
    QTest.qWait(ANNOUNCE_SETTLE_MS + 30)
    app.processEvents()


def _page_done(flow: Flow) -> bool:
    st = flow.state.precheck
    return st is not None and not st.analysing and (st.last is not None or st.problem is not None)


def _blurred_page() -> PageResult:
    """What the pipeline answers for a blurred photo of an ID card (nothing read)."""
    return PageResult(
        file="page-1", doc_type="other", confidence=0.0, quality=["blurred"], fields={},
        readable=False, missing_fields=[], holder_match="unknown",
        advice=[pagelib.advice("blurred", "zh")], advice_en=[pagelib.advice("blurred", "en")],
        quality_metrics={}, timings_ms={},
    )  # fmt: skip


def _slip_done(flow: Flow) -> bool:
    st = flow.state.precheck
    return st is not None and st.slip in ("printed", "failed")


def tour(app: QApplication, window: MainWindow, core: KioskCore) -> Iterator[str]:
    """Drive the kiosk through every screen; yield a name (mode-language-screen) at each."""
    flow = core.flow
    cards = dict(core.virtual_cards())
    adult = next(n for n in cards if n != "elderly")
    for elder in (False, True):
        for language in ("zh", "en"):
            tag = f"{'elder' if elder else 'normal'}-{language}"

            def start() -> None:
                flow.home()
                flow.visit.set_language(language)  # noqa: B023 (used at once)
                flow.visit.set_elder(elder)  # noqa: B023

            start()
            settle(app)
            yield f"{tag}-home"
            flow.ticket.take_number()
            settle(app)
            yield f"{tag}-groups"
            flow.ticket.choose_group("general")
            settle(app)
            yield f"{tag}-items"
            flow.ticket.choose_entry("social-security-card")
            settle(app)
            yield f"{tag}-identify"
            flow.ticket.submit_typed_id("123")
            settle(app)
            yield f"{tag}-identify-invalid"
            core.present_virtual_card(adult)
            settle(app, lambda: flow.state.screen is Screen.NOTICE)
            yield f"{tag}-notice"
            flow.ticket.confirm_notice()
            settle(app, lambda: flow.state.screen is Screen.TICKET and flow.state.busy is None)
            yield f"{tag}-ticket"
            flow.finish()
            settle(app)
            yield f"{tag}-thanks"
            # 评价 and 办不成事反映
            start()
            flow.rating.open()
            settle(app)
            yield f"{tag}-rate-find"
            flow.rating.rate_self_service()
            settle(app)
            yield f"{tag}-rate-level"
            flow.rating.choose_level("dissatisfied")
            settle(app)
            yield f"{tag}-rate-reasons"
            start()
            flow.case.open()
            settle(app)
            yield f"{tag}-case-form"
            start()
            flow.case.open_query()
            settle(app)
            yield f"{tag}-case-query"
            # 材料预审: capture (empty), a blurred page's advice, the verdict
            pre = flow.precheck
            if pre is not None:
                start()
                flow.ticket.open_precheck()
                flow.ticket.choose_group("livelihood")
                flow.ticket.choose_entry("newborn-bundle")
                settle(app)
                yield f"{tag}-precheck"
                pre.show_page(_blurred_page())  # as analysed: the tour needs no OCR process
                settle(app, lambda: _page_done(flow))  # noqa: B023
                yield f"{tag}-precheck-advice"
                pre.finish()
                settle(app, lambda: _slip_done(flow))  # noqa: B023
                yield f"{tag}-precheck-result"
            # overlays: the 长辈版 offer (normal mode), help, "are you still there?"
            start()
            flow.ticket.take_number()
            flow.ticket.choose_group("general")
            flow.ticket.choose_entry("social-security-card")
            core.present_virtual_card("elderly")
            settle(app, lambda: flow.state.screen is Screen.NOTICE)
            if not elder:
                yield f"{tag}-elder-offer"
                flow.visit.decline_elder()
            flow.help.call_staff()
            settle(app, lambda: flow.state.help in ("sent", "failed"))
            yield f"{tag}-help"
            flow.help.dismiss()
            real_clock = flow.visit.clock
            frozen = real_clock()
            flow.visit.clock = lambda: frozen  # noqa: B023 (restored below)
            try:
                flow.touch()
                frozen += flow.config.inactivity_s * flow.config.elder_timeout_factor + 1
                window._tick()
                settle(app, lambda: flow.state.idle_prompt)
                yield f"{tag}-idle"
            finally:
                flow.visit.clock = real_clock
                flow.home()


def save_screenshots(
    app: QApplication, window: MainWindow, core: KioskCore, out: Path
) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for name in tour(app, window, core):
        window.grab().save(str(out / f"{name}.png"))
        names.append(name)
    return names
