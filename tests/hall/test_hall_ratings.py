"""好差评 intake: one rating per visit, replays, who may rate, reasons, visits lookup."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from ratings_support import ID_NUMBER, MARKET, FeedbackHall, fb_fixture  # noqa: F401

from contract.scrub import scrub_text


# -- the API rules -------------------------------------------------------------------------
def test_a_served_ticket_is_rated_once_and_attributed(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    rating = fb.rate(ticket["id"], "very_satisfied")
    assert rating["seq"] == 1
    assert rating["ticket_number"] == ticket["number"] == "B001"
    assert rating["counter"] == "5"
    assert rating["service_id"] == MARKET
    assert rating["kiosk_id"] == "kiosk-1"
    assert rating["channel"] == "kiosk"
    assert rating["rating_count"] == 1
    assert rating["followup_id"] is None
    assert len(rating["hash"]) == 64
    stored = fb.sql("SELECT staff_id, rater, division_code, level FROM ratings")
    assert stored == [(1, "anonymous", "110105", "very_satisfied")]


def test_replay_with_the_same_key_returns_the_first_result(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    body = {"idempotency_key": "outbox-17", "ticket_id": ticket["id"], "level": "satisfied"}
    first = fb.client.post("/api/v1/ratings", json=body, headers=fb.kiosk())
    again = fb.client.post("/api/v1/ratings", json=body, headers=fb.kiosk())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert fb.sql("SELECT count(*) FROM ratings") == [(1,)]
    # a late retry gets its answer even after the rules changed (here: the max age)
    fb.clock.advance(days=40)
    late = fb.client.post("/api/v1/ratings", json=body, headers=fb.kiosk())
    assert late.status_code == 200 and late.json()["id"] == first.json()["id"]


def test_a_second_rating_of_the_same_ticket_is_409_with_a_kind_message(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    fb.rate(ticket["id"], "satisfied")
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "other", "ticket_id": ticket["id"], "level": "very_dissatisfied",
              "reasons": ["态度"]},
        headers=fb.kiosk(),
    )  # fmt: skip
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "already_rated"
    assert "已经评价过了" in body["detail"] and "感谢" in body["detail"]
    assert body["ticket_number"] == "B001"
    assert fb.sql("SELECT count(*), max(level) FROM ratings") == [(1, "satisfied")]


def test_a_key_reused_for_another_ticket_is_409(fb: FeedbackHall) -> None:
    first, second = fb.served_ticket(), fb.served_ticket()
    fb.rate(first["id"], idempotency_key="same")
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "same", "ticket_id": second["id"], "level": "satisfied"},
        headers=fb.kiosk(),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "idempotency_conflict"


def test_staff_tokens_can_never_submit_ratings(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    for headers in (fb.staff(), fb.supervisor()):
        for body in (
            {"idempotency_key": "s1", "ticket_id": ticket["id"], "level": "very_satisfied"},
            {"idempotency_key": "s2", "target": "self_service_area", "level": "very_satisfied"},
        ):
            resp = fb.client.post("/api/v1/ratings", json=body, headers=headers)
            assert resp.status_code == 403
    assert fb.client.post("/api/v1/ratings", json={}).status_code == 401
    assert fb.sql("SELECT count(*) FROM ratings") == [(0,)]


def test_the_api_has_no_way_to_change_or_delete_a_rating(fb: FeedbackHall) -> None:
    rating = fb.rate(fb.served_ticket()["id"])
    paths = fb.client.get("/openapi.json").json()["paths"]
    rating_paths = {p: set(ops) for p, ops in paths.items() if p.startswith("/api/v1/ratings")}
    assert all(ops <= {"get", "post"} for ops in rating_paths.values())
    for method in ("put", "patch", "delete"):
        resp = fb.client.request(method, f"/api/v1/ratings/{rating['id']}", headers=fb.staff())
        assert resp.status_code in (404, 405)


@pytest.mark.parametrize("level", ["dissatisfied", "very_dissatisfied"])
def test_a_bad_review_without_a_reason_is_422(fb: FeedbackHall, level: str) -> None:
    ticket = fb.served_ticket()
    for reasons in ([], ["  "]):
        resp = fb.client.post(
            "/api/v1/ratings",
            json={"idempotency_key": fb.key(), "ticket_id": ticket["id"], "level": level,
                  "reasons": reasons, "comment": "太慢"},
            headers=fb.kiosk(),
        )  # fmt: skip
        assert resp.status_code == 422
        assert resp.json()["code"] == "reasons_required"
        assert "态度" in resp.json()["allowed"]
    rating = fb.rate(ticket["id"], level, reasons=["效率", "多次跑动"])
    assert rating["reasons"] == ["效率", "多次跑动"]
    assert rating["followup_id"] is not None


def test_good_reviews_need_no_reason_and_reasons_come_from_the_list(fb: FeedbackHall) -> None:
    fb.rate(fb.served_ticket()["id"], "basic")
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": fb.key(), "ticket_id": fb.served_ticket()["id"],
              "level": "dissatisfied", "reasons": ["态度", "长得丑"]},
        headers=fb.kiosk(),
    )  # fmt: skip
    assert resp.status_code == 422
    assert resp.json()["code"] == "unknown_reason"
    assert "长得丑" in resp.json()["detail"]
    fb.configure(reasons=("服务态度", "排队太久"))
    assert fb.client.get("/api/v1/ratings/options", headers=fb.kiosk()).json()["reasons"] == [
        "服务态度",
        "排队太久",
    ]
    fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["排队太久"])


def test_bad_body_shapes_are_422(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    bad_bodies = [
        {"idempotency_key": "a", "ticket_id": ticket["id"], "level": "good"},
        {"idempotency_key": "a", "level": "satisfied"},  # target ticket without a ticket
        {"idempotency_key": "a", "ticket_id": ticket["id"], "ticket_number": "B001",
         "level": "satisfied"},
        {"idempotency_key": "a", "target": "self_service_area", "ticket_id": ticket["id"],
         "level": "satisfied"},
        {"idempotency_key": "a", "ticket_id": ticket["id"], "level": "satisfied",
         "comment": "长" * 201},
        {"idempotency_key": "a", "ticket_id": ticket["id"], "level": "satisfied",
         "rated_at": "2026-11-23T09:00:00"},  # naive time
        {"idempotency_key": "a", "ticket_id": ticket["id"], "level": "satisfied", "extra": 1},
    ]  # fmt: skip
    for body in bad_bodies:
        assert fb.client.post("/api/v1/ratings", json=body, headers=fb.kiosk()).status_code == 422


def test_a_ticket_must_have_reached_a_window(fb: FeedbackHall) -> None:
    resp = fb.client.post(
        "/api/v1/tickets",
        json={"service_id": "hukou-transfer", "idempotency_key": "w"},  # counters 10–15
        headers=fb.kiosk(),
    )
    waiting = resp.json()
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "r", "ticket_id": waiting["id"], "level": "satisfied"},
        headers=fb.kiosk(),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "not_served"
    unknown = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "r2", "ticket_id": "no-such-ticket", "level": "satisfied"},
        headers=fb.kiosk(),
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "ticket_not_found"
    called = fb.served_ticket(complete=False)  # being served at the window: may rate
    assert called["status"] == "called"
    fb.rate(called["id"])


def test_a_typed_ticket_number_finds_todays_ticket(fb: FeedbackHall) -> None:
    fb.served_ticket()
    second = fb.served_ticket()
    rating = fb.rate(ticket_number="b002", level="satisfied")
    assert rating["ticket_id"] == second["id"]
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "x", "ticket_number": "B001", "service_day": "2026-11-22",
              "level": "satisfied"},
        headers=fb.kiosk(),
    )  # fmt: skip
    assert resp.status_code == 404
    # delivered a day late by the outbox: the number is looked up on the day it was rated
    first = fb.served_ticket()
    rated_at = fb.clock.now.isoformat()
    fb.clock.advance(days=1)
    while fb.served_ticket()["number"] != first["number"]:
        pass  # the next day's ticket with the same number: someone else's
    late = fb.rate(ticket_number=first["number"], level="basic", rated_at=rated_at)
    assert late["ticket_id"] == first["id"]


def test_the_self_service_area_is_rated_without_a_ticket(fb: FeedbackHall) -> None:
    first = fb.rate(target="self_service_area", level="very_satisfied")
    second = fb.rate(target="self_service_area", level="dissatisfied", reasons=["环境"])
    assert first["target"] == second["target"] == "self_service_area"
    assert first["ticket_id"] is None and first["counter"] is None
    assert second["followup_id"] is not None
    assert [s for (s,) in fb.sql("SELECT seq FROM ratings ORDER BY seq")] == [1, 2]


def test_rated_at_is_the_kiosks_time_within_bounds(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    earlier = fb.clock.now - dt.timedelta(hours=5)
    rating = fb.rate(ticket["id"], rated_at=earlier.isoformat())
    assert dt.datetime.fromisoformat(rating["rated_at"]) == earlier
    assert dt.datetime.fromisoformat(rating["received_at"]) == fb.clock.now
    for when, code in (
        (fb.clock.now + dt.timedelta(hours=1), "rated_at_in_future"),
        (fb.clock.now - dt.timedelta(days=31), "rated_at_too_old"),
    ):
        resp = fb.client.post(
            "/api/v1/ratings",
            json={"idempotency_key": fb.key(), "target": "self_service_area",
                  "level": "satisfied", "rated_at": when.isoformat()},
            headers=fb.kiosk(),
        )  # fmt: skip
        assert resp.status_code == 422 and resp.json()["code"] == code


def test_kiosk_id_in_the_body_must_match_the_token(fb: FeedbackHall) -> None:
    resp = fb.client.post(
        "/api/v1/ratings",
        json={"idempotency_key": "a", "target": "self_service_area", "level": "satisfied",
              "kiosk_id": "kiosk-2"},
        headers=fb.kiosk(),
    )  # fmt: skip
    assert resp.status_code == 403


# -- follow-up rating (rating_count 2) ------------------------------------------------------
def test_a_second_rating_is_possible_only_after_a_bad_review_was_answered(
    fb: FeedbackHall,
) -> None:
    ticket = fb.served_ticket()
    first = fb.rate(ticket["id"], "very_dissatisfied", reasons=["态度"])
    body = {"ticket_id": ticket["id"], "level": "satisfied", "rating_count": 2}
    early = fb.client.post(
        "/api/v1/ratings", json={"idempotency_key": "f1", **body}, headers=fb.kiosk()
    )
    assert early.status_code == 409 and early.json()["code"] == "followup_rating_not_open"
    for step in ("verify", "rectify", "feedback"):
        resp = fb.client.post(
            f"/api/v1/followups/{first['followup_id']}",
            json={"step": step, "note": f"{step} done"},
            headers=fb.supervisor(),
        )
        assert resp.status_code == 200, resp.text
    visits = fb.client.post(
        "/api/v1/ratings/visits", json={"ticket_id": ticket["id"]}, headers=fb.kiosk()
    ).json()
    assert visits[0]["rating_state"] == "followup_rateable"
    again = fb.rate(idempotency_key="f2", **body)
    assert again["rating_count"] == 2
    third = fb.client.post(
        "/api/v1/ratings", json={"idempotency_key": "f3", **body}, headers=fb.kiosk()
    )
    assert third.status_code == 409 and third.json()["code"] == "already_rated"


# -- visits -----------------------------------------------------------------------------------
def test_visits_by_id_card_list_todays_tickets_with_their_state(
    fb: FeedbackHall, caplog: pytest.LogCaptureFixture
) -> None:
    holder = {"id_number": ID_NUMBER, "masked_name": "张*"}
    rated = fb.served_ticket(holder=holder)
    fb.rate(rated["id"])
    open_ = fb.served_ticket(holder=holder)
    fb.served_ticket()  # someone else's
    waiting = fb.client.post(
        "/api/v1/tickets",
        json={"service_id": "hukou-transfer", "idempotency_key": "w", "holder": holder},
        headers=fb.kiosk(),
    ).json()
    resp = fb.client.post("/api/v1/ratings/visits", json={"holder": holder}, headers=fb.kiosk())
    assert resp.status_code == 200
    states = {v["ticket_id"]: v["rating_state"] for v in resp.json()}
    assert states == {rated["id"]: "rated", open_["id"]: "rateable", waiting["id"]: "not_served"}
    assert resp.json()[0]["service_name"] == "营业执照设立登记"
    # a rating of a card holder's ticket names the keyed hash, never the number
    rating = fb.rate(open_["id"])
    (rater,) = fb.sql("SELECT rater FROM ratings WHERE id = ?", rating["id"])[0]
    assert len(rater) == 64 and ID_NUMBER not in rater
    assert ID_NUMBER not in caplog.text
    assert (
        fb.client.post(
            "/api/v1/ratings/visits", json={"holder": holder}, headers=fb.staff()
        ).status_code
        == 403
    )


def test_visits_by_number_and_unknown_numbers(fb: FeedbackHall) -> None:
    ticket = fb.served_ticket()
    found = fb.client.post(
        "/api/v1/ratings/visits", json={"ticket_number": ticket["number"]}, headers=fb.kiosk()
    )
    assert [v["rating_state"] for v in found.json()] == ["rateable"]
    missing = fb.client.post(
        "/api/v1/ratings/visits", json={"ticket_number": "B999"}, headers=fb.kiosk()
    )
    assert missing.status_code == 404
    both = fb.client.post(
        "/api/v1/ratings/visits",
        json={"ticket_number": "B001", "ticket_id": ticket["id"]},
        headers=fb.kiosk(),
    )
    assert both.status_code == 422


# -- privacy --------------------------------------------------------------------------------
def test_numbers_typed_into_a_comment_are_masked(fb: FeedbackHall) -> None:
    rating = fb.rate(
        fb.served_ticket()["id"],
        "dissatisfied",
        reasons=["其他"],
        comment=f"我的身份证 {ID_NUMBER}，电话13800138000，请联系",
    )
    assert ID_NUMBER not in rating["comment"] and "13800138000" not in rating["comment"]
    assert "1101**********1234" in rating["comment"] and "138****8000" in rating["comment"]
    assert scrub_text("窗口5号 20 分钟") == "窗口5号 20 分钟"
    assert scrub_text("a\x00b\x1bc\nd\te") == "abc\nd\te"


def test_comments_are_never_logged(fb: FeedbackHall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fb.rate(fb.served_ticket()["id"], "dissatisfied", reasons=["态度"], comment="机密评论内容")
    assert "机密评论内容" not in caplog.text


def test_openapi_documents_the_feedback_paths(fb: FeedbackHall) -> None:
    paths = fb.client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/ratings",
        "/api/v1/ratings/options",
        "/api/v1/ratings/visits",
        "/api/v1/ratings/export",
        "/api/v1/ratings/stats",
        "/api/v1/followups",
        "/api/v1/followups/{followup_id}",
        "/api/v1/cases",
        "/api/v1/cases/options",
        "/api/v1/cases/{case_number}",
        "/api/v1/cases/{case_number}/events",
    ):
        assert path in paths, path
