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
from contract.scrub import scrub_text
from kiosk import print_jobs
from kiosk.hall_client import HallRejected, HallUnavailable
from kiosk.journeys.ticket import TicketJourney
from kiosk.tickets import Ticket
from kiosk.visit import Message, Problem, Screen, Visit

log = logging.getLogger(__name__)

CASE_CONDITIONS = tuple(vocab.CASE_CONDITIONS)
CASE_CATEGORIES = vocab.DEFAULT_CASE_CATEGORIES
"""Built-in categories; the server's list (``GET /api/v1/cases/options``) replaces them."""
PHONE = re.compile(vocab.MOBILE_PATTERN)
SEVERITIES = tuple(vocab.CASE_SEVERITIES)
DESCRIPTION_MAX = vocab.CASE_OWN_WORDS_MAX
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
    # what went wrong (issue 17): the matter (a catalog item, or not in the catalog), the
    # citizen's own words (typed on the keyboard; optional) and the severity
    item_id: str | None = None
    not_in_catalog: bool = False
    description: str = ""
    severity: str = "ordinary"
    reviewing: bool = False  # the summary is shown; 确认提交 sends it
    rated: str | None = None  # the handling rating the server accepted (query screen)


class CaseSink(Protocol):
    def options(self) -> dict[str, Any]: ...

    def create(self, key: str, draft: CaseDraft) -> tuple[dict[str, Any], Ticket | None]:
        """The case and its window ticket; with the hall server down, ``({"pending": True,
        "reference": …}, None)`` — the case is kept in the outbox and sent later."""
        ...

    def progress(self, number: str) -> dict[str, Any] | None: ...

    def rate_handling(self, number: str, tail: str, level: str) -> dict[str, Any]: ...


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
        if self.sink is not None:
            self._options_asked = v.ask_throttled(
                self._options_asked, OPTIONS_REFRESH_S, self.sink.options, self._options
            )

    def _options(self, result: Any) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            return  # server down: the built-in (or last fetched) categories stay
        categories = tuple(str(c) for c in result.get("categories") or ())
        if categories and categories != self.categories:
            self.categories = categories
            if self.visit.state.screen is Screen.CASE_FORM:
                self.visit.republish()

    def toggle(self, field: str, value: str = "") -> None:
        """Toggle a condition or a category; set the phone digits; toggle the consent; pick
        the matter (``item``, ``not_in_catalog``), the severity, the own-words description."""
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
        elif field == "item":
            draft = replace(draft, item_id=value or None, not_in_catalog=False)
        elif field == "not_in_catalog":
            draft = replace(draft, item_id=None, not_in_catalog=True)
        elif field == "severity" and value in SEVERITIES:
            draft = replace(draft, severity=value)
        elif field == "description":
            draft = replace(draft, description=value[:DESCRIPTION_MAX])
        draft = replace(draft, reviewing=False)  # changed: the summary is shown again
        v.update(case=draft, message=None)

    def edit(self) -> None:
        """Back from the summary to the form, everything kept."""
        v = self.visit
        draft = v.state.case
        if draft is None or v.state.busy or draft.result is not None:
            return
        v.touch()
        v.update(case=replace(draft, reviewing=False), message=None)

    def submit(self) -> None:
        """Checked here first (so nothing incomplete is sent), then created at the hall server
        with a ticket for the 办不成事 window; both are printed on one slip."""
        v = self.visit
        draft = v.state.case
        if draft is None or v.state.busy or draft.result is not None or self.sink is None:
            return
        problem = (
            "item" if draft.item_id is None and not draft.not_in_catalog
            else "condition" if not draft.conditions
            else "category" if not draft.categories
            else "phone" if not PHONE.match(draft.phone)
            else "consent" if not draft.consent
            else ""
        )  # fmt: skip
        if problem:
            v.update(message=Message(Problem.CASE_INVALID, problem))
            return
        if not draft.reviewing:  # the summary first; the citizen confirms it
            v.touch()
            v.update(case=replace(draft, reviewing=True), message=None)
            return
        key = f"{v.state.session_id}:case"
        # ID and phone numbers and names leave the kiosk masked (the outbox keeps the text on
        # disk until delivered): the card holder's own name, and names the words point at
        draft = replace(draft, description=scrub_text(draft.description, _holder_names(v)))
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
        if isinstance(result, HallUnavailable):  # progress is the server's: not offline
            v.update(busy=None, message=Message(Problem.HALL_DOWN, "query"))
        elif isinstance(result, Exception) or result is None:
            v.update(busy=None, message=Message(Problem.CASE_NOT_FOUND))
        else:
            v.update(busy=None, case=CaseDraft(query=result))

    def rate_handling(self, tail: str, level: str) -> None:
        """Rate how the closed case just looked up was handled: its number and the last 4
        digits of the call-back phone prove it is the citizen's."""
        v = self.visit
        draft = v.state.case
        progress = draft.query if draft else None
        if self.sink is None or v.state.busy or progress is None or draft is None:
            return
        v.touch()
        if not re.fullmatch(r"\d{4}", tail):
            v.update(message=Message(Problem.CASE_RATING, "tail_format"))
            return
        if level not in vocab.LEVELS:
            return
        number = str(progress["case_number"])
        sink = self.sink
        v.update(busy="rating", message=None)
        v.runner.submit(
            lambda: sink.rate_handling(number, tail, level), v.for_this_visit(self._rated)
        )

    def _rated(self, result: Any) -> None:
        v = self.visit
        draft = v.state.case
        if draft is None:
            return
        if isinstance(result, HallUnavailable):
            v.update(busy=None, message=Message(Problem.HALL_DOWN))
        elif isinstance(result, HallRejected):
            v.update(busy=None, message=Message(Problem.CASE_RATING, result.code or "refused"))
        elif isinstance(result, Exception):
            v.update(busy=None, message=Message(Problem.CASE_RATING, "refused"))
        else:
            v.update(busy=None, case=replace(draft, rated=str(result.get("level"))))


def _holder_names(v: Visit) -> tuple[str, ...]:
    """The card holder's name while the visit has it (empty when the number was typed)."""
    holder = v.state.holder
    return (holder.name,) if holder is not None and holder.name else ()
