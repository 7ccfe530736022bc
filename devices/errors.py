"""One exception tree for every device kind.

The UI maps each class to a spoken and written message that tells the citizen what to do
next, so a backend must raise the most specific class it can and put a staff-facing detail
in the message (never personal data).
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device failure."""


class DeviceUnavailable(DeviceError):
    """The device is missing, unplugged, or its backend library is not installed."""


class DeviceTimeout(DeviceError):
    """The device did not answer within its time limit."""


class ProtocolError(DeviceError):
    """The device answered with bytes we cannot understand (bad frame, bad field)."""


class CardError(DeviceError):
    """The card reader worked but the card could not be read (move it, try again)."""


class PrinterError(DeviceError):
    """The printer cannot print now; ``status`` tells why."""

    def __init__(self, message: str, status: object | None = None) -> None:
        super().__init__(message)
        self.status = status
