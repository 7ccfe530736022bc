"""The login pages' shared pieces (``hall.web_session``): the signed login-form token."""

from __future__ import annotations

import datetime as dt

from hall.web_session import cookie_digest, stamp_token, stamp_token_ok

KEY = b"s" * 32
NOW = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


def test_a_login_form_token_is_valid_for_its_purpose_and_time_only() -> None:
    token = stamp_token(KEY, "login", int(NOW.timestamp()))
    assert stamp_token_ok(KEY, "login", token, NOW + dt.timedelta(minutes=59), 3600)
    assert not stamp_token_ok(KEY, "login", token, NOW + dt.timedelta(minutes=61), 3600)
    assert not stamp_token_ok(KEY, "login", token, NOW - dt.timedelta(seconds=1), 3600)
    assert not stamp_token_ok(KEY, "staff-login", token, NOW, 3600)  # another page's
    assert not stamp_token_ok(b"t" * 32, "login", token, NOW, 3600)  # another key
    stamp, _, mac = token.partition(".")
    assert not stamp_token_ok(KEY, "login", f"{int(stamp) + 1}.{mac}", NOW, 3600)
    assert not stamp_token_ok(KEY, "login", "é.x", NOW, 3600)


def test_the_database_keeps_a_digest_of_a_cookie() -> None:
    assert cookie_digest("abc") != "abc" and len(cookie_digest("abc")) == 64
