"""TLS: ``make-ca`` / ``make-cert`` and ``serve --certfile --keyfile``; the kiosk's client
checks the server against the hall's CA (``[hall] ca_file``). One real path: a kiosk issues
a ticket over HTTPS from a ``python -m hall serve`` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract.errors import ConfigError
from hall.db import add_kiosk, migrate
from hall.testing import REPO_ROOT, ServerProcess
from kiosk.hall_client import HallClient, HallUnavailable
from kiosk.settings import HallSection

pytestmark = pytest.mark.slow


def _hall(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hall", *args], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_kiosk_issues_a_ticket_over_https_checked_against_the_halls_ca(tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    _hall("make-ca", str(tls))
    printed = _hall("make-cert", "localhost", "--ca-dir", str(tls), "--ip", "127.0.0.1")
    cert, key = tls / "localhost.pem", tls / "localhost-key.pem"
    assert f"--certfile {cert} --keyfile {key}" in printed
    assert tls.stat().st_mode & 0o777 == 0o700
    for secret in (key, tls / "ca-key.pem"):
        assert secret.stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other-ca"
    _hall("make-ca", str(other))

    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "kiosk-1")
    with ServerProcess(db_url, certfile=cert, keyfile=key, ca_file=tls / "ca.pem") as server:
        assert server.base_url.startswith("https://localhost:")
        settings = HallSection(mode="remote", url=server.base_url, token=token,
                               ca_file=str(tls / "ca.pem"))  # fmt: skip
        client = HallClient(settings.url, settings.token, 5.0, settings.ca_file)
        try:
            ticket = client.issue_ticket("hukou-transfer", "tls-1")
            assert ticket.number == "C001"
            assert client.get_ticket(ticket.id).number == ticket.number
        finally:
            client.close()
        for ca_file in ("", str(other / "ca.pem")):  # system CAs, another hall's CA: refused
            stranger = HallClient(server.base_url, token, 5.0, ca_file)
            try:
                with pytest.raises(HallUnavailable, match="ConnectError"):
                    stranger.health()
            finally:
                stranger.close()
        plain = HallClient(server.base_url.replace("https", "http"), token, 5.0)
        try:
            with pytest.raises(HallUnavailable):
                plain.health()  # no clear-text answer on the TLS port
        finally:
            plain.close()


def test_make_ca_does_not_overwrite_and_a_bad_ca_file_is_a_config_error(tmp_path: Path) -> None:
    _hall("make-ca", str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "hall", "make-ca", str(tmp_path)], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "already holds a CA" in done.stderr
    with pytest.raises(ConfigError, match="ca_file"):
        HallClient("https://localhost:1", "t", 1.0, tmp_path / "missing.pem")
