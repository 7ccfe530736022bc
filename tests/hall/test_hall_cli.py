"""The command line and a real ``python -m hall serve`` process spoken to over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from hall.db import add_kiosk, migrate
from hall.testing import REPO_ROOT, ServerProcess, load

ID_NUMBER = "440106198001010019"


def run_hall(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hall", *args],
        cwd=cwd or REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_add_kiosk_prints_only_a_token_that_then_works(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    kiosk = run_hall("add-kiosk", "lobby-1", "--database-url", db_url)
    assert kiosk.returncode == 0, kiosk.stderr
    token = kiosk.stdout.strip()
    assert kiosk.stdout == token + "\n" and len(token) >= 40
    staff = run_hall("add-staff", "王*", "--database-url", db_url)
    assert staff.returncode == 0, staff.stderr
    staff_token = staff.stdout.strip()

    log_path = tmp_path / "server.log"
    with ServerProcess(db_url, log_path=log_path, log_level="debug") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            body = {
                "service_id": "id-card-renewal",
                "idempotency_key": "lobby-1/1",
                "holder": {"id_number": ID_NUMBER, "masked_name": "陈*"},
            }
            unauth = http.post("/api/v1/tickets", json=body)
            assert unauth.status_code == 401
            resp = http.post(
                "/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert resp.status_code == 201, resp.text
            assert resp.json()["number"] == "D001"
            assert resp.json()["kiosk_id"] == "lobby-1"
            called = http.post(
                "/api/v1/counters/16/call-next", headers={"Authorization": f"Bearer {staff_token}"}
            )
            assert called.status_code == 200
            assert called.json()["number"] == "D001"
            health = http.get("/api/v1/health").json()
            assert health["database"] == "sqlite"
    server_log = log_path.read_text(encoding="utf-8")
    assert "POST /api/v1/tickets" in server_log  # the log was captured…
    assert ID_NUMBER not in server_log  # …and holds no ID number
    assert ID_NUMBER.encode() not in (tmp_path / "hall.sqlite3").read_bytes()


def test_default_database_is_hall_sqlite3_in_the_current_dir(tmp_path: Path) -> None:
    env = {"HALL_DATABASE_URL": ""}
    result = run_hall("add-kiosk", "k", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "hall.sqlite3").exists()
    env = {"HALL_DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}"}
    assert run_hall("add-staff", "x", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "other.sqlite3").exists()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql://root@127.0.0.1/hall",
        "postgresql+psycopg://nobody@127.0.0.1:1/hall",
        "sqlite:////nonexistent-dir/hall.sqlite3",
    ],
)
def test_database_errors_are_one_line_and_exit_2(url: str) -> None:
    for args in (["add-kiosk", "k"], ["serve", "--port", "1"]):
        result = run_hall(*args, "--database-url", url)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert "error" in lines[0]
        assert "Traceback" not in result.stderr


def test_concurrent_retries_against_a_real_server_get_one_number(tmp_path: Path) -> None:
    """Twenty simultaneous retries of one request: one 201, the rest 200, one number."""
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    token = run_hall("add-kiosk", "k", "--database-url", db_url).stdout.strip()
    with (
        ServerProcess(db_url) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        body = {"service_id": "tax-invoice", "idempotency_key": "same"}

        def post(_: int) -> httpx.Response:
            return http.post("/api/v1/tickets", json=body, headers=headers)

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(post, range(20)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] * 19 + [201]
        assert {r.json()["number"] for r in responses} == {"B001"}
        body["idempotency_key"] = "next"
        assert http.post("/api/v1/tickets", json=body, headers=headers).json()["number"] == "B002"


def test_two_worker_processes_share_one_sqlite_file_without_gaps(tmp_path: Path) -> None:
    """``serve --workers 2``: SQLite's BEGIN IMMEDIATE keeps numbers unique across processes."""
    db_url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    migrate(db_url)
    token = add_kiosk(db_url, "k")
    services = ["business-license", "hukou-transfer", "unresolved-report"]
    with ServerProcess(db_url, workers=2) as server:
        _, replies = load(
            [server.base_url],
            [token],
            240,
            lambda i: (
                "POST",
                "/api/v1/tickets",
                {"service_id": services[i % 3], "idempotency_key": str(i)},
            ),
            clients=20,
        )
    assert {r.status for r in replies} == {201}
    per_group: dict[str, list[int]] = defaultdict(list)
    for reply in replies:
        per_group[reply.body["window_group"]].append(int(reply.body["number"][1:]))
    assert {g: sorted(n) for g, n in per_group.items()} == {
        g: list(range(1, 81)) for g in ("market", "livelihood", "unresolved")
    }
