"""Shared fixtures of the pre-check tests: the committed pages and a warmed OCR engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.precheck import ocr, pipeline

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def truth() -> list[dict[str, Any]]:
    """The committed pages' truth (see kiosk/precheck/synth.py; regenerate with its CLI)."""
    return json.loads((DATA / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def engine() -> ocr.OcrEngine:
    """The default engine, warmed once for the whole session (model load takes seconds)."""
    engine = pipeline.shared_engine(ocr.DEFAULT_ENGINE)
    engine.warm_up()
    return engine


@pytest.fixture(scope="session")
def analysed(truth: list[dict[str, Any]], engine: ocr.OcrEngine) -> dict[str, pipeline.PageResult]:
    """Every committed page through the pipeline once (shared by the pipeline tests)."""
    return {
        t["file"]: pipeline.analyse_page((DATA / t["file"]).read_bytes(), t["file"], engine=engine)
        for t in truth
    }
