"""评价 (好差评): find the visit (ticket number, its QR, the ID card, or the self-service
area), the five levels, reasons of a bad review, delivery through the durable outbox.
Owns the state part ``rating`` (a ``RatingDraft``). Staff can never rate (``staff_mode``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from contract import vocab
from contract.scrub import scrub_text
from devices.idcard.card import IdCard
from kiosk.hall_client import HallError, HallUnavailable
from kiosk.identity import Holder
from kiosk.visit import Message, Problem, Screen, Visit

log = logging.getLogger(__name__)

LEVELS = vocab.LEVELS
BAD_LEVELS = vocab.BAD_LEVELS  # 差评: reasons required, followed up

RATING_REASONS = vocab.DEFAULT_RATING_REASONS
"""Reasons of a bad review as the hall server's default list; the server's own list
(``GET /api/v1/ratings/options``, HALL_RATING_REASONS) replaces it when it answers."""
RATING_COMMENT_MAX = vocab.COMMENT_MAX  # characters
COMMENT_PHRASES = ("等候时间太长", "工作人员不在窗口", "材料要求前后不一致", "系统故障没办成")
"""Quick phrases a citizen taps for the optional comment of a bad review (sent in Chinese)."""

OPTIONS_REFRESH_S = 60.0  # ask the hall server for its reasons at most this often
RATING_CONFIRM_S = 3.0  # no confirmation by then: tell the citizen it is kept and will be sent


@dataclass(frozen=True)
class TodaysTicket:
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
    visits: tuple[TodaysTicket, ...] | None = None
    result: str | None = None  # "sending", "confirmed", "queued" (server down), "duplicate"

    @property
    def full_comment(self) -> str:
        """Phrases and typed text as one comment, within the server's limit."""
        parts = [*self.phrases, self.comment.strip()]
        return "；".join(p for p in parts if p)[:RATING_COMMENT_MAX]


class RatingSink(Protocol):
    def options(self) -> dict[str, Any]: ...

    def lookup(self, number: str) -> dict[str, Any] | None: ...

    def lookup_scanned(self) -> dict[str, Any]: ...

    def visits_of(self, holder: Holder) -> list[TodaysTicket]: ...

    def submit(self, key: str, draft: RatingDraft, language: str) -> None: ...


