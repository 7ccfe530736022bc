"""取号 and 办事指南: groups → items (or bundles) → identify → one-time notice → ticket.

One visit has one idempotency key, so tapping "try again" after the hall server failed can
never issue a second number for the same visit. Owns the state parts ``ticket``,
``printed``, ``print_job``, ``priority`` (绿色通道) and ``sms`` (短信提醒: None — not asked
for, the default; ``"open"`` — the keypad is shown; else the masked number kept for the
ticket). The typed number itself stays in the screen's keypad until submitted; it is
never in the state, the log or the paper.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol

from contract.catalog import Bundle, Material, Service
from contract.fields import is_mobile
from devices.errors import DeviceError, PrinterError
from devices.idcard.card import IdCard
from devices.printer.layout import NoticePrint, TicketPrint
from kiosk import print_jobs
from kiosk.events import Event
from kiosk.hall_client import HallError, HallRejected, HallUnavailable
from kiosk.identity import Holder, InvalidIdNumber
from kiosk.tickets import Ticket
from kiosk.visit import BUNDLES, Message, Problem, Purpose, Screen, Visit

log = logging.getLogger(__name__)

PRIORITY_REASONS = ("age", "disability", "pregnancy")


class TicketIssuer(Protocol):
    """``precheck``: the visit's 材料预审 result for the item (codes only), kept with a
    ticket issued offline; an online ticket gets it attached afterwards (``issued``)."""

    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
        precheck: dict[str, Any] | None = None,
    ) -> Ticket: ...


class SmsSink(Protocol):
    """短信提醒 (kiosk/sms.py): keeps the number for the ticket and sends it; masked back."""

    def request(self, ticket: Ticket, phone: str, language: str) -> str: ...


def mobile_problem(raw: str) -> str | None:
    """Why ``raw`` is not a mainland mobile number ("length", "prefix"), or None."""
    if len(raw) != 11 or not raw.isdigit():
        return "length"
    return None if is_mobile(raw) else "prefix"


class PrinterLike(Protocol):
    def print_ticket(self, ticket: TicketPrint) -> Any: ...

    def print_notice(self, notice: NoticePrint) -> Any: ...


class Precheck(Protocol):
    """What the ticket journey asks of the pre-check (kiosk/journeys/precheck.py)."""

    def start(self, entry_id: str, origin: str = "items") -> None: ...

    def checked_with(self, holder: Holder) -> Any: ...

    def result_for(self, entry_id: str) -> dict[str, Any] | None: ...


def device_detail(exc: BaseException) -> str:
    """A device failure as a short code for the screen and the staff alert."""
    if isinstance(exc, PrinterError) and exc.status is not None:
        return str(getattr(exc.status, "state", "error"))
    if isinstance(exc, DeviceError):
        return type(exc).__name__
    if isinstance(exc, HallError):
        return "hall"
    return type(exc).__name__


class TicketJourney:
    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.issued: Event[Ticket] = Event()
        self.precheck: Precheck | None = None  # 材料预审, wired by kiosk/flow.py if enabled
        # what tickets are issued through: the hall client, or kiosk.offline.OfflineIssuer
        # (an offline ticket from the number reserve when the server cannot be reached)
        self.issuer: TicketIssuer | None = None
        visit.add_part("ticket", None)
        visit.add_part("printed", False)
        visit.add_part("print_job", None)  # the last PrintJob (virtual printer: its PNG)
        visit.add_part("priority", None)  # 绿色通道: "age", "disability" or "pregnancy"
        visit.add_part("sms", None)  # 短信提醒: None, "open", or the masked number kept
        self.sms: SmsSink | None = None  # wired by kiosk/app.py; None: no 短信提醒 control
        visit.on_card(Screen.IDENTIFY, self.card_presented)
        visit.card_error.connect(self.card_failed)
        for screen in (Screen.GROUPS, Screen.ITEMS, Screen.IDENTIFY, Screen.NOTICE):
            visit.on_back(screen, self.back)

    # -- look-ups for screens -------------------------------------------------------------
    @property
    def entry(self) -> Service | Bundle | None:
        entry_id = self.visit.state.entry_id
        return self.visit.catalog.entry(entry_id) if entry_id else None

    def entries(self) -> list[Service | Bundle]:
        """What the items screen lists for the chosen group."""
        catalog, group_id = self.visit.catalog, self.visit.state.group_id
        if group_id == BUNDLES:
            return list(catalog.bundles)
        if group_id is None:
            return []
        return list(catalog.tile_services(group_id))

    def materials(self) -> list[Material]:
        entry = self.entry
        return self.visit.catalog.materials_for(entry) if entry else []

    def may_skip_identity(self) -> bool:
        entry = self.entry
        return entry is not None and self.visit.catalog.allows_anonymous(entry)

    # -- actions --------------------------------------------------------------------------
    def take_number(self) -> None:
        self.visit.go(Screen.GROUPS, purpose=Purpose.TICKET)

    def open_guide(self) -> None:
        self.visit.go(Screen.GROUPS, purpose=Purpose.GUIDE)

    def open_precheck(self) -> None:
        """材料预审 from home: choose the item or bundle, then check the materials."""
        if self.precheck is not None:
            self.visit.go(Screen.GROUPS, purpose=Purpose.PRECHECK)

    def start_precheck(self) -> None:
        """材料预审 offered on the one-time notice, for its item (and its card holder)."""
        s = self.visit.state
        if self.precheck is not None and s.entry_id and not s.busy:
            self.precheck.start(s.entry_id, origin="notice")

    def choose_group(self, group_id: str) -> None:
        if group_id != BUNDLES:
            self.visit.catalog.group(group_id)  # KeyError for a bad id: a programming error
        self.visit.go(Screen.ITEMS, group_id=group_id)

    def choose_entry(self, entry_id: str) -> None:
        self.visit.catalog.entry(entry_id)
        purpose = self.visit.state.purpose
        if purpose is Purpose.GUIDE:
            self.visit.go(Screen.NOTICE, entry_id=entry_id)
        elif purpose is Purpose.PRECHECK and self.precheck is not None:
            self.precheck.start(entry_id)
        else:
            self.visit.go(Screen.IDENTIFY, entry_id=entry_id, holder=None)

    def continue_to_ticket(self) -> None:
        """From the guide's notice, take a ticket for the same item."""
        self.visit.update(purpose=Purpose.TICKET)
        self.visit.go(Screen.IDENTIFY, holder=None)

    def card_presented(self, card: IdCard) -> None:
        """A card read on the identify screen identifies the citizen."""
        self.identified(Holder.from_card(card))

    def identified(self, holder: Holder) -> None:
        """Go to the notice; offer 长辈版 and the age priority to an older citizen."""
        v = self.visit
        age = holder.age_on(v.now().date())
        old = age is not None and age >= v.config.elder_age
        priority = v.state.priority
        if old and v.config.priority_lane and priority is None:
            priority = "age"
        v.go(
            Screen.NOTICE,
            holder=holder,
            priority=priority,
            elder_offer=old and not v.state.elder,
            precheck=self.precheck.checked_with(holder) if self.precheck else None,
        )

    def card_failed(self, error: Exception) -> None:
        """The reader saw a card but could not read it: tell the citizen what to do, with the
        device's code and its own words; a fault the citizen cannot fix alerts staff."""
        device = error if isinstance(error, DeviceError) else None
        code = device.error_code if device is not None else "card"
        if device is not None and device.for_staff:
            self.visit.staff_alert.emit(f"card_reader:{code}")
        if self.visit.state.screen is Screen.IDENTIFY and code != "no_card":
            zh, en = (device.message_zh, device.message_en) if device is not None else ("", "")
            self.visit.update(message=Message(Problem.CARD, code, zh, en))

    def submit_typed_id(self, raw: str) -> bool:
        """Check a typed ID number; on error explain and stay (nothing is submitted)."""
        v = self.visit
        if v.state.screen is not Screen.IDENTIFY:
            return False
        v.touch()
        try:
            holder = Holder.from_typed(raw, v.now().date())
        except InvalidIdNumber as exc:
            v.update(message=Message(Problem.INVALID_ID, exc.code))
            return False
        self.identified(holder)
        return True

    def skip_identity(self) -> None:
        v = self.visit
        if v.state.screen is not Screen.IDENTIFY:
            return
        if not self.may_skip_identity():
            v.update(message=Message(Problem.IDENTITY_REQUIRED, "identity required"))
            return
        v.go(Screen.NOTICE, holder=None)

    def notice_print(self) -> NoticePrint:
        entry = self.entry
        assert entry is not None
        v = self.visit
        return print_jobs.notice_print(v.catalog, entry, v.language, v.now())

    def ticket_print(self, ticket: Ticket) -> TicketPrint:
        return print_jobs.ticket_print(self.visit.catalog, ticket, self.visit.language)

    def print_notice(self) -> None:
        v = self.visit
        if self.entry is None or v.state.busy:
            return
        v.touch()
        notice = self.notice_print()
        printer = v.printer
        v.update(busy="printing")
        v.runner.submit(
            lambda: printer.print_notice(notice), v.for_this_visit(self._notice_printed)
        )

    def _notice_printed(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("notice print failed: %s", result)
            self.visit.update(
                busy=None, message=Message(Problem.NOTICE_PRINTER, device_detail(result))
            )
        else:
            self.visit.update(busy=None, print_job=result)

    def confirm_notice(self) -> None:
        """Take the ticket: ask the hall server (off the GUI thread), then print."""
        v = self.visit
        entry = self.entry
        s = v.state
        if (
            entry is None
            or s.busy
            or s.purpose is not Purpose.TICKET
            or s.screen is not Screen.NOTICE
        ):
            return
        v.touch()
        holder = s.holder
        key = f"{s.session_id}:{entry.id}"
        v.update(busy="issuing", message=None)
        priority = s.priority is not None
        issuer, language = self.issuer or v.hall, v.language
        # for the issuer's offline ticket, which keeps it (the hall client alone takes none)
        pre = self.precheck.result_for(entry.id) if self.precheck and self.issuer else None
        extra = {} if pre is None else {"precheck": pre}
        v.runner.submit(
            lambda: issuer.issue_ticket(entry.id, key, holder, priority, language, **extra),
            self._ticket_issued,
        )

    def _ticket_issued(self, result: Any) -> None:
        v = self.visit
        if isinstance(result, HallUnavailable):
            log.warning("hall server unavailable: %s", result)
            # code "reserve_exhausted" (kiosk.offline): no offline number left either
            v.update(busy=None, message=Message(Problem.HALL_DOWN, getattr(result, "code", "")))
            return
        if isinstance(result, HallRejected):
            log.warning("hall server refused the ticket: %s", result)
            v.update(busy=None, message=Message(Problem.HALL_REJECTED, str(result.status)))
            return
        if isinstance(result, Exception):
            log.error("issuing a ticket failed unexpectedly", exc_info=result)
            v.update(busy=None, message=Message(Problem.HALL_DOWN, type(result).__name__))
            return
        ticket: Ticket = result
        log.info("ticket %s issued for %s", ticket.number, ticket.service_id)
        v.go(Screen.TICKET, ticket=ticket, printed=False, busy="printing")
        self.issued.emit(ticket)
        self.print_ticket(ticket)

    def reprint(self) -> None:
        """Print the visit's ticket again (after the printer recovered). Never a new number."""
        v = self.visit
        ticket = v.state.ticket
        if ticket is None or v.state.busy:
            return
        v.touch()
        v.update(busy="printing", message=None)
        self.print_ticket(ticket)

    def print_ticket(self, ticket: Ticket, notice: NoticePrint | None = None) -> None:
        """Print ``ticket`` (with ``notice`` under it, e.g. a case receipt) off the GUI
        thread; the result sets ``printed`` or the printer's problem."""
        v = self.visit
        job = self.ticket_print(ticket)
        if notice is not None:
            job = replace(job, notice=notice)
        printer = v.printer
        v.runner.submit(lambda: printer.print_ticket(job), v.for_this_visit(self.printed))

    def printed(self, result: Any) -> None:
        """A print job's result: printed, or the printer's problem (and a staff alert)."""
        v = self.visit
        if isinstance(result, Exception):
            log.warning("ticket print failed: %s", result)
            detail = device_detail(result)
            v.staff_alert.emit(f"printer:{detail}")
            v.update(busy=None, printed=False, message=Message(Problem.PRINTER, detail))
            return
        status = getattr(result, "status", None)
        if status is not None and status.state in ("near_end", "unknown"):
            v.staff_alert.emit(f"printer:{status.state}")  # printed, but staff must look
        v.update(busy=None, printed=True, print_job=result)

    # -- 短信提醒 (opt-in text message) ---------------------------------------------------
    def open_sms(self) -> None:
        """Show the keypad for a mobile number (the ticket screen; skipped by default)."""
        v = self.visit
        s = v.state
        if self.sms is None or s.screen is not Screen.TICKET or s.ticket is None or s.sms:
            return
        v.touch()
        v.update(sms="open", message=None)

    def close_sms(self) -> None:
        """不用了: no text message (nothing typed is kept)."""
        v = self.visit
        if v.state.sms == "open":
            v.touch()
            v.update(sms=None, message=None)

    def submit_sms(self, raw: str) -> bool:
        """Check the typed number; a wrong one is explained and nothing is sent."""
        v = self.visit
        s = v.state
        ticket, sink = s.ticket, self.sms
        if s.sms != "open" or ticket is None or sink is None or s.screen is not Screen.TICKET:
            return False
        v.touch()
        problem = mobile_problem(raw)
        if problem is not None:
            v.update(message=Message(Problem.SMS_INVALID, problem))
            return False
        language = v.language
        v.update(message=None)
        v.runner.submit(
            lambda: sink.request(ticket, raw, language), v.for_this_visit(self._sms_kept)
        )
        return True

    def _sms_kept(self, result: Any) -> None:
        v = self.visit
        if isinstance(result, Exception):
            log.error("the text message number could not be kept: %s", type(result).__name__)
            v.update(message=Message(Problem.SMS_FAILED, type(result).__name__))
            return
        v.update(sms=str(result), message=None)

    def back(self) -> None:
        v = self.visit
        s = v.state
        if s.screen is Screen.GROUPS:
            v.home()
            return
        target = {
            Screen.ITEMS: Screen.GROUPS,
            Screen.IDENTIFY: Screen.ITEMS,
            Screen.NOTICE: Screen.ITEMS if s.purpose is Purpose.GUIDE else Screen.IDENTIFY,
        }[s.screen]
        v.go(target, holder=None if target in (Screen.IDENTIFY, Screen.ITEMS) else s.holder)

    def declare_priority(self, reason: str | None) -> None:
        """绿色通道 by self-declaration (disability, pregnancy), or None to withdraw it."""
        if reason is not None and reason not in PRIORITY_REASONS:
            raise ValueError(f"unknown priority reason {reason!r}")
        v = self.visit
        if not v.config.priority_lane or v.state.busy:
            return
        v.touch()
        v.update(priority=reason)
