"""Printer connection strings: one settings value says which backend and where.

    network:HOST[:PORT]          network:192.168.1.50:9100, network:[fe80::1]:9100
    serial:DEVICE[:BAUD]         serial:/dev/ttyUSB0, serial:/dev/ttyS0:19200, serial:COM3
    serial:URL[@BAUD]            serial:socket://127.0.0.1:7000, serial:hwgrep://1a86:7523@115200
    usb:VID:PID                  usb:0416:5011 (hexadecimal, as lsusb shows them)
    simulator                    an in-process simulator (devices.printer.simulator)
    virtual                      memory/PNG only (devices.printer.virtual)

A pyserial URL (anything with ``://``) has colons of its own, so its baud rate follows an
``@``; a plain device path takes ``:BAUD`` (or ``@BAUD``). Default port 9100, default baud
9600. ``parse_connection`` checks the syntax only; nothing is opened.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_PORT = 9100
DEFAULT_BAUDRATE = 9600
EXAMPLES = (
    "network:127.0.0.1:9100, serial:/dev/ttyUSB0[:9600], serial:socket://127.0.0.1:7000, "
    "usb:0416:5011, simulator, virtual"
)
_BAUD_RANGE = (300, 4_000_000)


def _fail(connection: str, why: str) -> ValueError:
    return ValueError(f"bad printer connection {connection!r}: {why} (examples: {EXAMPLES})")


def _baud(connection: str, text: str) -> int:
    if not text.isdigit() or not _BAUD_RANGE[0] <= int(text) <= _BAUD_RANGE[1]:
        raise _fail(connection, f"baud rate must be a number from 300 to 4000000, not {text!r}")
    return int(text)


def _network(connection: str, rest: str) -> dict[str, Any]:
    match = re.fullmatch(r"\[([^\]]+)\](?::(\w*))?|([^:\[\]]+)(?::(\w*))?", rest)
    if not rest or match is None:
        raise _fail(connection, "expected network:HOST[:PORT] (IPv6 in brackets)")
    host = match.group(1) or match.group(3)
    port_text = match.group(2) if match.group(1) else match.group(4)
    port = DEFAULT_PORT
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _fail(connection, f"port must be a number from 1 to 65535, not {port_text!r}")
        port = int(port_text)
    return {"host": host, "port": port}


def _serial(connection: str, rest: str) -> dict[str, Any]:
    if not rest:
        raise _fail(connection, "expected serial:DEVICE[:BAUD] or serial:URL[@BAUD]")
    url, baud = rest, None
    if "@" in rest and rest.rsplit("@", 1)[1].isdigit():
        url, baud_text = rest.rsplit("@", 1)
        baud = _baud(connection, baud_text)
    elif "://" not in rest:
        head, sep, tail = rest.rpartition(":")
        if sep and head and tail.isdigit() and not re.fullmatch(r"[A-Za-z]", head):
            url, baud = head, _baud(connection, tail)
    if not url:
        raise _fail(connection, "the serial device or URL is empty")
    return {"url": url, "baudrate": baud if baud is not None else DEFAULT_BAUDRATE}


def _usb(connection: str, rest: str) -> dict[str, Any]:
    match = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", rest)
    if match is None:
        raise _fail(connection, "expected usb:VID:PID in hexadecimal, as lsusb shows them")
    return {"vendor_id": int(match.group(1), 16), "product_id": int(match.group(2), 16)}


def parse_connection(connection: str) -> tuple[str, dict[str, Any]]:
    """Split a connection string into (backend name, constructor keyword arguments).

    Raises ValueError naming the problem and showing valid examples.
    """
    text = connection.strip()
    if not text:
        raise _fail(connection, "it is empty")
    scheme, _, rest = text.partition(":")
    scheme = scheme.lower()
    if scheme in ("simulator", "virtual"):
        if rest:
            raise _fail(connection, f"{scheme} takes no parameters")
        return scheme, {}
    if scheme == "network":
        return "network", _network(connection, rest)
    if scheme == "serial":
        return "serial", _serial(connection, rest)
    if scheme == "usb":
        return "usb", _usb(connection, rest)
    raise _fail(
        connection, f"unknown kind {scheme!r}; use network, serial, usb, simulator, virtual"
    )
