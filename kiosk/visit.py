"""The citizen's visit: the small core every journey is built on (Qt-free).

A ``Visit`` holds what one citizen's visit is — the screen shown, why they came (purpose),
the item chosen, who they are (if identified), 长辈版, the inactivity prompt and a session
id — and publishes every change on ``changed``. It knows no journey: the journeys (ticket,
pre-check, rating, case, help in ``kiosk/journeys/``) import it and register with it

- the part of the state each owns (``add_part``: a name and its value at the start of a
  visit; it reads as an attribute of the state, ``state.rating``),
- what ``back`` does on their screens (``on_back``), what a card read on their screens
  means (``on_card``), what happens every second (``on_poll``) and when the visit ends
  (``ended``).

Blocking work goes through the ``Runner``; ``for_this_visit`` wraps its callback so a late
result (the citizen already went home) never reaches the next visit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from contract.catalog import Catalog
from devices.idcard.card import IdCard
from kiosk.events import Event
from kiosk.identity import Holder
from kiosk.runner import Runner

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
    PRECHECK = "precheck"  # 材料预审: page by page under the camera (kiosk/journeys/precheck.py)
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
    CARD = "card"  # the reader could not read the card; detail: the device error's code
    TICKET_NOT_FOUND = "ticket_not_found"  # rating: no such ticket today
    ALREADY_RATED = "already_rated"  # rating: one rating per ticket (一次一评)
    REASON_NEEDED = "reason_needed"  # rating: a bad review needs a reason
    CASE_INVALID = "case_invalid"  # detail: condition, category, phone, consent
    CASE_NOT_FOUND = "case_not_found"
    CASE_RATING = "case_rating"  # detail: tail_format, tail_mismatch, too_many_tries, …
    NOTICE_PRINTER = "notice_printer"
    QR_UNREADABLE = "qr_unreadable"  # rating: detail no_page, no_qr, not_ticket, scanner
    NO_VISITS = "no_visits"  # rating: the card holder has no ticket today
    STAFF_MODE = "staff_mode"  # rating: staff can never rate (the staff panel is open)
    SMS_INVALID = "sms_invalid"  # 短信提醒: detail length, prefix (not a mobile number)
    SMS_FAILED = "sms_failed"  # 短信提醒: the number could not be kept (outbox fault)


@dataclass(frozen=True)
class Message:
    problem: Problem
    detail: str = ""  # a code or staff detail, never personal data
    # the device's own words for the citizen (devices/errors.py), when a device failed
    text_zh: str = field(default="", compare=False)
    text_en: str = field(default="", compare=False)


@dataclass(frozen=True)
class State:
    """One visit's state. The journeys' parts (``add_part``) read as attributes too:
    ``state.ticket``, ``state.rating``, ``state.case``, ``state.help``, ``state.precheck``."""

    screen: Screen = Screen.HOME
    purpose: Purpose = Purpose.TICKET
    group_id: str | None = None
    entry_id: str | None = None
    holder: Holder | None = None
    busy: str | None = None  # "issuing", "printing": the UI shows progress, blocks double taps
    message: Message | None = None
    elder: bool = False  # 长辈版: large text, voice, fewer choices, longer timeouts
    elder_offer: bool = False  # the card holder is old enough: 长辈版 is being offered
    idle_prompt: bool = False  # "still there?" is being asked
    idle_deadline: float | None = None  # monotonic seconds when the visit ends if unanswered
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    parts: dict[str, Any] = field(default_factory=dict, repr=False)  # journey → its part

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not fields: a journey's part
        parts = self.__dict__.get("parts")
        if parts is not None and name in parts:
            return parts[name]
        raise AttributeError(name)


CORE_FIELDS = frozenset(f.name for f in fields(State)) - {"parts"}


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


class Visit:
    """The visit core. ``catalog``, ``hall``, ``printer`` and ``runner`` are the services
    the journeys share (the staff panel swaps the printer and the catalog through here)."""

    def __init__(
        self,
        catalog: Catalog,
        hall: Any,
        printer: Any,
        runner: Runner,
        config: FlowConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.catalog = catalog
        self.hall = hall
        self.printer = printer
        self.runner = runner
        self.config = config or FlowConfig()
        self.clock = clock
        self.now = now
        self.language = self.config.language
        self._defaults: dict[str, Any] = {}
        self._back: dict[Screen, Callable[[], None]] = {}
        self._card: dict[Screen, Callable[[IdCard], None]] = {}
        self._poll: list[Callable[[float], None]] = []
        self.state = self._fresh()
        self.changed: Event[State] = Event()
        self.staff_alert: Event[str] = Event()  # "printer:paper_out", "printer:near_end", …
        self.card_error: Event[Exception] = Event()  # a card seen but not read
        self.ended: Event[None] = Event()  # the visit ended (home): journeys clean up
        self._last_activity = clock()
        self._thanks_since: float | None = None

    # -- registration (by the journeys) ---------------------------------------------------
    def add_part(self, name: str, default: Any = None) -> None:
        """A journey's own part of the state; ``default`` at the start of every visit."""
        if name in CORE_FIELDS or name in self._defaults:
            raise ValueError(f"state part {name!r} is taken")
        self._defaults[name] = default
        self.state = replace(self.state, parts={**self.state.parts, name: default})

    def has_part(self, name: str) -> bool:
        return name in self._defaults

    def on_back(self, screen: Screen, handler: Callable[[], None]) -> None:
        self._back[screen] = handler

    def on_card(self, screen: Screen, handler: Callable[[IdCard], None]) -> None:
        self._card[screen] = handler

    def on_poll(self, handler: Callable[[float], None]) -> None:
        """``handler(now)`` about once a second, before the inactivity check."""
        self._poll.append(handler)

    # -- publishing -----------------------------------------------------------------------
    def _fresh(self) -> State:
        return State(elder=self.config.elder_default, parts=dict(self._defaults))

    def update(self, **changes: Any) -> None:
        """Change core fields and journeys' parts together; one publication."""
        core = {k: v for k, v in changes.items() if k in CORE_FIELDS}
        parts = {k: v for k, v in changes.items() if k not in CORE_FIELDS}
        unknown = set(parts) - set(self._defaults)
        if unknown:
            raise TypeError(f"no such state field or part: {sorted(unknown)}")
        if parts:
            core["parts"] = {**self.state.parts, **parts}
        self.state = replace(self.state, **core)
        self.changed.emit(self.state)

    def republish(self) -> None:
        """Publish the unchanged state (lists from the hall server, a new catalog…)."""
        self.changed.emit(self.state)

    def touch(self) -> None:
        """Any tap: the citizen is still here."""
        self._last_activity = self.clock()
        if self.state.idle_prompt:
            self.update(idle_prompt=False, idle_deadline=None)

    def go(self, screen: Screen, **changes: Any) -> None:
        """Move to ``screen`` (clearing the message) with ``changes``, in one publication."""
        self.touch()
        self._thanks_since = self.clock() if screen is Screen.THANKS else None
        self.update(screen=screen, message=None, **changes)

    def for_this_visit(self, done: Callable[[Any], None]) -> Callable[[Any], None]:
        """A late result (the citizen already went home) must not reach the next visit."""
        sid = self.state.session_id

        def deliver(result: Any) -> None:
            if self.state.session_id == sid:
                done(result)
            else:
                log.info("result of an ended visit dropped: %s", type(result).__name__)

        return deliver

    def ask_throttled(
        self,
        last: float | None,
        every_s: float,
        ask: Callable[[], Any],
        then: Callable[[Any], None],
    ) -> float | None:
        """Run ``ask`` in the background (its answer to ``then`` while this visit lasts)
        unless it last ran (``last``, this clock) under ``every_s`` ago: a journey's lists
        from the hall server. Returns when it last ran, now included."""
        now = self.clock()
        if last is not None and now - last < every_s:
            return last
        self.runner.submit(ask, self.for_this_visit(then))
        return now

    def belongs(self, session_id: str) -> bool:
        """Whether a result started under ``session_id`` is still for this visit."""
        return self.state.session_id == session_id

    # -- moving ---------------------------------------------------------------------------
    def card_presented(self, card: IdCard) -> None:
        """A card was read: what it means depends on the screen (the journeys say)."""
        handler = self._card.get(self.state.screen)
        if handler is None:
            log.info("card read outside the identify screen; ignored")
            return
        handler(card)

    def card_failed(self, error: Exception) -> None:
        """The reader saw a card but could not read it (the journeys say what it means)."""
        self.card_error.emit(error)

    def finish(self) -> None:
        self.go(Screen.THANKS)

    def back(self) -> None:
        if self.state.busy == "issuing":
            return  # the answer is on its way; going back now could lose the number
        handler = self._back.get(self.state.screen)
        if handler is None:
            self.home()
        else:
            handler()

    def home(self) -> None:
        """End the visit: wipe its data (holder, ticket) and start a new session."""
        if self.state.busy == "issuing":
            return
        self._thanks_since = None
        self._last_activity = self.clock()
        self.ended.emit(None)
        self.language = self.config.language  # the next citizen starts in the hall's language
        self.state = self._fresh()
        self.changed.emit(self.state)

    def set_elder(self, on: bool) -> None:
        """Switch 长辈版 on or off for this visit (it ends with the visit)."""
        self.touch()
        self.update(elder=on, elder_offer=False)

    def decline_elder(self) -> None:
        self.touch()
        self.update(elder_offer=False)

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
            thanks_s = self.config.thanks_s * self.time_factor()
            if self._thanks_since is not None and now - self._thanks_since >= thanks_s:
                self.home()
            return
        for handler in self._poll:
            handler(now)
        s = self.state
        if s.screen is Screen.HOME or s.busy:
            return
        if s.idle_prompt:
            if s.idle_deadline is not None and now >= s.idle_deadline:
                log.info("visit ended after inactivity")
                self.home()
        elif now - self._last_activity >= self.config.inactivity_s * self.time_factor():
            grace = self.config.inactivity_grace_s * self.time_factor()
            self.update(idle_prompt=True, idle_deadline=now + grace)

    def time_factor(self) -> float:
        return self.config.elder_timeout_factor if self.state.elder else 1.0

    def idle_seconds_left(self) -> int:
        d = self.state.idle_deadline
        return max(0, round(d - self.clock())) if d is not None else 0
