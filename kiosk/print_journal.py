"""The ticket being printed, kept on disk until its print job has ended.

A kiosk stopped or crashed while a ticket prints (SIGTERM at shutdown, a frozen GUI killed
by the watchdog, a power cut) must not lose a number the hall server already issued: the
citizen is standing there. ``PrintJournal`` follows the flow's state: when a ticket starts
printing its ``TicketPrint`` (hall, number, item, window, masked name and QR — no plain
personal data) is written to ``<data_dir>/print-journal.json`` (temporary file, fsync,
rename); when the job's result came back (printed or failed — a failure is shown to the
citizen with a reprint button) it is removed. ``pending()`` at the next start lists the
tickets whose job never ended; the kiosk reprints them with the same number and tells the
hall staff (alert ``printer:reprint_after_restart``). Entries older than ``max_age_s`` are
dropped instead: that citizen has left.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from devices.printer.layout import TicketPrint

log = logging.getLogger(__name__)

REPRINT_ALERT = "printer:reprint_after_restart"
_FIELDS = {f.name for f in fields(TicketPrint)} - {"notice"}


def _to_json(job: TicketPrint) -> dict[str, Any]:
    data = {k: v for k, v in asdict(job).items() if k in _FIELDS}
    data["issued_at"] = job.issued_at.isoformat()
    data["extra_lines"] = list(job.extra_lines)
    return data


def _from_json(data: dict[str, Any]) -> TicketPrint:
    values = {k: v for k, v in data.items() if k in _FIELDS}
    values["issued_at"] = dt.datetime.fromisoformat(values["issued_at"])
    values["extra_lines"] = tuple(values.get("extra_lines", ()))
    return TicketPrint(**values)


class PrintJournal:
    def __init__(
        self, path: Path, job_for: Callable[[Any], TicketPrint], max_age_s: float = 900.0
    ) -> None:
        self.path = path
        self.job_for = job_for  # Ticket → TicketPrint (the flow's ``ticket_print``)
        self.max_age_s = max_age_s
        self._current: str | None = None  # ticket id being printed
        self._session: str | None = None

    # -- following the flow (call on the flow's thread) -----------------------------------
    def follow(self, state: Any) -> None:
        """Subscribe to ``flow.changed``: a ticket starting to print is recorded, and removed
        when its job's result came back."""
        ticket = state.ticket
        printing = (
            ticket is not None
            and state.busy == "printing"
            and not state.printed
            and getattr(state.screen, "name", "") == "TICKET"
        )
        if printing and self._current != ticket.id:
            self._current, self._session = ticket.id, state.session_id
            try:
                self.record(ticket.id, self.job_for(ticket))
            except OSError:  # a full disk must not stop the ticket from printing
                log.exception("print journal: cannot record ticket %s", ticket.number)
        elif self._current is not None and state.session_id == self._session and not printing:
            self.done(self._current)

    def record(self, ticket_id: str, job: TicketPrint) -> None:
        """Keep ``job`` until ``done(ticket_id)``."""
        entries = self._read()
        entries[ticket_id] = {"recorded_at": time.time(), "job": _to_json(job)}
        self._write(entries)
        log.info("print journal: ticket %s printing", job.number)

    def done(self, ticket_id: str) -> None:
        if self._current == ticket_id:
            self._current = self._session = None
        entries = self._read()
        if entries.pop(ticket_id, None) is not None:
            self._write(entries)

    # -- after a restart -------------------------------------------------------------------
    def pending(self) -> list[tuple[str, TicketPrint]]:
        """(ticket id, job) of tickets whose print job never ended, oldest first; entries
        older than ``max_age_s`` are dropped."""
        entries = self._read()
        now = time.time()
        found: list[tuple[float, str, TicketPrint]] = []
        for ticket_id, entry in list(entries.items()):
            try:
                age = now - float(entry["recorded_at"])
                job = _from_json(entry["job"])
            except (KeyError, TypeError, ValueError):
                log.warning("print journal: unreadable entry dropped")
                entries.pop(ticket_id)
                continue
            if age > self.max_age_s:
                log.info("print journal: ticket %s not reprinted (%.0f s old)", job.number, age)
                entries.pop(ticket_id)
                continue
            found.append((age, ticket_id, job))
        self._write(entries)
        return [(tid, job) for _, tid, job in sorted(found, reverse=True)]

    def reprint_pending(self, core: Any) -> int:
        """Print every pending ticket again with its number (on the core's runner) and tell
        the hall staff: alert ``printer:reprint_after_restart:<number>`` goes to the
        monitoring page with the next heartbeat. Returns how many."""
        pending = self.pending()
        for ticket_id, job in pending:
            log.warning("reprinting ticket %s after a restart", job.number)
            core.alert_staff(f"{REPRINT_ALERT}:{job.number}")

            def done(result: object, ticket_id: str = ticket_id, number: str = job.number) -> None:
                if isinstance(result, Exception):
                    log.warning("reprint of %s failed: %s", number, result)
                    core.alert_staff(f"printer:reprint_failed:{number}")
                else:
                    self.done(ticket_id)

            core.runner.submit(lambda job=job: core.printer.print_ticket(job), done)
        return len(pending)

    # -- the file --------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("print journal %s unreadable; starting a new one", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(entries, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
