"""Serial ticket printers, opened by URL with ``serial.serial_for_url``.

``/dev/ttyUSB0`` or ``COM3`` on a kiosk, ``hwgrep://1a86:7523`` to find a USB–serial
adapter by its ids, ``socket://127.0.0.1:9100`` against the simulator, ``loop://`` in
tests, ``spy://…`` when debugging. (``escpos.printer.Serial`` opens ``serial.Serial(port)``
and so cannot take these URLs.) The printer's answers to ``DLE EOT n`` come back on the
same line; reads use the port's timeout so a silent printer costs a bounded wait.
"""

from __future__ import annotations

import logging
from typing import Any

from devices.errors import DeviceUnavailable
from devices.printer.stream import StreamPrinter

log = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 9600


class SerialPrinter(StreamPrinter):
    """An ESC/POS printer on the serial port or pyserial URL ``url``.

    ``baudrate`` in bits/s (most printers ship at 9600 or 115200); ``rtscts`` turns on
    hardware flow control (needed by printers that use it to pause the sender when their
    buffer is full). Other keyword arguments: see ``StreamPrinter``.
    """

    def __init__(
        self,
        url: str,
        baudrate: int = DEFAULT_BAUDRATE,
        paper_width_mm: int = 80,
        *,
        rtscts: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(paper_width_mm, **options)
        if not url:
            raise ValueError("url must not be empty (e.g. /dev/ttyUSB0 or socket://host:port)")
        if int(baudrate) <= 0:
            raise ValueError(f"baudrate must be positive, not {baudrate}")
        self.url = url
        self.baudrate = int(baudrate)
        self.rtscts = rtscts
        self._port: Any = None

    @property
    def description(self) -> str:
        return f"serial printer {self.url} ({self.baudrate} baud)"

    def _connect(self) -> None:
        try:
            import serial
        except ImportError as exc:  # pragma: no cover - pyserial is a core dependency
            raise DeviceUnavailable("serial printers need pyserial: pip install pyserial") from exc
        try:
            self._port = serial.serial_for_url(
                self.url,
                baudrate=self.baudrate,
                rtscts=self.rtscts,
                timeout=0,
                write_timeout=self.write_timeout_s,
            )
        except ValueError as exc:  # a malformed URL will not get better by retrying
            raise DeviceUnavailable(f"bad serial URL {self.url!r}: {exc}") from exc

    def _disconnect(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception as exc:  # noqa: BLE001 - closing must not raise
                log.debug("closing %s: %s", self.url, exc)

    def _write(self, data: bytes) -> None:
        if self._port is None:
            raise ConnectionError("not connected")
        self._port.write(data)
        self._port.flush()

    def _read(self, timeout_s: float) -> bytes:
        if self._port is None:
            raise ConnectionError("not connected")
        self._port.timeout = max(0.0, timeout_s)
        return bytes(self._port.read(1))
