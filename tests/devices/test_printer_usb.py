"""USB backend without hardware: clear failures, and the status path through a fake pyusb
device (descriptor endpoints, millisecond timeouts, a printer without an IN endpoint)."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest
import usb.core
import usb.util

from devices.errors import DeviceUnavailable
from devices.printer.base import create_printer
from devices.printer.samples import sample_ticket
from devices.printer.status import answer_bytes
from devices.printer.usb_printer import UsbPrinter


def test_no_device_or_no_libusb_is_device_unavailable() -> None:
    printer = create_printer("usb", vendor_id=0xFFFE, product_id=0xFFFD)
    with pytest.raises(DeviceUnavailable) as info:
        printer.open()
    message = str(info.value)
    assert "libusb" in message or "no USB printer fffe:fffd found" in message
    assert not printer.is_open


def test_missing_pyusb_is_device_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usb", None)  # import usb -> ImportError
    monkeypatch.setitem(sys.modules, "usb.core", None)
    with pytest.raises(DeviceUnavailable) as info:
        UsbPrinter(0x0416, 0x5011).open()
    assert "pyusb" in str(info.value)


class FakeEndpoint(SimpleNamespace):
    pass


class FakeDevice:
    """A pyusb device with one interface, bulk OUT 0x01 and (optionally) bulk IN 0x81."""

    def __init__(self, state: str = "ok", has_in: bool = True, silent: bool = False) -> None:
        self.state = state
        self.silent = silent
        self.endpoints = [FakeEndpoint(bEndpointAddress=0x01, bmAttributes=0x02)]
        if has_in:
            self.endpoints.append(FakeEndpoint(bEndpointAddress=0x81, bmAttributes=0x02))
        self.written = bytearray()
        self.pending = bytearray()
        self.read_timeouts: list[int] = []

    def get_active_configuration(self) -> Any:
        return {(0, 0): self.endpoints}

    def write(self, ep: int, data: bytes, timeout: int) -> int:
        assert ep == 0x01 and timeout > 0
        self.written += data
        if data[:2] == b"\x10\x04" and not self.silent:
            self.pending.append(answer_bytes(self.state)[data[2]])
        return len(data)

    def read(self, ep: int, size: int, timeout: int) -> bytes:
        assert ep == 0x81
        self.read_timeouts.append(timeout)
        if not self.pending:
            raise usb.core.USBTimeoutError("timeout", errno=110)
        data = bytes(self.pending)
        self.pending.clear()
        return data


def fake_escpos_usb(device: FakeDevice) -> type:
    class FakeUsb:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs
            self.device: Any = None

        def open(self) -> None:
            self.device = device

        def close(self) -> None:
            self.device = None

    return FakeUsb


@pytest.fixture
def fake_usb(monkeypatch: pytest.MonkeyPatch):
    def install(device: FakeDevice) -> FakeDevice:
        import escpos.printer

        monkeypatch.setattr(escpos.printer, "Usb", fake_escpos_usb(device))
        monkeypatch.setattr(usb.util, "dispose_resources", lambda dev: None)
        return device

    return install


def test_status_and_job_through_usb_endpoints(fake_usb) -> None:
    device = fake_usb(FakeDevice("near_end"))
    with UsbPrinter(0x0416, 0x5011, status_timeout_s=0.05, print_speed_mm_s=None) as printer:
        assert printer.status().state == "near_end"
        job = printer.print_ticket(sample_ticket())
    assert job.status is not None and job.status.state == "near_end"
    assert job.data in bytes(device.written)
    assert device.read_timeouts and min(device.read_timeouts) >= 1  # never 0 ms (= forever)


def test_usb_paper_out_refuses(fake_usb) -> None:
    from devices.errors import PrinterError

    device = fake_usb(FakeDevice("paper_out"))
    with UsbPrinter(0x0416, 0x5011, status_timeout_s=0.05) as printer:
        with pytest.raises(PrinterError) as info:
            printer.print_ticket(sample_ticket())
    assert info.value.status.state == "paper_out"  # type: ignore[union-attr]
    assert b"\x1b@" not in device.written  # only status questions went out


def test_usb_without_in_endpoint_is_unknown(fake_usb) -> None:
    device = fake_usb(FakeDevice(has_in=False))
    with UsbPrinter(0x0416, 0x5011, print_speed_mm_s=None) as printer:
        status = printer.status()
        assert status.state == "unknown"
        assert "does not report" in status.detail
        job = printer.print_ticket(sample_ticket())
    assert job.status is not None and job.status.state == "unknown"
    assert bytes(device.written) == job.data  # no status questions were sent at all
