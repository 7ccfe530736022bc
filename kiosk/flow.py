"""The citizen's visit as a Qt-free state machine.

home → groups → items (or bundles) → identify → one-time notice → ticket → thank you → home.
Screens render ``flow.state`` and call the actions below; they never talk to devices or
HTTP. Blocking work (issuing a ticket, printing) goes through a ``Runner`` and comes back as
a new state. Every change is published on ``flow.changed``.

One visit has one idempotency key, so tapping "try again" after the hall server failed can
never issue a second number for the same visit.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from contract import vocab
from devices.errors import DeviceError, PrinterError
from devices.idcard.card import IdCard
from devices.printer.layout import NoticeMaterial, NoticePrint, TicketPrint
from kiosk.catalog import Bundle, Catalog, Material, Service
from kiosk.events import Event
from kiosk.hall_client import HallError, HallRejected, HallUnavailable
from kiosk.identity import Holder, InvalidIdNumber
from kiosk.runner import Runner
from kiosk.tickets import Ticket

if TYPE_CHECKING:
    from kiosk.precheck_flow import PrecheckFlow, PrecheckState

log = logging.getLogger(__name__)


class Screen(StrEnum):
    HOME = "home"
    GROUPS = "groups"  # choose a window group, or the bundles (一件事)
    ITEMS = "items"  # choose an item in a group, or a bundle
    IDENTIFY = "identify"  # tap the ID card, type the number, or skip where allowed
    NOTICE = "notice"  # one-time notice of materials (一次性告知)
    TICKET = "ticket"
    THANKS = "thanks"
    RATE_FIND = "rate_find"  # 评价: which visit (ticket number), or the self-service area
    RATE_LEVEL = "rate_level"  # the five levels
    RATE_REASONS = "rate_reasons"  # a bad review needs at least one reason
    RATE_DONE = "rate_done"
    CASE_FORM = "case_form"  # 办不成事反映: conditions, categories, phone, consent
    CASE_DONE = "case_done"
    CASE_QUERY = "case_query"  # progress of a case by its number
    PRECHECK = "precheck"  # 材料预审: page by page under the camera (kiosk/precheck_flow.py)
    PRECHECK_RESULT = "precheck_result"  # its verdict, the slip, 继续取号


class Purpose(StrEnum):
    TICKET = "ticket"  # 取号
    GUIDE = "guide"  # 办事指南: browse items and their notices, no ticket needed
    PRECHECK = "precheck"  # 材料预审: choose the item, then check the materials


BUNDLES = "bundles"  # the pseudo-group that lists the bundles


class Problem(StrEnum):
    """What went wrong, as a code; the UI words it (translated) and says what to do next."""

    HALL_DOWN = "hall_down"
    HALL_REJECTED = "hall_rejected"
    INVALID_ID = "invalid_id"
    IDENTITY_REQUIRED = "identity_required"
    PRINTER = "printer"
    CARD = "card"  # the reader could not read the card; detail: the error's class name
    TICKET_NOT_FOUND = "ticket_not_found"  # rating: no such ticket today
    ALREADY_RATED = "already_rated"  # rating: one rating per ticket (一次一评)
    REASON_NEEDED = "reason_needed"  # rating: a bad review needs a reason
    CASE_INVALID = "case_invalid"  # detail: condition, category, phone, consent
    CASE_NOT_FOUND = "case_not_found"
    NOTICE_PRINTER = "notice_printer"
    QR_UNREADABLE = "qr_unreadable"  # rating: detail no_page, no_qr, not_ticket, scanner
    NO_VISITS = "no_visits"  # rating: the card holder has no ticket today
    STAFF_MODE = "staff_mode"  # rating: staff can never rate (the staff panel is open)


@dataclass(frozen=True)
class Message:
    problem: Problem
    detail: str = ""  # a code or staff detail, never personal data


LEVELS = vocab.LEVELS
BAD_LEVELS = vocab.BAD_LEVELS  # 差评: reasons required, followed up


RATING_REASONS = vocab.DEFAULT_RATING_REASONS
"""Reasons of a bad review as the hall server's default list; the server's own list
(``GET /api/v1/ratings/options``, HALL_RATING_REASONS) replaces it when it answers."""
RATING_COMMENT_MAX = vocab.COMMENT_MAX  # characters
COMMENT_PHRASES = ("等候时间太长", "工作人员不在窗口", "材料要求前后不一致", "系统故障没办成")
"""Quick phrases a citizen taps for the optional comment of a bad review (sent in Chinese)."""


@dataclass(frozen=True)
class Visit:
    """One of today's tickets of a card holder, as the hall server lists it for rating."""

    ticket_id: str
    number: str
    service_id: str
    service_name: str  # in Chinese, as the server names it
    state: str  # "rateable", "rated", "not_served", "followup_rateable"


@dataclass(frozen=True)
class RatingDraft:
    """A rating in the making. No ticket number and no ticket id: the self-service area is
    rated. ``visits``: the card holder's tickets of today, listed to choose from."""

    ticket_number: str | None = None
    ticket_id: str | None = None
    service_id: str | None = None
    level: str | None = None
    reasons: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # quick phrases of the comment (COMMENT_PHRASES)
    comment: str = ""  # typed free text of the comment
    rating_count: int = 1  # 2: the follow-up rating after a bad review was answered
    visits: tuple[Visit, ...] | None = None
    result: str | None = None  # "sending", "confirmed", "queued" (server down), "duplicate"

    @property
    def full_comment(self) -> str:
        """Phrases and typed text as one comment, within the server's limit."""
        parts = [*self.phrases, self.comment.strip()]
        return "；".join(p for p in parts if p)[:RATING_COMMENT_MAX]


