"""One exception tree for every device kind.

The UI maps each class to a spoken and written message that tells the citizen what to do
next, so a backend must raise the most specific class it can and put a staff-facing detail
in the message (never personal data).
"""

from __future__ import annotations

from typing import ClassVar


class DeviceError(Exception):
    """Base of every device failure. ``error_code``: a stable code the kiosk and the screens
    decide on (never the class name); ``message_zh``/``message_en``: what the citizen is
    told; ``for_staff``: the citizen cannot fix it, staff are alerted."""

    error_code: ClassVar[str] = "device"
    message_zh: ClassVar[str] = "设备出了点问题，请到服务台请工作人员帮忙"
    message_en: ClassVar[str] = "A device has a problem. Please ask a member of staff."
    for_staff: ClassVar[bool] = False


class DeviceUnavailable(DeviceError):
    """The device is missing, unplugged, or its backend library is not installed."""

    error_code = "unavailable"
    for_staff = True


class DeviceTimeout(DeviceError):
    """The device did not answer within its time limit."""

    error_code = "timeout"


class ProtocolError(DeviceError):
    """The device answered with bytes we cannot understand (bad frame, bad field)."""

    error_code = "protocol"


class CardError(DeviceError):
    """The card reader worked but the card could not be read (move it, try again)."""

    error_code = "card"
    message_zh = "没有读出身份证，请把身份证放平，重新放一次"
    message_en = "The card could not be read. Please lay it flat and place it again."


class PrinterError(DeviceError):
    """The printer cannot print now; ``status`` tells why."""

    error_code = "printer"
    for_staff = True

    def __init__(self, message: str, status: object | None = None) -> None:
        super().__init__(message)
        self.status = status
