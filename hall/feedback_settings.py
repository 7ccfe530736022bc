"""Settings shared by ratings (好差评), their follow-ups and 办不成事 cases.

Everything a province or hall decides differently is here, read once from the environment
when the app is built (a bad value stops the server at start with one clear line):

=============================  =================================================  =========
env                            meaning                                            default
=============================  =================================================  =========
HALL_RATING_CODES              ``national`` (1 = 非常满意 … 5 = 非常不满意) or    national
                               ``provincial`` (5 = 非常满意 … 1 = 非常不满意)
HALL_RATING_CODE_MAP           explicit map, overrides the above:                 —
                               ``very_satisfied=5,satisfied=4,basic=3,…``
HALL_RATING_REASONS            reasons a citizen may pick (comma separated)       see below
HALL_DIVISION_CODE             行政区划代码 of the hall, 6 digits                 000000
HALL_RATING_MAX_AGE_DAYS       oldest kiosk-reported rating time accepted, days   30
HALL_FOLLOWUP_PLAN_DAYS        差评: working days to verify and plan (核实)       3
HALL_FOLLOWUP_RECTIFY_DAYS     差评: working days to rectify and answer          15
HALL_FOLLOWUP_RECHECK_DAYS     差评: working days after the answer to re-check   5
                               (复核, by another member of staff)
HALL_CASE_CATEGORIES           办不成事 category tags (comma separated)            see below
HALL_CASE_RESPOND_HOURS        办不成事: hours to first response (ordinary)        1
HALL_CASE_URGENT_RESPOND_HOURS 办不成事 紧急: hours to first response               0.25
HALL_CASE_MANY_RESPOND_HOURS   办不成事 涉及多人或弱势群体: hours to first response   0.5
HALL_CASE_COORDINATE_DAYS      办不成事: working days to coordinate                3
HALL_CASE_CLOSE_DAYS           办不成事: working days to close                     7
HALL_WORK_CALENDAR, HALL_HOLIDAYS, HALL_MAKEUP_WORKDAYS: see ``hall.workdays``
=============================  =================================================  =========

Satisfaction levels are stored as neutral names (``very_satisfied`` …), never as numbers:
the number is a property of the *target* an export goes to, chosen at export time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import Request

from contract.errors import ConfigError
from contract.vocab import (
    DEFAULT_CASE_CATEGORIES,
    DEFAULT_RATING_REASONS,
    LEVELS,
)
from hall.workdays import WorkCalendar, calendar_from_env

log = logging.getLogger(__name__)

CODE_PRESETS: dict[str, dict[str, int]] = {
    # GB/T 39046 national data standard.
    "national": {level: i + 1 for i, level in enumerate(LEVELS)},
    # Several provincial interfaces: higher is better.
    "provincial": {level: 5 - i for i, level in enumerate(LEVELS)},
}

DEFAULT_REASONS = DEFAULT_RATING_REASONS
DEFAULT_DIVISION_CODE = "000000"
_DIVISION = re.compile(r"^\d{6}$")
MAX_TAG_CHARS = 20


@dataclass(frozen=True)
class FeedbackSettings:
    """One hall's rules for ratings, follow-ups and cases (see the module docstring)."""

    code_map: Mapping[str, int] = field(default_factory=lambda: dict(CODE_PRESETS["national"]))
    code_direction: str = "national"
    reasons: tuple[str, ...] = DEFAULT_REASONS
    division_code: str = DEFAULT_DIVISION_CODE
    channel: str = "kiosk"
    rating_max_age_days: int = 30
    clock_skew_s: int = 300
    """How far in the future a kiosk-reported time may be (its clock runs fast), seconds."""
    followup_plan_days: int = 3
    followup_rectify_days: int = 15
    followup_recheck_days: int = 5
    case_categories: tuple[str, ...] = DEFAULT_CASE_CATEGORIES
    case_prefix: str = "BC"
    case_respond_hours: float = 1.0
    case_urgent_respond_hours: float = 0.25
    case_many_respond_hours: float = 0.5
    case_coordinate_days: int = 3
    case_close_days: int = 7
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def respond_hours_for(self, severity: str) -> float:
        """The response clock of a case of this severity (contract.vocab.CASE_SEVERITIES)."""
        return {
            "urgent": self.case_urgent_respond_hours,
            "many_or_vulnerable": self.case_many_respond_hours,
        }.get(severity, self.case_respond_hours)

    def __post_init__(self) -> None:
        check_code_map(self.code_map)
        if not _DIVISION.match(self.division_code):
            raise ConfigError(
                f"division code must be 6 digits (行政区划代码), got {self.division_code!r}"
            )
        for name, tags in (
            ("rating reasons", self.reasons),
            ("case categories", self.case_categories),
        ):
            if not tags or len(set(tags)) != len(tags):
                raise ConfigError(f"{name}: need a non-empty list without duplicates")
            if any(not t or len(t) > MAX_TAG_CHARS for t in tags):
                raise ConfigError(f"{name}: each entry 1 to {MAX_TAG_CHARS} characters")
        days = {
            "follow-up plan days": self.followup_plan_days,
            "follow-up rectify days": self.followup_rectify_days,
            "follow-up recheck days": self.followup_recheck_days,
            "case coordinate days": self.case_coordinate_days,
            "case close days": self.case_close_days,
            "rating max age days": self.rating_max_age_days,
        }
        for name, value in days.items():
            if not 1 <= value <= 365:
                raise ConfigError(f"{name} must be 1 to 365, got {value}")
        if self.followup_rectify_days < self.followup_plan_days:
            raise ConfigError("follow-up rectify days must not be fewer than plan days")
        if self.case_close_days < self.case_coordinate_days:
            raise ConfigError("case close days must not be fewer than coordinate days")
        for hours in (self.case_urgent_respond_hours, self.case_many_respond_hours):
            if not 0 < hours <= 72:
                raise ConfigError(f"case respond hours must be in (0, 72], got {hours}")
        if not 0 < self.case_respond_hours <= 72:
            raise ConfigError(
                f"case respond hours must be in (0, 72], got {self.case_respond_hours}"
            )

    def code(self, level: str, direction: str | None = None) -> int:
        """The satisfaction code of ``level`` in this hall's (or a preset's) direction."""
        mapping = CODE_PRESETS[direction] if direction else self.code_map
        return mapping[level]

    def local_day(self, when: dt.datetime) -> dt.date:
        """The hall-local calendar day of an aware instant."""
        return when.astimezone(self.tz).date()


