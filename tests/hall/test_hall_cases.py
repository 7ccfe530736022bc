"""办不成事反映: screening, numbering, time limits, progress, owner steps, the phone number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hall_support import SHANGHAI
from ratings_support import FeedbackHall, fb_fixture  # noqa: F401

from contract.fields import mask_mobile
from hall.cases import format_case_number, hash_phone, normalize_phone

PHONE = "13912345678"


def case_body(fb: FeedbackHall, **changes: Any) -> dict[str, Any]:
    body = {
        "idempotency_key": fb.key("case"),
        "tried_normal_channel": True,
        "overlapping_duties": False,
        "policy_room": False,
        "categories": ["跨部门协调"],
        "description": "办理不动产登记时两个部门要求的证明互相矛盾",
        "phone": PHONE,
        "privacy_consent": True,
    }
    body.update(changes)
    return body


def submit(fb: FeedbackHall, expect: int = 201, **changes: Any) -> dict[str, Any]:
    resp = fb.client.post("/api/v1/cases", json=case_body(fb, **changes), headers=fb.kiosk())
    assert resp.status_code == expect, resp.text
    result: dict[str, Any] = resp.json()
    return result


def event(fb: FeedbackHall, number: str, kind: str, note: str | None = None,
          headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    body = {"kind": kind} if note is None else {"kind": kind, "note": note}
    return fb.client.post(
        f"/api/v1/cases/{number}/events", json=body, headers=headers or fb.staff()
    )


# -- intake -----------------------------------------------------------------------------------
def test_a_case_gets_a_number_deadlines_and_no_owner(fb: FeedbackHall) -> None:
    case = submit(fb)
    assert case["case_number"] == "BC20261123-0001"
    assert case["status"] == "submitted" and case["owner_assigned"] is False
    assert case["respond_due_at"] == "2026-11-23T02:00:00Z"  # 1 hour after 09:00 Beijing
    assert case["coordinate_due_on"] == "2026-11-26"  # 3 working days after Monday
    assert case["close_due_on"] == "2026-12-02"  # 7 working days
    assert case["phone_masked"] == "139****5678"
    assert case["categories"] == ["跨部门协调"]


def test_case_numbers_are_per_day_and_gap_free(fb: FeedbackHall) -> None:
    numbers = [submit(fb)["case_number"] for _ in range(3)]
    retry = case_body(fb, idempotency_key="retry-me")
    first = fb.client.post("/api/v1/cases", json=retry, headers=fb.kiosk())
    again = fb.client.post("/api/v1/cases", json=retry, headers=fb.kiosk())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case_number"] == first.json()["case_number"] == "BC20261123-0004"
    fb.configure(case_categories=("其他",))  # the rules changed: the retry still gets its case
    late = fb.client.post("/api/v1/cases", json=retry, headers=fb.kiosk())
    assert (late.status_code, late.json()["case_number"]) == (200, "BC20261123-0004")
    fb.configure(case_categories=("跨部门协调", "其他"))
    submit(fb, expect=422, privacy_consent=False)  # refused: takes no number
    assert submit(fb)["case_number"] == "BC20261123-0005"
    assert numbers == ["BC20261123-0001", "BC20261123-0002", "BC20261123-0003"]
    fb.clock.now = dt.datetime(2026, 11, 24, 0, 5, tzinfo=SHANGHAI)  # next hall-local day
    assert submit(fb)["case_number"] == "BC20261124-0001"
    assert format_case_number("BC", dt.date(2026, 11, 22), 12345) == "BC20261122-12345"


def test_at_least_one_acceptance_condition_is_needed(fb: FeedbackHall) -> None:
    resp = fb.client.post(
        "/api/v1/cases",
        json=case_body(fb, tried_normal_channel=False),
        headers=fb.kiosk(),
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "no_acceptance_condition"
    assert "至少符合一项受理条件" in body["detail"]
    assert set(body["conditions"]) == {"tried_normal_channel", "overlapping_duties", "policy_room"}
    for condition in ("overlapping_duties", "policy_room"):
        submit(fb, tried_normal_channel=False, **{condition: True})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"privacy_consent": False}, "consent_required"),
        ({"categories": []}, "category_required"),
        ({"categories": ["跨部门协调", "外星人"]}, "unknown_category"),
        ({"phone": "12812345678"}, "invalid_phone"),
        ({"phone": "1391234567"}, "invalid_phone"),
        ({"phone": "010-12345678"}, "invalid_phone"),
        ({"description": "   "}, "description_required"),
    ],
)
def test_screening_refusals_say_why(fb: FeedbackHall, changes: dict[str, Any], code: str) -> None:
    resp = fb.client.post("/api/v1/cases", json=case_body(fb, **changes), headers=fb.kiosk())
    assert resp.status_code == 422
    assert resp.json()["code"] == code
    assert PHONE not in resp.text and "12812345678" not in resp.text  # never echoed


def test_invalid_shapes_and_tokens(fb: FeedbackHall) -> None:
    assert submit(fb, expect=422, description="长" * 501)
    no_consent_field = case_body(fb)
    del no_consent_field["privacy_consent"]
    resp = fb.client.post("/api/v1/cases", json=no_consent_field, headers=fb.kiosk())
    assert resp.status_code == 422
    resp = fb.client.post("/api/v1/cases", json=case_body(fb), headers=fb.staff())
    assert resp.status_code == 403


def test_phone_normalisation_masking_and_hash() -> None:
    assert normalize_phone("139 1234 5678") == PHONE
    assert normalize_phone("+86 139-1234-5678") == PHONE
    assert normalize_phone("1391234567x") is None
    assert mask_mobile(PHONE) == "139****5678"
    key = bytes(range(32))
    assert hash_phone(key, PHONE) == hash_phone(key, PHONE) != hash_phone(bytes(32), PHONE)
    assert PHONE not in hash_phone(key, PHONE)


def test_deadlines_over_a_weekend(fb: FeedbackHall) -> None:
    fb.clock.now = dt.datetime(2026, 11, 27, 16, 30, tzinfo=SHANGHAI)  # Friday afternoon
    case = submit(fb)
    assert case["respond_due_at"] == "2026-11-27T09:30:00Z"
    assert case["coordinate_due_on"] == "2026-12-02"
    assert case["close_due_on"] == "2026-12-08"


# -- progress ---------------------------------------------------------------------------------
def test_progress_by_number_has_no_personal_data(fb: FeedbackHall) -> None:
    case = submit(fb, description="我叫张三，身份证110105199001011234")
    resp = fb.client.get(f"/api/v1/cases/{case['case_number']}", headers=fb.kiosk())
    assert resp.status_code == 200
    progress = resp.json()
    assert progress["status"] == "submitted" and progress["status_name"]
    for absent in ("phone", "phone_masked", "description", "owner_id", "categories", "events"):
        assert absent not in progress
    text = resp.text
    assert PHONE not in text and "5678" not in text and "张三" not in text
    missing = fb.client.get("/api/v1/cases/BC20261123-0099", headers=fb.kiosk())
    assert missing.status_code == 404 and missing.json()["code"] == "case_not_found"
    assert fb.client.get("/api/v1/cases/not-a-number", headers=fb.kiosk()).status_code == 422
    assert fb.client.get(f"/api/v1/cases/{case['case_number']}").status_code == 401


def test_a_description_with_an_id_number_is_stored_masked(fb: FeedbackHall) -> None:
    case = submit(fb, description="身份证110105199001011234办不了")
    detail = fb.client.get(f"/api/v1/cases/{case['case_number']}/detail", headers=fb.staff()).json()
    assert "110105199001011234" not in detail["description"]
    assert fb.sql("SELECT description FROM cases") == [("身份证1101**********1234办不了",)]


def test_names_in_the_description_and_in_staff_notes_are_stored_masked(fb: FeedbackHall) -> None:
    number = submit(fb, description="我叫王小明，窗口的刘建华老师让我来反映")["case_number"]
    assert event(fb, number, "take").status_code == 200
    assert event(fb, number, "respond", "已联系李建国先生，电话 139 1234 5678").status_code == 200
    assert fb.sql("SELECT description FROM cases") == [("我叫王**，窗口的刘**老师让我来反映",)]
    notes = [n for (n,) in fb.sql("SELECT note FROM case_events") if n]
    assert notes == ["已联系李**先生，电话 139****5678"]


# -- staff steps --------------------------------------------------------------------------------
def test_the_first_taker_owns_the_case_and_only_they_record_steps(fb: FeedbackHall) -> None:
    number = submit(fb)["case_number"]
    assert event(fb, number, "respond", "x").status_code == 403  # nobody owns it yet
    taken = event(fb, number, "take")
    assert taken.status_code == 200 and taken.json()["owner_id"] == 1
    assert event(fb, number, "take").status_code == 200  # again by the owner: harmless
    other = event(fb, number, "take", headers=fb.supervisor())
    assert other.status_code == 409 and other.json()["code"] == "already_owned"
    stranger = event(fb, number, "respond", "我来", headers=fb.supervisor())
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_owner"
    assert event(fb, number, "respond").status_code == 422  # a note is required
    assert event(fb, number, "close", "x").status_code == 409  # not responded yet

    fb.clock.advance(minutes=30)
    responded = event(fb, number, "respond", "已电话联系，了解情况").json()
    assert responded["status"] == "responded"
    assert responded["responded_at"] == "2026-11-23T01:30:00Z"
    fb.clock.advance(days=1)
    assert (
        event(fb, number, "coordinate", "协调不动产中心与税务").json()["status"] == "coordinating"
    )
    assert event(fb, number, "coordinate", "第二次协调会").status_code == 200
    closed = event(fb, number, "close", "已办结，群众满意").json()
    assert closed["status"] == "closed"
    assert [e["kind"] for e in closed["events"]] == [
        "take", "respond", "coordinate", "coordinate", "close",
    ]  # fmt: skip
    assert event(fb, number, "close", "again").status_code == 409
    progress = fb.client.get(f"/api/v1/cases/{number}", headers=fb.kiosk()).json()
    assert progress["status"] == "closed" and progress["owner_assigned"] is True
    assert progress["closed_at"] == "2026-11-24T01:30:00Z"
    assert event(fb, number, "take", headers=fb.kiosk()).status_code == 403


def test_the_phone_is_for_the_owner_only_and_erased_at_close(fb: FeedbackHall) -> None:
    number = submit(fb)["case_number"]
    detail = fb.client.get(f"/api/v1/cases/{number}/detail", headers=fb.staff()).json()
    assert detail["phone_masked"] == "139****5678" and "phone" not in detail
    assert fb.client.get(f"/api/v1/cases/{number}/contact", headers=fb.staff()).status_code == 403
    event(fb, number, "take")
    contact = fb.client.get(f"/api/v1/cases/{number}/contact", headers=fb.staff())
    assert contact.json() == {"case_number": number, "phone": PHONE}
    assert (
        fb.client.get(f"/api/v1/cases/{number}/contact", headers=fb.supervisor()).status_code == 403
    )
    listed = fb.client.get("/api/v1/cases", headers=fb.staff())
    assert PHONE not in listed.text
    event(fb, number, "respond", "已联系")
    event(fb, number, "close", "已办结")
    gone = fb.client.get(f"/api/v1/cases/{number}/contact", headers=fb.staff())
    assert gone.status_code == 410
    stored = fb.sql("SELECT phone, phone_ciphertext, phone_masked, phone_hash FROM cases")
    assert stored == [(None, None, None, None)]  # deleted, not masked-and-hashed
    kinds = [k for (k,) in fb.sql("SELECT kind FROM case_events ORDER BY id")]
    assert kinds == ["take", "contact_viewed", "respond", "close"]


def test_the_phone_is_never_logged(fb: FeedbackHall, caplog: pytest.LogCaptureFixture) -> None:
    number = submit(fb)["case_number"]
    event(fb, number, "take")
    fb.client.get(f"/api/v1/cases/{number}/contact", headers=fb.staff())
    submit(fb, expect=422, phone="12345")
    assert PHONE not in caplog.text


def test_overdue_cases_for_staff(fb: FeedbackHall) -> None:
    first = submit(fb)["case_number"]
    fb.clock.advance(minutes=50)
    second = submit(fb)["case_number"]
    fb.clock.advance(minutes=20)  # 10:10: the first is past its hour, the second not
    overdue = fb.client.get("/api/v1/cases?overdue=true", headers=fb.staff()).json()
    assert [(c["case_number"], c["overdue_steps"]) for c in overdue] == [(first, ["respond"])]
    event(fb, first, "take")
    event(fb, first, "respond", "已联系")
    assert fb.client.get("/api/v1/cases?overdue=true", headers=fb.staff()).json() == []
    fb.clock.now = dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)  # past coordinate day 26th
    overdue = fb.client.get("/api/v1/cases?overdue=true", headers=fb.staff()).json()
    assert [(c["case_number"], c["overdue_steps"]) for c in overdue] == [
        (first, ["coordinate"]), (second, ["respond", "coordinate"]),
    ]  # fmt: skip
    mine = fb.client.get("/api/v1/cases?mine=true", headers=fb.staff()).json()
    assert [c["case_number"] for c in mine] == [first]
    assert fb.client.get("/api/v1/cases", headers=fb.kiosk()).status_code == 403


def test_options_and_configured_limits(fb: FeedbackHall) -> None:
    fb.configure(case_categories=("户籍", "其他"), case_respond_hours=2.0, case_close_days=10)
    options = fb.client.get("/api/v1/cases/options", headers=fb.kiosk()).json()
    assert options["categories"] == ["户籍", "其他"]
    assert set(options["conditions"]) == {
        "tried_normal_channel",
        "overlapping_duties",
        "policy_room",
    }
    case = submit(fb, categories=["户籍"])
    assert case["respond_due_at"] == "2026-11-23T03:00:00Z"
    assert case["close_due_on"] == "2026-12-07"


def test_a_case_may_name_the_window_ticket(fb: FeedbackHall) -> None:
    ticket = fb.client.post(
        "/api/v1/tickets",
        json={"service_id": "unresolved-report", "idempotency_key": "f"},
        headers=fb.kiosk(),
    ).json()
    case = submit(fb, ticket_id=ticket["id"])
    detail = fb.client.get(f"/api/v1/cases/{case['case_number']}/detail", headers=fb.staff()).json()
    assert detail["ticket_id"] == ticket["id"]
    submit(fb, expect=404, ticket_id="no-such-ticket")
