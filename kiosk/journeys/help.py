"""呼叫工作人员: a help request with the kiosk id goes to the hall server. Owns the state
part ``help``: "sending", "sent" or "failed"."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from kiosk.visit import Visit

log = logging.getLogger(__name__)


class HelpCaller(Protocol):
    def request_help(self, kiosk_id: str, screen: str, elder: bool) -> Any: ...


class HelpJourney:
    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        visit.add_part("help", None)

    def call_staff(self) -> None:
        v = self.visit
        if v.state.help == "sending":
            return
        v.touch()
        caller = v.hall
        if not hasattr(caller, "request_help"):
            v.update(help="failed")
            return
        screen, elder, kiosk = v.state.screen.value, v.state.elder, v.config.kiosk_id
        v.update(help="sending")
        v.runner.submit(
            lambda: caller.request_help(kiosk, screen, elder), v.for_this_visit(self._sent)
        )

    def _sent(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("help request failed: %s", result)
            self.visit.update(help="failed")
        else:
            self.visit.update(help="sent")

    def dismiss(self) -> None:
        self.visit.touch()
        self.visit.update(help=None)
