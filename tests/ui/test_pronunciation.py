"""Every Chinese prompt the kiosk can speak is phonemized by the engine actually used
(espeak-ng through voice.espeak), with no fallback to English letter names or tone numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.app import KioskCore
from ui.main_window import MainWindow
from ui.tour import tour
from voice.espeak import phonemes, pronunciation_problems

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _source_strings() -> list[str]:
    tree = ET.parse(ROOT / "ui" / "i18n" / "kiosk_en.ts")
    return sorted({s.text or "" for s in tree.iter("source") if HAN.search(s.text or "")})


@pytest.mark.slow
def test_every_prompt_is_spoken_in_mandarin(window: MainWindow, core: KioskCore) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    spoken: set[str] = set()
    for name in tour(app, window, core):
        if "-zh-" in name:
            spoken.add(window.announcement())  # the composed words of each screen and overlay
    catalog = core.catalog
    spoken |= {s.name for s in catalog.services} | {b.name for b in catalog.bundles}
    spoken |= {g.name + g.location for g in catalog.groups}
    spoken |= {m.name for s in catalog.services for m in s.materials}
    spoken |= set(_source_strings())
    assert len(spoken) > 150
    problems = {}
    for text in sorted(spoken):
        found = pronunciation_problems(phonemes(text))
        if found:
            problems[text] = found
    assert not problems, "\n".join(f"{t!r}: {p}" for t, p in problems.items())
