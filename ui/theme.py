"""Fonts, sizes and colours of the normal mode and of 长辈版.

Sizes are in points (pt) for text and pixels for targets. PRODUCT.md asks: normal mode main
text >= 18 pt and targets >= 44x44; 长辈版 largest text >= 30 pt, body readable from 1 m,
targets >= 60x60; text contrast >= 4.5:1 everywhere. The accessibility audit
(tests/ui/test_accessibility.py) measures the rendered screens against ``Metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass

FONT_FAMILY = "Noto Sans CJK SC"

INK = "#1a1a1a"  # on PAPER: 17.4:1
PAPER = "#ffffff"
PRIMARY = "#0b5394"  # white on it: 7.6:1
PRIMARY_INK = "#ffffff"
SECONDARY_BG = "#e8eef5"  # PRIMARY on it: 6.6:1
MUTED = "#4a4a4a"  # on PAPER: 8.9:1
WARN_BG = "#fff4ce"
WARN_INK = "#5c3c00"  # on WARN_BG: 9.4:1
OK_INK = "#0b6b1f"  # on PAPER: 6.9:1
BAR_BG = "#f1f4f8"  # INK on it: 15.7:1
DISABLED_BG = "#5f5f5f"  # white on it: 6.4:1


@dataclass(frozen=True)
class Metrics:
    body_pt: int
    title_pt: int
    tile_pt: int
    number_pt: int
    min_text_pt: int  # what the audit demands of every text
    min_target_px: int  # what the audit demands of every button
    page_size: int  # choices per page on the choose screens: pages, not a scroll area that hides
    # choices below the fold (the 大综窗 lists every item); at most four in 长辈版


NORMAL = Metrics(body_pt=20, title_pt=30, tile_pt=28, number_pt=96, min_text_pt=18,
                 min_target_px=44, page_size=12)  # fmt: skip
ELDER = Metrics(body_pt=28, title_pt=40, tile_pt=36, number_pt=140, min_text_pt=26,
                min_target_px=60, page_size=4)  # fmt: skip


def metrics(elder: bool) -> Metrics:
    return ELDER if elder else NORMAL


def style(elder: bool) -> str:
    m = metrics(elder)
    target = max(m.min_target_px, 64)
    return f"""
QWidget {{ background: {PAPER}; color: {INK}; font-family: "{FONT_FAMILY}";
          font-size: {m.body_pt}pt; }}
QPushButton {{ background: {PRIMARY}; color: {PRIMARY_INK}; border: none; border-radius: 10px;
              padding: 12px 20px; min-height: {target}px; min-width: {target}px; }}
QPushButton:disabled {{ background: {DISABLED_BG}; color: #ffffff; }}
QPushButton[role="tile"] {{ font-size: {m.tile_pt}pt; font-weight: bold; min-height: 160px; }}
QPushButton[role="secondary"] {{ background: {SECONDARY_BG}; color: {PRIMARY}; }}
QPushButton[role="key"] {{ font-size: {m.title_pt}pt; min-height: 80px; }}
QLabel[role="title"] {{ font-size: {m.title_pt}pt; font-weight: bold; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="number"] {{ font-size: {m.number_pt}pt; font-weight: bold; color: {PRIMARY}; }}
QLabel[role="warning"] {{ background: {WARN_BG}; color: {WARN_INK}; padding: 12px;
                         border-radius: 8px; }}
QLabel[role="ok"] {{ color: {OK_INK}; font-weight: bold; }}
QLabel[role="entry"] {{ font-size: {m.title_pt}pt; border: 2px solid {PRIMARY}; padding: 8px; }}
QFrame[role="overlay"] {{ background: rgba(0, 0, 0, 160); }}
QFrame[role="dialog"] {{ background: {PAPER}; border-radius: 16px; }}
QFrame[role="bar"] {{ background: {BAR_BG}; }}
QFrame[role="bar"] QLabel {{ background: {BAR_BG}; }}
"""
