"""A ticket whose print job a crash cut short is reprinted with the same number after the
restart, and the hall staff see it on the monitoring page.

The "crash": the kiosk's runner holds the print job and the kiosk is closed without ever
running it — as a process killed mid-job. The restart is a second core on the same data
directory, as ``./run`` after a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from hall.db import add_staff
from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.print_journal import REPRINT_ALERT, PrintJournal
from kiosk.settings import load_settings


class HeldRunner:
    """Runs nothing until told: ``run_next()`` runs the oldest job and delivers its result."""

    def __init__(self) -> None:
        self.held: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.held.append((work, done))

    def post(self, fn: Callable[[], None]) -> None:
        fn()

    def run_next(self) -> None:
        work, done = self.held.pop(0)
        try:
            result = work()
        except Exception as exc:
            result = exc
        done(result)


def take_anonymous_ticket(flow: Any) -> None:
    service = next(s for s in flow.catalog.services if s.anonymous)
    flow.ticket.take_number()
    flow.ticket.choose_group(service.group)
    flow.ticket.choose_entry(service.id)
    flow.ticket.skip_identity()
    flow.ticket.confirm_notice()


def test_ticket_cut_short_is_reprinted_with_its_number(kiosk_env: dict[str, str]) -> None:
    env = {**kiosk_env, "KIOSK_PRINTER__CONNECTION": "virtual", "KIOSK_HALL__HEARTBEAT_S": "0.5"}
    settings = load_settings(environ=env)
    path = settings.data_dir / "print-journal.json"

    runner = HeldRunner()
    core = build_core(settings, runner, hall_server=EmbeddedHallServer)
    try:
        journal = PrintJournal(path, core.flow.ticket.ticket_print)
        core.flow.changed.connect(journal.follow)
        take_anonymous_ticket(core.flow)
        runner.run_next()  # the hall server issues the number; printing starts
        ticket = core.flow.state.ticket
        assert ticket is not None and core.flow.state.busy == "printing"
        assert path.exists()
        assert core.printer.jobs == []  # type: ignore[attr-defined]
    finally:
        core.close()  # the print job never ran: the process "died" here

    restarted = build_core(settings, hall_server=EmbeddedHallServer)
    try:
        journal = PrintJournal(path, restarted.flow.ticket.ticket_print)
        assert journal.reprint_pending(restarted) == 1
        jobs = restarted.printer.jobs  # type: ignore[attr-defined]
        assert len(jobs) == 1 and jobs[0].name == f"ticket-{ticket.number}"
        assert not path.exists(), "a reprinted ticket must not be printed again next time"
        assert f"{REPRINT_ALERT}:{ticket.number}" in [c for _, c in restarted.alerts]

        # the hall staff's monitoring page lists it
        url = f"{restarted.hall.base_url}/api/v1/kiosks"
        staff = add_staff(restarted.hall.server.database_url, "monitor")  # type: ignore[union-attr]
        deadline = time.monotonic() + 5
        while True:
            restarted.heartbeat.beat()  # type: ignore[union-attr]
            kiosks = httpx.get(url, headers={"Authorization": f"Bearer {staff}"}).json()
            problems = next(k for k in kiosks if k["id"] == settings.kiosk.id)["problems"]
            if any(ticket.number in p for p in problems):
                break
            assert time.monotonic() < deadline, problems
            time.sleep(0.1)
    finally:
        restarted.close()


def test_ticket_printed_or_failed_leaves_the_journal(kiosk_env: dict[str, str]) -> None:
    env = {**kiosk_env, "KIOSK_PRINTER__CONNECTION": "virtual"}
    settings = load_settings(environ=env)
    path = settings.data_dir / "print-journal.json"
    core = build_core(settings, hall_server=EmbeddedHallServer)  # ImmediateRunner: at once
    try:
        journal = PrintJournal(path, core.flow.ticket.ticket_print)
        core.flow.changed.connect(journal.follow)
        take_anonymous_ticket(core.flow)
        assert core.flow.state.printed
        assert not path.exists()
        # a paper-out failure is on screen with a reprint button: not for a restart
        core.flow.home()
        core.printer.set_state("paper_out")  # type: ignore[attr-defined]
        take_anonymous_ticket(core.flow)
        assert core.flow.state.message is not None and not core.flow.state.printed
        assert not path.exists()
    finally:
        core.close()


def test_old_entries_are_dropped(tmp_path: Any, kiosk_env: dict[str, str]) -> None:
    settings = load_settings(environ={**kiosk_env, "KIOSK_PRINTER__CONNECTION": "virtual"})
    core = build_core(settings, hall_server=EmbeddedHallServer)
    try:
        journal = PrintJournal(tmp_path / "j.json", core.flow.ticket.ticket_print, max_age_s=0.0)
        take_anonymous_ticket(core.flow)
        ticket = core.flow.state.ticket
        assert ticket is not None
        journal.record(ticket.id, core.flow.ticket.ticket_print(ticket))
        time.sleep(0.01)  # age the entry past max_age_s = 0 (not waiting for a result)
        assert journal.pending() == []
        assert not (tmp_path / "j.json").exists()
    finally:
        core.close()
