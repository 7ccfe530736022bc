"""The kiosk as a system service: systemd notifications, its process tree, a clean stop.

Qt-free: the GUI side (``ui/lifecycle.py``) calls these from its timer and its signal
watcher.

- ``sd_notify`` speaks systemd's notification protocol itself (one datagram to the unix
  socket named by ``$NOTIFY_SOCKET``; a name starting with ``@`` is in the abstract
  namespace) — no extra dependency. Outside systemd it does nothing.
- ``watchdog_interval_s`` is how often to ping: half of ``$WATCHDOG_USEC`` (the unit's
  ``WatchdogSec``), as systemd recommends, or ``None`` when there is no watchdog.
- ``descendants`` / ``kill_descendants`` walk ``/proc`` so a stop (or a forced stop) leaves
  no worker process (OCR, voice, aplay) behind as an orphan.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from pathlib import Path

log = logging.getLogger(__name__)


def sd_notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``, ``"WATCHDOG=1"``, ``"STOPPING=1"``) to systemd.

    Returns False when not run by systemd (no ``NOTIFY_SOCKET``) or the socket is gone; a
    kiosk must keep running without its supervisor, so nothing here raises.
    """
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        log.warning("sd_notify %s failed: %s", message.split("=", 1)[0], exc)
        return False
    return True


def watchdog_interval_s(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings: half the unit's ``WatchdogSec``; None if off.

    ``WATCHDOG_PID``, when set, must be this process (systemd sets it to the main PID).
    """
    env = os.environ if environ is None else environ
    raw = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not raw or (pid and pid != str(os.getpid())):
        return None
    try:
        usec = int(raw)
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 1_000_000 / 2


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # the command name (field 2) is in parentheses and may hold spaces
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _children(pid: int, tree: dict[int, list[int]] | None) -> list[int]:
    """Children of ``pid`` from /proc/PID/task/*/children (one small read per thread, fast
    on a loaded machine), else from the whole-/proc ``tree``."""
    if tree is not None:
        return tree.get(pid, [])
    found: list[int] = []
    for task in os.scandir(f"/proc/{pid}/task"):
        found.extend(int(c) for c in Path(task.path, "children").read_text().split())
    return found


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below ``pid`` (default: this one), children first."""
    root = os.getpid() if pid is None else pid
    tree = None if Path(f"/proc/{root}/task/{root}/children").exists() else _children_map()
    found: list[int] = []
    todo = [root]
    while todo:
        try:
            children = _children(todo.pop(0), tree)
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
        found.extend(children)
        todo.extend(children)
    return found


def kill_descendants(sig: int = signal.SIGKILL) -> list[int]:
    """Send ``sig`` to every process below this one; returns their pids."""
    pids = descendants()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    return pids
