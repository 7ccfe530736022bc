"""A visit driven without a hand on the screen, for tests of the running kiosk process.

``KIOSK_AUTOPILOT=ticket`` or ``precheck`` (only read by ``run_kiosk``): once the home
screen is shown, the kiosk walks one visit through the flow's own actions — the same
calls the screens make — and prints one line to stdout at the moment the test waits for:

- ``ticket``: an anonymous ticket for the first item that allows one; prints
  ``autopilot: printing <number>`` when its print job starts;
- ``precheck``: the pre-check of the first item with a sample page, the sample put under
  the (folder) camera and taken; prints ``autopilot: analysing`` once the page is in the
  OCR worker.

Nothing else changes: devices, hall server and workers are the configured ones.
"""

from __future__ import annotations

from typing import Any

from kiosk.flow import Flow

SCENARIOS = ("ticket", "precheck")


class Autopilot:
    def __init__(self, flow: Flow, scenario: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"KIOSK_AUTOPILOT must be one of {SCENARIOS}, not {scenario!r}")
        self.flow = flow
        self.scenario = scenario
        self._said = False

    def start(self) -> None:
        """Begin once the hall server answers (as a citizen would, after start-up)."""
        self.flow.changed.connect(self._watch)
        self.flow.visit.runner.submit(self.flow.visit.hall.health, self._go)

    def _go(self, _health: Any) -> None:
        if self.scenario == "ticket":
            self._ticket()
        else:
            self._precheck()

    def _say(self, line: str) -> None:
        if not self._said:
            self._said = True
            print(f"autopilot: {line}", flush=True)

    def _ticket(self) -> None:
        flow = self.flow
        service = next(s for s in flow.catalog.services if s.anonymous)
        flow.ticket.take_number()
        flow.ticket.choose_group(service.group)
        flow.ticket.choose_entry(service.id)
        flow.ticket.skip_identity()
        flow.ticket.confirm_notice()  # the hall server answers on a worker thread

    def _precheck(self) -> None:
        flow = self.flow
        precheck = flow.precheck
        if precheck is None:
            raise RuntimeError("KIOSK_AUTOPILOT=precheck needs [precheck] enabled = true")
        flow.ticket.open_precheck()
        for service in flow.catalog.services:
            flow.ticket.choose_group(service.group)
            flow.ticket.choose_entry(service.id)
            samples = [s for s in precheck.samples() if s.variant == "clean"]
            if samples:
                precheck.present_sample(samples[0].name)
                precheck.capture()
                return
            flow.home()
            flow.ticket.open_precheck()
        raise RuntimeError("no item has a sample page to pre-check")

    def _watch(self, state: Any) -> None:
        if self.scenario == "ticket":
            if state.ticket is not None and state.busy == "printing":
                self._say(f"printing {state.ticket.number}")
        elif state.precheck is not None and getattr(state.precheck, "analysing", False):
            self._say("analysing")