def check_code_map(mapping: Mapping[str, int]) -> None:
    """A code map must give each of the five levels a distinct code 1–5."""
    if set(mapping) != set(LEVELS) or sorted(mapping.values()) != [1, 2, 3, 4, 5]:
        raise ConfigError(
            "rating code map must give each level (" + ", ".join(LEVELS) + ") one of the"
            f" codes 1–5, each code once; got {dict(mapping)}"
        )


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[,，;；\n]+", value) if p.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None


def parse_code_map(value: str) -> dict[str, int]:
    """``very_satisfied=5,satisfied=4,…`` → mapping (validated)."""
    mapping: dict[str, int] = {}
    for part in _split(value):
        level, sep, code = part.partition("=")
        if not sep or not code.strip().isdigit():
            raise ConfigError(f"HALL_RATING_CODE_MAP: {part!r} is not LEVEL=CODE")
        mapping[level.strip()] = int(code)
    check_code_map(mapping)
    return mapping


def settings_from_env(tz: ZoneInfo, env: Mapping[str, str] | None = None) -> FeedbackSettings:
    """Settings from the environment variables in the module docstring."""
    env = os.environ if env is None else env
    direction = env.get("HALL_RATING_CODES", "").strip().lower() or "national"
    if direction not in CODE_PRESETS:
        raise ConfigError(
            f"HALL_RATING_CODES: {direction!r} is unknown; use national (1 = 非常满意)"
            " or provincial (5 = 非常满意)"
        )
    code_map = dict(CODE_PRESETS[direction])
    if explicit := env.get("HALL_RATING_CODE_MAP", "").strip():
        code_map, direction = parse_code_map(explicit), "custom"
    division = env.get("HALL_DIVISION_CODE", "").strip() or DEFAULT_DIVISION_CODE
    if division == DEFAULT_DIVISION_CODE:
        log.warning("HALL_DIVISION_CODE not set: ratings are exported with division 000000")
    settings = FeedbackSettings(
        code_map=code_map,
        code_direction=direction,
        reasons=_split(env.get("HALL_RATING_REASONS", "")) or DEFAULT_REASONS,
        division_code=division,
        rating_max_age_days=_int(env, "HALL_RATING_MAX_AGE_DAYS", 30),
        followup_plan_days=_int(env, "HALL_FOLLOWUP_PLAN_DAYS", 3),
        followup_rectify_days=_int(env, "HALL_FOLLOWUP_RECTIFY_DAYS", 15),
        followup_recheck_days=_int(env, "HALL_FOLLOWUP_RECHECK_DAYS", 5),
        case_categories=_split(env.get("HALL_CASE_CATEGORIES", "")) or DEFAULT_CASE_CATEGORIES,
        case_respond_hours=_float(env, "HALL_CASE_RESPOND_HOURS", 1.0),
        case_urgent_respond_hours=_float(env, "HALL_CASE_URGENT_RESPOND_HOURS", 0.25),
        case_many_respond_hours=_float(env, "HALL_CASE_MANY_RESPOND_HOURS", 0.5),
        case_coordinate_days=_int(env, "HALL_CASE_COORDINATE_DAYS", 3),
        case_close_days=_int(env, "HALL_CASE_CLOSE_DAYS", 7),
        calendar=calendar_from_env(env),
        tz=tz,
    )
    log.info(
        "feedback settings: codes %s, division %s, follow-up %d/%d working days",
        direction, division, settings.followup_plan_days, settings.followup_rectify_days,
    )  # fmt: skip
    return settings


# -- access from request handlers ----------------------------------------------------------
_INSTALL_LOCK = threading.Lock()


async def get_settings(request: Request) -> FeedbackSettings:
    """The app's feedback settings (``app.state.feedback``) as a FastAPI dependency.

    ``async`` on purpose: a plain ``def`` dependency costs a thread-pool hop per request.
    Loads them from the environment on first use if ``hall.feedback.feedback_router``
    did not install them.
    """
    return current_settings(request.app)


def current_settings(app: object) -> FeedbackSettings:
    state = app.state  # type: ignore[attr-defined]
    settings: FeedbackSettings | None = getattr(state, "feedback", None)
    if settings is None:
        with _INSTALL_LOCK:
            settings = getattr(state, "feedback", None)
            if settings is None:
                settings = settings_from_env(app_timezone(app))
                state.feedback = settings
    return settings


def app_timezone(app: object) -> ZoneInfo:
    """The hall time zone the queue uses (one source of truth for the service day)."""
    tz = getattr(getattr(getattr(app, "state", None), "queue", None), "tz", None)
    if isinstance(tz, ZoneInfo):
        return tz
    return ZoneInfo(os.environ.get("HALL_TIMEZONE") or "Asia/Shanghai")


def request_now(request: Request) -> dt.datetime:
    """The request's "now" from ``app.state.clock`` (aware; tests move it by hand)."""
    now: dt.datetime = request.app.state.clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return aware datetimes")
    return now
