"""办不成事反映: the form (conditions, categories, phone, consent), the case created at the
hall server with a ticket for the 办不成事 window (printed on one slip through the ticket
journey), and its progress by case number. Owns the state part ``case`` (a ``CaseDraft``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from contract import vocab
from kiosk import print_jobs
from kiosk.hall_client import HallUnavailable
from kiosk.journeys.ticket import TicketJourney
from kiosk.tickets import Ticket
from kiosk.visit import Message, Problem, Screen, Visit

log = logging.getLogger(__name__)

CASE_CONDITIONS = tuple(vocab.CASE_CONDITIONS)
CASE_CATEGORIES = vocab.DEFAULT_CASE_CATEGORIES
"""Built-in categories; the server's list (``GET /api/v1/cases/options``) replaces them."""
PHONE = re.compile(vocab.MOBILE_PATTERN)
OPTIONS_REFRESH_S = 60.0  # ask the hall server for its categories at most this often


@dataclass(frozen=True)
class CaseDraft:
    """办不成事反映 in the making; ``result`` is the server's answer (case number, due times)."""

    conditions: frozenset[str] = frozenset()
    categories: tuple[str, ...] = ()
    phone: str = ""
    consent: bool = False
    result: dict[str, Any] | None = None
    query: dict[str, Any] | None = None  # progress looked up by case number


class CaseSink(Protocol):
    def options(self) -> dict[str, Any]: ...

    def create(self, key: str, draft: CaseDraft) -> tuple[dict[str, Any], Ticket | None]:
        """The case and its window ticket; with the hall server down, ``({"pending": True,
        "reference": …}, None)`` — the case is kept in the outbox and sent later."""
        ...

    def progress(self, number: str) -> dict[str, Any] | None: ...


class CaseJourney:
    def __init__(self, visit: Visit, tickets: TicketJourney, sink: CaseSink | None = None) -> None:
        self.visit = visit
        self.tickets = tickets
        self.sink = sink
        self.categories: tuple[str, ...] = CASE_CATEGORIES
        self._options_asked: float | None = None
        visit.add_part("case", None)

    def open(self) -> None:
        v = self.visit
        v.go(Screen.CASE_FORM, case=CaseDraft())
        now = v.clock()
        last = self._options_asked
        if self.sink is None or (last is not None and now - last < OPTIONS_REFRESH_S):
            return
        self._options_asked = now
        v.runner.submit(self.sink.options, v.for_this_visit(self._options))

    def _options(self, result: Any) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            return  # server down: the built-in (or last fetched) categories stay
        categories = tuple(str(c) for c in result.get("categories") or ())
        if categories and categories != self.categories:
            self.categories = categories
            if self.visit.state.screen is Screen.CASE_FORM:
                self.visit.republish()

    def toggle(self, field: str, value: str = "") -> None:
        """Toggle a condition or a category; set the phone digits; toggle the consent."""
        v = self.visit
        draft = v.state.case
        if draft is None or v.state.busy:
            return
        v.touch()
        if field == "condition":
            draft = replace(draft, conditions=draft.conditions ^ {value})
        elif field == "category":
            keep = tuple(c for c in draft.categories if c != value)
            draft = replace(
                draft, categories=keep if value in draft.categories else keep + (value,)
            )
        elif field == "phone":
            draft = replace(draft, phone=value[:11])
        elif field == "consent":
            draft = replace(draft, consent=not draft.consent)
        v.update(case=draft, message=None)

    def submit(self) -> None:
        """Checked here first (so nothing incomplete is sent), then created at the hall server
        with a ticket for the 办不成事 window; both are printed on one slip."""
        v = self.visit
        draft = v.state.case
        if draft is None or v.state.busy or draft.result is not None or self.sink is None:
            return
        problem = (
            "condition" if not draft.conditions
            else "category" if not draft.categories
            else "phone" if not PHONE.match(draft.phone)
            else "consent" if not draft.consent
            else ""
        )  # fmt: skip
        if problem:
            v.update(message=Message(Problem.CASE_INVALID, problem))
            return
        key = f"{v.state.session_id}:case"
        sink = self.sink
        v.update(busy="issuing", message=None)
        v.runner.submit(lambda: sink.create(key, draft), v.for_this_visit(self._created))

    def _created(self, result: Any) -> None:
        v = self.visit
        draft = v.state.case
        if draft is None:
            return
        if isinstance(result, HallUnavailable):
            v.update(busy=None, message=Message(Problem.HALL_DOWN))
            return
        if isinstance(result, Exception):
            log.warning("case refused: %s", result)
            v.update(busy=None, message=Message(Problem.HALL_REJECTED, type(result).__name__))
            return
        case, ticket = result
        v.go(Screen.CASE_DONE, busy="printing", case=replace(draft, result=case), ticket=ticket)
        if ticket is not None:
            self.tickets.print_ticket(ticket, self.slip(case))
        else:  # kept for sending (or no window ticket): the receipt alone
            self._print_receipt(case)

    def slip(self, case: dict[str, Any]) -> Any:
        v = self.visit
        return print_jobs.case_slip(v.catalog, case, v.language, v.now())

    def _print_receipt(self, case: dict[str, Any]) -> None:
        v = self.visit
        slip = self.slip(case)
        printer = v.printer
        v.runner.submit(lambda: printer.print_notice(slip), v.for_this_visit(self.tickets.printed))

    def reprint(self) -> None:
        """Print the case's slip again (with its window ticket if it has one)."""
        v = self.visit
        case = v.state.case.result if v.state.case else None
        if case is None or v.state.busy or v.state.screen is not Screen.CASE_DONE:
            return
        if v.state.ticket is not None:
            self.tickets.reprint()
            return
        v.touch()
        v.update(busy="printing", message=None)
        self._print_receipt(case)

    def open_query(self) -> None:
        self.visit.go(Screen.CASE_QUERY, case=CaseDraft())

    def query(self, digits: str) -> None:
        """The number on the slip: BC + 8-digit day + 4-digit sequence (typed as 12 digits)."""
        v = self.visit
        if self.sink is None or v.state.busy:
            return
        v.touch()
        if not re.fullmatch(r"\d{12}", digits):
            v.update(message=Message(Problem.CASE_NOT_FOUND, "format"))
            return
        number = f"BC{digits[:8]}-{digits[8:]}"
        sink = self.sink
        v.update(busy="looking_up", message=None)
        v.runner.submit(lambda: sink.progress(number), v.for_this_visit(self._found))

    def _found(self, result: Any) -> None:
        v = self.visit
        if isinstance(result, HallUnavailable):
            v.update(busy=None, message=Message(Problem.HALL_DOWN))
        elif isinstance(result, Exception) or result is None:
            v.update(busy=None, message=Message(Problem.CASE_NOT_FOUND))
        else:
            v.update(busy=None, case=CaseDraft(query=result))
