"""The staff panel's core: the hidden entry, the PIN, the lockout, idle close, device tests.

Qt-free, so every rule here is tested without a display; ``ui/staff`` only renders it.

Entry: a long press (``[staff] long_press_s``, 5 s by default) on the top-left corner of
the kiosk screen (``corner_hit``), then the PIN. The PIN is kept only as a salted scrypt
hash, with its parameters, in ``<data_dir>/staff-pin.json`` (never in the config repo).
When no PIN is set the first entry asks to set one (entered twice, at least
``MIN_PIN_LEN`` digits, not a trivial sequence). ``MAX_ATTEMPTS`` wrong PINs lock the
panel for ``LOCKOUT_S`` seconds; the lock is written to the same file so a restart does not
lift it. Each attempt is logged without the typed digits. The panel closes itself after
``[staff] idle_s`` seconds without a touch (``StaffGate.expired``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.secret_hash import hash_secret, verify_secret

log = logging.getLogger(__name__)

PIN_FILE = "staff-pin.json"
SETUP_FILE = "staff-setup"  # made by `python -m kiosk --staff-setup`: allows the first PIN
SETUP_WINDOW_S = 24 * 3600.0  # … on the touchscreen within this long
MIN_PIN_LEN = 6
MAX_PIN_LEN = 12
MAX_ATTEMPTS = 5
LOCKOUT_S = 300.0  # five minutes
CORNER_PX = 96  # the square in the top-left corner that opens the panel, pixels


def corner_hit(x: float, y: float, size: float = CORNER_PX) -> bool:
    """Is a press at (x, y) window pixels inside the top-left corner square?"""
    return 0 <= x < size and 0 <= y < size


def pin_problem(pin: str) -> str:
    """Why a new PIN is refused ("" if it is fine): length, digits only, not trivial."""
    if not pin.isdigit() or not pin.isascii():
        return "digits"
    if not MIN_PIN_LEN <= len(pin) <= MAX_PIN_LEN:
        return "length"
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):  # 000000, 123456, 654321
        return "trivial"
    return ""


@dataclass
class PinResult:
    ok: bool
    reason: str = ""  # "wrong", "locked", "mismatch", "length", "digits", "trivial",
    #                   "setup_not_allowed" (no `python -m kiosk --staff-setup` lately)
    attempts_left: int = MAX_ATTEMPTS
    locked_for_s: float = 0.0


class PinStore:
    """The PIN hash and the lockout, in one JSON file in the data dir (written atomically).

    ``now`` is wall-clock seconds (``time.time``): the lock must survive a restart, which a
    monotonic clock does not.
    """

    def __init__(self, data_dir: Path, now: Callable[[], float] = time.time) -> None:
        self.path = Path(data_dir) / PIN_FILE
        self.now = now

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # a damaged file must not open the panel to anyone: keep it locked, tell the log
            log.error("staff PIN file %s unreadable (%s); panel stays locked", self.path, exc)
            return {"pin": {"algorithm": "unreadable"}}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    @property
    def has_pin(self) -> bool:
        return "pin" in self._read()

    @property
    def setup_allowed(self) -> bool:
        """The first PIN may be set on the touchscreen: someone with access to the kiosk's
        console ran ``python -m kiosk --staff-setup`` within ``SETUP_WINDOW_S``. Without
        it, any passer-by holding the corner could set the PIN and take over the kiosk."""
        try:
            made = (self.path.parent / SETUP_FILE).stat().st_mtime
        except FileNotFoundError:
            return False
        return 0 <= self.now() - made <= SETUP_WINDOW_S

    def allow_setup(self) -> Path:
        marker = self.path.parent / SETUP_FILE
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("first staff PIN may be set on the touchscreen\n", "utf-8")
        os.utime(marker, (self.now(), self.now()))
        log.info("staff PIN setup allowed on the touchscreen for %.0f h", SETUP_WINDOW_S / 3600)
        return marker

    def locked_for(self) -> float:
        """Seconds the panel stays locked (0: not locked)."""
        until = float(self._read().get("locked_until", 0) or 0)
        return max(0.0, until - self.now())

    def set_pin(self, pin: str, again: str) -> PinResult:
        """First-run setup (or a change from inside the panel): twice, and not trivial."""
        if pin != again:
            return PinResult(False, "mismatch")
        problem = pin_problem(pin)
        if problem:
            return PinResult(False, problem)
        data = self._read()
        data.update(pin=hash_secret(pin), failures=0, locked_until=0)
        self._write(data)
        (self.path.parent / SETUP_FILE).unlink(missing_ok=True)  # used up
        log.info("staff PIN set")
        return PinResult(True)

    def check(self, pin: str) -> PinResult:
        """One attempt. Logged (never the digits); the fifth wrong one locks."""
        data = self._read()
        left = self.locked_for()
        if left > 0:
            log.warning("staff PIN attempt while locked (%.0f s left)", left)
            return PinResult(False, "locked", 0, left)
        record = data.get("pin")
        if record is None:
            return PinResult(False, "no_pin")
        if verify_secret(pin, record):
            if data.get("failures"):
                data.update(failures=0, locked_until=0)
                self._write(data)
            log.info("staff PIN accepted; panel opened")
            return PinResult(True)
        failures = int(data.get("failures", 0)) + 1
        if failures >= MAX_ATTEMPTS:
            data.update(failures=0, locked_until=self.now() + LOCKOUT_S)
            self._write(data)
            log.warning("staff PIN wrong %d times: panel locked for %.0f s", failures, LOCKOUT_S)
            return PinResult(False, "locked", 0, LOCKOUT_S)
        data["failures"] = failures
        self._write(data)
        log.warning("staff PIN wrong (%d of %d)", failures, MAX_ATTEMPTS)
        return PinResult(False, "wrong", MAX_ATTEMPTS - failures)


class StaffGate:
    """Open/closed state of the panel and its idle timer (``clock``: monotonic seconds).

    While open, ``flow.rating.staff_mode`` is True and the citizen's visit has been ended, so no
    citizen flow continues under the panel.
    """

    def __init__(self, store: PinStore, flow: Any, idle_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.store = store
        self.flow = flow
        self.idle_s = idle_s
        self.clock = clock
        self.is_open = False
        self._last = clock()

    def may_start(self) -> bool:
        """The gesture is ignored while a ticket is being issued (its number must not be lost)."""
        return getattr(self.flow.state, "busy", None) != "issuing"

    def enter(self, pin: str) -> PinResult:
        result = self.store.check(pin)
        if result.ok:
            self._open()
        return result

    def first_pin(self, pin: str, again: str) -> PinResult:
        if self.store.has_pin:
            return PinResult(False, "exists")
        if not self.store.setup_allowed:
            return PinResult(False, "setup_not_allowed")
        result = self.store.set_pin(pin, again)
        if result.ok:
            self._open()
        return result

    def _open(self) -> None:
        self.flow.home()  # end the citizen's visit: its data is wiped, nothing continues
        self.flow.rating.staff_mode = True
        self.is_open = True
        self._last = self.clock()

    def touch(self) -> None:
        self._last = self.clock()

    def expired(self) -> bool:
        return self.is_open and self.clock() - self._last >= self.idle_s

    def close(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        self.flow.rating.staff_mode = False
        self.flow.home()
        log.info("staff panel closed")


# ----------------------------------------------------------------------------- device tests
@dataclass(frozen=True)
class PortInfo:
    """A serial port as the picker shows it; ``hwgrep`` pins a USB adapter by VID:PID."""

    device: str
    description: str
    vid_pid: str = ""  # "1a86:7523" for USB adapters

    @property
    def hwgrep(self) -> str:
        return f"hwgrep://{self.vid_pid}" if self.vid_pid else ""


def serial_ports() -> list[PortInfo]:
    """The machine's serial ports (``serial.tools.list_ports.comports()``)."""
    from serial.tools import list_ports

    ports = []
    for info in sorted(list_ports.comports(), key=lambda i: i.device):
        vid_pid = f"{info.vid:04x}:{info.pid:04x}" if info.vid is not None and info.pid else ""
        ports.append(PortInfo(info.device, info.description or "", vid_pid))
    return ports


