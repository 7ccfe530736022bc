"""A GA 467 SAM ID-card reader on a serial port: poll, read, report once per placement.

The port is opened with ``serial.serial_for_url``, so the same class drives a reader on
``/dev/ttyUSB0`` or ``hwgrep://10c4:ea60``, a simulator on ``socket://127.0.0.1:7001`` or
a pty, and whatever pyserial adds. Bytes and their meaning live in ``protocol.py``; this
module owns the port and one polling thread.

Behaviour (why):

- ``open()`` tries to connect and checks the SAM status once before returning, so the
  kiosk starts knowing whether the reader is usable. A missing device is not an error
  at start-up: the state is "offline" and the thread keeps trying (a reader plugged in
  later just works). An unknown URL scheme is a configuration error: DeviceUnavailable.
- The thread polls find card every ``poll_interval_s`` (seconds); on "card found" it
  selects and reads, and calls ``_emit_card`` once. While the card stays (find keeps
  answering 0x9F) nothing repeats; the first "no card" answer re-arms.
- A read that fails with a card error (moved card, 0x41 …) is retried on the next polls,
  at most ``read_attempts`` times per placement, then the reader waits for the card to be
  lifted. Every failure goes to the error listeners (``subscribe_errors``) with a typed
  error that carries a citizen message (``message_zh``/``message_en``).
- Each command waits at most ``command_timeout_s`` for its answer. A corrupt answer
  (dropped by the decoder) fails the command at once instead of waiting for the timeout.
  ``offline_after_timeouts`` timeouts in a row mean the device is gone.
- Serial errors (USB unplugged, socket closed) put the state to "offline" and the thread
  reconnects with exponential backoff from ``reconnect_min_s`` to ``reconnect_max_s``,
  back to "ok" once the SAM answers.
- A SAM that fails its self-test or is not authorised (0x60/0x66) is checked
  ``sam_attempts`` times, then the state stays "sam_fault" (staff must act) and the
  thread stops polling until ``recheck()`` or a reopen: retrying forever would only hide
  a reader that needs service.

Personal data: cards are logged only through IdCard's masked ``repr``; answers are logged
by status and size only.
"""

from __future__ import annotations

import logging
import threading
import time

import serial

from devices.errors import CardError, DeviceError, DeviceTimeout, DeviceUnavailable
from devices.idcard import protocol as p
from devices.idcard.base import CardReader, ReaderState, SamProbe

log = logging.getLogger(__name__)

try:  # a vanished tty raises termios.error (not an OSError) from tcflush
    import termios

    _PORT_ERRORS: tuple[type[BaseException], ...] = (
        serial.SerialException,
        OSError,
        termios.error,
    )
except ImportError:  # pragma: no cover - Windows
    _PORT_ERRORS = (serial.SerialException, OSError)

READ_SLICE_S = 0.05  # the port's read timeout: how often the thread looks at the stop flag


class ReaderTimeout(p.ReaderError, DeviceTimeout):
    """The reader did not answer a command in time."""

    error_code = "reader_timeout"

    message_zh = "读卡器没有响应，请稍候再试"
    message_en = "The card reader is not responding. Please try again in a moment."


class _Stopped(Exception):
    """close() was called while a command was waiting."""


