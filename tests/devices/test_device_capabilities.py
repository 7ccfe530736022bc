"""What every device declares on its base class: typed errors with a code and citizen words,
one listener fan-out, the reader's SAM probe through its own transport, presenting cards
(simulated readers only), the printer's roll counter."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from devices import errors
from devices.base import Listeners
from devices.errors import DeviceError, DeviceUnavailable
from devices.idcard import protocol as p
from devices.idcard.base import CardReader, SamProbe
from devices.idcard.reader import ReaderTimeout, SerialCardReader
from devices.idcard.simulator import ReaderSimulator, SimulatedCardReader
from devices.idcard.virtual import VirtualCardReader
from devices.printer.base import Printer
from devices.printer.virtual import VirtualPrinter

CARDS = Path(__file__).resolve().parents[2] / "config" / "cards"
READER_ERRORS = [p.NoCardError, p.CardReadError, p.UnknownCardType, p.CardAuthError,
                 p.SamError, p.CommandRejected, p.FrameError, ReaderTimeout]  # fmt: skip


def test_every_device_error_has_its_own_code_and_words() -> None:
    classes = [errors.DeviceError, errors.DeviceUnavailable, errors.DeviceTimeout,
               errors.ProtocolError, errors.CardError, errors.PrinterError, *READER_ERRORS]  # fmt: skip
    codes = [c.error_code for c in classes]
    assert len(set(codes)) == len(codes), codes
    for cls in classes:
        assert cls.message_zh and cls.message_en, cls
    assert p.SamError.error_code == "sam_fault" and p.SamError.for_staff
    assert p.status_error(0x31).error_code == "card_auth"


def test_a_failing_listener_neither_stops_nor_silences_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[int] = []
    fan: Listeners[int] = Listeners("test")

    def broken(_: int) -> None:
        raise RuntimeError("listener bug")

    fan.add(broken)
    fan.add(heard.append)
    with caplog.at_level(logging.ERROR):
        fan.emit(1)
    assert heard == [1] and "test listener failed" in caplog.text
    fan.remove(heard.append)
    fan.emit(2)
    assert heard == [1]


def test_errors_reach_the_listeners_through_the_device_base() -> None:
    reader = VirtualCardReader(CARDS)
    heard: list[DeviceError] = []
    reader.subscribe_errors(heard.append)
    error = p.CardAuthError("test")
    reader.report(error)
    assert heard == [error] and reader.last_error is error
    reader.unsubscribe_all()
    reader.report(p.FrameError("after"))
    assert heard == [error]


def test_only_simulated_readers_take_a_card() -> None:
    assert VirtualCardReader.can_present and SimulatedCardReader.can_present
    assert not SerialCardReader.can_present
    plain = CardReader()
    assert plain.card_names() == [] and plain.probe() == SamProbe("virtual")
    with pytest.raises(DeviceUnavailable):
        plain.present("resident")


def test_the_sam_probe_uses_the_readers_own_transport() -> None:
    with ReaderSimulator(CARDS) as sim:
        reader = SerialCardReader(sim.url, poll_interval_s=0.02, command_timeout_s=0.4)
        reader.open()
        try:
            before = sim.counters["commands"]
            result = reader.probe()
            assert result.status == "ok" and result.sam_id
            assert sim.counters["commands"] > before
            assert reader.is_open and reader.state == "ok"  # polling again afterwards
            sim.inject("sam")
            assert reader.probe().status == "sam_fault"
            sim.inject("clear")
        finally:
            reader.close()


def test_the_simulated_reader_probes_its_serial_reader() -> None:
    reader = SimulatedCardReader(CARDS, poll_interval_s=0.02)
    reader.open()
    try:
        assert reader.probe().status == "ok"
    finally:
        reader.close()


def test_printers_declare_their_roll_counter() -> None:
    assert not Printer.counts_roll
    printer = VirtualPrinter()
    printer.reset_roll()  # no counter: nothing happens, nothing raised
    assert printer.counts_roll is False
