"""The issue's accuracy targets on freshly generated documents (seeds other than the
committed set's): blurred pages flagged ≥ 95 % with ≤ 5 % false alarms on sharp pages;
document type ≥ 97 % and key fields ≥ 95 % on acceptable captures.

"Acceptable captures" are the generator's ``clean`` variant: rotation, perspective, shadow,
noise, mild blur (σ ≤ 0.7 px) and JPEG compression — the pages the quality check lets
through. Pages with a quality defect are told to rescan first; their reading is measured by
benchmarks/precheck.py, not held to these targets.
"""

from __future__ import annotations

import pytest

from devices.scanner.page import check_quality
from kiosk.precheck import pipeline, synth
from kiosk.precheck.pipeline import decode


def blur_rates(samples: list[synth.Sample]) -> tuple[float, float]:
    blurred = [s for s in samples if s.variant == "blurred"]
    sharp = [s for s in samples if s.variant != "blurred"]
    hit = sum("blurred" in check_quality(decode(s.jpeg)).flags for s in blurred)
    false = sum("blurred" in check_quality(decode(s.jpeg)).flags for s in sharp)
    return hit / len(blurred), false / len(sharp)


def test_blur_detection_small_set() -> None:
    samples = list(synth.generate(18, seed=31, variants=("blurred", "clean")))
    detected, false_alarms = blur_rates(samples)
    assert detected >= 0.95 and false_alarms <= 0.05


@pytest.mark.slow
def test_blur_detection_rates() -> None:
    variants = ("blurred", "clean", "blurred", "glare", "blurred", "too_dark", "blurred", "cropped")
    samples = list(synth.generate(9 * len(variants), seed=41, variants=variants))
    detected, false_alarms = blur_rates(samples)
    assert detected >= 0.95, f"blurred pages flagged: {detected:.1%}"
    assert false_alarms <= 0.05, f"sharp pages flagged: {false_alarms:.1%}"


@pytest.mark.slow
def test_type_and_field_accuracy(engine) -> None:  # type: ignore[no-untyped-def]
    samples = list(synth.generate(9 * 8, seed=51, variants=("clean",)))
    types = fields = total = 0
    for s in samples:
        result = pipeline.analyse_page(s.jpeg, s.name, engine=engine)
        types += result.doc_type == s.doc_type
        right, n = synth.score_fields(s.fields, result.fields)
        fields, total = fields + right, total + n
    assert types / len(samples) >= 0.97, f"document type {types}/{len(samples)}"
    assert fields / total >= 0.95, f"key fields {fields}/{total}"
