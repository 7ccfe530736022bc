"""An ESC/POS ticket-printer simulator on TCP, for development, staff training and tests.

    python -m devices.printer.simulator --listen 127.0.0.1:9100 --out DIR \\
        [--state ok|near_end|paper_out|cover_open|offline|cutter_error|silent] \\
        [--control 127.0.0.1:9101] [--width 58|80] [--fail-after-bytes N]

It accepts raw ESC/POS on the listening port (like a network printer's port 9100; several
connections at once), so the kiosk's real network or serial backend (``serial:socket://…``)
sends it real bytes.

**Status.** ``DLE EOT n`` (10 04 n, n = 1…4) is answered at once with one byte according
to the current state (see ``devices.printer.status.answer_bytes``); in state ``silent``
nothing is ever answered. Status questions are not part of any job.

**Jobs.** The stream is split into jobs: a job ends at a cut (``GS V`` / ``ESC i`` /
``ESC m``) or when the connection closes. Each job is rendered with
``devices.printer.render`` to ``DIR/NNNN.png`` and ``DIR/NNNN.txt`` (NNNN counts on after
the highest number already in DIR). In ``paper_out``, ``cover_open``, ``offline``,
``cutter_error`` and ``error`` the simulator prints nothing: job bytes are dropped and
counted in ``discarded_bytes``. ``fail_after_bytes`` N makes the paper run out after N more
job bytes: what came before is saved as a *partial* job (its .txt ends with a marker line),
the rest is dropped, and the state becomes ``paper_out``.

**Control channel** (``--control HOST:PORT``): a TCP text protocol, one command per line
(UTF-8, LF), one reply line each::

    state                  -> "state ok"
    state paper_out        -> "ok state paper_out"   (any state above; "unknown" = silent)
    fail_after_bytes 200   -> "ok fail_after_bytes 200"   ("off" cancels)
    jobs                   -> "jobs 2: 0001 0002(partial)"
    help                   -> the list of commands
    quit                   -> "bye", then the simulator stops (the CLI exits)

Anything else gets "error …". Try it with ``nc 127.0.0.1 9101``.

Python API: ``PrinterSimulator`` (``start()``/``stop()``, both safe twice; ``address``;
``set_state()``; ``jobs``; ``wait_for_jobs()``), and ``SimulatorPrinter``, the printer
backend "simulator": it starts a simulator in-process on a free port and talks to it
through the network backend.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import selectors
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.printer.base import PrintJob, Writer
from devices.printer.commands import Command, scan
from devices.printer.network import NetworkPrinter
from devices.printer.status import answer_bytes

log = logging.getLogger(__name__)

#: States the simulator can be put in. "silent" prints but never answers status.
STATES = ("ok", "near_end", "paper_out", "cover_open", "offline", "cutter_error", "error", "silent")
PRINTING_STATES = frozenset({"ok", "near_end", "silent"})
PARTIAL_MARK = "[partial job: the paper ran out here]"
_RECV_BYTES = 65536


@dataclass(frozen=True)
class SimulatedJob:
    """One job the simulator printed.

    ``number`` is NNNN of its files; ``png_path``/``text_path`` are None without an output
    folder; ``partial`` is True when the paper ran out during the job.
    """

    number: int
    data: bytes
    text: str
    qr_payloads: tuple[str, ...]
    png_path: Path | None
    text_path: Path | None
    partial: bool = False
    cuts: int = 0


@dataclass
class _Client:
    sock: socket.socket
    control: bool
    buf: bytearray = dataclasses.field(default_factory=bytearray)
    job: bytearray = dataclasses.field(default_factory=bytearray)


def parse_address(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``HOST:PORT`` / ``[IPv6]:PORT`` / ``:PORT`` → (host, port). Port 0: any free port."""
    match = re.fullmatch(r"(?:\[([^\]]+)\]|([^:]*)):(\d+)", text.strip())
    if match is None or int(match.group(3)) > 65535:
        raise ValueError(f"expected HOST:PORT, not {text!r}")
    return match.group(1) or match.group(2) or default_host, int(match.group(3))


def _normalise_state(state: str) -> str:
    state = "silent" if state == "unknown" else state
    if state not in STATES:
        raise ValueError(f"unknown simulator state {state!r}; allowed: {', '.join(STATES)}")
    return state