class ScanFailed(Exception):
    """The ticket's QR could not be read; ``code`` as Problem.QR_UNREADABLE's detail."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class RatingJourney:
    def __init__(self, visit: Visit, sink: RatingSink | None = None) -> None:
        self.visit = visit
        self.sink = sink
        self.staff_mode = False  # set by the staff panel while it is open: no rating at all
        self.reasons: tuple[str, ...] = RATING_REASONS  # the server's, once it answered
        self.comment_max = RATING_COMMENT_MAX
        self._options_asked: float | None = None
        self._sent_at = 0.0
        visit.add_part("rating", None)
        visit.on_card(Screen.RATE_FIND, self._card)
        visit.on_back(Screen.RATE_FIND, visit.home)
        visit.on_back(Screen.RATE_LEVEL, lambda: visit.go(Screen.RATE_FIND, rating=RatingDraft()))
        visit.on_back(
            Screen.RATE_REASONS, lambda: visit.go(Screen.RATE_LEVEL, rating=visit.state.rating)
        )
        visit.on_poll(self._poll)

    def _refuse_staff(self) -> bool:
        """Staff must never submit, steer or alter a rating (引导好评 is forbidden)."""
        if not self.staff_mode:
            return False
        log.warning("rating refused: staff mode is on")
        self.visit.touch()
        self.visit.update(screen=Screen.RATE_FIND, rating=None, busy=None,
                          message=Message(Problem.STAFF_MODE))  # fmt: skip
        return True

    def _poll(self, now: float) -> None:
        s = self.visit.state
        if s.screen is Screen.RATE_DONE and s.rating is not None and s.rating.result == "sending":
            if now - self._sent_at >= RATING_CONFIRM_S:
                self.visit.update(rating=replace(s.rating, result="queued"))  # kept; sent later

    def open(self) -> None:
        if not self._refuse_staff():
            self.visit.go(Screen.RATE_FIND, rating=RatingDraft())
            self._load_options()

    def _load_options(self) -> None:
        """Ask the hall server for its current lists in the background (at most once every
        OPTIONS_REFRESH_S); the screen shows the last known (or built-in) lists meanwhile
        and keeps them if the server is down."""
        if self.sink is not None:
            self._options_asked = self.visit.ask_throttled(
                self._options_asked, OPTIONS_REFRESH_S, self.sink.options, self._options
            )

    def _options(self, result: Any) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            return  # server down: the built-in (or last fetched) reasons stay
        reasons = tuple(str(r) for r in result.get("reasons") or ())
        limit = result.get("comment_max")
        changed = False
        if reasons and reasons != self.reasons:
            self.reasons, changed = reasons, True
        if isinstance(limit, int) and 0 < limit != self.comment_max:
            self.comment_max, changed = limit, True
        if changed and self.visit.state.screen in (Screen.RATE_FIND, Screen.RATE_LEVEL,
                                                   Screen.RATE_REASONS):  # fmt: skip
            self.visit.republish()

    def rate_self_service(self) -> None:
        """The self-service area itself is rated (no ticket needed)."""
        if self._refuse_staff():
            return
        self.visit.go(Screen.RATE_LEVEL, rating=RatingDraft())

    def find_ticket(self, raw: str) -> None:
        v = self.visit
        number = raw.strip().upper()
        if self.sink is None or v.state.busy or self._refuse_staff():
            return
        v.touch()
        if not re.fullmatch(r"[A-Z]\d{3,4}", number):
            v.update(message=Message(Problem.TICKET_NOT_FOUND, "format"))
            return
        v.update(busy="looking_up", message=None)
        sink = self.sink
        v.runner.submit(lambda: sink.lookup(number),
                        v.for_this_visit(lambda result: self._found(number, result)))  # fmt: skip

    def scan_ticket(self) -> None:
        """扫描小票二维码: capture from the scanner and read the ticket's QR (off the GUI
        thread), then look the ticket up as a typed number is."""
        v = self.visit
        if (
            self.sink is None
            or v.state.busy
            or v.state.screen is not Screen.RATE_FIND
            or self._refuse_staff()
        ):
            return
        v.touch()
        v.update(busy="scanning", message=None)
        v.runner.submit(self.sink.lookup_scanned, v.for_this_visit(self._scanned))

    def _scanned(self, result: Any) -> None:
        v = self.visit
        if isinstance(result, HallError):  # the QR was read; the hall server refused or failed
            log.warning("looking up a scanned ticket failed: %s", type(result).__name__)
            problem = (
                Problem.HALL_DOWN if isinstance(result, HallUnavailable) else Problem.HALL_REJECTED
            )
            v.update(busy=None, message=Message(problem, type(result).__name__))
        elif isinstance(result, Exception):
            code = result.code if isinstance(result, ScanFailed) else "scanner"
            if code == "scanner":
                cause = type(result.__cause__ or result).__name__
                log.warning("scanning a ticket failed: %s", cause)
                v.staff_alert.emit("scanner:unavailable")
            v.update(busy=None, message=Message(Problem.QR_UNREADABLE, code))
        else:
            self._found(result.get("number") or None, result)

    def _found(self, number: str | None, result: Any) -> None:
        v = self.visit
        if isinstance(result, HallUnavailable):
            # the server is down: the rating is kept in the outbox and checked on delivery
            v.go(Screen.RATE_LEVEL, busy=None, rating=RatingDraft(ticket_number=number))
        elif isinstance(result, Exception) or result is None:
            v.update(busy=None, message=Message(Problem.TICKET_NOT_FOUND, "unknown"))
        elif result.get("offline"):  # scanned with the server down: the id is enough
            draft = RatingDraft(ticket_number=number, ticket_id=result["ticket_id"])
            v.go(Screen.RATE_LEVEL, busy=None, rating=draft)
        elif result.get("not_served"):
            v.update(busy=None, message=Message(Problem.TICKET_NOT_FOUND, "not_served"))
        elif result.get("rated"):
            v.update(busy=None, message=Message(Problem.ALREADY_RATED))
        else:
            draft = RatingDraft(ticket_number=number, ticket_id=result.get("ticket_id"),
                                service_id=result.get("service_id"),
                                rating_count=2 if result.get("followup") else 1)  # fmt: skip
            v.go(Screen.RATE_LEVEL, busy=None, rating=draft)

    def _card(self, card: IdCard) -> None:
        """A card on the find screen: the holder's tickets of today, to choose from. The ID
        number goes to the hall server in the request body only (hashed there at once, as
        when the ticket was taken); it is not kept in the state."""
        holder = Holder.from_card(card)
        v = self.visit
        if self.sink is None or v.state.busy or self._refuse_staff():
            return
        v.touch()
        v.update(busy="looking_up", message=None, rating=RatingDraft())
        sink = self.sink
        v.runner.submit(lambda: sink.visits_of(holder),
                        v.for_this_visit(self._visits_found))  # fmt: skip

    def _visits_found(self, result: Any) -> None:
        v = self.visit
        if isinstance(result, Exception):
            log.warning("listing the card holder's tickets failed: %s", type(result).__name__)
            v.update(busy=None, message=Message(Problem.HALL_DOWN, "visits"))
        elif not result:
            v.update(busy=None, message=Message(Problem.NO_VISITS))
        else:
            v.update(busy=None, rating=RatingDraft(visits=tuple(result)))

    def choose_visit(self, ticket_id: str) -> None:
        """One of the listed tickets: rate it, or say why it cannot be rated."""
        v = self.visit
        draft = v.state.rating
        if draft is None or not draft.visits or v.state.busy or self._refuse_staff():
            return
        chosen_ticket = next((t for t in draft.visits if t.ticket_id == ticket_id), None)
        if chosen_ticket is None:
            return
        v.touch()
        if chosen_ticket.state == "rated":
            v.update(message=Message(Problem.ALREADY_RATED))
        elif chosen_ticket.state == "not_served":
            v.update(message=Message(Problem.TICKET_NOT_FOUND, "not_served"))
        else:
            chosen = RatingDraft(ticket_number=chosen_ticket.number,
                                 ticket_id=chosen_ticket.ticket_id,
                                 service_id=chosen_ticket.service_id,
                                 rating_count=2 if chosen_ticket.state == "followup_rateable"
                                 else 1)  # fmt: skip
            v.go(Screen.RATE_LEVEL, rating=chosen)

    def choose_level(self, level: str) -> None:
        v = self.visit
        draft = v.state.rating
        if self._refuse_staff():
            return
        if draft is None or level not in LEVELS or v.state.screen is not Screen.RATE_LEVEL:
            return
        draft = replace(draft, level=level, reasons=(), phrases=(), comment="")
        if level in BAD_LEVELS:
            v.go(Screen.RATE_REASONS, rating=draft)  # a bad review says why
        else:
            v.update(rating=draft)
            self.submit()

    def toggle_reason(self, reason: str) -> None:
        v = self.visit
        draft = v.state.rating
        if draft is None or (reason not in self.reasons and reason not in draft.reasons):
            return
        v.touch()
        reasons = tuple(r for r in draft.reasons if r != reason)
        if reason not in draft.reasons:
            reasons += (reason,)
        v.update(rating=replace(draft, reasons=reasons), message=None)

    def toggle_comment_phrase(self, phrase: str) -> None:
        """A quick phrase of the optional comment, tapped on or off."""
        v = self.visit
        draft = v.state.rating
        if draft is None or phrase not in COMMENT_PHRASES:
            return
        v.touch()
        phrases = tuple(p for p in draft.phrases if p != phrase)
        if phrase not in draft.phrases:
            phrases += (phrase,)
        v.update(rating=replace(draft, phrases=phrases), message=None)

    def submit(self, comment: str | None = None) -> None:
        """Written to the durable outbox first; confirmed on screen when the server has it.
        ``comment``: the typed part of a bad review's optional comment."""
        v = self.visit
        draft = v.state.rating
        if self._refuse_staff():
            return
        if draft is None or draft.level is None or draft.result is not None or self.sink is None:
            return
        if comment is not None:
            draft = replace(draft, comment=" ".join(comment.split())[: self.comment_max])
        if draft.level in BAD_LEVELS and not draft.reasons:
            v.update(rating=draft, message=Message(Problem.REASON_NEEDED))
            return
        if draft.comment:  # numbers and names leave the kiosk masked (see journeys/case.py)
            holder = v.state.holder
            known = (holder.name,) if holder is not None and holder.name else ()
            draft = replace(draft, comment=scrub_text(draft.comment, known))
        key = f"{v.state.session_id}:rating"
        self.sink.submit(key, draft, v.language)
        self._sent_at = v.clock()
        v.go(Screen.RATE_DONE, rating=replace(draft, result="sending"))

    def settled(self, key: str, outcome: str) -> None:
        """The outbox delivered (``confirmed``) or the server refused (``duplicate``)."""
        v = self.visit
        draft = v.state.rating
        if draft is None or key != f"{v.state.session_id}:rating":
            return
        v.update(rating=replace(draft, result=outcome))