CASE_CONDITIONS = tuple(vocab.CASE_CONDITIONS)
CASE_CATEGORIES = vocab.DEFAULT_CASE_CATEGORIES
"""Built-in categories; the server's list (``GET /api/v1/cases/options``) replaces them."""
PHONE = re.compile(vocab.MOBILE_PATTERN)


@dataclass(frozen=True)
class CaseDraft:
    """办不成事反映 in the making; ``result`` is the server's answer (case number, due times)."""

    conditions: frozenset[str] = frozenset()
    categories: tuple[str, ...] = ()
    phone: str = ""
    consent: bool = False
    result: dict[str, Any] | None = None
    query: dict[str, Any] | None = None  # progress looked up by case number


@dataclass(frozen=True)
class State:
    screen: Screen = Screen.HOME
    purpose: Purpose = Purpose.TICKET
    group_id: str | None = None
    entry_id: str | None = None
    holder: Holder | None = None
    ticket: Ticket | None = None
    busy: str | None = None  # "issuing", "printing": the UI shows progress, blocks double taps
    message: Message | None = None
    printed: bool = False
    print_job: Any = None  # the last PrintJob (virtual printer: its PNG)
    elder: bool = False  # 长辈版: large text, voice, fewer choices, longer timeouts
    elder_offer: bool = False  # the card holder is old enough: 长辈版 is being offered
    priority: str | None = None  # 绿色通道: "age", "disability" or "pregnancy"
    help: str | None = None  # 呼叫工作人员: "sending", "sent" or "failed"
    rating: RatingDraft | None = None  # the rating being given (评价)
    case: CaseDraft | None = None  # 办不成事反映
    precheck: PrecheckState | None = None  # 材料预审 (kiosk/precheck_flow.py)
    idle_prompt: bool = False  # "still there?" is being asked
    idle_deadline: float | None = None  # monotonic seconds when the visit ends if unanswered
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)


OPTIONS_REFRESH_S = 60.0  # ask the hall server for its reasons/categories at most this often
RATING_CONFIRM_S = 3.0  # no confirmation by then: tell the citizen it is kept and will be sent


class RatingSink(Protocol):
    def options(self) -> dict[str, Any]: ...

    def lookup(self, number: str) -> dict[str, Any] | None: ...

    def lookup_scanned(self) -> dict[str, Any]: ...

    def visits_of(self, holder: Holder) -> list[Visit]: ...

    def submit(self, key: str, draft: RatingDraft, language: str) -> None: ...


