"""The whole pipeline on the committed pages: type, key fields, quality flags, timings,
masking, and the worker process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.precheck import pipeline, synth
from kiosk.precheck.verdict import PageSummary

DATA = Path(__file__).resolve().parent / "data"
STAGES = {"decode", "quality", "warp", "layout", "ocr", "reread", "understand", "total"}


def test_every_clean_page_gets_its_type_and_fields(
    truth: list[dict[str, Any]], analysed: dict[str, pipeline.PageResult]
) -> None:
    clean = [t for t in truth if t["variant"] == "clean"]
    assert {t["doc_type"] for t in clean} == set(synth.DOC_TYPES)  # every type is covered
    right = total = 0
    for t in clean:
        result = analysed[t["file"]]
        assert result.doc_type == t["doc_type"], t["file"]
        assert result.quality == [], t["file"]
        r, n = synth.score_fields(t["fields"], result.fields)
        right, total = right + r, total + n
    assert right / total >= 0.95, f"key fields {right}/{total}"


def test_quality_flags_match_the_defects(
    truth: list[dict[str, Any]], analysed: dict[str, pipeline.PageResult]
) -> None:
    for t in truth:
        result = analysed[t["file"]]
        assert result.quality == t["quality"], t["file"]
        assert len(result.advice) == len(result.quality)
    cropped = next(analysed[t["file"]] for t in truth if t["variant"] == "cropped")
    assert cropped.advice == ["请把材料放平，完整放在框内"]
    assert cropped.advice_en == ["Lay the document flat and fully inside the frame"]


def test_timings_and_summary(analysed: dict[str, pipeline.PageResult]) -> None:
    for result in analysed.values():
        assert set(result.timings_ms) == STAGES
        assert result.timings_ms["total"] >= result.timings_ms["ocr"] > 0
        summary = PageSummary.from_result(result)
        assert summary.doc_type == result.doc_type


def test_output_masks_id_numbers_and_repr_shows_nothing_personal(
    truth: list[dict[str, Any]], analysed: dict[str, pipeline.PageResult]
) -> None:
    t = next(t for t in truth if t["doc_type"] == "id_card_front" and t["variant"] == "clean")
    result = analysed[t["file"]]
    number, name = t["fields"]["id_number"], t["fields"]["name"]
    assert result.fields["id_number"] == number  # in memory: plain
    masked = result.to_json()
    assert masked["fields"]["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert result.to_json(unmasked=True)["fields"]["id_number"] == number
    assert number not in repr(result) and name not in repr(result)


def test_holder_cross_check_through_the_pipeline(truth: list[dict[str, Any]], engine) -> None:  # type: ignore[no-untyped-def]
    t = next(t for t in truth if t["doc_type"] == "id_card_front" and t["variant"] == "clean")
    data = (DATA / t["file"]).read_bytes()
    same = pipeline.analyse_page(data, engine=engine, holder_id=t["fields"]["id_number"])
    other = pipeline.analyse_page(data, engine=engine, holder_id="11010519491231002X")
    assert (same.holder_match, other.holder_match) == ("match", "mismatch")


def test_not_an_image_is_a_value_error(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        pipeline.analyse_page(b"not a picture", engine=engine)


def test_worker_process_answers_and_closes(truth: list[dict[str, Any]]) -> None:
    """The GUI's path: a spawned, warmed worker process (Tesseract here: it starts fastest)."""
    t = next(t for t in truth if t["doc_type"] == "id_card_back")
    options = pipeline.PrecheckOptions(engine="tesseract")
    with pipeline.PrecheckWorker(options) as worker:
        assert worker.warmed.result(timeout=120) > 0
        future = worker.submit((DATA / t["file"]).read_bytes(), t["file"])
        result = future.result(timeout=120)
    assert isinstance(result, pipeline.PageResult)
    assert result.doc_type == "id_card_back"
    with pytest.raises(RuntimeError):
        worker.submit(b"")
    worker.close()  # twice is fine
