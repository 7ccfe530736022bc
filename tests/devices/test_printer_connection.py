"""Printer connection strings: ``network:…``, ``serial:…``, ``usb:…``, simulator, virtual."""

from __future__ import annotations

import pytest

from devices.errors import DeviceUnavailable
from devices.printer.base import BACKENDS, create_printer, create_printer_from_connection
from devices.printer.connection import parse_connection


@pytest.mark.parametrize(
    ("text", "backend", "kwargs"),
    [
        ("network:127.0.0.1:9100", "network", {"host": "127.0.0.1", "port": 9100}),
        ("network:printer.local", "network", {"host": "printer.local", "port": 9100}),
        ("network:[::1]:9101", "network", {"host": "::1", "port": 9101}),
        ("network:[fe80::1]", "network", {"host": "fe80::1", "port": 9100}),
        ("serial:/dev/ttyUSB0", "serial", {"url": "/dev/ttyUSB0", "baudrate": 9600}),
        ("serial:/dev/ttyS0:19200", "serial", {"url": "/dev/ttyS0", "baudrate": 19200}),
        ("serial:/dev/ttyS0@115200", "serial", {"url": "/dev/ttyS0", "baudrate": 115200}),
        ("serial:COM3:9600", "serial", {"url": "COM3", "baudrate": 9600}),
        (
            "serial:socket://127.0.0.1:7000",
            "serial",
            {"url": "socket://127.0.0.1:7000", "baudrate": 9600},
        ),
        (
            "serial:hwgrep://1a86:7523@115200",
            "serial",
            {"url": "hwgrep://1a86:7523", "baudrate": 115200},
        ),
        ("serial:loop://", "serial", {"url": "loop://", "baudrate": 9600}),
        ("usb:0416:5011", "usb", {"vendor_id": 0x0416, "product_id": 0x5011}),
        ("usb:0x04b8:0x0202", "usb", {"vendor_id": 0x04B8, "product_id": 0x0202}),
        ("USB:1FC9:2016", "usb", {"vendor_id": 0x1FC9, "product_id": 0x2016}),
        ("simulator", "simulator", {}),
        ("virtual", "virtual", {}),
        ("  network:10.0.0.5  ", "network", {"host": "10.0.0.5", "port": 9100}),
    ],
)
def test_parses(text: str, backend: str, kwargs: dict) -> None:
    assert parse_connection(text) == (backend, kwargs)
    assert backend in BACKENDS


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("lpt:1", "unknown kind"),
        ("network:", "HOST"),
        ("network:host:0", "port"),
        ("network:host:70000", "port"),
        ("network:host:abc", "port"),
        ("network:a:b:c", "HOST"),
        ("serial:", "DEVICE"),
        ("serial:/dev/ttyUSB0:12", "baud"),
        ("serial:socket://h:1@99999999", "baud"),
        ("usb:0416", "VID:PID"),
        ("usb:xyz:5011", "VID:PID"),
        ("usb:12345:1", "VID:PID"),
        ("simulator:fast", "no parameters"),
    ],
)
def test_rejects_with_a_clear_message(text: str, why: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_connection(text)
    message = str(info.value)
    assert why in message
    assert repr(text) in message
    assert "network:127.0.0.1:9100" in message  # shows valid examples


def test_create_from_connection_builds_without_opening() -> None:
    printer = create_printer_from_connection("network:192.0.2.1:9100", paper_width_mm=58)
    assert printer.paper_width_mm == 58
    assert not printer.is_open
    assert "192.0.2.1:9100" in str(printer)


def test_unknown_backend_name_lists_the_allowed_ones() -> None:
    with pytest.raises(DeviceUnavailable) as info:
        create_printer("bluetooth")
    for name in ("network", "serial", "usb", "simulator", "virtual"):
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("backend", "kwargs"),
    [
        ("network", {"host": "h", "paper_width_mm": 76}),
        ("network", {"host": "h", "what_to_do_on_unknown": "maybe"}),
        ("network", {"host": "h", "status_timeout_s": 0}),
        ("network", {"host": "", "port": 9100}),
        ("serial", {"url": "/dev/ttyUSB0", "roll_length_mm": 0}),
        ("usb", {"vendor_id": 0x10000, "product_id": 1}),
    ],
)
def test_bad_settings_are_refused_at_construction(backend: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        create_printer(backend, **kwargs)