def card_summary(card: Any) -> dict[str, str]:
    """What a test read shows: masked forms only (never the plain number or name)."""
    return {
        "kind": str(getattr(card, "kind", "")),
        "name": card.masked_name,
        "id": card.masked_id,
    }


def camera_test(image_bytes: bytes) -> dict[str, Any]:
    """Quality flags (devices/scanner/page.py) and the sharpness score of one capture."""
    import cv2
    import numpy as np

    from devices.scanner.page import check_quality

    image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return {"flags": ["unreadable"], "sharpness": 0.0, "size": ""}
    quality = check_quality(image)
    return {
        "flags": quality.flags,
        "sharpness": quality.metrics.get("sharpness", 0.0),
        "size": f"{image.shape[1]}x{image.shape[0]}",
    }


def ocr_test(image_bytes: bytes, precheck: Any, timeout_s: float = 120.0) -> dict[str, Any]:
    """Staff test of the pre-check's OCR on one capture: document type, confidence, quality
    flags, which key fields were read (names only — never their values) and the times.
    ``precheck``: the kiosk's ``PrecheckJourney`` (None when the pre-check is switched off)."""
    if precheck is None:
        raise RuntimeError("the pre-check is switched off ([precheck] enabled = false)")
    started = time.perf_counter()
    result = precheck.worker().submit(image_bytes, "staff-test").result(timeout=timeout_s)
    return {
        "doc_type": result.doc_type,
        "confidence": round(result.confidence, 2),
        "quality": list(result.quality),
        "fields": sorted(k for k, v in result.fields.items() if v),
        "ocr_ms": round(sum(result.timings_ms.values())),
        "total_ms": round((time.perf_counter() - started) * 1000),
    }


def hall_test(url: str, token: str, timeout_s: float, ca_file: str = "") -> dict[str, Any]:
    """``GET /api/v1/health`` with this kiosk's token; the round-trip time in milliseconds."""
    from kiosk.hall_client import HallClient

    client = HallClient(url, token, timeout_s, ca_file)
    try:
        start = time.perf_counter()
        body = client.health()
        return {"ok": True, "rtt_ms": round((time.perf_counter() - start) * 1000, 1), **body}
    finally:
        client.close()


def mask_token(token: str) -> str:
    return f"{token[:4]}…{token[-2:]}" if len(token) > 8 else ("*" * len(token))
