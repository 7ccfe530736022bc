"""Rating (好差评) and 办不成事 case vocabularies and limits, as both sides use them.

Satisfaction levels are neutral names (``very_satisfied`` …), never numbers: the number is
a property of the target an export goes to (the hall's ``HALL_RATING_CODES``).
"""

from __future__ import annotations

from typing import Literal, get_args

Level = Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
LEVELS: tuple[Level, ...] = get_args(Level)
"""Best first."""
BAD_LEVELS: frozenset[str] = frozenset({"dissatisfied", "very_dissatisfied"})
"""差评: need reasons, get a follow-up (核实、整改、反馈)."""
GOOD_LEVELS: frozenset[str] = frozenset({"very_satisfied", "satisfied", "basic"})
"""Count as satisfied in the satisfaction rate."""
LEVEL_NAMES_ZH: dict[str, str] = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
RatingTarget = Literal["ticket", "self_service_area"]
RATING_TARGETS: tuple[RatingTarget, ...] = get_args(RatingTarget)
COMMENT_MAX = 200
"""Characters of a rating's comment."""
MAX_REASONS = 10
DEFAULT_RATING_REASONS = ("态度", "效率", "一次性告知不到位", "多次跑动", "环境", "其他")
"""Reasons of a bad review unless the hall configures its own (HALL_RATING_REASONS)."""

CASE_CONDITIONS: dict[str, str] = {
    "tried_normal_channel": "已通过正常渠道办理但未办成",
    "overlapping_duties": "涉及多个部门职责交叉",
    "policy_room": "政策有空间、可以探索办理",
}
"""办不成事 acceptance conditions (at least one must hold), with their Chinese wording."""
DEFAULT_CASE_CATEGORIES = (
    "跨部门协调",
    "政策不明确",
    "历史遗留问题",
    "证明材料",
    "系统平台问题",
    "办理时限",
    "其他",
)
"""办不成事 category tags unless the hall configures its own (HALL_CASE_CATEGORIES)."""
CASE_DESCRIPTION_MAX = 500
CASE_MAX_CATEGORIES = 5
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
"""Mainland China mobile numbers (a case's call-back number)."""

PrecheckStatus = Literal["present_fine", "present_unreadable", "wrong_document", "missing"]
"""材料预审: what the kiosk found for one material of the checklist."""
PrecheckOverall = Literal["complete", "can_queue_with_rongque", "core_missing"]
"""材料预审: the verdict over the whole checklist (容缺 counts as queueable)."""
