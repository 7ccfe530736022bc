"""Network ticket printers: raw ESC/POS over TCP (port 9100, "JetDirect"/"RAW").

The socket is ours (not ``escpos.printer.Network``) so that every read has a timeout: the
printer's one-byte answers to ``DLE EOT n`` come back on the same connection, and a
printer that never answers must cost a bounded wait, not a hang. Job bytes are built with
``escpos.printer.Dummy`` by ``devices.printer.stream.StreamPrinter``.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from devices.printer.stream import StreamPrinter

log = logging.getLogger(__name__)

DEFAULT_PORT = 9100


class NetworkPrinter(StreamPrinter):
    """An ESC/POS printer at ``host``:``port`` (TCP).

    ``connect_timeout_s`` bounds each connection attempt (s). Other keyword arguments: see
    ``StreamPrinter`` (``paper_width_mm``, ``status_timeout_s``, ``what_to_do_on_unknown``,
    ``roll_length_mm``, ``roll_warn_mm``, …).
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        paper_width_mm: int = 80,
        *,
        connect_timeout_s: float = 3.0,
        **options: Any,
    ) -> None:
        super().__init__(paper_width_mm, **options)
        if not host:
            raise ValueError("host must not be empty")
        if not 0 < int(port) < 65536:
            raise ValueError(f"port must be 1–65535, not {port}")
        self.host = host
        self.port = int(port)
        self.connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None

    @property
    def description(self) -> str:
        return f"network printer {self.host}:{self.port}"

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status questions are tiny
        self._sock = sock

    def _disconnect(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise ConnectionError("not connected")
        return self._sock

    def _write(self, data: bytes) -> None:
        sock = self._socket()
        sock.settimeout(self.write_timeout_s)
        sock.sendall(data)

    def _read(self, timeout_s: float) -> bytes:
        sock = self._socket()
        sock.settimeout(max(0.0, timeout_s))  # 0: non-blocking
        try:
            chunk = sock.recv(64)
        except (TimeoutError, BlockingIOError):
            return b""
        if not chunk:
            raise ConnectionResetError("the printer closed the connection")
        return chunk
