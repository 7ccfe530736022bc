"""A fake GA 467 ID-card reader that speaks the real bytes, for tests, demos and training.

Run it on its own::

    python -m devices.idcard.simulator --listen tcp:127.0.0.1:7001 --control tcp:127.0.0.1:7002
    python -m devices.idcard.simulator --pty --control tcp:127.0.0.1:7002

``--listen`` serves the serial side on TCP (the reader opens ``socket://127.0.0.1:7001``);
``--pty`` makes a pseudo-terminal and prints its path (a stable symlink, ``--link PATH``
to choose it), which the reader opens as a real serial device. ``--baud 115200`` paces
answers at the wire rate (10 bits per byte; 0 sends at once), ``--cards DIR`` is where the
JSON cards are (default config/cards, the format of ``devices.idcard.virtual``),
``--read-delay S`` adds the card's RF read time (seconds) before a read answer.

Control channel: line-based text over TCP (``--control tcp:HOST:PORT``), one reply line
per command, starting "ok" or "error"::

    present NAME|PATH.json    put a card on the reader (replaces one already on: lift + place)
    remove                    lift the card
    fault KIND [TARGET]       inject a fault; TARGET (find|select|read|sam|any, default any)
                              picks the next answer it spoils:
                                checksum   next answer with a wrong checksum
                                truncated  next answer cut in half (the rest never comes)
                                garbage    32 garbage bytes before the next answer
                                slow       next answer SLOW_S late (default 2 s)
                                readfail   next read answered 0x41 (read failed)
                                sam        SAM self-test fails (0x60) until "fault clear"
                                unplug [S] the device disappears (for S seconds, or until replug)
                                clear      drop pending faults, heal the SAM
    replug                    the device comes back on the same address
    status                    one line of JSON: card, faults, connection, counters
    cards                     the card names
    quit                      stop the simulator
    bye                       close this control connection
    help                      the commands, on one line

A small client sends one command and prints the reply (exit status 1 on "error")::

    python -m devices.idcard.simulator ctl --control tcp:127.0.0.1:7002 present resident

In Python, ``ReaderSimulator`` does the same in-process (``start``/``stop``, ``url``,
``present``, ``remove``, ``inject``, ``unplug``/``replug``), and ``SimulatedCardReader`` is a
kiosk card-reader backend ("simulator") that runs one on a free TCP port and reads it
through ``SerialCardReader``: the kiosk exercises the real bytes.

The photo and fingerprint sent are fixed filler bytes, not images.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import random
import select
import signal
import socket
import sys
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.errors import DeviceUnavailable
from devices.idcard import protocol as p
from devices.idcard.base import CardReader, SamProbe
from devices.idcard.card import IdCard
from devices.idcard.reader import SerialCardReader
from devices.idcard.virtual import load_card

log = logging.getLogger(__name__)

DEFAULT_CARDS = Path(__file__).resolve().parents[2] / "config" / "cards"
FAKE_PHOTO = bytes(range(256)) * 4  # 1024 bytes, the size of a real (encrypted WLT) photo
FAKE_FINGERPRINT = bytes(255 - i for i in range(256)) * 4
FAULTS = ("checksum", "truncated", "garbage", "slow", "readfail", "sam", "unplug", "clear")
TARGETS = ("any", "find", "select", "read", "sam")
HELP = (
    "present NAME|PATH.json; remove; fault checksum|truncated|garbage|slow|readfail|sam "
    "[find|select|read|sam|any]; fault unplug [SECONDS]; fault clear; replug; status; "
    "cards; quit; bye"
)
_CHUNK = 32  # bytes written at a time when pacing (2.8 ms at 115200 baud)

_TARGET_OF = {
    p.FIND_CARD: "find",
    p.SELECT_CARD: "select",
    p.READ_TEXT_PHOTO: "read",
    p.READ_TEXT_PHOTO_FP: "read",
    p.READ_EXTRA_ADDRESS: "read",
    p.SAM_STATUS: "sam",
    p.SAM_RESET: "sam",
    p.SAM_ID: "sam",
}


def parse_tcp(address: str) -> tuple[str, int]:
    """Parse "tcp:HOST:PORT" (or "HOST:PORT") into (host, port); port 0 picks a free one."""
    rest = address.removeprefix("tcp:")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected tcp:HOST:PORT, not {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


@dataclass
class _Tx:
    """An answer on its way: bytes go out no earlier than the wire would carry them."""

    data: bytes
    due: float  # monotonic seconds: the first bit may not leave before this
    sent: int = 0
    start: float | None = None


class ReaderSimulator:
    """A fake reader on TCP or a pty; thread-safe control methods; ``stop()`` safe twice.

    ``baud`` (bits per second) paces answers at 10 bits per byte; 0 or None sends at once.
    ``read_delay_s`` and ``slow_s`` are seconds.
    """

    def __init__(
        self,
        cards_dir: str | Path = DEFAULT_CARDS,
        listen: str = "tcp:127.0.0.1:0",
        *,
        pty: bool = False,
        link: str | Path | None = None,
        baud: int | None = 115200,
        control: str | None = None,
        read_delay_s: float = 0.0,
        slow_s: float = 2.0,
    ) -> None:
        self.cards_dir = Path(cards_dir).expanduser()
        self.listen = listen
        self.use_pty = pty
        self.link = Path(link) if link else None
        self.baud = baud or 0
        self.control = control
        self.read_delay_s = read_delay_s
        self.slow_s = slow_s
        self.cards: dict[str, IdCard] = {}
        self._lock = threading.Lock()
        self._card: IdCard | None = None
        self._card_label = ""
        self._absent_pending = False  # the reader must see "no card" once (a lift)
        self._detected = False
        self._sam_fault = False
        self._faults: list[tuple[str, str]] = []
        self._plugged = True
        self._unplug_until: float | None = None
        self.detections: list[float] = []  # monotonic times a find first saw each placement
        self.counters = {"commands": 0, "answers": 0, "bytes_sent": 0, "connections": 0}
        # I/O state, touched only by the loop thread (or before start / after stop)
        self._thread: threading.Thread | None = None
        self._stop_flag = threading.Event()
        self.stopped = threading.Event()  # set when the loop has ended (stop() or "quit")
        self._requests: queue.Queue[tuple[Callable[[], None], threading.Event]] = queue.Queue()
        self._wake_r, self._wake_w = -1, -1
        self._listener: socket.socket | None = None
        self._address: tuple[str, int] | None = None
        self._client: socket.socket | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._pty_dir: str | None = None  # the temp dir holding our symlink, if we made it
        self._made_link = False
        self._pty_name = ""
        self._decoder = p.CommandDecoder()
        self._tx: list[_Tx] = []
        self._control_listener: socket.socket | None = None
        self._control_clients: dict[socket.socket, bytearray] = {}
        self._rng = random.Random(467)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """What the reader opens: "socket://HOST:PORT" or the pty's (symlink) path."""
        if self.use_pty:
            return str(self.link) if self.link else self._pty_name
        if self._address is None:
            raise RuntimeError("simulator not started")
        host, port = self._address
        return f"socket://[{host}]:{port}" if ":" in host else f"socket://{host}:{port}"

    @property
    def control_address(self) -> tuple[str, int] | None:
        if self._control_listener is None:
            return None
        host, port = self._control_listener.getsockname()[:2]
        return host, port

    def start(self) -> None:
        """Load the cards, open the serial side (and control channel), start the thread."""
        if self._thread is not None:
            return
        if not self.cards:
            self.cards = self._load_cards()
        self._stop_flag.clear()
        self.stopped.clear()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        try:
            self._plug()
            if self.control:
                host, port = parse_tcp(self.control)
                self._control_listener = _listen(host, port)
        except BaseException:
            self._close_all()
            raise
        self._thread = threading.Thread(target=self._loop, name="idcard-simulator", daemon=True)
        self._thread.start()
        log.info("ID-card reader simulator on %s", self.url)

    def request_stop(self) -> None:
        """Ask the loop to end (from a signal handler or another thread); see ``stopped``."""
        self._stop_flag.set()
        self._wake()

    def stop(self) -> None:
        """Stop the thread and close every socket, fd and link; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            self.stopped.set()
            return
        self._stop_flag.set()
        self._wake()
        if thread is not threading.current_thread():
            thread.join(timeout=5)
        self._close_all()
        self.stopped.set()

    def __enter__(self) -> ReaderSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _load_cards(self) -> dict[str, IdCard]:
        if not self.cards_dir.is_dir():
            raise DeviceUnavailable(f"card folder not found: {self.cards_dir}")
        return {path.stem: load_card(path) for path in sorted(self.cards_dir.glob("*.json"))}

    # ------------------------------------------------------------------ control (any thread)

    def card_names(self) -> list[str]:
        return sorted(self.cards)

    def present(self, name_or_card: str | IdCard) -> None:
        """Put a card on the reader: a name from ``cards_dir``, a JSON path, or an IdCard.

        A card already on is lifted first (the reader sees one "no card" answer).
        """
        if isinstance(name_or_card, IdCard):
            card, label = name_or_card, "(in memory)"
        elif name_or_card in self.cards:
            card, label = self.cards[name_or_card], name_or_card
        elif name_or_card.endswith(".json"):
            card, label = load_card(name_or_card), Path(name_or_card).stem
        else:
            known = ", ".join(self.card_names()) or "none"
            raise KeyError(f"no card named {name_or_card!r}; known: {known}")
        with self._lock:
            if self._card is not None and self._detected:
                self._absent_pending = True
            self._card, self._card_label, self._detected = card, label, False
        log.info("simulator: card %s placed", label)

    def remove(self) -> None:
        """Lift the card."""
        with self._lock:
            if self._card is not None and self._detected:
                self._absent_pending = True
            self._card, self._card_label, self._detected = None, "", False

    def inject(self, fault: str, target: str = "any", seconds: float | None = None) -> None:
        """Inject a fault (see the module docstring); ``seconds`` only for "unplug"."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; allowed: {', '.join(FAULTS)}")
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; allowed: {', '.join(TARGETS)}")
        if fault == "unplug":
            self.unplug(seconds)
            return
        with self._lock:
            if fault == "clear":
                self._faults.clear()
                self._sam_fault = False
            elif fault == "sam":
                self._sam_fault = True
            else:
                self._faults.append((fault, "read" if fault == "readfail" else target))

    def unplug(self, seconds: float | None = None) -> None:
        """Close the serial side (the reader sees a disconnect); back after ``seconds``."""
        self._call(lambda: self._do_unplug(seconds))

    def replug(self) -> None:
        """Reopen the serial side on the same address (TCP port or pty symlink)."""
        self._call(self._do_replug)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "url": self.url if (self._address or self.use_pty) else "",
                "plugged": self._plugged,
                "connected": self._client is not None or self._master is not None,
                "card": self._card_label or None,
                "sam_fault": self._sam_fault,
                "faults": [f"{f} {t}" for f, t in self._faults],
                **self.counters,
            }

    # ------------------------------------------------------------------ loop-thread plumbing

    def _wake(self) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except (BlockingIOError, OSError):
                pass

    def _call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread (it owns the sockets) and wait for it."""
        thread = self._thread
        if thread is None or thread is threading.current_thread() or self.stopped.is_set():
            fn()
            return
        done = threading.Event()
        self._requests.put((fn, done))
        self._wake()
        if not done.wait(5):
            raise TimeoutError("simulator thread did not respond")

    def _plug(self) -> None:
        if self.use_pty:
            self._open_pty()
        else:
            host, port = self._address or parse_tcp(self.listen)
            self._listener = _listen(host, port)
            self._address = self._listener.getsockname()[:2]
        self._plugged = True

    def _do_unplug(self, seconds: float | None) -> None:
        with self._lock:
            self._plugged = False
            self._unplug_until = None if seconds is None else time.monotonic() + seconds
        self._close_serial_side()
        log.info("simulator: unplugged")

    def _do_replug(self) -> None:
        if self._plugged and (self._listener is not None or self._master is not None):
            return
        self._unplug_until = None
        self._plug()
        log.info("simulator: plugged in again on %s", self.url)

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave, termios.TCSANOW)  # no echo, no line editing: bytes pass unchanged
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        name = os.ttyname(slave)
        if self.link is None:
            self._pty_dir = tempfile.mkdtemp(prefix="idcard-sim-")
            self.link = Path(self._pty_dir) / "reader"
        tmp = self.link.with_name(self.link.name + ".tmp")
        tmp.unlink(missing_ok=True)
        os.symlink(name, tmp)
        os.replace(tmp, self.link)  # atomic: a reconnecting reader never sees no link
        self._made_link = True
        self._pty_name = name
        self.counters["connections"] += 1
        self._decoder.reset()

    def _close_serial_side(self) -> None:
        for sock in (self._client, self._listener):
            if sock is not None:
                sock.close()
        self._client = self._listener = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        self._tx.clear()
        self._decoder.reset()

    def _close_all(self) -> None:
        self._close_serial_side()
        if self._control_listener is not None:
            self._control_listener.close()
            self._control_listener = None
        for client in self._control_clients:
            client.close()
        self._control_clients.clear()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        if self._made_link and self.link is not None:
            self.link.unlink(missing_ok=True)
            self._made_link = False
        if self._pty_dir is not None:
            os.rmdir(self._pty_dir)
            self._pty_dir = None
            self.link = None
        while not self._requests.empty():  # let waiters go rather than time out
            self._requests.get_nowait()[1].set()

    def _loop(self) -> None:
        try:
            while not self._stop_flag.is_set():
                self._loop_once()
        except Exception:  # pragma: no cover - a bug; say so rather than die silently
            log.exception("simulator loop failed")
        finally:
            self._stop_flag.set()
            self.stopped.set()

    def _loop_once(self) -> None:
        while not self._requests.empty():
            fn, done = self._requests.get_nowait()
            try:
                fn()
            except Exception:
                log.exception("simulator request failed")
            finally:
                done.set()
        now = time.monotonic()
        if not self._plugged and self._unplug_until is not None and now >= self._unplug_until:
            self._do_replug()
        readers: list[Any] = [self._wake_r]
        for item in (self._listener, self._client, self._master, self._control_listener):
            if item is not None:
                readers.append(item)
        readers.extend(self._control_clients)
        timeout = self._send_due(now)
        if self._unplug_until is not None and not self._plugged:
            timeout = min(timeout, max(0.0, self._unplug_until - now))
        ready, _, _ = select.select(readers, [], [], timeout)
        for item in ready:
            if item == self._wake_r:
                os.read(self._wake_r, 4096)
            elif item is self._listener and item is not None:
                self._accept()
            elif item is self._control_listener and item is not None:
                conn, _ = item.accept()
                self._control_clients[conn] = bytearray()
            elif item in self._control_clients:
                self._control_input(item)
            elif item is self._client or item == self._master:
                self._serial_input()

    def _accept(self) -> None:
        assert self._listener is not None
        conn, _ = self._listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._client is not None:  # a serial line has one end: the newest wins
            self._client.close()
        self._client = conn
        self._tx.clear()
        self._decoder.reset()
        self.counters["connections"] += 1

    def _serial_input(self) -> None:
        try:
            if self._client is not None:
                data = self._client.recv(4096)
            elif self._master is not None:
                data = os.read(self._master, 4096)
            else:
                return
        except BlockingIOError:
            return
        except OSError:  # pty master: EIO while no one has the slave open
            data = b""
        if not data:
            if self._client is not None:
                self._client.close()
                self._client = None
                self._tx.clear()
            return
        now = time.monotonic()
        for command in self._decoder.feed(data):
            self.counters["commands"] += 1
            self._queue_answer(command, now)

    def _send_due(self, now: float) -> float:
        """Write what the wire would have carried by ``now``; seconds until the next write."""
        byte_time = 10.0 / self.baud if self.baud else 0.0
        while self._tx:
            tx = self._tx[0]
            if tx.start is None:
                if now < tx.due:
                    return tx.due - now
                tx.start = now
            wire = len(tx.data) if not byte_time else int((now - tx.start) / byte_time)
            target = min(len(tx.data), wire)
            if target - tx.sent < _CHUNK and target < len(tx.data):
                return max(0.0, tx.start + (tx.sent + _CHUNK) * byte_time - now)
            try:
                written = self._write(tx.data[tx.sent : target])
            except OSError:
                self._tx.clear()
                return 0.5
            tx.sent += written
            self.counters["bytes_sent"] += written
            if tx.sent < target:  # pty buffer full: try again shortly
                return 0.005
            if tx.sent == len(tx.data):
                self._tx.pop(0)
                self.counters["answers"] += 1
                if self._tx and self._tx[0].due < now:
                    self._tx[0].due = now
        return 0.5

    def _write(self, data: bytes) -> int:
        if self._client is not None:
            self._client.sendall(data)
            return len(data)
        if self._master is not None:
            try:
                return os.write(self._master, data)
            except BlockingIOError:
                return 0
        raise OSError("not connected")

    # ------------------------------------------------------------------ the reader's logic

    def _queue_answer(self, command: p.Command, now: float) -> None:
        key = (command.cmd, command.para)
        target = _TARGET_OF.get(key, "other")
        with self._lock:
            fault = next(
                (f for f in self._faults if f[1] in ("any", target) and f[0] != "readfail"),
                None,
            )
            if fault is None and target == "read":
                fault = next((f for f in self._faults if f[0] == "readfail"), None)
            if fault is not None:
                self._faults.remove(fault)
            answer = self._answer(key, now, readfail=fault is not None and fault[0] == "readfail")
        delay = self.read_delay_s if target == "read" else 0.0
        kind = fault[0] if fault else ""
        if kind == "checksum":
            answer = answer[:-1] + bytes([answer[-1] ^ 0x5A])
        elif kind == "truncated":
            answer = answer[: len(answer) // 2]
        elif kind == "garbage":
            answer = bytes(self._rng.choice(range(0x00, 0xAA)) for _ in range(32)) + answer
        elif kind == "slow":
            delay += self.slow_s
        if kind:
            log.info("simulator: fault %s on the answer to %02X %02X", kind, *key)
        self._tx.append(_Tx(answer, now + delay))
        self._send_due(time.monotonic())

    def _answer(self, key: tuple[int, int], now: float, readfail: bool) -> bytes:
        """The answer bytes to one command (caller holds the lock)."""
        card = self._card
        if self._sam_fault and key in (
            p.SAM_STATUS,
            p.FIND_CARD,
            p.SELECT_CARD,
            p.READ_TEXT_PHOTO,
            p.READ_TEXT_PHOTO_FP,
        ):
            return p.encode_response(0x60)
        if key in (p.SAM_RESET, p.SAM_STATUS, p.SET_MAX_RF_BYTES):
            return p.encode_response(p.SW_OK)
        if key == p.SAM_ID:
            return p.encode_response(p.SW_OK, bytes(16))
        if key == p.FIND_CARD:
            if self._absent_pending or card is None:
                self._absent_pending = False
                return p.encode_response(p.SW_NO_CARD)
            if not self._detected:
                self._detected = True
                self.detections.append(now)
            return p.encode_response(p.SW_CARD_FOUND, bytes(4))
        if key == p.SELECT_CARD:
            if card is None:
                return p.encode_response(0x81)
            return p.encode_response(p.SW_OK, bytes(8))
        if key in (p.READ_TEXT_PHOTO, p.READ_TEXT_PHOTO_FP):
            if card is None or readfail:
                return p.encode_response(0x41)
            fingerprint = FAKE_FINGERPRINT if key == p.READ_TEXT_PHOTO_FP else None
            return p.encode_read_response(card, FAKE_PHOTO, fingerprint)
        if key == p.READ_EXTRA_ADDRESS:
            return p.encode_response(p.SW_NO_SUCH_ITEM if card else 0x41)
        return p.encode_response(0x21)  # bad command

    # ------------------------------------------------------------------ control channel

    def _control_input(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        buf = self._control_clients.get(conn)
        if buf is None:
            return
        if not data:
            del self._control_clients[conn]
            conn.close()
            return
        buf += data
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            reply, close = self.execute(line.decode("utf-8", "replace"))
            try:
                conn.sendall(reply.encode("utf-8") + b"\n")
            except OSError:
                close = True
            if close:
                self._control_clients.pop(conn, None)
                conn.close()
                return
        if len(buf) > 4096:  # not a line-based client
            self._control_clients.pop(conn, None)
            conn.close()

    def execute(self, line: str) -> tuple[str, bool]:
        """Run one control command; returns (reply line, close the connection)."""
        words = line.split()
        if not words:
            return "error empty command", False
        cmd, args = words[0].lower(), words[1:]
        try:
            if cmd == "present" and len(args) == 1:
                self.present(args[0])
                return f"ok present {args[0]}", False
            if cmd == "remove" and not args:
                self.remove()
                return "ok remove", False
            if cmd == "fault" and 1 <= len(args) <= 2:
                kind = args[0]
                if kind == "unplug":
                    seconds = float(args[1]) if len(args) == 2 else None
                    self.inject("unplug", seconds=seconds)
                else:
                    self.inject(kind, args[1] if len(args) == 2 else "any")
                return f"ok fault {' '.join(args)}", False
            if cmd == "replug" and not args:
                self.replug()
                return "ok replug", False
            if cmd == "status" and not args:
                return "ok " + json.dumps(self.status(), ensure_ascii=False), False
            if cmd == "cards" and not args:
                return "ok " + " ".join(self.card_names()), False
            if cmd == "quit" and not args:
                self.request_stop()
                return "ok quit", True
            if cmd == "bye" and not args:
                return "ok bye", True
            if cmd == "help":
                return "ok " + HELP, False
        except (KeyError, ValueError, DeviceUnavailable) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            return f"error {message}", False
        return f"error unknown command {line.strip()!r} (see the module docstring)", False


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # rebind at once on replug
    try:
        sock.bind((host, port))
        sock.listen(4)
    except OSError:
        sock.close()
        raise
    return sock


class SimulatedCardReader(CardReader):
    """Kiosk backend "simulator": an in-process ReaderSimulator read by SerialCardReader.

    The same surface as VirtualCardReader (``card_names``, ``cards``, ``present``,
    ``present_card``, ``remove``, ``card_present``) so the demo and staff panel work
    unchanged, but every card goes through the real bytes, pacing and decoder.
    """

    can_present = True

    def __init__(
        self,
        cards_dir: str | Path = DEFAULT_CARDS,
        baud: int = 115200,
        poll_interval_s: float = 0.3,
        command_timeout_s: float = 1.0,
        read_delay_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.simulator = ReaderSimulator(cards_dir, baud=baud, read_delay_s=read_delay_s)
        self.baud = baud
        self.poll_interval_s = poll_interval_s
        self.command_timeout_s = command_timeout_s
        self.reader: SerialCardReader | None = None

    def recheck(self) -> None:
        """Staff action after "sam_fault" (see ``SerialCardReader.recheck``)."""
        if self.reader is not None:
            self.reader.recheck()

    def probe(self) -> SamProbe:
        """The SAM test through the serial reader's own transport (the simulator answers)."""
        reader = self.reader
        return reader.probe() if reader is not None else SamProbe("no_answer")

    @property
    def cards(self) -> dict[str, IdCard]:
        return self.simulator.cards

    def card_names(self) -> list[str]:
        return self.simulator.card_names()

    def _open(self) -> None:
        self.simulator.start()
        reader = SerialCardReader(
            self.simulator.url,
            baud=self.baud,
            poll_interval_s=self.poll_interval_s,
            command_timeout_s=self.command_timeout_s,
        )
        reader.subscribe(self._emit_card, self._emit_state)
        reader.subscribe_errors(self.report)
        try:
            reader.open()
        except BaseException:
            self.simulator.stop()
            raise
        self.reader = reader

    def _close(self) -> None:
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.unsubscribe_all()
            reader.close()
        self.simulator.remove()
        self.simulator.stop()

    def present(self, name: str) -> None:
        """Place the card ``name``; ignored while a card is on (as VirtualCardReader).

        Raises DeviceUnavailable when the reader is not open, KeyError for an unknown name.
        """
        if not self.is_open:
            raise DeviceUnavailable("card reader is not open")
        if name not in self.simulator.cards:
            known = ", ".join(self.card_names()) or "none (is the reader open?)"
            raise KeyError(f"no card named {name!r}; known: {known}")
        self._place(name)

    def present_card(self, card: IdCard) -> None:
        self._place(card)

    def _place(self, card: str | IdCard) -> None:
        if not self.is_open:
            raise DeviceUnavailable("card reader is not open")
        if self.card_present:
            return
        self.simulator.present(card)

    def remove(self) -> None:
        self.simulator.remove()

    @property
    def card_present(self) -> bool:
        return self.simulator.status()["card"] is not None