class SerialCardReader(CardReader):
    """An ID-card reader on a serial URL (see the module docstring for the behaviour).

    Times are in seconds; ``baud`` in bits per second (ignored by socket:// URLs).
    """

    def __init__(
        self,
        url: str,
        baud: int = 115200,
        poll_interval_s: float = 0.3,
        command_timeout_s: float = 1.0,
        *,
        read_fingerprint: bool = False,
        read_attempts: int = 3,
        offline_after_timeouts: int = 3,
        sam_attempts: int = 3,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 10.0,
    ) -> None:
        super().__init__()
        if not url:
            raise DeviceUnavailable("card reader: no serial URL configured (card_reader.url)")
        self.url = url
        self.baud = baud
        self.poll_interval_s = poll_interval_s
        self.command_timeout_s = command_timeout_s
        self.read_fingerprint = read_fingerprint
        self.read_attempts = max(1, read_attempts)
        self.offline_after_timeouts = max(1, offline_after_timeouts)
        self.sam_attempts = max(1, sam_attempts)
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = max(reconnect_min_s, reconnect_max_s)
        self.stats: dict[str, int] = {
            "cards": 0,
            "card_errors": 0,
            "protocol_errors": 0,
            "timeouts": 0,
            "disconnects": 0,
            "bad_frames": 0,
        }
        self._port: serial.SerialBase | None = None
        self._decoder = p.FrameDecoder()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._card_on = False
        self._read_failures = 0
        self._timeouts = 0

    # ------------------------------------------------------------------ public API

    def recheck(self) -> None:
        """Staff action: check the SAM again after a "sam_fault" (e.g. after a reset)."""
        self._wake.set()

    @property
    def card_present(self) -> bool:
        """True while a card that was read (or given up on) lies on the reader."""
        return self._card_on

    def probe(self) -> SamProbe:
        """Staff test: SAM status and SAM id through this reader's own port and frames. The
        polling thread is paused meanwhile (the reader is closed and opened again)."""
        was_open = self.is_open
        if was_open:
            self.close()
        self._stop.clear()
        try:
            if not self._connect():
                return SamProbe("no_answer")
            try:
                status = self._command(p.SAM_STATUS)
                if status.sw3 != p.SW_OK:
                    return SamProbe("sam_fault")
                ident = self._command(p.SAM_ID)
            except (p.ReaderError, *_PORT_ERRORS):
                return SamProbe("no_answer")
            finally:
                self._drop_port()
            data = bytes(ident.data) if ident.sw3 == p.SW_OK else b""
            return SamProbe("ok", " ".join(data[i : i + 4].hex() for i in range(0, len(data), 4)))
        finally:
            if was_open:
                self.open()

    # ------------------------------------------------------------------ lifecycle

    def _open(self) -> None:
        self._stop.clear()
        self._wake.clear()
        self._card_on = False
        if self._connect():
            self._check_sam()
        self._thread = threading.Thread(target=self._run, name="idcard-reader", daemon=True)
        self._thread.start()

    def _close(self) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
            if thread.is_alive():  # pragma: no cover - would mean a blocking call we missed
                log.error("card reader thread did not stop")
        self._drop_port()

    # ------------------------------------------------------------------ state

    def _set_state(self, state: ReaderState, detail: str = "") -> None:
        if (state, detail) == (self.state, self.state_detail):
            return
        log.info("card reader %s%s", state, f": {detail}" if detail else "")
        self._emit_state(state, detail)

    # Listeners run on the reader thread; the fan-out (devices/base.py Listeners) logs a
    # failing listener so it neither stops the thread nor silences the others.

    # ------------------------------------------------------------------ the port

    def _connect(self) -> bool:
        """Open the port; False (state "offline") if the device is not there."""
        try:
            port = serial.serial_for_url(
                self.url,
                baudrate=self.baud,
                timeout=READ_SLICE_S,
                write_timeout=self.command_timeout_s,
            )
        except ValueError as exc:  # unknown URL scheme or bad parameter: configuration
            raise DeviceUnavailable(f"card reader URL {self.url!r} is invalid: {exc}") from exc
        except (serial.SerialException, OSError) as exc:
            self._set_state("offline", f"cannot open {self.url}: {exc}")
            return False
        self._port = port
        self._decoder.reset()
        self._read_failures = 0
        self._timeouts = 0
        log.info("card reader port open: %s", self.url)
        return True

    def _drop_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # closing a vanished device may fail; it is gone either way
                log.debug("error closing card reader port", exc_info=True)

    def _command(self, command: tuple[int, int]) -> p.Response:
        """Send one command and wait for its answer (≤ ``command_timeout_s``)."""
        port = self._port
        if port is None:
            raise serial.SerialException("port is not open")
        decoder = self._decoder
        decoder.reset()  # a late answer to an earlier command must not count as this one
        port.reset_input_buffer()
        port.write(p.encode_command(*command))
        errors_before = decoder.errors
        deadline = time.monotonic() + self.command_timeout_s
        while True:
            if self._stop.is_set():
                raise _Stopped
            chunk = port.read(decoder.bytes_wanted())
            if chunk:
                frames = decoder.feed(chunk)
                if frames:
                    if len(frames) > 1:
                        log.debug("ignored %d extra frames", len(frames) - 1)
                    return frames[0]
                if decoder.errors > errors_before:
                    self.stats["bad_frames"] += decoder.errors - errors_before
                    raise p.FrameError(
                        f"corrupt answer to {command[0]:02X} {command[1]:02X} "
                        "(bad checksum or length)"
                    )
            if time.monotonic() >= deadline:
                raise ReaderTimeout(
                    f"no answer to {command[0]:02X} {command[1]:02X} "
                    f"within {self.command_timeout_s:g} s"
                )

    # ------------------------------------------------------------------ the thread

    def _check_sam(self) -> None:
        """SAM status on (re)connect: "ok", "sam_fault", or drop the port if mute."""
        error: p.ReaderError = p.FrameError("no SAM status")
        for attempt in range(1, self.sam_attempts + 1):
            try:
                resp = self._command(p.SAM_STATUS)
            except ReaderTimeout as exc:
                self.stats["timeouts"] += 1
                self.report(exc)
                self._drop_port()
                self._set_state("offline", f"reader does not answer on {self.url}: {exc}")
                return
            except _PORT_ERRORS as exc:
                self._lost(exc)
                return
            except p.FrameError as exc:  # a corrupt answer: ask again
                self.stats["protocol_errors"] += 1
                self.report(exc)
                error = exc
                continue
            if resp.sw3 == p.SW_OK:
                self._set_state("ok")
                return
            error = p.status_error(resp.sw3)
            log.warning("SAM check %d/%d: %s", attempt, self.sam_attempts, error)
            if attempt < self.sam_attempts and self._stop.wait(self.reconnect_min_s):
                raise _Stopped
        self.report(error)
        self._set_state("sam_fault", f"{error} — the reader needs service")

    def _lost(self, exc: BaseException) -> None:
        self.stats["disconnects"] += 1
        self._drop_port()
        self._set_state("offline", f"lost {self.url}: {exc}")

    def _run(self) -> None:
        backoff = self.reconnect_min_s
        while not self._stop.is_set():
            try:
                if self._port is None:
                    if self._stop.wait(backoff):
                        return
                    backoff = min(backoff * 2, self.reconnect_max_s)
                    if self._connect():
                        self._check_sam()
                        if self._port is not None:
                            backoff = self.reconnect_min_s
                    continue
                if self.state == "sam_fault":  # idle until recheck() or close()
                    if self._wake.wait(1.0):
                        self._wake.clear()
                        if not self._stop.is_set() and self._port is not None:
                            self._check_sam()
                    continue
                self._poll_once()
                self._stop.wait(self.poll_interval_s)
            except _Stopped:
                return
            except Exception as exc:  # a bug: report it, reconnect, keep the reader alive
                log.exception("card reader thread error")
                self._drop_port()
                self._set_state("offline", f"internal error ({type(exc).__name__}); retrying")

    def _poll_once(self) -> None:
        """One find (→ select → read) cycle; every failure is caught and reported here."""
        try:
            found = self._command(p.FIND_CARD)
            self._timeouts = 0
            if found.sw3 == p.SW_CARD_FOUND:
                if not self._card_on:
                    self._read_card()
            elif found.sw3 == p.SW_NO_CARD:
                if self._card_on or self._read_failures:
                    log.debug("card lifted")
                self._card_on = False
                self._read_failures = 0
            else:
                raise p.status_error(found.sw3)
        except _Stopped:
            raise
        except _PORT_ERRORS as exc:
            self._lost(exc)
        except p.SamError as exc:
            self.report(exc)
            self._check_sam()
        except ReaderTimeout as exc:
            self.stats["timeouts"] += 1
            self._timeouts += 1
            self.report(exc)
            log.warning("card reader: %s", exc)
            if self._timeouts >= self.offline_after_timeouts:
                self._drop_port()
                self._set_state("offline", f"no answer from {self.url} ({self._timeouts} timeouts)")
        except CardError as exc:
            self.stats["card_errors"] += 1
            self._read_failures += 1
            self.report(exc)
            log.warning(
                "card read failed (%d/%d): %s", self._read_failures, self.read_attempts, exc
            )
            if self._read_failures >= self.read_attempts:
                self._card_on = True  # give up on this placement until the card is lifted
        except DeviceError as exc:  # ProtocolError: corrupt or wrong-shaped answer
            self.stats["protocol_errors"] += 1
            self.report(exc)
            log.warning("card reader: %s", exc)

    def _read_card(self) -> None:
        selected = self._command(p.SELECT_CARD)
        if selected.sw3 != p.SW_OK:
            raise p.status_error(selected.sw3)
        command = p.READ_TEXT_PHOTO_FP if self.read_fingerprint else p.READ_TEXT_PHOTO
        card = p.parse_read_response(self._command(command))
        self._card_on = True
        self._read_failures = 0
        self.stats["cards"] += 1
        self._emit_card(card)
