"""Heartbeats: every kiosk tells the hall server how its devices are, so staff see a printer
out of paper or a dead card reader across the hall before a citizen does.

A background thread posts ``POST /api/v1/kiosks/{id}/heartbeat`` every ``interval_s``
seconds. Device states are asked of the devices themselves (the printer's real-time status,
the reader's state), never guessed; a heartbeat that fails is simply tried again next time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

READER_STATES = {"ok": "ok", "offline": "offline", "sam_fault": "sam_fault"}
PRINTER_STATES = {"ok", "near_end", "paper_out", "cover_open", "offline", "error", "unknown"}


def device_states(core: Any) -> dict[str, str]:
    """The states the hall server understands, read from the kiosk's devices now."""
    reader = READER_STATES.get(getattr(core.reader, "state", ""), "unknown")
    try:
        printer = core.printer.status().state
    except Exception:  # a printer that cannot even be asked is offline
        printer = "offline"
    scanner = "ok" if getattr(core.scanner, "is_open", False) else "missing"
    voice = "ok" if core.voice.available else "silent"
    return {
        "card_reader": reader,
        "printer": printer if printer in PRINTER_STATES else "unknown",
        "camera": scanner,
        "voice": voice,
    }


def offline_alerts(core: Any) -> list[str]:
    """``offline:issuing`` while tickets come from the number reserve (``kiosk.offline``);
    ``offline:backlog`` while offline tickets wait to reach the hall server."""
    issuer = getattr(core, "issuer", None)
    codes = ["offline:issuing"] if issuer is not None and issuer.online is False else []
    if core.outbox.backlog("offline_ticket"):
        codes.append("offline:backlog")
    return codes


ALERT_TTL = dt.timedelta(hours=1)
"""How long an event alert (a failed reprint, a refused catalog…) stays on the hall's
monitoring page; the kiosk panel keeps its own history."""


def current_alerts(core: Any, states: dict[str, str], now: dt.datetime) -> list[str]:
    """The alerts staff should still see, newest last, each once: an alert that names a
    device state (``printer:paper_out``, ``voice:silent``) lasts while the device is still in
    that state; ``offline:reserve_exhausted`` while the kiosk is still offline; every other
    alert for ``ALERT_TTL``. Before, the last ten alerts ever raised were sent, so a printer
    refilled an hour ago still showed "缺纸" until ten newer alerts pushed it out."""
    issuer = getattr(core, "issuer", None)
    latest: dict[str, dt.datetime] = {}
    for when, code in core.alerts:
        latest[code] = when
    kept = []
    for code, when in sorted(latest.items(), key=lambda item: item[1]):
        device, _, state = code.partition(":")
        if device in states and state in _STATE_WORDS.get(device, ()):
            if states[device] != state:
                continue  # the device recovered (or is now in another state, sent itself)
        elif code == "offline:reserve_exhausted":
            if issuer is None or issuer.online is not False:
                continue
        elif now - when > ALERT_TTL:
            continue
        kept.append(code)
    return kept[-10:]


_STATE_WORDS = {  # the states a device alert can name, as device_states() reports them
    "card_reader": set(READER_STATES.values()),
    "printer": PRINTER_STATES,
    "voice": {"silent"},
}


class Heartbeat:
    def __init__(self, core: Any, post: Callable[[str, dict[str, Any]], dict[str, Any]],
                 interval_s: float, version: str) -> None:  # fmt: skip
        self.core = core
        self.post = post
        self.interval_s = interval_s
        self.version = version
        self.last_ok: bool | None = None
        self.server_catalog_version: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def body(self) -> dict[str, Any]:
        devices = device_states(self.core)
        alerts = current_alerts(self.core, devices, dt.datetime.now())
        return {
            "version": self.version,
            "interval_s": self.interval_s,
            "devices": devices,
            "outbox_backlog": self.core.outbox.backlog(),
            "alerts": alerts + offline_alerts(self.core),
            "catalog_version": self.core.catalog.version,
        }

    def beat(self) -> None:
        """One heartbeat now (also used by tests and the staff panel's "send now")."""
        try:
            answer = self.post(self.core.settings.kiosk.id, self.body())
        except Exception as exc:  # the server is down or slow: next time
            if self.last_ok is not False:
                log.warning("heartbeat failed: %s", type(exc).__name__)
            self.last_ok = False
            return
        self.last_ok = True
        self.server_catalog_version = answer.get("catalog_version")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()