class ScanFailed(Exception):
    """The ticket's QR could not be read; ``code`` as Problem.QR_UNREADABLE's detail."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CaseSink(Protocol):
    def options(self) -> dict[str, Any]: ...

    def create(self, key: str, draft: CaseDraft) -> tuple[dict[str, Any], Ticket | None]:
        """The case and its window ticket; with the hall server down, ``({"pending": True,
        "reference": …}, None)`` — the case is kept in the outbox and sent later."""
        ...

    def progress(self, number: str) -> dict[str, Any] | None: ...


class TicketIssuer(Protocol):
    def issue_ticket(
        self,
        service_id: str,
        idempotency_key: str,
        holder: Holder | None = None,
        priority: bool = False,
        language: str = "zh",
    ) -> Ticket: ...


class PrinterLike(Protocol):
    def print_ticket(self, ticket: TicketPrint) -> Any: ...

    def print_notice(self, notice: NoticePrint) -> Any: ...


@dataclass
class FlowConfig:
    inactivity_s: float = 90.0
    inactivity_grace_s: float = 30.0
    thanks_s: float = 8.0
    language: str = "zh"
    kiosk_id: str = "kiosk"
    elder_default: bool = False  # start every visit in 长辈版
    elder_age: int = 60  # offer 长辈版 (and the age priority) from this age, years
    elder_timeout_factor: float = 3.0  # every timeout is this many times longer in 长辈版
    priority_lane: bool = True  # the hall offers 绿色通道 tickets


PRIORITY_REASONS = ("age", "disability", "pregnancy")


class HelpCaller(Protocol):
    def request_help(self, kiosk_id: str, screen: str, elder: bool) -> Any: ...


class Flow:
    def __init__(
        self,
        catalog: Catalog,
        hall: TicketIssuer,
        printer: PrinterLike,
        runner: Runner,
        config: FlowConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        ratings: RatingSink | None = None,
        cases: CaseSink | None = None,
    ) -> None:
        self.catalog = catalog
        self.hall = hall
        self.printer = printer
        self.runner = runner
        self.config = config or FlowConfig()
        self.clock = clock
        self.now = now
        self.language = self.config.language
        self.state = State(elder=self.config.elder_default)
        self.changed: Event[State] = Event()
        self.ticket_issued: Event[Ticket] = Event()
        self.staff_alert: Event[str] = Event()  # "printer:paper_out", "printer:near_end", …
        self._last_activity = clock()
        self._thanks_since: float | None = None
        self.ratings = ratings
        self.cases = cases
        self._rating_sent_at = 0.0
        self.staff_mode = False  # set by the staff panel while it is open: no rating at all
        self.rating_reasons: tuple[str, ...] = RATING_REASONS  # the server's, once it answered
        self.rating_comment_max = RATING_COMMENT_MAX
        self.case_categories: tuple[str, ...] = CASE_CATEGORIES
        self._options_asked: dict[str, float] = {}  # kind → clock() of the last request
        self.precheck: PrecheckFlow | None = None  # 材料预审, set by build_core if enabled

    # -- plumbing -------------------------------------------------------------------------
    def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        self.changed.emit(self.state)

    def touch(self) -> None:
        """Any tap: the citizen is still here."""
        self._last_activity = self.clock()
        if self.state.idle_prompt:
            self._set(idle_prompt=False, idle_deadline=None)

    def _go(self, screen: Screen, **changes: Any) -> None:
        self.touch()
        self._thanks_since = self.clock() if screen is Screen.THANKS else None
        self._set(screen=screen, message=None, **changes)

    # -- look-ups for screens -------------------------------------------------------------
    @property
    def entry(self) -> Service | Bundle | None:
        return self.catalog.entry(self.state.entry_id) if self.state.entry_id else None

    def entries(self) -> list[Service | Bundle]:
        """What the items screen lists for the chosen group."""
        if self.state.group_id == BUNDLES:
            return list(self.catalog.bundles)
        if self.state.group_id is None:
            return []
        return list(self.catalog.tile_services(self.state.group_id))

    def materials(self) -> list[Material]:
        entry = self.entry
        return self.catalog.materials_for(entry) if entry else []

    def may_skip_identity(self) -> bool:
        entry = self.entry
        return entry is not None and self.catalog.allows_anonymous(entry)

    # -- actions --------------------------------------------------------------------------
    def take_number(self) -> None:
        self._go(Screen.GROUPS, purpose=Purpose.TICKET)

    def open_guide(self) -> None:
        self._go(Screen.GROUPS, purpose=Purpose.GUIDE)

    def open_precheck(self) -> None:
        """材料预审 from home: choose the item or bundle, then check the materials."""
        if self.precheck is not None:
            self._go(Screen.GROUPS, purpose=Purpose.PRECHECK)

    def start_precheck(self) -> None:
        """材料预审 offered on the one-time notice, for its item (and its card holder)."""
        if self.precheck is not None and self.state.entry_id and not self.state.busy:
            self.precheck.start(self.state.entry_id, origin="notice")

    def choose_group(self, group_id: str) -> None:
        if group_id != BUNDLES:
            self.catalog.group(group_id)  # KeyError for a bad id: a programming error
        self._go(Screen.ITEMS, group_id=group_id)

    def choose_entry(self, entry_id: str) -> None:
        self.catalog.entry(entry_id)
        if self.state.purpose is Purpose.GUIDE:
            self._go(Screen.NOTICE, entry_id=entry_id)
        elif self.state.purpose is Purpose.PRECHECK and self.precheck is not None:
            self.precheck.start(entry_id)
        else:
            self._go(Screen.IDENTIFY, entry_id=entry_id, holder=None)

    def continue_to_ticket(self) -> None:
        """From the guide's notice, take a ticket for the same item."""
        self._set(purpose=Purpose.TICKET)
        self._go(Screen.IDENTIFY, holder=None)

    def card_presented(self, card: IdCard) -> None:
        """A card was read: on the identify screen it identifies, on the 评价 find screen it
        lists the holder's tickets of today; elsewhere it is ignored."""
        if self.state.screen is Screen.RATE_FIND:
            self._visits_for_card(Holder.from_card(card))
            return
        if self.state.screen is not Screen.IDENTIFY:
            log.info("card read outside the identify screen; ignored")
            return
        self._identified(Holder.from_card(card))

    def _identified(self, holder: Holder) -> None:
        """Go to the notice; offer 长辈版 and the age priority to an older citizen."""
        age = holder.age_on(self.now().date())
        old = age is not None and age >= self.config.elder_age
        priority = self.state.priority
        if old and self.config.priority_lane and priority is None:
            priority = "age"
        self._go(
            Screen.NOTICE,
            holder=holder,
            priority=priority,
            elder_offer=old and not self.state.elder,
            precheck=self.precheck.checked_with(holder) if self.precheck else None,
        )

    def card_failed(self, error: Exception) -> None:
        """The reader saw a card but could not read it: tell the citizen what to do."""
        kind = type(error).__name__
        if kind == "SamError":
            self.staff_alert.emit("card_reader:sam_fault")
        if self.state.screen is Screen.IDENTIFY and kind != "NoCardError":
            self._set(message=Message(Problem.CARD, kind))

    def submit_typed_id(self, raw: str) -> bool:
        """Check a typed ID number; on error explain and stay (nothing is submitted)."""
        if self.state.screen is not Screen.IDENTIFY:
            return False
        self.touch()
        try:
            holder = Holder.from_typed(raw, self.now().date())
        except InvalidIdNumber as exc:
            self._set(message=Message(Problem.INVALID_ID, exc.code))
            return False
        self._identified(holder)
        return True

    def skip_identity(self) -> None:
        if self.state.screen is not Screen.IDENTIFY:
            return
        if not self.may_skip_identity():
            self._set(message=Message(Problem.IDENTITY_REQUIRED, "identity required"))
            return
        self._go(Screen.NOTICE, holder=None)

    def print_notice(self) -> None:
        entry = self.entry
        if entry is None or self.state.busy:
            return
        self.touch()
        notice = self.notice_print()
        self._set(busy="printing")
        self.runner.submit(
            lambda: self.printer.print_notice(notice), self._for_this_visit(self._notice_printed)
        )

    def _notice_printed(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("notice print failed: %s", result)
            self._set(busy=None, message=Message(Problem.NOTICE_PRINTER, _device_detail(result)))
        else:
            self._set(busy=None, print_job=result)

    def confirm_notice(self) -> None:
        """Take the ticket: ask the hall server (off the GUI thread), then print."""
        entry = self.entry
        if (
            entry is None
            or self.state.busy
            or self.state.purpose is not Purpose.TICKET
            or self.state.screen is not Screen.NOTICE
        ):
            return
        self.touch()
        holder = self.state.holder
        key = f"{self.state.session_id}:{entry.id}"
        self._set(busy="issuing", message=None)
        priority = self.state.priority is not None
        self.runner.submit(
            lambda: self.hall.issue_ticket(entry.id, key, holder, priority, self.language),
            self._ticket_issued,
        )

    def _ticket_issued(self, result: Any) -> None:
        if isinstance(result, HallUnavailable):
            log.warning("hall server unavailable: %s", result)
            self._set(busy=None, message=Message(Problem.HALL_DOWN))
            return
        if isinstance(result, HallRejected):
            log.warning("hall server refused the ticket: %s", result)
            self._set(busy=None, message=Message(Problem.HALL_REJECTED, str(result.status)))
            return
        if isinstance(result, Exception):
            log.error("issuing a ticket failed unexpectedly", exc_info=result)
            self._set(busy=None, message=Message(Problem.HALL_DOWN, type(result).__name__))
            return
        ticket: Ticket = result
        log.info("ticket %s issued for %s", ticket.number, ticket.service_id)
        self._go(Screen.TICKET, ticket=ticket, printed=False, busy="printing")
        self.ticket_issued.emit(ticket)
        self._print_ticket(ticket)

    def reprint(self) -> None:
        """Print the visit's ticket again (after the printer recovered). Never a new number."""
        ticket = self.state.ticket
        if ticket is None or self.state.busy:
            return
        self.touch()
        self._set(busy="printing", message=None)
        self._print_ticket(ticket)

    def _print_ticket(self, ticket: Ticket, case: dict[str, Any] | None = None) -> None:
        job = self.ticket_print(ticket)
        if case is not None:
            job = replace(job, notice=self.case_slip(case))
        self.runner.submit(
            lambda: self.printer.print_ticket(job), self._for_this_visit(self._ticket_printed)
        )

    def _for_this_visit(self, done: Callable[[Any], None]) -> Callable[[Any], None]:
        """A late result (the citizen already went home) must not reach the next visit."""
        sid = self.state.session_id

        def deliver(result: Any) -> None:
            if self.state.session_id == sid:
                done(result)
            else:
                log.info("result of an ended visit dropped: %s", type(result).__name__)

        return deliver

    def _ticket_printed(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("ticket print failed: %s", result)
            detail = _device_detail(result)
            self.staff_alert.emit(f"printer:{detail}")
            self._set(busy=None, printed=False, message=Message(Problem.PRINTER, detail))
            return
        status = getattr(result, "status", None)
        if status is not None and status.state in ("near_end", "unknown"):
            self.staff_alert.emit(f"printer:{status.state}")  # printed, but staff must look
        self._set(busy=None, printed=True, print_job=result)

    def finish(self) -> None:
        self._go(Screen.THANKS)

    def back(self) -> None:
        s = self.state
        if s.busy == "issuing":
            return  # the answer is on its way; going back now could lose the number
        if s.screen in (Screen.PRECHECK, Screen.PRECHECK_RESULT) and self.precheck is not None:
            self.precheck.cancel()
            return
        target = {
            Screen.GROUPS: Screen.HOME,
            Screen.ITEMS: Screen.GROUPS,
            Screen.IDENTIFY: Screen.ITEMS,
            Screen.NOTICE: Screen.ITEMS if s.purpose is Purpose.GUIDE else Screen.IDENTIFY,
            Screen.RATE_FIND: Screen.HOME,
            Screen.RATE_LEVEL: Screen.RATE_FIND,
            Screen.RATE_REASONS: Screen.RATE_LEVEL,
            Screen.CASE_FORM: Screen.HOME,
            Screen.CASE_QUERY: Screen.HOME,
        }.get(s.screen)
        if target is None or target is Screen.HOME:
            self.home()
        elif target in (Screen.RATE_FIND, Screen.RATE_LEVEL):
            keep = s.rating if target is Screen.RATE_LEVEL else RatingDraft()
            self._go(target, rating=keep)
        else:
            self._go(target, holder=None if target in (Screen.IDENTIFY, Screen.ITEMS) else s.holder)

    def home(self) -> None:
        """End the visit: wipe its data (holder, ticket) and start a new session."""
        if self.state.busy == "issuing":
            return
        self._thanks_since = None
        self._last_activity = self.clock()
        if self.precheck is not None:
            self.precheck.discard()
        self.language = self.config.language  # the next citizen starts in the hall's language
        self.state = State(elder=self.config.elder_default)
        self.changed.emit(self.state)

    def set_elder(self, on: bool) -> None:
        """Switch 长辈版 on or off for this visit (it ends with the visit)."""
        self.touch()
        self._set(elder=on, elder_offer=False)

    def decline_elder(self) -> None:
        self.touch()
        self._set(elder_offer=False)

    def declare_priority(self, reason: str | None) -> None:
        """绿色通道 by self-declaration (disability, pregnancy), or None to withdraw it."""
        if reason is not None and reason not in PRIORITY_REASONS:
            raise ValueError(f"unknown priority reason {reason!r}")
        if not self.config.priority_lane or self.state.busy:
            return
        self.touch()
        self._set(priority=reason)

    def call_staff(self) -> None:
        """呼叫工作人员: a help request with the kiosk id goes to the hall server."""
        if self.state.help == "sending":
            return
        self.touch()
        caller = self.hall
        if not hasattr(caller, "request_help"):
            self._set(help="failed")
            return
        screen, elder, kiosk = self.state.screen.value, self.state.elder, self.config.kiosk_id
        self._set(help="sending")
        self.runner.submit(
            lambda: caller.request_help(kiosk, screen, elder),  # type: ignore[attr-defined]
            self._for_this_visit(self._help_sent),
        )

    def _help_sent(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("help request failed: %s", result)
            self._set(help="failed")
        else:
            self._set(help="sent")

    def dismiss_help(self) -> None:
        self.touch()
        self._set(help=None)

    # -- 评价 (rating) ---------------------------------------------------------------------
    def _refuse_staff(self) -> bool:
        """Staff must never submit, steer or alter a rating (引导好评 is forbidden)."""
        if not self.staff_mode:
            return False
        log.warning("rating refused: staff mode is on")
        self.touch()
        self._set(screen=Screen.RATE_FIND, rating=None, busy=None,
                  message=Message(Problem.STAFF_MODE))  # fmt: skip
        return True

    def open_rating(self) -> None:
        if not self._refuse_staff():
            self._go(Screen.RATE_FIND, rating=RatingDraft())
            self._load_options("rating", self.ratings, self._rating_options)

    def _load_options(
        self, kind: str, sink: RatingSink | CaseSink | None, done: Callable[[Any], None]
    ) -> None:
        """Ask the hall server for its current lists in the background (at most once every
        OPTIONS_REFRESH_S); the screen shows the last known (or built-in) lists meanwhile
        and keeps them if the server is down."""
        now = self.clock()
        last = self._options_asked.get(kind)
        if sink is None or (last is not None and now - last < OPTIONS_REFRESH_S):
            return
        self._options_asked[kind] = now
        self.runner.submit(sink.options, self._for_this_visit(done))

    def _rating_options(self, result: Any) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            return  # server down: the built-in (or last fetched) reasons stay
        reasons = tuple(str(r) for r in result.get("reasons") or ())
        limit = result.get("comment_max")
        changed = False
        if reasons and reasons != self.rating_reasons:
            self.rating_reasons, changed = reasons, True
        if isinstance(limit, int) and 0 < limit != self.rating_comment_max:
            self.rating_comment_max, changed = limit, True
        if changed and self.state.screen in (Screen.RATE_FIND, Screen.RATE_LEVEL,
                                             Screen.RATE_REASONS):  # fmt: skip
            self.changed.emit(self.state)

    def rate_self_service(self) -> None:
        """The self-service area itself is rated (no ticket needed)."""
        if self._refuse_staff():
            return
        self._go(Screen.RATE_LEVEL, rating=RatingDraft())

    def find_ticket_for_rating(self, raw: str) -> None:
        number = raw.strip().upper()
        if self.ratings is None or self.state.busy or self._refuse_staff():
            return
        self.touch()
        if not re.fullmatch(r"[A-Z]\d{3,4}", number):
            self._set(message=Message(Problem.TICKET_NOT_FOUND, "format"))
            return
        self._set(busy="looking_up", message=None)
        ratings = self.ratings
        self.runner.submit(lambda: ratings.lookup(number),
                           self._for_this_visit(lambda result: self._rating_found(number, result)))  # fmt: skip

    def scan_ticket_for_rating(self) -> None:
        """扫描小票二维码: capture from the scanner and read the ticket's QR (off the GUI
        thread), then look the ticket up as a typed number is."""
        if (
            self.ratings is None
            or self.state.busy
            or self.state.screen is not Screen.RATE_FIND
            or self._refuse_staff()
        ):
            return
        self.touch()
        self._set(busy="scanning", message=None)
        ratings = self.ratings
        self.runner.submit(ratings.lookup_scanned, self._for_this_visit(self._rating_scanned))

    def _rating_scanned(self, result: Any) -> None:
        if isinstance(result, HallError):  # the QR was read; the hall server refused or failed
            log.warning("looking up a scanned ticket failed: %s", type(result).__name__)
            problem = (
                Problem.HALL_DOWN if isinstance(result, HallUnavailable) else Problem.HALL_REJECTED
            )
            self._set(busy=None, message=Message(problem, type(result).__name__))
        elif isinstance(result, Exception):
            code = result.code if isinstance(result, ScanFailed) else "scanner"
            if code == "scanner":
                cause = type(result.__cause__ or result).__name__
                log.warning("scanning a ticket failed: %s", cause)
                self.staff_alert.emit("scanner:unavailable")
            self._set(busy=None, message=Message(Problem.QR_UNREADABLE, code))
        else:
            self._rating_found(result.get("number") or None, result)

    def _rating_found(self, number: str | None, result: Any) -> None:
        if isinstance(result, HallUnavailable):
            # the server is down: the rating is kept in the outbox and checked on delivery
            self._go(Screen.RATE_LEVEL, busy=None, rating=RatingDraft(ticket_number=number))
        elif isinstance(result, Exception) or result is None:
            self._set(busy=None, message=Message(Problem.TICKET_NOT_FOUND, "unknown"))
        elif result.get("offline"):  # scanned with the server down: the id is enough
            draft = RatingDraft(ticket_number=number, ticket_id=result["ticket_id"])
            self._go(Screen.RATE_LEVEL, busy=None, rating=draft)
        elif result.get("not_served"):
            self._set(busy=None, message=Message(Problem.TICKET_NOT_FOUND, "not_served"))
        elif result.get("rated"):
            self._set(busy=None, message=Message(Problem.ALREADY_RATED))
        else:
            draft = RatingDraft(ticket_number=number, ticket_id=result.get("ticket_id"),
                                service_id=result.get("service_id"),
                                rating_count=2 if result.get("followup") else 1)  # fmt: skip
            self._go(Screen.RATE_LEVEL, busy=None, rating=draft)

    def _visits_for_card(self, holder: Holder) -> None:
        """A card on the find screen: the holder's tickets of today, to choose from. The ID
        number goes to the hall server in the request body only (hashed there at once, as
        when the ticket was taken); it is not kept in the state."""
        if self.ratings is None or self.state.busy or self._refuse_staff():
            return
        self.touch()
        self._set(busy="looking_up", message=None, rating=RatingDraft())
        ratings = self.ratings
        self.runner.submit(lambda: ratings.visits_of(holder),
                           self._for_this_visit(self._visits_found))  # fmt: skip

    def _visits_found(self, result: Any) -> None:
        if isinstance(result, Exception):
            log.warning("listing the card holder's tickets failed: %s", type(result).__name__)
            self._set(busy=None, message=Message(Problem.HALL_DOWN, "visits"))
        elif not result:
            self._set(busy=None, message=Message(Problem.NO_VISITS))
        else:
            self._set(busy=None, rating=RatingDraft(visits=tuple(result)))

    def choose_visit(self, ticket_id: str) -> None:
        """One of the listed tickets: rate it, or say why it cannot be rated."""
        draft = self.state.rating
        if draft is None or not draft.visits or self.state.busy or self._refuse_staff():
            return
        visit = next((v for v in draft.visits if v.ticket_id == ticket_id), None)
        if visit is None:
            return
        self.touch()
        if visit.state == "rated":
            self._set(message=Message(Problem.ALREADY_RATED))
        elif visit.state == "not_served":
            self._set(message=Message(Problem.TICKET_NOT_FOUND, "not_served"))
        else:
            chosen = RatingDraft(ticket_number=visit.number, ticket_id=visit.ticket_id,
                                 service_id=visit.service_id,
                                 rating_count=2 if visit.state == "followup_rateable" else 1)  # fmt: skip
            self._go(Screen.RATE_LEVEL, rating=chosen)

    def choose_level(self, level: str) -> None:
        draft = self.state.rating
        if self._refuse_staff():
            return
        if draft is None or level not in LEVELS or self.state.screen is not Screen.RATE_LEVEL:
            return
        draft = replace(draft, level=level, reasons=(), phrases=(), comment="")
        if level in BAD_LEVELS:
            self._go(Screen.RATE_REASONS, rating=draft)  # a bad review says why
        else:
            self._set(rating=draft)
            self.submit_rating()

    def toggle_reason(self, reason: str) -> None:
        draft = self.state.rating
        if draft is None or (reason not in self.rating_reasons and reason not in draft.reasons):
            return
        self.touch()
        reasons = tuple(r for r in draft.reasons if r != reason)
        if reason not in draft.reasons:
            reasons += (reason,)
        self._set(rating=replace(draft, reasons=reasons), message=None)

    def toggle_comment_phrase(self, phrase: str) -> None:
        """A quick phrase of the optional comment, tapped on or off."""
        draft = self.state.rating
        if draft is None or phrase not in COMMENT_PHRASES:
            return
        self.touch()
        phrases = tuple(p for p in draft.phrases if p != phrase)
        if phrase not in draft.phrases:
            phrases += (phrase,)
        self._set(rating=replace(draft, phrases=phrases), message=None)

    def submit_rating(self, comment: str | None = None) -> None:
        """Written to the durable outbox first; confirmed on screen when the server has it.
        ``comment``: the typed part of a bad review's optional comment."""
        draft = self.state.rating
        if self._refuse_staff():
            return
        if draft is None or draft.level is None or draft.result is not None or self.ratings is None:
            return
        if comment is not None:
            draft = replace(draft, comment=" ".join(comment.split())[: self.rating_comment_max])
        if draft.level in BAD_LEVELS and not draft.reasons:
            self._set(rating=draft, message=Message(Problem.REASON_NEEDED))
            return
        key = f"{self.state.session_id}:rating"
        self.ratings.submit(key, draft, self.language)
        self._rating_sent_at = self.clock()
        self._go(Screen.RATE_DONE, rating=replace(draft, result="sending"))

    def rating_settled(self, key: str, outcome: str) -> None:
        """The outbox delivered (``confirmed``) or the server refused (``duplicate``)."""
        draft = self.state.rating
        if draft is None or key != f"{self.state.session_id}:rating":
            return
        self._set(rating=replace(draft, result=outcome))

    # -- 办不成事反映 ------------------------------------------------------------------------
    def open_case(self) -> None:
        self._go(Screen.CASE_FORM, case=CaseDraft())
        self._load_options("case", self.cases, self._case_options)

    def _case_options(self, result: Any) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            return  # server down: the built-in (or last fetched) categories stay
        categories = tuple(str(c) for c in result.get("categories") or ())
        if categories and categories != self.case_categories:
            self.case_categories = categories
            if self.state.screen is Screen.CASE_FORM:
                self.changed.emit(self.state)

    def toggle_case(self, field: str, value: str = "") -> None:
        """Toggle a condition or a category; set the phone digits; toggle the consent."""
        draft = self.state.case
        if draft is None or self.state.busy:
            return
        self.touch()
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
        self._set(case=draft, message=None)

    def submit_case(self) -> None:
        """Checked here first (so nothing incomplete is sent), then created at the hall server
        with a ticket for the 办不成事 window; both are printed on one slip."""
        draft = self.state.case
        if draft is None or self.state.busy or draft.result is not None or self.cases is None:
            return
        problem = (
            "condition" if not draft.conditions
            else "category" if not draft.categories
            else "phone" if not PHONE.match(draft.phone)
            else "consent" if not draft.consent
            else ""
        )  # fmt: skip
        if problem:
            self._set(message=Message(Problem.CASE_INVALID, problem))
            return
        key = f"{self.state.session_id}:case"
        cases = self.cases
        self._set(busy="issuing", message=None)
        self.runner.submit(
            lambda: cases.create(key, draft), self._for_this_visit(self._case_created)
        )

    def _case_created(self, result: Any) -> None:
        draft = self.state.case
        if draft is None:
            return
        if isinstance(result, HallUnavailable):
            self._set(busy=None, message=Message(Problem.HALL_DOWN))
            return
        if isinstance(result, Exception):
            log.warning("case refused: %s", result)
            self._set(busy=None, message=Message(Problem.HALL_REJECTED, type(result).__name__))
            return
        case, ticket = result
        self._go(Screen.CASE_DONE, busy="printing", case=replace(draft, result=case), ticket=ticket)
        if ticket is not None:
            self._print_ticket(ticket, case)
        else:  # kept for sending (or no window ticket): the receipt alone
            self._print_case_receipt(case)

    def _print_case_receipt(self, case: dict[str, Any]) -> None:
        slip = self.case_slip(case)
        self.runner.submit(
            lambda: self.printer.print_notice(slip), self._for_this_visit(self._ticket_printed)
        )

    def reprint_case(self) -> None:
        """Print the case's slip again (with its window ticket if it has one)."""
        case = self.state.case.result if self.state.case else None
        if case is None or self.state.busy or self.state.screen is not Screen.CASE_DONE:
            return
        if self.state.ticket is not None:
            self.reprint()
            return
        self.touch()
        self._set(busy="printing", message=None)
        self._print_case_receipt(case)

    def open_case_query(self) -> None:
        self._go(Screen.CASE_QUERY, case=CaseDraft())

    def query_case(self, digits: str) -> None:
        """The number on the slip: BC + 8-digit day + 4-digit sequence (typed as 12 digits)."""
        if self.cases is None or self.state.busy:
            return
        self.touch()
        if not re.fullmatch(r"\d{12}", digits):
            self._set(message=Message(Problem.CASE_NOT_FOUND, "format"))
            return
        number = f"BC{digits[:8]}-{digits[8:]}"
        cases = self.cases
        self._set(busy="looking_up", message=None)
        self.runner.submit(lambda: cases.progress(number), self._for_this_visit(self._case_found))

    def _case_found(self, result: Any) -> None:
        if isinstance(result, HallUnavailable):
            self._set(busy=None, message=Message(Problem.HALL_DOWN))
        elif isinstance(result, Exception) or result is None:
            self._set(busy=None, message=Message(Problem.CASE_NOT_FOUND))
        else:
            self._set(busy=None, case=CaseDraft(query=result))

    def set_language(self, language: str) -> None:
        self.touch()
        self.language = language
        self.changed.emit(self.state)

    # -- time -----------------------------------------------------------------------------
    def poll(self) -> None:
        """Called about once a second: inactivity prompt, its deadline, thank-you timeout."""
        now = self.clock()
        s = self.state
        if s.screen is Screen.THANKS:
            thanks_s = self.config.thanks_s * self._time_factor()
            if self._thanks_since is not None and now - self._thanks_since >= thanks_s:
                self.home()
            return
        if s.screen is Screen.RATE_DONE and s.rating is not None and s.rating.result == "sending":
            if now - self._rating_sent_at >= RATING_CONFIRM_S:
                self._set(rating=replace(s.rating, result="queued"))  # kept; sent when it can be
        if s.screen is Screen.HOME or s.busy:
            return
        if s.idle_prompt:
            if s.idle_deadline is not None and now >= s.idle_deadline:
                log.info("visit ended after inactivity")
                self.home()
        elif now - self._last_activity >= self.config.inactivity_s * self._time_factor():
            grace = self.config.inactivity_grace_s * self._time_factor()
            self._set(idle_prompt=True, idle_deadline=now + grace)

    def _time_factor(self) -> float:
        return self.config.elder_timeout_factor if self.state.elder else 1.0

    def idle_seconds_left(self) -> int:
        d = self.state.idle_deadline
        return max(0, round(d - self.clock())) if d is not None else 0

    # -- what the printer gets ------------------------------------------------------------
    def _where(self, group_id: str) -> str:
        g = self.catalog.group(group_id)
        return (
            f"{g.name} {g.location}" if self.language == "zh" else f"{g.name_en}, {g.location_en}"
        )

    def notice_print(self) -> NoticePrint:
        entry = self.entry
        assert entry is not None
        zh = self.language == "zh"
        return NoticePrint(
            hall_name=self.catalog.hall_name if zh else self.catalog.hall_name_en,
            title=entry.name if zh else entry.name_en,
            materials=tuple(
                NoticeMaterial(m.name if zh else m.name_en, m.core) for m in self.materials()
            ),
            time_limit=entry.time_limit if zh else entry.time_limit_en,
            fee=entry.fee if zh else entry.fee_en,
            where=self._where(entry.group),
            issued_at=self.now(),
        )

    def case_slip(self, case: dict[str, Any]) -> NoticePrint:
        """The receipt of a 办不成事 case, printed under its window's ticket. A case kept in
        the outbox (hall server down) gets a receipt that says so, with the kiosk's local
        reference and the window — never a case number the server has not given."""
        group = self.catalog.group("unresolved")
        zh = self.language == "zh"
        where = f"{group.name} {group.location}" if zh else f"{group.name_en}, {group.location_en}"
        if case.get("pending"):
            return NoticePrint(
                hall_name=self.catalog.hall_name if zh else self.catalog.hall_name_en,
                title=("办不成事反映 已记录，待登记 本机编号 " if zh
                       else "Case recorded, to be registered; kiosk reference ") + case["reference"],
                materials=(),
                time_limit="系统恢复后自动登记，首接负责人会电话回访，不必重复反映" if zh
                else "registered automatically when the system is back; we will call you,"
                " no need to report it again",
                fee=("回访电话 " if zh else "We will call ") + case.get("phone_masked", ""),
                where=where,
                issued_at=self.now(),
                heading="办不成事反映回执" if zh else "Case receipt",
            )  # fmt: skip
        limits = (
            f"{case['respond_due_at'][11:16]}前响应；{case['coordinate_due_on']}前协调；"
            f"{case['close_due_on']}前办结" if zh else
            f"answer by {case['respond_due_at'][11:16]}; coordinated by {case['coordinate_due_on']};"
            f" closed by {case['close_due_on']}"
        )  # fmt: skip
        return NoticePrint(
            hall_name=self.catalog.hall_name if zh else self.catalog.hall_name_en,
            title=("办不成事反映 受理回执 " if zh else "Case receipt ") + case["case_number"],
            materials=(),
            time_limit=limits,
            fee=("回访电话 " if zh else "We will call ") + case.get("phone_masked", ""),
            where=where,
            issued_at=self.now(),
            heading="办不成事反映回执" if zh else "Case receipt",  # when printed on its own
        )

    def ticket_print(self, ticket: Ticket) -> TicketPrint:
        entry = self.catalog.entry(ticket.service_id)
        group = self.catalog.group(ticket.window_group)
        zh = self.language == "zh"
        return TicketPrint(
            hall_name=self.catalog.hall_name if zh else self.catalog.hall_name_en,
            number=ticket.number,
            service_name=entry.name if zh else entry.name_en,
            window_group=group.name if zh else group.name_en,
            location=group.location if zh else group.location_en,
            people_ahead=ticket.people_ahead,
            estimated_wait_min=ticket.estimated_wait_min,
            issued_at=ticket.issued_at,
            qr_data=ticket.qr_data,
            masked_name=ticket.masked_name,
            priority=ticket.priority,
            footer=(
                f"请留意叫号。{self.catalog.missed_call_rule}"
                if zh
                else f"Listen for your number. {self.catalog.missed_call_rule_en}"
            ),
        )


def _device_detail(exc: BaseException) -> str:
    if isinstance(exc, PrinterError) and exc.status is not None:
        return str(getattr(exc.status, "state", "error"))
    if isinstance(exc, DeviceError):
        return type(exc).__name__
    if isinstance(exc, HallError):
        return "hall"
    return type(exc).__name__
