"""A 办不成事 case's page on the citizen's phone (hall/case_page.py) through the real app on
SQLite: the signed link in the intake answer (for the slip's QR), the page and its state
(progress, no personal data, no staff names or notes), 404 for a wrong signature, rating
the handling once across kiosk and phone (409 explained), the rating period ending with
the retention purge, and the per-address rate limit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ratings_support import FeedbackHall, fb_fixture, fb_pg_fixture  # noqa: F401
from test_hall_cases import PHONE, event, submit

from hall.retention import RetentionSettings, purge
from hall.token_bucket import TokenBuckets

PUBLIC = "https://hall.example.gov.cn"
LINK = re.compile(r"^https://hall\.example\.gov\.cn/c/(BC\d{8}-\d{4})/([A-Za-z0-9_-]{22})$")
STAFF_NOTE = "已联系申请人张某某，约定周三上门"  # invented; must never reach the page


def _public(fb: FeedbackHall) -> None:
    fb.client.app.state.public_url = PUBLIC  # type: ignore[attr-defined]


def _path(case: dict[str, Any]) -> str:
    match = LINK.match(case["public_url"] or "")
    assert match is not None, case["public_url"]
    assert match.group(1) == case["case_number"]
    return str(case["public_url"])[len(PUBLIC) :]


def _close(fb: FeedbackHall, number: str) -> None:
    for kind, note in (("take", None), ("respond", STAFF_NOTE), ("coordinate", "协调中"),
                       ("close", "已办结")):  # fmt: skip
        assert event(fb, number, kind, note).status_code == 200


def _kiosk_rate(fb: FeedbackHall, number: str, level: str = "satisfied") -> Any:
    return fb.client.post(f"/api/v1/cases/{number}/handling-rating", headers=fb.kiosk(),
                          json={"phone_tail": PHONE[-4:], "level": level})  # fmt: skip


def test_without_a_public_address_there_is_no_link(fb: FeedbackHall) -> None:
    assert submit(fb)["public_url"] is None  # the slip has no QR then


def test_the_link_opens_the_page_and_only_this_case(fb: FeedbackHall) -> None:
    _public(fb)
    case = submit(fb, item_id="hukou-transfer", severity="urgent")
    other = submit(fb)
    path, other_path = _path(case), _path(other)
    page = fb.client.get(path)
    assert page.status_code == 200 and "办不成事反映" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "http" not in page.text.replace('content="width=device-width', "")  # nothing external
    sig = path.rsplit("/", 1)[1]
    other_sig = other_path.rsplit("/", 1)[1]
    for bad in (
        f"/c/{case['case_number']}/{other_sig}",  # another case's signature
        f"/c/{case['case_number']}/{'A' * 22}",
        f"/c/{case['case_number']}/{sig[:-1]}",
        f"/c/BC20261123-9999/{sig}",  # a number it was not made for
        f"/c/{'x' * 300}/{sig}",  # malformed: the same 404, not a 422
    ):
        resp = fb.client.get(bad)
        assert resp.status_code == 404 and "页面不存在" in resp.text, bad
        assert fb.client.get(f"{bad}/state").status_code == 404, bad
        rated = fb.client.post(f"{bad}/rating", json={"level": "satisfied"})
        assert rated.status_code == 404, bad
    # a ticket's phone-page signature is of another purpose: it opens no case page
    ticket_sig_route = f"/t/{'0' * 36}/{sig}"
    assert fb.client.get(ticket_sig_route).status_code == 404
    for name in ("citizen.css", "case.css", "citizen.js", "case.js"):  # the shared shell too
        assert f'"/case-page/static/{name}"' in page.text
        static = fb.client.get(f"/case-page/static/{name}")
        assert (
            static.status_code == 200
            and "default-src 'none'" in static.headers["content-security-policy"]
        )
    assert fb.client.get("/case-page/static/secret.py").status_code == 404


def test_the_state_shows_progress_and_nothing_personal(fb: FeedbackHall) -> None:
    _public(fb)
    case = submit(fb, item_id="hukou-transfer", description="两个窗口说法不一，我叫李某某")
    path = _path(case)
    first = fb.client.get(f"{path}/state").json()
    assert first["status"] == "submitted" and first["status_name"] == "已提交，待受理"
    assert first["matter"] == "户口迁移" and first["matter_en"] == "Household registration transfer"
    assert first["submitted_text"] == "2026-11-23 09:00" and first["steps"] == []
    assert first["rating"]["state"] == "later"
    fb.clock.advance(minutes=20)
    _close(fb, case["case_number"])
    state = fb.client.get(f"{path}/state")
    assert state.headers["cache-control"] == "no-store"
    body = state.json()
    assert body["status"] == "closed" and body["status_name_en"] == "Closed"
    assert [s["kind"] for s in body["steps"]] == ["take", "respond", "coordinate", "close"]
    assert body["steps"][0]["at_text"] == "2026-11-23 09:20"
    assert body["rating"]["state"] == "open"
    assert [lv["level"] for lv in body["rating"]["levels"]][0] == "very_satisfied"
    text = state.text
    for private in (PHONE, PHONE[-4:], "李某某", "两个窗口说法不一", STAFF_NOTE, "张某某",
                    "staff", "owner", "王*"):  # fmt: skip
        assert private not in text, private
    not_in = submit(fb, not_in_catalog=True)
    assert fb.client.get(f"{_path(not_in)}/state").json()["matter"] == "不在事项库"


def test_the_handling_is_rated_once_on_the_phone(fb: FeedbackHall) -> None:
    _public(fb)
    case = submit(fb)
    number, path = case["case_number"], _path(case)
    early = fb.client.post(f"{path}/rating", json={"level": "satisfied"})
    assert early.status_code == 409 and early.json()["code"] == "not_closed"
    assert early.json()["detail_en"]
    _close(fb, number)
    assert fb.client.post(f"{path}/rating", json={"level": "great"}).status_code == 422
    assert fb.client.post(f"{path}/rating",
                          json={"level": "satisfied", "phone": PHONE}).status_code == 422  # fmt: skip
    ok = fb.client.post(f"{path}/rating", json={"level": "very_satisfied"})
    assert ok.status_code == 201 and ok.json()["level"] == "very_satisfied"
    assert fb.sql("SELECT handling_level, handling_channel, phone_tail_hash FROM cases") == [
        ("very_satisfied", "phone", None)
    ]
    again = fb.client.post(f"{path}/rating", json={"level": "dissatisfied"})
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    state = fb.client.get(f"{path}/state").json()["rating"]
    assert state == {**state, "state": "rated", "level": "very_satisfied", "channel": "phone"}
    at_kiosk = _kiosk_rate(fb, number)  # the kiosk is told it was rated on a phone
    assert at_kiosk.status_code == 409 and "手机" in at_kiosk.json()["detail"]
    detail = fb.client.get(f"/api/v1/cases/{number}/detail", headers=fb.staff()).json()
    assert detail["handling_level"] == "very_satisfied"


def test_rated_at_the_kiosk_the_phone_is_told_so(fb: FeedbackHall) -> None:
    _public(fb)
    case = submit(fb)
    _close(fb, case["case_number"])
    assert _kiosk_rate(fb, case["case_number"], "basic").status_code == 200
    resp = fb.client.post(f"{_path(case)}/rating", json={"level": "satisfied"})
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "already_rated" and body["channel"] == "kiosk"
    assert "自助终端" in body["detail"] and "kiosk" in body["detail_en"]
    assert fb.sql("SELECT handling_level, handling_channel FROM cases") == [("basic", "kiosk")]


def test_the_rating_period_ends_with_the_purge(fb: FeedbackHall) -> None:
    _public(fb)
    case = submit(fb)
    _close(fb, case["case_number"])
    engine = fb.client.app.state.engine  # type: ignore[attr-defined]
    settings = RetentionSettings(case_citizen_link_days=30)
    assert purge(engine, settings, fb.clock.now + dt.timedelta(days=31))["case_citizen_links"] == 1
    path = _path(case)
    assert fb.client.get(f"{path}/state").json()["rating"]["state"] == "closed"
    late = fb.client.post(f"{path}/rating", json={"level": "satisfied"})
    assert late.status_code == 409 and late.json()["code"] == "rating_closed"
    assert fb.client.get(path).status_code == 200  # the progress stays readable


def test_each_address_is_rate_limited(fb: FeedbackHall) -> None:
    _public(fb)
    path = _path(submit(fb))
    fb.client.app.state.phone_limiter = TokenBuckets(rate=0.5, burst=3)  # type: ignore[attr-defined]
    assert [fb.client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    refused = fb.client.get(f"{path}/state")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert fb.client.get(f"/c/BC20261123-0001/{'A' * 22}").status_code == 429  # bad ones too
    assert submit(fb)["case_number"]  # the kiosks' routes are not limited by it


def test_on_postgres_the_rating_and_its_period(fb_pg: FeedbackHall) -> None:
    """The same rules on PostgreSQL (the row lock, the purge's update)."""
    fb = fb_pg
    _public(fb)
    rated, unrated = submit(fb), submit(fb)
    for case in (rated, unrated):
        _close(fb, case["case_number"])
    ok = fb.client.post(f"{_path(rated)}/rating", json={"level": "basic"})
    assert ok.status_code == 201
    again = fb.client.post(f"{_path(rated)}/rating", json={"level": "basic"})
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    engine = fb.client.app.state.engine  # type: ignore[attr-defined]
    later = fb.clock.now + dt.timedelta(days=31)
    assert purge(engine, RetentionSettings(), later)["case_citizen_links"] == 1
    late = fb.client.post(f"{_path(unrated)}/rating", json={"level": "basic"})
    assert late.status_code == 409 and late.json()["code"] == "rating_closed"
    assert fb.sql("SELECT count(*) FROM cases WHERE phone_tail_hash IS NOT NULL") == [(0,)]
