"""Fonts, sizes and colours of the normal mode.

Sizes are in points (pt); PRODUCT.md asks main text >= 18 pt, targets >= 44x44 px, text
contrast >= 4.5:1. The colours below are chosen for that (ratios in the comments).
"""

from __future__ import annotations

FONT_FAMILY = "Noto Sans CJK SC"
BODY_PT = 20
TITLE_PT = 30
TILE_PT = 28
NUMBER_PT = 96  # the ticket number on screen
MIN_TARGET_PX = 64

INK = "#1a1a1a"  # on PAPER: 16.9:1
PAPER = "#ffffff"
PRIMARY = "#0b5394"  # white on it: 7.6:1
PRIMARY_INK = "#ffffff"
MUTED = "#4a4a4a"  # on PAPER: 8.9:1
WARN_BG = "#fff4ce"
WARN_INK = "#5c3c00"  # on WARN_BG: 9.0:1
OK_INK = "#0b6b1f"  # on PAPER: 6.6:1
CORE_INK = "#a10000"  # on PAPER: 7.9:1

STYLE = f"""
QWidget {{ background: {PAPER}; color: {INK}; font-family: "{FONT_FAMILY}";
          font-size: {BODY_PT}pt; }}
QPushButton {{ background: {PRIMARY}; color: {PRIMARY_INK}; border: none; border-radius: 10px;
              padding: 12px 20px; min-height: {MIN_TARGET_PX}px; min-width: {MIN_TARGET_PX}px; }}
QPushButton:disabled {{ background: #8a8a8a; color: #ffffff; }}
QPushButton[role="tile"] {{ font-size: {TILE_PT}pt; font-weight: bold; min-height: 160px; }}
QPushButton[role="secondary"] {{ background: #e8eef5; color: {PRIMARY}; }}
QPushButton[role="key"] {{ font-size: {TITLE_PT}pt; min-height: 80px; }}
QLabel[role="title"] {{ font-size: {TITLE_PT}pt; font-weight: bold; }}
QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel[role="number"] {{ font-size: {NUMBER_PT}pt; font-weight: bold; color: {PRIMARY}; }}
QLabel[role="warning"] {{ background: {WARN_BG}; color: {WARN_INK}; padding: 12px;
                         border-radius: 8px; }}
QLabel[role="ok"] {{ color: {OK_INK}; font-weight: bold; }}
QLabel[role="entry"] {{ font-size: {TITLE_PT}pt; border: 2px solid {PRIMARY}; padding: 8px; }}
QFrame[role="overlay"] {{ background: rgba(0, 0, 0, 160); }}
QFrame[role="dialog"] {{ background: {PAPER}; border-radius: 16px; }}
QFrame[role="bar"] {{ background: #f1f4f8; }}
QFrame[role="bar"] QLabel {{ background: #f1f4f8; }}
"""
