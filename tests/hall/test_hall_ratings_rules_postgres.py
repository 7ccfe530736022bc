"""The rating rules of test_hall_ratings.py, again on PostgreSQL, where ratings take the
event-loop fast path (``hall.ratings_pg``) instead of the SQLAlchemy one; plus what only
that path does: re-checking a cached kiosk token with the rating's first statement."""

from __future__ import annotations

import pytest
import test_hall_ratings as rules
from ratings_support import FeedbackHall, fb_fixture, fb_pg_fixture  # noqa: F401

from hall.db import add_kiosk

pytestmark = pytest.mark.postgres

SHARED_RULES = [
    "test_a_served_ticket_is_rated_once_and_attributed",
    "test_replay_with_the_same_key_returns_the_first_result",
    "test_a_second_rating_of_the_same_ticket_is_409_with_a_kind_message",
    "test_a_key_reused_for_another_ticket_is_409",
    "test_staff_tokens_can_never_submit_ratings",
    "test_good_reviews_need_no_reason_and_reasons_come_from_the_list",
    "test_a_ticket_must_have_reached_a_window",
    "test_a_typed_ticket_number_finds_todays_ticket",
    "test_the_self_service_area_is_rated_without_a_ticket",
    "test_rated_at_is_the_kiosks_time_within_bounds",
    "test_kiosk_id_in_the_body_must_match_the_token",
    "test_a_second_rating_is_possible_only_after_a_bad_review_was_answered",
    "test_numbers_typed_into_a_comment_are_masked",
]


@pytest.mark.parametrize("rule", SHARED_RULES)
def test_the_rule_holds_on_postgresql(rule: str, fb_pg: FeedbackHall) -> None:
    getattr(rules, rule)(fb_pg)


@pytest.mark.parametrize("backend", ["fb", "fb_pg"])
def test_a_rotated_kiosk_token_is_refused_at_once(
    backend: str, request: pytest.FixtureRequest
) -> None:
    fb: FeedbackHall = request.getfixturevalue(backend)
    fb.rate(fb.served_ticket()["id"])  # the token is now in the server's cache
    old = fb.kiosk_token
    fb.kiosk_token = add_kiosk(fb.db_url, "kiosk-1")  # rotated (python -m hall add-kiosk)
    ticket = fb.served_ticket()
    stale = {"Authorization": f"Bearer {old}"}
    fb.rate(ticket["id"], headers=stale, expect=401)
    fb.rate(ticket["id"], headers=stale, expect=401)  # and it left the cache
    assert fb.rate(ticket["id"])["seq"] == 2
    assert fb.sql("SELECT count(*) FROM ratings") == [(2,)]
