"""USB ticket printers (vendor/product id), through python-escpos's ``Usb`` and pyusb.

``escpos.printer.Usb`` finds the device, detaches the kernel's ``usblp`` driver and sets
the configuration; the bulk endpoints are then read from the interface descriptor (many
printers use IN 0x81, not python-escpos's default 0x82), and bytes go through pyusb with
timeouts in milliseconds. A printer without an IN endpoint cannot answer ``DLE EOT``: its
status is "unknown" and the paper counter warns instead.

pyusb and libusb are imported only when a USB printer is opened; without them, or without
the device, ``open()`` raises DeviceUnavailable saying what to install or check.
"""

from __future__ import annotations

import logging
from typing import Any

from devices.errors import DeviceUnavailable
from devices.printer.stream import StreamPrinter

log = logging.getLogger(__name__)

_ETIMEDOUT = 110


class UsbPrinter(StreamPrinter):
    """An ESC/POS printer on USB, found by ``vendor_id`` and ``product_id`` (integers).

    ``in_ep``/``out_ep`` override the endpoint addresses found in the descriptor;
    ``interface`` is the USB interface number (0 for nearly every printer). Other keyword
    arguments: see ``StreamPrinter``.
    """

    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        paper_width_mm: int = 80,
        *,
        in_ep: int | None = None,
        out_ep: int | None = None,
        interface: int = 0,
        **options: Any,
    ) -> None:
        super().__init__(paper_width_mm, **options)
        for name, value in (("vendor_id", vendor_id), ("product_id", product_id)):
            if not 0 <= int(value) <= 0xFFFF:
                raise ValueError(f"{name} must be 0x0000–0xFFFF, not {value!r}")
        self.vendor_id = int(vendor_id)
        self.product_id = int(product_id)
        self.interface = interface
        self._want_in, self._want_out = in_ep, out_ep
        self._in_ep: int | None = None
        self._out_ep: int | None = None
        self._escpos: Any = None
        self._device: Any = None

    @property
    def description(self) -> str:
        return f"USB printer {self.vendor_id:04x}:{self.product_id:04x}"

    def _connect(self) -> None:
        try:
            import usb.core
            import usb.util
            from escpos.exceptions import DeviceNotFoundError
            from escpos.printer import Usb
        except ImportError as exc:
            raise DeviceUnavailable(
                "USB printers need pyusb (pip install pyusb) and libusb "
                "(Debian: apt install libusb-1.0-0)"
            ) from exc
        printer = Usb(
            idVendor=self.vendor_id,
            idProduct=self.product_id,
            timeout=int(self.write_timeout_s * 1000),
            in_ep=self._want_in or 0x82,
            out_ep=self._want_out or 0x01,
        )
        try:
            printer.open()
        except usb.core.NoBackendError as exc:
            raise DeviceUnavailable(
                "pyusb found no libusb library; install it (Debian: apt install libusb-1.0-0)"
            ) from exc
        except DeviceNotFoundError as exc:
            raise DeviceUnavailable(
                f"no {self.description} found: check the cable and power, and that this user "
                "may use the device (a udev rule granting access)"
            ) from exc
        device = printer.device
        if device is None:
            raise DeviceUnavailable(f"{self.description} could not be opened")
        self._escpos, self._device = printer, device
        self._in_ep, self._out_ep = self._endpoints(device, usb.util)
        if self._in_ep is None:
            log.warning("%s has no IN endpoint: status will be unknown", self.description)

    def _endpoints(self, device: Any, util: Any) -> tuple[int | None, int]:
        """(IN, OUT) bulk endpoint addresses from the descriptor, unless given."""
        found_in = found_out = None
        try:
            intf = device.get_active_configuration()[(self.interface, 0)]
            for ep in intf:
                if util.endpoint_type(ep.bmAttributes) != util.ENDPOINT_TYPE_BULK:
                    continue
                if util.endpoint_direction(ep.bEndpointAddress) == util.ENDPOINT_IN:
                    found_in = found_in or ep.bEndpointAddress
                else:
                    found_out = found_out or ep.bEndpointAddress
        except Exception as exc:  # noqa: BLE001 - fall back to the given/default endpoints
            log.warning("%s: cannot read endpoints (%s); using defaults", self.description, exc)
            return self._want_in or 0x82, self._want_out or 0x01
        return self._want_in or found_in, self._want_out or found_out or 0x01

    def _disconnect(self) -> None:
        printer, self._escpos, self._device = self._escpos, None, None
        if printer is None:
            return
        try:
            import usb.util

            usb.util.dispose_resources(printer.device)
            printer.close()
        except Exception as exc:  # noqa: BLE001 - closing must not raise
            log.debug("closing %s: %s", self.description, exc)

    def _can_read_status(self) -> bool:
        return self._in_ep is not None

    def _write(self, data: bytes) -> None:
        if self._device is None or self._out_ep is None:
            raise ConnectionError("not connected")
        self._device.write(self._out_ep, data, int(self.write_timeout_s * 1000))

    def _read(self, timeout_s: float) -> bytes:
        if self._device is None or self._in_ep is None:
            raise ConnectionError("not connected")
        import usb.core

        try:  # libusb: 0 ms means "wait forever", so never pass 0
            return bytes(self._device.read(self._in_ep, 64, max(1, int(timeout_s * 1000))))
        except usb.core.USBError as exc:
            if isinstance(exc, getattr(usb.core, "USBTimeoutError", ())) or (
                exc.errno == _ETIMEDOUT
            ):
                return b""
            raise
