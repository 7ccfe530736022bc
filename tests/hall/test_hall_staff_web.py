"""The staff page /staff/: login, session cookie, kiosk table, escaping, help requests.

The page in a real browser (live refresh, lost kiosk) is in test_hall_staff_web_browser.py.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

from fastapi.testclient import TestClient
from hall_support import Hall, staff_csrf, staff_login
from sqlalchemy import update

from hall.db import add_kiosk, add_staff, make_engine, transaction
from hall.models import Staff
from hall.staff_web import COOKIE_NAME, SESSION_TTL_S

ALL_OK = {"card_reader": "ok", "printer": "ok", "camera": "ok", "voice": "ok"}
EVIL_ID = '<img src=x onerror="alert(1)">&'


def login(hall: Hall, token: str | None = None) -> Any:
    return staff_login(hall.client, hall.staff_token if token is None else token)


def beat(hall: Hall, kiosk_id: str, token: str, **body: Any) -> None:
    payload = {"version": "0.1.0", "interval_s": 10, "devices": ALL_OK, **body}
    resp = hall.client.post(
        f"/api/v1/kiosks/{kiosk_id}/heartbeat",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200, resp.text


def test_the_page_without_login_redirects_to_the_login_form(hall: Hall) -> None:
    resp = hall.client.get("/staff/", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/staff/login"
    form = hall.client.get("/staff/login")
    assert form.status_code == 200
    assert 'name="token"' in form.text and "工作人员登录" in form.text
    assert hall.client.get("/staff/kiosks.json").status_code == 401


def test_login_sets_a_strict_httponly_session_cookie(hall: Hall) -> None:
    resp = login(hall)
    assert resp.status_code == 303 and resp.headers["location"] == "/staff/"
    header = resp.headers["set-cookie"]
    cookie = SimpleCookie(header)[COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/staff"
    assert int(cookie["max-age"]) == SESSION_TTL_S
    assert hall.staff_token not in header
    page = hall.client.get("/staff/")
    assert page.status_code == 200
    assert "自助终端监控" in page.text and "kiosk-1" in page.text


def test_login_with_a_bad_token_fails(hall: Hall) -> None:
    for token in ("wrong", hall.kiosk_token, ""):
        resp = login(hall, token)
        assert resp.status_code == 401
        assert "set-cookie" not in resp.headers
        assert "令牌无效" in resp.text
    assert hall.client.get("/staff/", follow_redirects=False).status_code == 303


def test_a_forged_or_expired_cookie_is_refused(hall: Hall) -> None:
    login(hall)
    good = hall.client.cookies[COOKIE_NAME]
    staff_id, expires, sig = good.split(".")
    forged = [
        f"{staff_id}.{int(expires) + 3600}.{sig}",  # longer life, same signature
        f"{staff_id}.{expires}.{sig[:-2]}AA",
        "1.2.3",
        "garbage",
    ]
    for value in forged:
        hall.client.cookies.clear()  # the forged cookie alone, not beside the server's own
        hall.client.cookies.set(COOKIE_NAME, value, path="/staff")
        assert hall.client.get("/staff/kiosks.json").status_code == 401, value
    hall.client.cookies.clear()
    hall.client.cookies.set(COOKIE_NAME, good, path="/staff")
    assert hall.client.get("/staff/kiosks.json").status_code == 200
    hall.clock.advance(seconds=SESSION_TTL_S + 1)
    assert hall.client.get("/staff/kiosks.json").status_code == 401


def test_a_changed_staff_token_ends_its_sessions(hall: Hall) -> None:
    login(hall)
    assert hall.client.get("/staff/kiosks.json").status_code == 200
    engine = make_engine(hall.db_url)
    try:
        with transaction(engine) as session:
            session.execute(update(Staff).values(token_hash="0" * 64))
    finally:
        engine.dispose()
    assert hall.client.get("/staff/kiosks.json").status_code == 401


def test_logout_ends_the_session(hall: Hall) -> None:
    login(hall)
    cookie = hall.client.cookies[COOKIE_NAME]
    csrf = staff_csrf(hall.client.get("/staff/").text)
    resp = hall.client.post("/staff/logout", data={"csrf": csrf}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/staff/login"
    assert COOKIE_NAME not in hall.client.cookies
    assert hall.client.get("/staff/", follow_redirects=False).status_code == 303
    # server-side: a copy of the cookie kept from before the logout is refused too
    hall.client.cookies.set(COOKIE_NAME, cookie, path="/staff")
    assert hall.client.get("/staff/kiosks.json").status_code == 401


def test_logout_without_the_page_token_is_refused(hall: Hall) -> None:
    login(hall)
    resp = hall.client.post("/staff/logout", data={}, follow_redirects=False)
    assert resp.status_code == 403
    assert hall.client.get("/staff/kiosks.json").status_code == 200  # still logged in


def test_a_login_post_without_the_form_token_is_refused(hall: Hall) -> None:
    """A cross-site form posting a token (login CSRF) has no form token of this server."""
    resp = hall.client.post(
        "/staff/login", data={"token": hall.staff_token}, follow_redirects=False
    )
    assert resp.status_code == 403
    assert "set-cookie" not in resp.headers
    resp = hall.client.post(
        "/staff/login", data={"token": hall.staff_token, "login": "1.forged"},
        follow_redirects=False,
    )  # fmt: skip
    assert resp.status_code == 403


def test_the_session_cookie_is_secure_under_tls(hall: Hall) -> None:
    with TestClient(hall.client.app, base_url="https://testserver") as tls:
        resp = staff_login(tls, hall.staff_token)
        assert resp.status_code == 303
        assert "secure" in resp.headers["set-cookie"].lower()
    plain = login(hall)
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_the_page_lists_every_kiosk_with_state_words_and_problems(hall: Hall) -> None:
    add_kiosk(hall.db_url, "kiosk-0")  # never seen
    token3 = add_kiosk(hall.db_url, "kiosk-3")
    beat(hall, "kiosk-1", hall.kiosk_token, devices={**ALL_OK, "printer": "paper_out"},
         outbox_backlog=12)  # fmt: skip
    beat(hall, "kiosk-3", token3, interval_s=5)
    hall.clock.advance(seconds=16)  # kiosk-3 lost, kiosk-1 still within 3 × 10 s
    login(hall)
    page = hall.client.get("/staff/").text
    rows = dict(re.findall(r'<tr class="state-[a-z_]+" data-kiosk-id="([^"]+)"(.*?)</tr>', page))
    assert set(rows) == {"kiosk-0", "kiosk-1", "kiosk-3"}
    assert "从未连接" in rows["kiosk-0"]
    assert "有问题" in rows["kiosk-1"] and "打印机缺纸" in rows["kiosk-1"]
    assert "待上传 12 条" in rows["kiosk-1"] and "⚠" in rows["kiosk-1"]
    assert "失联" in rows["kiosk-3"] and "失去联系（16 秒无心跳）" in rows["kiosk-3"]
    assert "共 3 台：正常 0，有问题 1，失联 1，从未连接 1" in page

    data = hall.client.get("/staff/kiosks.json").json()
    by_id = {k["id"]: k for k in data["kiosks"]}
    assert by_id["kiosk-3"]["state"] == "lost" and by_id["kiosk-3"]["state_text"] == "失联"
    printer = next(d for d in by_id["kiosk-1"]["devices"] if d["device"] == "printer")
    assert printer == {"device": "printer", "name": "打印机", "state": "paper_out",
                       "text": "缺纸", "bad": True}  # fmt: skip
    assert data["alarm"] is True


def test_the_page_escapes_a_kiosk_id_containing_html(hall: Hall) -> None:
    token = add_kiosk(hall.db_url, EVIL_ID)
    beat(hall, EVIL_ID, token, devices={**ALL_OK, "printer": "paper_out"})
    login(hall)
    page = hall.client.get("/staff/").text
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page
    data = hall.client.get("/staff/kiosks.json").json()
    assert EVIL_ID in {k["id"] for k in data["kiosks"]}  # JSON; the script uses textContent


def test_the_page_is_self_contained_and_locked_down(hall: Hall) -> None:
    login(hall)
    page = hall.client.get("/staff/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script (the CSP would block it)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert url.startswith("/staff/"), url
        assert hall.client.get(url).status_code == 200
    js = hall.client.get("/staff/static/staff.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert not re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write", js.text)
    assert hall.client.get("/staff/static/../app.py").status_code == 404
    assert hall.client.get("/staff/static/other.js").status_code == 404


def test_open_help_requests_are_listed_and_closed_from_the_page(hall: Hall) -> None:
    resp = hall.client.post(
        "/api/v1/help-requests", json={"screen": "identify", "elder": True}, headers=hall.kiosk()
    )
    help_id = resp.json()["id"]
    login(hall)
    data = hall.client.get("/staff/kiosks.json").json()
    assert [(h["id"], h["kiosk_id"], h["elder_text"]) for h in data["help_requests"]] == [
        (help_id, "kiosk-1", "长辈版")
    ]
    assert f'data-help-id="{help_id}"' in hall.client.get("/staff/").text
    url = f"/staff/help-requests/{help_id}/close"
    assert hall.client.post(url).status_code == 403  # no X-Staff-Page: not from our script
    resp = hall.client.post(url, headers={"X-Staff-Page": "1"})
    assert resp.status_code == 200 and resp.json()["status"] == "closed"
    assert hall.client.get("/staff/kiosks.json").json()["help_requests"] == []
    hall.client.cookies.clear()
    assert hall.client.post(url, headers={"X-Staff-Page": "1"}).status_code == 401


def test_the_page_shows_the_staff_name_escaped(hall: Hall) -> None:
    token = add_staff(hall.db_url, "<b>李*</b>")
    login(hall, token)
    page = hall.client.get("/staff/").text
    assert "&lt;b&gt;李*&lt;/b&gt;" in page and "<b>" not in page
