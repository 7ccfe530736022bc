"""The generator of synthetic documents: deterministic, every type, truthful."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from kiosk.precheck import synth
from kiosk.precheck.understand import KEY_FIELDS, is_credit_code, valid_id


def test_same_seed_same_bytes() -> None:
    a = synth.render_sample(42, "business_license", "glare", frame=(800, 600))
    b = synth.render_sample(42, "business_license", "glare", frame=(800, 600))
    c = synth.render_sample(43, "business_license", "glare", frame=(800, 600))
    assert a.jpeg == b.jpeg and a.fields == b.fields
    assert a.jpeg != c.jpeg


def test_every_type_renders_with_its_key_fields() -> None:
    for i, doc_type in enumerate(synth.DOC_TYPES):
        doc = synth.RENDERERS[doc_type](__import__("random").Random(i))
        assert doc.doc_type == doc_type
        assert set(doc.fields) == set(KEY_FIELDS[doc_type])
        for key, value in doc.fields.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                assert v
                if "id_number" in key:
                    assert valid_id(v) == v
                if key == "credit_code":
                    assert is_credit_code(v)


def test_variants_and_written_set(tmp_path: Path) -> None:
    samples = list(
        synth.generate(len(synth.VARIANTS), seed=5, variants=synth.VARIANTS, frame=(640, 480))
    )
    assert [s.variant for s in samples] == ["clean"] * len(synth.VARIANTS)  # one type cycle each
    samples = [
        synth.render_sample(i, "id_card_back", v, frame=(640, 480))
        for i, v in enumerate(synth.VARIANTS)
    ]
    for s in samples:
        assert s.quality == ([] if s.variant == "clean" else [s.variant])
        image = cv2.imdecode(np.frombuffer(s.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (480, 640, 3)
    truth_path = synth.write_set(iter(samples), tmp_path, max_side=320)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert [t["file"] for t in truth] == [s.name for s in samples]
    assert all(cv2.imread(str(tmp_path / s.name)).shape[:2] == (240, 320) for s in samples)
    assert all((tmp_path / s.name).stat().st_size < 40_000 for s in samples)


def test_cli_writes_a_set(tmp_path: Path) -> None:
    assert (
        synth.main([str(tmp_path), "--count", "2", "--variants", "clean", "--max-side", "400"]) == 0
    )
    assert len(list(tmp_path.glob("*.jpg"))) == 2