class PrinterSimulator:
    """The simulator: one background thread serving printer and control connections.

    ``listen`` and ``control`` are (host, port) pairs (port 0 picks a free port; see
    ``address`` and ``control_address`` after ``start()``); ``control`` None means no
    control channel. ``out_dir`` None keeps jobs in memory only (still rendered, so their
    text and QR payloads are known). ``paper_width_mm`` is 58 or 80.
    """

    def __init__(
        self,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        out_dir: str | Path | None = None,
        *,
        paper_width_mm: int = 80,
        state: str = "ok",
        control: tuple[str, int] | None = None,
        fail_after_bytes: int | None = None,
    ) -> None:
        if paper_width_mm not in (58, 80):
            raise ValueError("paper_width_mm must be 58 or 80")
        self.listen = listen
        self.control = control
        self.out_dir = Path(out_dir).expanduser() if out_dir is not None else None
        self.paper_width_mm = paper_width_mm
        self._state = _normalise_state(state)
        self._fail_after: int | None = None
        self.set_fail_after_bytes(fail_after_bytes)
        self.discarded_bytes = 0
        self._jobs: list[SimulatedJob] = []
        self._count = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._listener: socket.socket | None = None
        self._control_listener: socket.socket | None = None
        self._clients: dict[socket.socket, _Client] = {}

    # ----------------------------------------------------------------- public API

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the printer port listens on (after ``start()``)."""
        if self._listener is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._listener.getsockname()[:2]
        return host, port

    @property
    def control_address(self) -> tuple[str, int] | None:
        """(host, port) of the control channel, or None when there is none."""
        if self._control_listener is None:
            return None
        host, port = self._control_listener.getsockname()[:2]
        return host, port

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, state: str) -> None:
        """Put the simulated printer in ``state`` (see STATES; "unknown" means "silent")."""
        state = _normalise_state(state)
        with self._lock:
            self._state = state
        log.info("simulated printer state: %s", state)

    def set_fail_after_bytes(self, count: int | None) -> None:
        """Run out of paper after ``count`` more job bytes (None: never)."""
        if count is not None and count < 0:
            raise ValueError("fail_after_bytes must not be negative")
        self._fail_after = count

    @property
    def jobs(self) -> list[SimulatedJob]:
        """The jobs printed so far, oldest first (a copy)."""
        with self._lock:
            return list(self._jobs)

    def wait_for_jobs(self, count: int, timeout_s: float = 5.0) -> list[SimulatedJob]:
        """Block until at least ``count`` jobs were printed or ``timeout_s`` passed."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._jobs) >= count, timeout_s)
            return list(self._jobs)

    def start(self) -> PrinterSimulator:
        """Bind the ports and start serving. Safe to call twice."""
        if self.running:
            return self
        self._stopping.clear()
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._count = self._last_saved_number()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            self._listener = self._bind(self.listen)
            self._selector.register(self._listener, selectors.EVENT_READ, "listen")
            if self.control is not None:
                self._control_listener = self._bind(self.control)
                self._selector.register(self._control_listener, selectors.EVENT_READ, "control")
        except OSError:
            self._close_all()
            raise
        self._thread = threading.Thread(target=self._run, name="printer-simulator", daemon=True)
        self._thread.start()
        log.info("printer simulator listening on %s:%d", *self.address)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, join the thread. Safe to call twice."""
        self._stopping.set()
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None
        self._close_all()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the simulator stops (``quit`` or ``stop()``); True if it did."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def __enter__(self) -> PrinterSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- event loop

    @staticmethod
    def _bind(address: tuple[str, int]) -> socket.socket:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(8)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def _wake(self) -> None:
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"\0")
            except OSError:
                pass

    def _run(self) -> None:
        assert self._selector is not None
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select():
                    if key.data == "wake":
                        try:
                            self._wake_r.recv(64)  # type: ignore[union-attr]
                        except OSError:
                            pass
                    elif key.data in ("listen", "control"):
                        self._accept(key.fileobj, control=key.data == "control")  # type: ignore[arg-type]
                    else:
                        self._receive(key.data)
        except Exception:  # a bug must not leave a half-dead simulator: log and stop
            log.exception("printer simulator stopped")
        finally:
            self._stopping.set()
            for client in list(self._clients.values()):
                self._drop(client)

    def _accept(self, listener: socket.socket, control: bool) -> None:
        try:
            sock, peer = listener.accept()
        except OSError:
            return
        sock.setblocking(False)
        client = _Client(sock, control)
        self._clients[sock] = client
        assert self._selector is not None
        self._selector.register(sock, selectors.EVENT_READ, client)
        log.debug("%s connection from %s", "control" if control else "printer", peer)

    def _receive(self, client: _Client) -> None:
        try:
            chunk = client.sock.recv(_RECV_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(client)
            return
        client.buf += chunk
        if client.control:
            self._control_lines(client)
        else:
            self._printer_bytes(client)

    def _drop(self, client: _Client) -> None:
        """The connection closed: a job without a cut ends here."""
        if not client.control:
            if client.buf:  # a truncated command: a printer would print what it can
                self._job_bytes(client, bytes(client.buf), cut=False)
                client.buf.clear()
            if client.job:
                self._record(bytes(client.job), partial=False)
                client.job.clear()
        self._clients.pop(client.sock, None)
        if self._selector is not None:
            try:
                self._selector.unregister(client.sock)
            except (KeyError, ValueError):
                pass
        client.sock.close()

    def _close_all(self) -> None:
        for client in list(self._clients.values()):
            self._clients.pop(client.sock, None)
            client.sock.close()
        for sock in (self._listener, self._control_listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._listener = self._control_listener = self._wake_r = self._wake_w = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    # ----------------------------------------------------------------- printing

    def _printer_bytes(self, client: _Client) -> None:
        consumed = 0
        for cmd in scan(bytes(client.buf)):
            raw = bytes(client.buf[cmd.start : cmd.end])
            consumed = cmd.end
            if cmd.kind == "status_request":
                self._answer(client, cmd)
            else:
                self._job_bytes(client, raw, cut=cmd.kind == "cut")
        del client.buf[:consumed]

    def _answer(self, client: _Client, cmd: Command) -> None:
        state = self._state
        if state == "silent" or cmd.arg not in (1, 2, 3, 4):
            return
        try:
            client.sock.send(bytes([answer_bytes(state)[cmd.arg]]))
        except OSError as exc:
            log.debug("status answer not sent: %s", exc)

    def _job_bytes(self, client: _Client, raw: bytes, cut: bool) -> None:
        if self._state not in PRINTING_STATES:
            self.discarded_bytes += len(raw)
            if client.job:  # stopped in the middle of a job (state changed): keep what printed
                self._record(bytes(client.job), partial=True)
                client.job.clear()
            return
        budget = self._fail_after
        if budget is not None and len(raw) > budget:
            client.job += raw[:budget]
            self.discarded_bytes += len(raw) - budget
            self._fail_after = None
            with self._lock:
                self._state = "paper_out"
            log.info("simulated printer ran out of paper")
            self._record(bytes(client.job), partial=True)
            client.job.clear()
            return
        if budget is not None:
            self._fail_after = budget - len(raw)
        client.job += raw
        if cut:
            self._record(bytes(client.job), partial=False)
            client.job.clear()

    def _record(self, data: bytes, partial: bool) -> None:
        from devices.printer.render import render

        rendered = render(data, self.paper_width_mm)
        text = rendered.text + (f"\n{PARTIAL_MARK}" if partial else "")
        self._count += 1
        png_path = text_path = None
        if self.out_dir is not None:
            stem = f"{self._count:04d}"
            png_path = self.out_dir / f"{stem}.png"
            text_path = self.out_dir / f"{stem}.txt"
            try:
                rendered.image.save(png_path, compress_level=1)
                text_path.write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                log.error("cannot save simulated job %s: %s", stem, exc)
                png_path = text_path = None
        job = SimulatedJob(
            number=self._count,
            data=data,
            text=text,
            qr_payloads=tuple(rendered.qr_payloads),
            png_path=png_path,
            text_path=text_path,
            partial=partial,
            cuts=rendered.cuts,
        )
        with self._changed:
            self._jobs.append(job)
            self._changed.notify_all()
        log.info("simulated job %04d: %d bytes%s", job.number, len(data), " (partial)" * partial)

    def _last_saved_number(self) -> int:
        assert self.out_dir is not None
        numbers = [int(p.stem[:4]) for p in self.out_dir.glob("[0-9][0-9][0-9][0-9].png")]
        return max(numbers, default=0)

    # ----------------------------------------------------------------- control channel

    def _control_lines(self, client: _Client) -> None:
        while b"\n" in client.buf:
            line, _, rest = bytes(client.buf).partition(b"\n")
            client.buf[:] = rest
            reply = self.command(line.decode("utf-8", errors="replace").strip())
            try:
                client.sock.sendall((reply + "\n").encode("utf-8"))
            except OSError:
                self._drop(client)
                return
            if reply == "bye":
                self._stopping.set()
                return

    def command(self, line: str) -> str:
        """Run one control-channel command (see the module docstring); return the reply."""
        words = line.split()
        if not words:
            return "error empty command; try help"
        name, args = words[0].lower(), words[1:]
        if name == "state":
            if not args:
                return f"state {self._state}"
            try:
                self.set_state(args[0])
            except ValueError as exc:
                return f"error {exc}"
            return f"ok state {self._state}"
        if name == "fail_after_bytes" and len(args) == 1:
            if args[0] == "off":
                self.set_fail_after_bytes(None)
                return "ok fail_after_bytes off"
            if args[0].isdigit():
                self.set_fail_after_bytes(int(args[0]))
                return f"ok fail_after_bytes {args[0]}"
            return "error fail_after_bytes takes a number or off"
        if name == "jobs":
            jobs = self.jobs
            listed = " ".join(f"{j.number:04d}{'(partial)' * j.partial}" for j in jobs)
            return f"jobs {len(jobs)}" + (f": {listed}" if listed else "")
        if name == "help":
            return "commands: state [NAME], fail_after_bytes N|off, jobs, help, quit"
        if name == "quit":
            return "bye"
        return f"error unknown command {name!r}; try help"


class SimulatorPrinter(NetworkPrinter):
    """Printer backend "simulator": an in-process ``PrinterSimulator`` on a free local port,
    driven through the network backend, so the kiosk sends and reads real bytes.

    ``out_dir``: where jobs are rendered (None: memory only); ``state``: initial state.
    ``set_state()``, ``jobs`` and ``simulator`` are for demos and tests. The simulator
    prints instantly, so ``print_speed_mm_s`` defaults to None (no wait after a job).
    Other keyword arguments: see ``StreamPrinter``.
    """

    def __init__(
        self,
        out_dir: str | Path | None = None,
        paper_width_mm: int = 80,
        *,
        state: str = "ok",
        **options: Any,
    ) -> None:
        options.setdefault("print_speed_mm_s", None)
        super().__init__("127.0.0.1", 9100, paper_width_mm, out_dir=out_dir, **options)
        self.simulator = PrinterSimulator(
            ("127.0.0.1", 0), out_dir, paper_width_mm=paper_width_mm, state=state
        )

    @property
    def description(self) -> str:
        return f"simulated printer 127.0.0.1:{self.port}"

    def _open(self) -> None:
        self.simulator.start()
        self.port = self.simulator.address[1]
        try:
            super()._open()
        except Exception:
            self.simulator.stop()
            raise

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.simulator.stop()

    def set_state(self, state: str) -> None:
        """Simulate "paper_out", "cover_open", "silent", … (see ``STATES``)."""
        self.simulator.set_state(state)

    def run_job(self, name: str, write: Writer) -> PrintJob:
        """As the network backend, and the job carries the simulator's rendering (PNG)."""
        before = len(self.simulator.jobs)
        job = super().run_job(name, write)
        done = self.simulator.wait_for_jobs(before + 1, timeout_s=5.0)
        if len(done) > before and done[-1].png_path is not None:
            job = dataclasses.replace(job, png_path=done[-1].png_path)
        return job

    @property
    def jobs(self) -> list[SimulatedJob]:
        return self.simulator.jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devices.printer.simulator",
        description="ESC/POS ticket-printer simulator (renders jobs to PNG and text).",
    )
    parser.add_argument("--listen", default="127.0.0.1:9100", help="HOST:PORT (port 0: free)")
    parser.add_argument("--out", required=True, type=Path, help="folder for NNNN.png/.txt")
    parser.add_argument("--state", default="ok", choices=STATES)
    parser.add_argument("--control", help="HOST:PORT of the line-based control channel")
    parser.add_argument("--width", type=int, default=80, choices=(58, 80), help="paper (mm)")
    parser.add_argument("--fail-after-bytes", type=int, help="run out of paper after N bytes")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        listen = parse_address(args.listen)
        control = parse_address(args.control) if args.control else None
    except ValueError as exc:
        parser.error(str(exc))
    sim = PrinterSimulator(
        listen,
        args.out,
        paper_width_mm=args.width,
        state=args.state,
        control=control,
        fail_after_bytes=args.fail_after_bytes,
    )
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot listen: {exc}", file=sys.stderr)
        return 2

    def on_signal(*_: object) -> None:
        sim._stopping.set()
        sim._wake()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    host, port = sim.address
    where = f", control {sim.control_address[0]}:{sim.control_address[1]}" if control else ""
    print(f"printer simulator listening on {host}:{port}{where}; jobs to {args.out}", flush=True)
    try:
        while not sim.wait(0.5):
            pass
    finally:
        sim.stop()
    print(f"printer simulator stopped after {len(sim.jobs)} job(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