# --------------------------------------------------------------------------- command line


def _ctl(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devices.idcard.simulator ctl",
        description="Send one command to a running simulator's control channel.",
    )
    parser.add_argument("--control", default="tcp:127.0.0.1:7002", help="tcp:HOST:PORT")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds")
    parser.add_argument("words", nargs="+", help="e.g. present resident")
    args = parser.parse_args(argv)
    try:
        with socket.create_connection(parse_tcp(args.control), timeout=args.timeout) as sock:
            sock.sendall((" ".join(args.words) + "\n").encode("utf-8"))
            reply = sock.makefile("r", encoding="utf-8").readline().strip()
    except (OSError, ValueError) as exc:
        print(f"error cannot reach the simulator at {args.control}: {exc}", file=sys.stderr)
        return 2
    print(reply)
    return 0 if reply.startswith("ok") else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "ctl":
        return _ctl(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m devices.idcard.simulator",
        description="A fake ID-card reader speaking the GA 467 SAM protocol.",
        epilog="Control commands: see the module docstring (or send 'help' with ctl).",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--listen", default="tcp:127.0.0.1:7001", help="tcp:HOST:PORT")
    where.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal")
    parser.add_argument("--link", help="with --pty: the symlink to create (default: a temp dir)")
    parser.add_argument("--baud", type=int, default=115200, help="pacing; 0 = no pacing")
    parser.add_argument("--cards", default=str(DEFAULT_CARDS), help="folder of card JSON")
    parser.add_argument("--control", default=None, help="tcp:HOST:PORT for control commands")
    parser.add_argument("--read-delay", type=float, default=0.0, help="RF read time, seconds")
    parser.add_argument("--slow", type=float, default=2.0, help="delay of a 'slow' fault, s")
    parser.add_argument("--present", help="a card to put on the reader at start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sim = ReaderSimulator(
        args.cards,
        args.listen,
        pty=args.pty,
        link=args.link,
        baud=args.baud,
        control=args.control,
        read_delay_s=args.read_delay,
        slow_s=args.slow,
    )
    try:
        sim.start()
    except (OSError, ValueError, DeviceUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sim.request_stop())
    try:
        if args.present:
            sim.present(args.present)
        print(f"serial: {sim.url}", flush=True)
        if args.pty:
            print(f"pty: {sim._pty_name}", flush=True)
        if sim.control_address:
            host, port = sim.control_address
            print(f"control: tcp:{host}:{port}", flush=True)
        while not sim.stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
