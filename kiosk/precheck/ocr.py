"""OCR engines behind one interface, and the text-line finder that keeps them fast.

Why the line finder: recognising a whole page is where the time goes (DEVICES.md: ~3 s per
A4 page with Tesseract, ~2 s with RapidOCR on a 2-core kiosk). Documents are mostly paper,
ruled lines, photos and seals. ``find_text_lines`` finds the text lines with plain OpenCV
(adaptive threshold, ruled lines removed, characters merged into lines; ~50 ms), and each
engine then recognises only those line images, each scaled to the height the engine reads
best. Tesseract gets them stacked into one image (one process start instead of one per
line); RapidOCR gets them as one batch for its recognition model, skipping its detector.

Engines:

``tesseract``  pytesseract + Debian's ``chi_sim`` and ``eng`` models (the fast integer
               models). Tesseract puts spaces between Chinese characters; they are removed.
               A whitelist (e.g. ``0123456789X``) is passed to Tesseract with the ``eng``
               model, which reads digits better than ``chi_sim``.
``rapidocr``   ``rapidocr-onnxruntime`` (PP-OCR models shipped inside the wheel, offline).
               Its first call takes seconds (model load): call ``warm_up()`` at start-up,
               off the GUI thread. A whitelist is applied after recognition (characters
               outside it are dropped, common look-alikes mapped).

All inputs are numpy images (BGR or grey ``uint8``); boxes are ``(x, y, w, h)`` in pixels of
the image given; confidences are 0–1.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # x, y, width, height — pixels

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_CJK_SPACE_MIXED = re.compile(rf"(?<=[{_CJK}])\s+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])\s+(?=[{_CJK}])")


def strip_cjk_spaces(text: str) -> str:
    """Remove the spaces Tesseract puts between Chinese characters (and next to them).

    "公 民 身 份 号 码 1101" -> "公民身份号码1101"; spaces between Latin words stay.
    """
    text = _CJK_SPACE.sub("", text)
    return _CJK_SPACE_MIXED.sub("", text).strip()


@dataclass(frozen=True)
class TextLine:
    """One recognised line: its text, where it is, and how sure the engine was (0–1)."""

    text: str
    box: Box
    confidence: float


# ----------------------------------------------------------------------------- layout
def find_text_lines(grey: np.ndarray, max_lines: int = 60) -> tuple[list[Box], float]:
    """Text-line boxes of a flattened page, top to bottom, and the typical character height.

    ``grey`` should be the page at roughly 1000–1400 px on its long side. Ruled lines (forms,
    tables) are removed first so that they neither merge with text nor reach the OCR;
    characters closer than about one character height are merged into one line, so table
    cells and label/value pairs far apart stay separate boxes. Returns at most
    ``max_lines`` boxes (the top ones), and the character height in pixels.
    """
    h, w = grey.shape[:2]
    binary = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    horizontal = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 12), 1))
    )
    vertical = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 12)))
    )
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    binary = cv2.subtract(binary, rules)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    usable = (heights >= 6) & (heights < h / 8) & (stats[1:, cv2.CC_STAT_AREA] > 8)
    char_h = float(np.percentile(heights[usable], 80)) if usable.any() else 20.0
    kernel = cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(3, int(char_h * 1.1)), max(1, int(char_h * 0.3)))
    )
    merged = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(merged, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[Box] = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if bh < 0.5 * char_h or bh > 4 * char_h or bw < 0.8 * bh:
            continue
        boxes.append((x, y, bw, bh))
    row = max(1, int(char_h * 0.5))
    boxes.sort(key=lambda b: (b[1] // row, b[0]))
    return boxes[:max_lines], char_h


def crop(image: np.ndarray, box: Box, pad: int = 0) -> np.ndarray:
    """The part of ``image`` inside ``box`` grown by ``pad`` px, clipped to the image."""
    x, y, w, h = box
    H, W = image.shape[:2]
    return image[max(0, y - pad) : min(H, y + h + pad), max(0, x - pad) : min(W, x + w + pad)]


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    # the red channel: red seals (公章) over the text become paper-white
    return np.ascontiguousarray(image[:, :, 2])


# ----------------------------------------------------------------------------- engines
class OcrEngine:
    """Recognise text in an image. Subclasses implement ``_read`` and may override
    ``read_lines`` with a faster batch path."""

    name = "engine"

    def warm_up(self) -> float:
        """Load models now (not on the first citizen's page); returns the time taken, ms."""
        start = time.perf_counter()
        self.read(np.full((48, 200, 3), 255, np.uint8))
        return (time.perf_counter() - start) * 1000

    def read(
        self, image: np.ndarray, *, roi: Box | None = None, whitelist: str | None = None
    ) -> list[TextLine]:
        """Lines of text in ``image`` (or in its region ``roi``); boxes in image coordinates."""
        if roi is not None:
            part = crop(image, roi)
            lines = self._read(part, whitelist)
            x0, y0 = max(0, roi[0]), max(0, roi[1])
            return [
                TextLine(t.text, (t.box[0] + x0, t.box[1] + y0, t.box[2], t.box[3]), t.confidence)
                for t in lines
            ]
        return self._read(image, whitelist)

    def read_lines(
        self, image: np.ndarray, boxes: list[Box], *, whitelist: str | None = None
    ) -> list[TextLine]:
        """One TextLine per box (in order), each box read as a single line."""
        out = []
        for box in boxes:
            found = self.read(image, roi=box, whitelist=whitelist)
            text = "".join(t.text for t in found)
            conf = float(np.mean([t.confidence for t in found])) if found else 0.0
            out.append(TextLine(text, box, conf))
        return out

    def _read(self, image: np.ndarray, whitelist: str | None) -> list[TextLine]:
        raise NotImplementedError

    def close(self) -> None:
        """Free the models (safe to call twice)."""


class TesseractEngine(OcrEngine):
    """Tesseract through pytesseract (one ``tesseract`` process per call)."""

    name = "tesseract"

    def __init__(self, lang: str = "chi_sim", line_height: int = 36, timeout_s: float = 20) -> None:
        import pytesseract  # imported here so a kiosk without it fails only when chosen

        # Tesseract's OpenMP threads spin while waiting: with other work on 2 cores that
        # triples its CPU time (measured: 2.4 s -> 0.7 s per page). One thread per process.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._tess = pytesseract
        self.lang = lang
        self.line_height = line_height  # px: each line is scaled to this height
        self.timeout_s = timeout_s

    def _config(self, psm: int, whitelist: str | None) -> tuple[str, str]:
        config = f"--psm {psm} -c preserve_interword_spaces=1"
        lang = self.lang
        if whitelist:
            config += f" -c tessedit_char_whitelist={whitelist}"
            lang = "eng"
        return lang, config

    def _data(self, image: np.ndarray, psm: int, whitelist: str | None) -> dict[str, list[Any]]:
        lang, config = self._config(psm, whitelist)
        return self._tess.image_to_data(
            image,
            lang=lang,
            config=config,
            output_type=self._tess.Output.DICT,
            timeout=self.timeout_s,
        )

    def _read(self, image: np.ndarray, whitelist: str | None) -> list[TextLine]:
        data = self._data(_grey(image), 11 if whitelist is None else 7, whitelist)
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= 0:
                key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                groups.setdefault(key, []).append(i)
        lines = []
        for idx in groups.values():
            lines.append(self._line(data, idx))
        lines.sort(key=lambda t: (t.box[1], t.box[0]))
        return lines

    @staticmethod
    def _line(
        data: dict[str, list[Any]], idx: list[int], offset: tuple[int, int] = (0, 0)
    ) -> TextLine:
        idx = sorted(idx, key=lambda i: data["left"][i])
        text = strip_cjk_spaces(" ".join(data["text"][i] for i in idx))
        x0 = min(data["left"][i] for i in idx)
        y0 = min(data["top"][i] for i in idx)
        x1 = max(data["left"][i] + data["width"][i] for i in idx)
        y1 = max(data["top"][i] + data["height"][i] for i in idx)
        conf = float(np.mean([float(data["conf"][i]) for i in idx])) / 100
        return TextLine(text, (x0 + offset[0], y0 + offset[1], x1 - x0, y1 - y0), conf)

    def read_lines(
        self, image: np.ndarray, boxes: list[Box], *, whitelist: str | None = None
    ) -> list[TextLine]:
        """All boxes in one Tesseract call: the lines, scaled to ``line_height``, are stacked
        into one tall image with white gaps, and words are mapped back by their position."""
        if not boxes:
            return []
        grey = _grey(image)
        gap = self.line_height // 2
        pieces, spans = [], []
        y = gap
        for box in boxes:
            part = crop(grey, box, pad=max(2, box[3] // 8))
            k = self.line_height / max(1, part.shape[0])
            part = cv2.resize(
                part,
                (max(1, round(part.shape[1] * k)), self.line_height),
                interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC,
            )
            pieces.append((y, part))
            spans.append((y, y + self.line_height))
            y += self.line_height + gap
        width = max(p.shape[1] for _, p in pieces) + 2 * gap
        strip = np.full((y, width), 255, np.uint8)
        for top, part in pieces:
            strip[top : top + part.shape[0], gap : gap + part.shape[1]] = part
        data = self._data(strip, 6 if whitelist is None else 6, whitelist)
        per_box: list[list[int]] = [[] for _ in boxes]
        for i, word in enumerate(data["text"]):
            if not word.strip() or float(data["conf"][i]) < 0:
                continue
            centre = data["top"][i] + data["height"][i] / 2
            for n, (a, b) in enumerate(spans):
                if a - gap / 2 <= centre < b + gap / 2:
                    per_box[n].append(i)
                    break
        out = []
        for box, idx in zip(boxes, per_box, strict=True):
            if not idx:
                out.append(TextLine("", box, 0.0))
                continue
            line = self._line(data, idx)
            out.append(TextLine(line.text, box, line.confidence))
        return out


_LOOKALIKE_DIGITS = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "x": "X",
        "×": "X",
    }
)


def apply_whitelist(text: str, whitelist: str) -> str:
    """Map look-alikes (O→0, l→1, x→X …) where the target is allowed, then drop the rest."""
    mapped = "".join(
        c
        if c in whitelist
        else (c.translate(_LOOKALIKE_DIGITS) if c.translate(_LOOKALIKE_DIGITS) in whitelist else "")
        for c in text
    )
    return mapped


class RapidOcrEngine(OcrEngine):
    """RapidOCR (PP-OCR models on ONNX Runtime, inside the ``rapidocr-onnxruntime`` wheel)."""

    name = "rapidocr"

    def __init__(self, threads: int = 1, rec_height: int = 40) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # the caller (settings, CLI) says which package is missing
            raise ImportError("the rapidocr engine needs the package rapidocr-onnxruntime") from exc
        # Recognition one line at a time with no minimum width: batching pads every line to
        # the widest in its batch and to at least 320 px, so a two-character label costs as
        # much as a sentence (business licence: 1660 ms CPU batched, 813 ms this way, same
        # text). Lines at 40 px instead of the model's 48: CPU time grows with the pixels,
        # and on 36 generated pages 40 px read every key field (609 vs 798 ms CPU p50);
        # 32 px lost 2 of 92. One thread: the GUI keeps the other core.
        self._ocr: Any = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            rec_img_shape=[3, rec_height, 64],
            rec_batch_num=1,
        )
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)

    def _read(self, image: np.ndarray, whitelist: str | None) -> list[TextLine]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        result, _ = self._ocr(image, use_cls=False)
        lines = []
        for points, text, score in result or []:
            pts = np.asarray(points, np.float32)
            x, y, w, h = cv2.boundingRect(pts)
            text = apply_whitelist(text, whitelist) if whitelist else text.strip()
            lines.append(TextLine(text, (x, y, w, h), float(score)))
        return lines

    def read_lines(
        self, image: np.ndarray, boxes: list[Box], *, whitelist: str | None = None
    ) -> list[TextLine]:
        """The recognition model alone, on all the line crops in one batch (no detector)."""
        if not boxes:
            return []
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        crops = [np.ascontiguousarray(crop(image, b, pad=max(2, b[3] // 8))) for b in boxes]
        result, _ = self._ocr.text_rec(crops)
        out = []
        for box, (text, score) in zip(boxes, result, strict=True):
            text = apply_whitelist(text, whitelist) if whitelist else text.strip()
            out.append(TextLine(text, box, float(score)))
        return out

    def close(self) -> None:
        self._ocr = None


ENGINES = {"tesseract": TesseractEngine, "rapidocr": RapidOcrEngine}
# "auto": the first installed of these. RapidOCR first: on the generated documents it read
# every key field of clean pages right where Tesseract missed about one in six (mostly
# rarer characters in names), and with line-by-line recognition it is also the faster
# (numbers in benchmarks/precheck.py and the report of issue 6).
PREFERENCE = ("rapidocr", "tesseract")
DEFAULT_ENGINE = "auto"


def resolve_engine(name: str = DEFAULT_ENGINE) -> str:
    """The engine name ``auto`` stands for here, or ``name`` itself."""
    if name != "auto":
        return name
    installed = available_engines()
    for candidate in PREFERENCE:
        if candidate in installed:
            return candidate
    raise ImportError("no OCR engine installed: install rapidocr-onnxruntime or pytesseract")


def create_engine(name: str = DEFAULT_ENGINE, **options: Any) -> OcrEngine:
    """The OCR engine called ``name`` ("auto", "rapidocr", "tesseract"); ImportError names
    a missing package, KeyError a misspelt engine."""
    name = resolve_engine(name)
    try:
        cls = ENGINES[name]
    except KeyError:
        raise KeyError(
            f"unknown OCR engine {name!r}; allowed: auto, {', '.join(ENGINES)}"
        ) from None
    return cls(**options)


def available_engines() -> list[str]:
    """Engines whose libraries are installed (the settings screen offers these)."""
    import importlib.util

    modules = {"tesseract": "pytesseract", "rapidocr": "rapidocr_onnxruntime"}
    return [name for name, module in modules.items() if importlib.util.find_spec(module)]
