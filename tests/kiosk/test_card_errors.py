"""A card the reader could not read reaches the screen as the device's code and its own
words; a fault only staff can fix alerts them (typed errors, never class names)."""

from __future__ import annotations

from devices.idcard import protocol as p
from devices.idcard.reader import ReaderTimeout
from kiosk.flow import Flow
from kiosk.visit import Message, Problem, Screen


def to_identify(flow: Flow) -> None:
    flow.ticket.take_number()
    flow.ticket.choose_group("market")
    flow.ticket.choose_entry("business-license")
    assert flow.state.screen is Screen.IDENTIFY


def test_a_card_error_carries_its_code_and_citizen_words(flow: Flow) -> None:
    alerts: list[str] = []
    flow.staff_alert.connect(alerts.append)
    to_identify(flow)
    flow.visit.card_failed(p.CardAuthError("auth failed"))
    message = flow.state.message
    assert message == Message(Problem.CARD, "card_auth")
    assert (message.text_zh, message.text_en) == (p.CardAuthError.message_zh,
                                                  p.CardAuthError.message_en)  # fmt: skip
    assert alerts == []


def test_a_sam_fault_alerts_staff(flow: Flow) -> None:
    alerts: list[str] = []
    flow.staff_alert.connect(alerts.append)
    to_identify(flow)
    flow.visit.card_failed(p.SamError("0x60"))
    assert alerts == ["card_reader:sam_fault"]
    assert flow.state.message == Message(Problem.CARD, "sam_fault")


def test_no_card_is_no_message_and_other_screens_stay_quiet(flow: Flow) -> None:
    to_identify(flow)
    flow.visit.card_failed(p.NoCardError("none"))
    assert flow.state.message is None
    flow.home()
    flow.visit.card_failed(ReaderTimeout("mute"))
    assert flow.state.message is None
