"""The CLI the outside evaluation uses, run as a subprocess: JSON shape, masking, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
FLAGS = {"blurred", "too_dark", "too_bright", "glare", "cropped"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.precheck", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_json_shape_verdict_and_masking(truth: list[dict[str, Any]]) -> None:
    card = next(t for t in truth if t["doc_type"] == "id_card_front" and t["variant"] == "clean")
    register = next(
        t for t in truth if t["doc_type"] == "household_register" and t["variant"] == "clean"
    )
    blurred = next(t for t in truth if t["variant"] == "blurred")
    number = card["fields"]["id_number"]
    done = run(
        "--item", "newborn-bundle",
        "--holder-name", card["fields"]["name"],
        "--holder-id", number,
        "--json",
        str(DATA / card["file"]), str(DATA / register["file"]), str(DATA / blurred["file"]),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert number not in done.stdout and number not in done.stderr  # masked by default
    out = json.loads(done.stdout)
    assert set(out) >= {"pages", "verdict", "timings_ms"}
    assert [p["file"] for p in out["pages"]] == [card["file"], register["file"], blurred["file"]]
    for p in out["pages"]:
        assert set(p) >= {"file", "doc_type", "confidence", "quality", "fields"}
        assert set(p["quality"]) <= FLAGS
        assert 0.0 <= p["confidence"] <= 1.0
    first = out["pages"][0]
    assert first["doc_type"] == "id_card_front"
    assert first["fields"]["id_number"] == number[:4] + "**********" + number[-4:]
    assert first["holder_match"] == "match"
    assert out["pages"][2]["quality"] == ["blurred"]
    verdict = out["verdict"]
    assert verdict["overall"] == "core_missing"
    assert "出生医学证明" in verdict["missing_core"] and verdict["missing_rongque"] == ["结婚证"]
    assert verdict["slip"][0] == "材料预审结果"
    assert out["timings_ms"]["total"] > 0 and len(out["timings_ms"]["per_page"]) == 3


def test_unmasked_and_text_mode(truth: list[dict[str, Any]]) -> None:
    card = next(t for t in truth if t["doc_type"] == "id_card_front" and t["variant"] == "clean")
    done = run(
        "--item",
        "social-security-card",
        "--json",
        "--unmasked",
        "--engine",
        "tesseract",
        str(DATA / card["file"]),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["engine"] == "tesseract"
    assert out["pages"][0]["doc_type"] == "id_card_front"
    text = run("--item", "social-security-card", "--engine", "tesseract", str(DATA / card["file"]))
    assert text.returncode == 0 and "材料预审结果" in text.stdout


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    image = str(next(DATA.glob("*.jpg")))
    assert run("--item", "no-such-item", "--json", image).returncode == 2
    bad_id = run("--item", "tax-invoice", "--holder-id", "110105194912310021", "--json", image)
    assert bad_id.returncode == 2 and "not a valid ID number" in bad_id.stderr
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    done = run("--item", "tax-invoice", "--engine", "tesseract", "--json", str(junk))
    assert done.returncode == 0
    page = json.loads(done.stdout)["pages"][0]
    assert page["doc_type"] == "other" and page["error"]
