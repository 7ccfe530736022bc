"""kiosk/flow.py (the visit core and its journeys): the citizen's visit, driven with the real catalog, a fake clock, an in-memory
ticket issuer and the virtual printer (see kiosk_fakes.py)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from kiosk_fakes import (
    PERSON_ID,
    PERSON_NAME,
    DeferredRunner,
    FakeClock,
    FakeIssuer,
    invented_card,
)

from contract.catalog import Bundle, Catalog
from devices.printer.layout import TicketPrint
from kiosk.flow import Flow
from kiosk.hall_client import HallRejected, HallUnavailable
from kiosk.visit import BUNDLES, Message, Problem, Purpose, Screen

ITEM = "business-license"  # 市场准入, prefix B, needs identity
ITEM_GROUP = "market"
ANON_ITEM = "policy-consultation"  # 大综窗, anonymous = true
ANON_GROUP = "general"
BUNDLE = "newborn-bundle"  # 民生服务, prefix C

OTHER_NAME = "李四海"
OTHER_ID = "11010519491231002X"


def to_identify(flow: Flow, group: str = ITEM_GROUP, entry: str = ITEM) -> None:
    flow.ticket.take_number()
    flow.ticket.choose_group(group)
    flow.ticket.choose_entry(entry)
    assert flow.state.screen is Screen.IDENTIFY


def to_notice(flow: Flow, group: str = ITEM_GROUP, entry: str = ITEM) -> None:
    to_identify(flow, group, entry)
    flow.visit.card_presented(invented_card())
    assert flow.state.screen is Screen.NOTICE


def to_ticket(flow: Flow, group: str = ITEM_GROUP, entry: str = ITEM) -> None:
    to_notice(flow, group, entry)
    flow.ticket.confirm_notice()
    assert flow.state.screen is Screen.TICKET


def assert_wiped(flow: Flow, old_session: str) -> None:
    s = flow.state
    assert s.screen is Screen.HOME
    assert s.purpose is Purpose.TICKET
    assert s.holder is None and s.ticket is None
    assert s.group_id is None and s.entry_id is None
    assert s.message is None and s.busy is None
    assert s.printed is False and s.print_job is None
    assert s.idle_prompt is False and s.idle_deadline is None
    assert s.session_id != old_session


# -- the whole visit ----------------------------------------------------------------------
def test_full_visit_by_card(
    flow: Flow, catalog: Catalog, issuer: FakeIssuer, printer: Any, clock: FakeClock
) -> None:
    seen: list[Screen] = []
    flow.changed.connect(lambda st: seen.append(st.screen))
    issued: list[Any] = []
    flow.ticket.issued.connect(issued.append)
    assert flow.state.screen is Screen.HOME
    session = flow.state.session_id

    flow.ticket.take_number()
    assert (flow.state.screen, flow.state.purpose) == (Screen.GROUPS, Purpose.TICKET)

    flow.ticket.choose_group(ITEM_GROUP)
    assert flow.state.screen is Screen.ITEMS and flow.state.group_id == ITEM_GROUP
    assert [e.id for e in flow.ticket.entries()] == [s.id for s in catalog.services_in(ITEM_GROUP)]

    flow.ticket.choose_entry(ITEM)
    assert flow.state.screen is Screen.IDENTIFY and flow.state.entry_id == ITEM
    assert flow.ticket.may_skip_identity() is False

    flow.visit.card_presented(invented_card())
    assert flow.state.screen is Screen.NOTICE
    holder = flow.state.holder
    assert holder is not None and holder.source == "card" and holder.masked_name == "王**"
    assert flow.ticket.materials() == list(catalog.entry(ITEM).materials)  # type: ignore[union-attr]
    assert issuer.calls == []  # nothing asked before the citizen confirms

    flow.ticket.confirm_notice()
    s = flow.state
    assert s.screen is Screen.TICKET
    assert s.ticket is not None and s.ticket.number == "B001"
    assert s.printed is True and s.busy is None and s.message is None
    assert s.print_job is not None
    assert len(issuer.calls) == 1
    call = issuer.calls[0]
    assert call.service_id == ITEM and call.holder == holder and call.language == "zh"
    assert session in call.idempotency_key
    assert [t.number for t in printer.ticket_prints] == ["B001"]
    assert issued == [s.ticket]

    flow.finish()
    assert flow.state.screen is Screen.THANKS
    clock.advance(7.9)
    flow.poll()
    assert flow.state.screen is Screen.THANKS
    clock.advance(0.1)
    flow.poll()
    assert_wiped(flow, session)
    assert seen[-1] is Screen.HOME
    for screen in (
        Screen.GROUPS,
        Screen.ITEMS,
        Screen.IDENTIFY,
        Screen.NOTICE,
        Screen.TICKET,
        Screen.THANKS,
    ):
        assert screen in seen


def test_next_visit_gets_the_next_number(flow: Flow, issuer: FakeIssuer) -> None:
    to_ticket(flow)
    flow.finish()
    flow.home()
    to_ticket(flow)
    assert flow.state.ticket is not None and flow.state.ticket.number == "B002"
    keys = [c.idempotency_key for c in issuer.calls]
    assert len(set(keys)) == 2  # a new visit is a new key


# -- typed ID numbers ---------------------------------------------------------------------
def test_typed_id_valid(flow: Flow, issuer: FakeIssuer) -> None:
    to_identify(flow)
    assert flow.ticket.submit_typed_id("11010519491231002x") is True
    s = flow.state
    assert s.screen is Screen.NOTICE and s.message is None
    assert s.holder is not None and s.holder.source == "typed"
    assert s.holder.id_number == "11010519491231002X"
    flow.ticket.confirm_notice()
    assert issuer.calls[0].holder == s.holder


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("110105194912310020", "check"),
        ("11010519490230002X", "date"),
        ("12345", "length"),
        ("1101051949123100AX", "chars"),
    ],
)
def test_typed_id_invalid(
    flow: Flow, issuer: FakeIssuer, printer: Any, raw: str, code: str
) -> None:
    to_identify(flow)
    assert flow.ticket.submit_typed_id(raw) is False
    s = flow.state
    assert s.screen is Screen.IDENTIFY
    assert s.message == Message(Problem.INVALID_ID, code)
    assert s.holder is None
    assert raw not in repr(s)
    assert issuer.calls == [] and printer.ticket_prints == []


def test_typed_id_future_birth_uses_the_flows_clock(flow: Flow, issuer: FakeIssuer) -> None:
    # the fake wall clock says 2026-11-20; a number born 2027-01-01 is impossible today
    to_identify(flow)
    assert flow.ticket.submit_typed_id("110105202701011238") is False
    assert flow.state.message == Message(Problem.INVALID_ID, "date")
    assert flow.ticket.submit_typed_id("110105202611201230") is True  # born "today": fine
    assert issuer.calls == []


def test_card_after_a_typing_error_clears_the_message(flow: Flow) -> None:
    to_identify(flow)
    flow.ticket.submit_typed_id("123")
    flow.visit.card_presented(invented_card())
    assert flow.state.screen is Screen.NOTICE and flow.state.message is None


def test_card_tap_is_activity(flow: Flow, clock: FakeClock) -> None:
    to_identify(flow)
    clock.advance(90)
    flow.poll()
    assert flow.state.idle_prompt is True
    flow.visit.card_presented(invented_card())
    assert flow.state.idle_prompt is False and flow.state.screen is Screen.NOTICE
    clock.advance(89)
    flow.poll()
    assert flow.state.idle_prompt is False


def test_invalid_then_valid_clears_the_message(flow: Flow) -> None:
    to_identify(flow)
    flow.ticket.submit_typed_id("123")
    assert flow.state.message is not None
    flow.ticket.submit_typed_id(OTHER_ID)
    assert flow.state.screen is Screen.NOTICE and flow.state.message is None


# -- skipping identity --------------------------------------------------------------------
def test_skip_identity_where_allowed(
    flow: Flow, catalog: Catalog, issuer: FakeIssuer, printer: Any
) -> None:
    assert catalog.allows_anonymous(catalog.entry(ANON_ITEM))
    to_identify(flow, ANON_GROUP, ANON_ITEM)
    assert flow.ticket.may_skip_identity() is True
    flow.ticket.skip_identity()
    assert flow.state.screen is Screen.NOTICE and flow.state.holder is None
    flow.ticket.confirm_notice()
    assert flow.state.ticket is not None and flow.state.ticket.number == "D001"
    assert issuer.calls[0].holder is None
    assert printer.ticket_prints[0].masked_name == ""


@pytest.mark.parametrize(("group", "entry"), [(ITEM_GROUP, ITEM), (BUNDLES, BUNDLE)])
def test_skip_identity_refused_where_not_allowed(
    flow: Flow, issuer: FakeIssuer, group: str, entry: str
) -> None:
    to_identify(flow, group, entry)
    assert flow.ticket.may_skip_identity() is False
    flow.ticket.skip_identity()
    assert flow.state.screen is Screen.IDENTIFY
    assert flow.state.message is not None
    assert issuer.calls == []


# -- bundles ------------------------------------------------------------------------------
def test_bundle_ticket(flow: Flow, catalog: Catalog, issuer: FakeIssuer, printer: Any) -> None:
    flow.ticket.take_number()
    flow.ticket.choose_group(BUNDLES)
    assert flow.state.screen is Screen.ITEMS
    assert [e.id for e in flow.ticket.entries()] == [b.id for b in catalog.bundles]
    flow.ticket.choose_entry(BUNDLE)
    bundle = catalog.entry(BUNDLE)
    assert isinstance(bundle, Bundle)
    flow.visit.card_presented(invented_card())
    assert flow.ticket.materials() == catalog.materials_for(bundle)
    names = [m.name for m in flow.ticket.materials()]
    assert len(names) == len(set(names))
    flow.ticket.confirm_notice()
    assert issuer.calls[0].service_id == BUNDLE
    ticket = flow.state.ticket
    assert ticket is not None and ticket.number == "C001" and ticket.window_group == "livelihood"
    tp: TicketPrint = printer.ticket_prints[0]
    assert tp.service_name == bundle.name == "新生儿出生一件事"
    assert tp.window_group == "民生服务"
    assert tp.location == catalog.group("livelihood").location


# -- the guide (办事指南): notice without a ticket ------------------------------------------
def test_guide_shows_notice_without_identify(
    flow: Flow, catalog: Catalog, issuer: FakeIssuer, printer: Any
) -> None:
    flow.ticket.open_guide()
    assert (flow.state.screen, flow.state.purpose) == (Screen.GROUPS, Purpose.GUIDE)
    flow.ticket.choose_group(ITEM_GROUP)
    flow.ticket.choose_entry(ITEM)
    assert flow.state.screen is Screen.NOTICE and flow.state.holder is None
    before = flow.state
    flow.ticket.confirm_notice()
    assert flow.state == before  # nothing happens: no ticket from the guide
    assert issuer.calls == [] and printer.ticket_prints == []

    flow.ticket.print_notice()
    assert flow.state.busy is None and flow.state.message is None
    [notice] = printer.notice_prints
    entry = catalog.entry(ITEM)
    assert notice.title == entry.name
    assert [(m.name, m.core) for m in notice.materials] == [
        (m.name, m.core) for m in catalog.materials_for(entry)
    ]
    assert notice.time_limit == entry.time_limit and notice.fee == entry.fee
    assert catalog.group(ITEM_GROUP).location in notice.where

    flow.ticket.continue_to_ticket()
    assert (flow.state.screen, flow.state.purpose) == (Screen.IDENTIFY, Purpose.TICKET)
    assert flow.state.entry_id == ITEM
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    assert flow.state.screen is Screen.TICKET and len(issuer.calls) == 1


def test_notice_printer_failure(flow: Flow, printer: Any) -> None:
    to_notice(flow)
    printer.set_state("cover_open")
    flow.ticket.print_notice()
    s = flow.state
    assert s.screen is Screen.NOTICE and s.busy is None
    assert s.message is not None and s.message.problem is Problem.NOTICE_PRINTER


# -- the hall server fails ----------------------------------------------------------------
def test_hall_down_stays_on_notice(flow: Flow, issuer: FakeIssuer, printer: Any) -> None:
    to_notice(flow)
    issuer.fail_before.append(HallUnavailable("connection refused"))
    flow.ticket.confirm_notice()
    s = flow.state
    assert s.screen is Screen.NOTICE
    assert s.message is not None and s.message.problem is Problem.HALL_DOWN
    assert s.busy is None and s.ticket is None
    assert s.holder is not None  # the citizen need not tap the card again
    assert printer.ticket_prints == []


def test_retry_after_hall_down_reuses_the_idempotency_key(flow: Flow, issuer: FakeIssuer) -> None:
    to_notice(flow)
    issuer.fail_before += [HallUnavailable("timeout"), HallUnavailable("timeout")]
    flow.ticket.confirm_notice()
    flow.ticket.confirm_notice()
    flow.ticket.confirm_notice()
    assert flow.state.screen is Screen.TICKET and flow.state.message is None
    assert len(issuer.calls) == 3
    assert len({c.idempotency_key for c in issuer.calls}) == 1
    assert issuer.numbers_issued == ["B001"]


def test_lost_answer_then_retry_gives_the_same_number(flow: Flow, issuer: FakeIssuer) -> None:
    """The server issued B001 but the answer never arrived: the retry must not make B002."""
    to_notice(flow)
    issuer.fail_after.append(HallUnavailable("read timeout"))
    flow.ticket.confirm_notice()
    assert flow.state.message == Message(Problem.HALL_DOWN)
    flow.ticket.confirm_notice()
    assert flow.state.ticket is not None and flow.state.ticket.number == "B001"
    assert issuer.numbers_issued == ["B001"]


def test_retry_after_going_back_and_tapping_again_keeps_the_key(
    flow: Flow, issuer: FakeIssuer
) -> None:
    to_notice(flow)
    issuer.fail_before.append(HallUnavailable("timeout"))
    flow.ticket.confirm_notice()
    flow.back()
    assert flow.state.screen is Screen.IDENTIFY
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    assert len({c.idempotency_key for c in issuer.calls}) == 1
    assert issuer.numbers_issued == ["B001"]


def test_hall_rejected(flow: Flow, issuer: FakeIssuer) -> None:
    to_notice(flow)
    issuer.fail_before.append(HallRejected(409, "service closed today"))
    flow.ticket.confirm_notice()
    s = flow.state
    assert s.screen is Screen.NOTICE and s.busy is None
    assert s.message == Message(Problem.HALL_REJECTED, "409")


def test_unexpected_issuer_error_is_reported_not_raised(flow: Flow, issuer: FakeIssuer) -> None:
    to_notice(flow)
    issuer.fail_before.append(RuntimeError("bug in the client"))
    flow.ticket.confirm_notice()
    s = flow.state
    assert s.screen is Screen.NOTICE and s.busy is None
    assert s.message == Message(Problem.HALL_DOWN, "RuntimeError")


def test_double_tap_while_issuing_asks_once(make_flow: Any, issuer: FakeIssuer) -> None:
    runner = DeferredRunner()
    flow = make_flow(runner)
    to_identify(flow)
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    flow.ticket.confirm_notice()
    assert flow.state.busy == "issuing"
    assert len(runner.pending) == 1
    runner.run_all()
    assert len(issuer.calls) == 1
    assert flow.state.screen is Screen.TICKET and flow.state.printed is True


def test_back_and_home_ignored_while_issuing(make_flow: Any, clock: FakeClock) -> None:
    runner = DeferredRunner()
    flow = make_flow(runner)
    to_identify(flow)
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    session = flow.state.session_id
    flow.back()
    flow.home()
    clock.advance(10_000)
    flow.poll()  # no inactivity reset while the number is on its way
    assert flow.state.screen is Screen.NOTICE and flow.state.session_id == session
    assert flow.state.idle_prompt is False
    runner.run_next()  # the answer
    assert flow.state.screen is Screen.TICKET and flow.state.ticket is not None


# -- the printer fails --------------------------------------------------------------------
def test_printer_failure_still_shows_the_ticket_and_reprint_keeps_the_number(
    flow: Flow, issuer: FakeIssuer, printer: Any
) -> None:
    to_notice(flow)
    printer.set_state("paper_out")
    flow.ticket.confirm_notice()
    s = flow.state
    assert s.screen is Screen.TICKET
    assert s.ticket is not None and s.ticket.number == "B001"
    assert s.printed is False and s.busy is None
    assert s.message is not None and s.message.problem is Problem.PRINTER
    assert s.message.detail == "paper_out"
    assert printer.jobs == []

    printer.set_state("ok")
    flow.ticket.reprint()
    s = flow.state
    assert s.printed is True and s.message is None and s.busy is None
    assert len(issuer.calls) == 1
    assert [t.number for t in printer.ticket_prints] == ["B001", "B001"]
    assert len(printer.jobs) == 1


def test_reprint_failing_again_keeps_the_ticket(
    flow: Flow, issuer: FakeIssuer, printer: Any
) -> None:
    to_notice(flow)
    printer.set_state("paper_out")
    flow.ticket.confirm_notice()
    flow.ticket.reprint()
    assert flow.state.ticket is not None and flow.state.ticket.number == "B001"
    assert flow.state.message is not None and flow.state.message.problem is Problem.PRINTER
    assert len(issuer.calls) == 1


def test_reprint_without_a_ticket_does_nothing(flow: Flow, printer: Any) -> None:
    to_notice(flow)
    before = flow.state
    flow.ticket.reprint()
    assert flow.state == before and printer.ticket_prints == []


# -- inactivity ---------------------------------------------------------------------------
def test_inactivity_prompt_touch_and_grace(flow: Flow, clock: FakeClock) -> None:
    flow.ticket.take_number()
    flow.ticket.choose_group(ITEM_GROUP)
    session = flow.state.session_id

    clock.advance(89.9)
    flow.poll()
    assert flow.state.idle_prompt is False
    clock.advance(0.1)
    flow.poll()
    assert flow.state.idle_prompt is True
    assert flow.state.screen is Screen.ITEMS
    assert flow.visit.idle_seconds_left() == 30

    flow.touch()  # one tap answers "still there?"
    assert flow.state.idle_prompt is False and flow.state.idle_deadline is None
    clock.advance(89.9)  # the inactivity timer restarted at the tap
    flow.poll()
    assert flow.state.idle_prompt is False
    clock.advance(0.1)
    flow.poll()
    assert flow.state.idle_prompt is True

    for _ in range(29):  # polled each second: never snatched before the full grace
        clock.advance(1)
        flow.poll()
        assert flow.state.screen is Screen.ITEMS
    assert flow.visit.idle_seconds_left() == 1
    clock.advance(0.9)
    flow.poll()
    assert flow.state.screen is Screen.ITEMS
    clock.advance(0.1)
    flow.poll()
    assert_wiped(flow, session)


def test_grace_is_at_least_20_seconds_after_the_prompt(flow: Flow, clock: FakeClock) -> None:
    to_notice(flow)
    clock.advance(90)
    flow.poll()
    prompted_at = clock()
    assert flow.state.idle_prompt is True
    assert flow.state.idle_deadline is not None and flow.state.idle_deadline - prompted_at >= 20
    clock.advance(19.99)
    flow.poll()
    assert flow.state.screen is Screen.NOTICE and flow.state.holder is not None


def test_a_long_gap_between_polls_still_prompts_first(flow: Flow, clock: FakeClock) -> None:
    """A poll that comes late (busy GUI) must ask first, not jump straight home."""
    flow.ticket.take_number()
    clock.advance(500)
    flow.poll()
    assert flow.state.screen is Screen.GROUPS and flow.state.idle_prompt is True


def test_an_action_cancels_the_prompt(flow: Flow, clock: FakeClock) -> None:
    flow.ticket.take_number()
    clock.advance(90)
    flow.poll()
    assert flow.state.idle_prompt is True
    flow.ticket.choose_group(ITEM_GROUP)
    assert flow.state.idle_prompt is False and flow.state.screen is Screen.ITEMS
    clock.advance(60)
    flow.poll()
    assert flow.state.screen is Screen.ITEMS


def test_no_inactivity_on_home(flow: Flow, clock: FakeClock) -> None:
    session = flow.state.session_id
    clock.advance(10_000)
    flow.poll()
    assert flow.state.idle_prompt is False and flow.state.session_id == session


def test_inactivity_ends_a_visit_on_the_ticket_screen(flow: Flow, clock: FakeClock) -> None:
    to_ticket(flow)
    session = flow.state.session_id
    clock.advance(90)
    flow.poll()
    clock.advance(30)
    flow.poll()
    assert_wiped(flow, session)


def test_thanks_goes_home_after_thanks_s_only(flow: Flow, clock: FakeClock) -> None:
    to_ticket(flow)
    clock.advance(1000)  # time on the ticket screen does not count for the thank-you
    flow.finish()
    clock.advance(7)
    flow.poll()
    assert flow.state.screen is Screen.THANKS
    clock.advance(1)
    flow.poll()
    assert flow.state.screen is Screen.HOME


# -- back() from each screen --------------------------------------------------------------
def test_back_from_groups_goes_home_with_a_new_session(flow: Flow) -> None:
    session = flow.state.session_id
    flow.ticket.take_number()
    flow.back()
    assert_wiped(flow, session)


def test_back_from_items(flow: Flow) -> None:
    flow.ticket.take_number()
    flow.ticket.choose_group(ITEM_GROUP)
    flow.back()
    assert flow.state.screen is Screen.GROUPS and flow.state.purpose is Purpose.TICKET


def test_back_from_identify(flow: Flow) -> None:
    to_identify(flow)
    flow.back()
    assert flow.state.screen is Screen.ITEMS and flow.state.group_id == ITEM_GROUP
    assert [e.id for e in flow.ticket.entries()][0] == ITEM


def test_back_from_notice_forgets_the_holder(flow: Flow) -> None:
    to_notice(flow)
    session = flow.state.session_id
    flow.back()
    assert flow.state.screen is Screen.IDENTIFY and flow.state.holder is None
    assert flow.state.session_id == session  # same visit


def test_back_from_guide_notice_goes_to_items(flow: Flow) -> None:
    flow.ticket.open_guide()
    flow.ticket.choose_group(ITEM_GROUP)
    flow.ticket.choose_entry(ITEM)
    flow.back()
    assert flow.state.screen is Screen.ITEMS and flow.state.purpose is Purpose.GUIDE


def test_back_from_ticket_ends_the_visit(flow: Flow) -> None:
    to_ticket(flow)
    session = flow.state.session_id
    flow.back()
    assert_wiped(flow, session)


def test_back_from_thanks_ends_the_visit(flow: Flow) -> None:
    to_ticket(flow)
    flow.finish()
    session = flow.state.session_id
    flow.back()
    assert_wiped(flow, session)


def test_back_from_home_stays_home(flow: Flow) -> None:
    flow.back()
    assert flow.state.screen is Screen.HOME


def test_back_clears_a_message(flow: Flow, issuer: FakeIssuer) -> None:
    to_notice(flow)
    issuer.fail_before.append(HallUnavailable("x"))
    flow.ticket.confirm_notice()
    flow.back()
    assert flow.state.message is None


# -- cards outside the identify screen ----------------------------------------------------
def test_card_on_home_is_ignored(flow: Flow) -> None:
    before = flow.state
    flow.visit.card_presented(invented_card())
    assert flow.state == before


@pytest.mark.parametrize("where", ["groups", "items", "notice", "ticket", "thanks", "guide"])
def test_card_outside_identify_is_ignored(flow: Flow, issuer: FakeIssuer, where: str) -> None:
    if where == "guide":
        flow.ticket.open_guide()
        flow.ticket.choose_group(ITEM_GROUP)
        flow.ticket.choose_entry(ITEM)
    else:
        flow.ticket.take_number()
        if where != "groups":
            flow.ticket.choose_group(ITEM_GROUP)
        if where in ("notice", "ticket", "thanks"):
            flow.ticket.choose_entry(ITEM)
            flow.visit.card_presented(invented_card())
        if where in ("ticket", "thanks"):
            flow.ticket.confirm_notice()
        if where == "thanks":
            flow.finish()
    before = flow.state
    flow.visit.card_presented(invented_card(OTHER_NAME, OTHER_ID))
    assert flow.state == before
    assert all(c.holder is None or c.holder.id_number != OTHER_ID for c in issuer.calls)


# -- what reaches the printer, and privacy -------------------------------------------------
def test_ticket_print_carries_masked_name_and_qr(flow: Flow, printer: Any) -> None:
    to_ticket(flow)
    ticket = flow.state.ticket
    assert ticket is not None
    [tp] = printer.ticket_prints
    assert isinstance(tp, TicketPrint)
    assert tp.masked_name == "王**"
    assert tp.qr_data == ticket.qr_data and ticket.id in tp.qr_data
    assert tp.number == ticket.number
    assert tp.service_name == "营业执照设立登记" and tp.window_group == "市场准入"
    assert tp.issued_at == ticket.issued_at
    shown = repr(tp) + repr(dataclasses.asdict(tp))
    assert PERSON_NAME not in shown and PERSON_NAME[1:] not in shown
    assert PERSON_ID not in shown


def test_printed_bytes_hold_no_full_name_or_number(flow: Flow, printer: Any) -> None:
    to_ticket(flow)
    ticket = flow.state.ticket
    assert ticket is not None
    [job] = printer.jobs
    assert PERSON_NAME.encode("gb18030") not in job.data
    assert PERSON_ID.encode() not in job.data and PERSON_ID[6:14].encode() not in job.data
    assert ticket.qr_data.encode() in job.data  # the QR payload is the ticket id


def test_english_visit(flow: Flow, catalog: Catalog, issuer: FakeIssuer, printer: Any) -> None:
    flow.visit.set_language("en")
    to_ticket(flow)
    assert issuer.calls[0].language == "en"
    tp = printer.ticket_prints[0]
    assert tp.service_name == catalog.entry(ITEM).name_en
    assert tp.hall_name == catalog.hall_name_en
    assert tp.window_group == catalog.group(ITEM_GROUP).name_en


def test_no_personal_data_in_state_repr_or_logs(
    flow: Flow, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    to_identify(flow)
    flow.ticket.submit_typed_id("110105194912310020")  # a wrong one is not logged either
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    flow.visit.card_presented(invented_card())  # ignored, and logged without data
    text = repr(flow.state)
    flow.finish()
    clock.advance(8)
    flow.poll()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (
        PERSON_ID,
        PERSON_NAME,
        PERSON_ID[6:14],
        "110105194912310020",
        "测试路",
        invented_card().address,
    ):
        assert secret not in text
        assert secret not in logged


# -- regressions of bugs found in review ---------------------------------------------
def test_confirm_outside_notice_issues_nothing(flow: Flow, issuer: FakeIssuer) -> None:
    to_identify(flow)
    flow.ticket.submit_typed_id("123")  # rejected: still on IDENTIFY, no holder
    flow.ticket.confirm_notice()  # a stale tap
    assert issuer.calls == []
    assert flow.state.screen is Screen.IDENTIFY


def test_late_print_failure_does_not_reach_the_next_visit(
    make_flow: Any, clock: FakeClock, printer: Any
) -> None:
    runner = DeferredRunner()
    flow = make_flow(runner)
    to_identify(flow)
    flow.visit.card_presented(invented_card())
    flow.ticket.confirm_notice()
    runner.run_next()  # ticket issued; the print job is now pending
    assert flow.state.busy == "printing"
    flow.finish()
    clock.advance(8)
    flow.poll()
    assert flow.state.screen is Screen.HOME
    printer.set_state("paper_out")
    runner.run_all()  # the old visit's print fails late
    assert flow.state.message is None
    assert flow.state.busy is None


def test_language_resets_for_the_next_citizen(flow: Flow, clock: FakeClock) -> None:
    flow.visit.set_language("en")
    to_ticket(flow)
    flow.finish()
    clock.advance(8)
    flow.poll()
    assert flow.state.screen is Screen.HOME
    assert flow.language == "zh"
