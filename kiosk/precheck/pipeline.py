"""One captured page in, one ``PageResult`` out: quality → page → lines → OCR → understanding.

Stages and why each is there (timings per stage in ``PageResult.timings_ms``, milliseconds):

``decode``      JPEG/PNG bytes to pixels.
``quality``     find the page (``devices.scanner.page.locate_page``) and judge the capture
                (blurred, too dark/bright, glare, cut off): cheap, and its advice is what the
                citizen needs first.
``warp``        flatten the page (perspective) at ``ocr_side`` px: small text stays legible.
``layout``      find text lines on a ``layout_side`` px copy; skip long body-text lines
                (clauses, filler) that hold no key field — most of OCR's time on a page.
``ocr``         recognise only those lines (one batch).
``reread``      lines that look like an ID number but fail the check digit are read again
                with a digit whitelist.
``understand``  document type, key fields with their checks, the card holder cross-check.

Everything here is a top-level function over picklable values so that the kiosk can run it
in a worker process (``PrecheckWorker``) and the GUI never waits on OCR: a page takes
hundreds of milliseconds of CPU, the GUI's budget per frame is 16 ms.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np

from devices.scanner import page as pagelib
from devices.scanner.page import QualityThresholds
from kiosk.precheck import ocr, understand
from kiosk.precheck.ocr import OcrEngine, TextLine
from kiosk.precheck.understand import mask_fields

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrecheckOptions:
    """How to analyse pages. Picklable, so it travels to the worker process as is."""

    engine: str = ocr.DEFAULT_ENGINE
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)
    ocr_side: int = 2000  # px, long side of the flattened page the lines are cut from
    layout_side: int = 1200  # px, long side of the copy the lines are found on
    body_line_width: float = 0.6  # lines wider than this share of the page, in body-text
    #                               size, are clauses/filler and are not read
    max_lines: int = 40  # lines read per page at most (top first)
    reread_ids: bool = True  # second read of failed ID numbers with a digit whitelist
    ocr_threads: int = 1  # RapidOCR threads; 1 leaves the other core of a kiosk to the GUI


@dataclass
class PageResult:
    """What the pre-check found on one page. Holds plain names and ID numbers in memory:
    use ``to_json`` (masked) for anything shown, printed, sent or logged."""

    file: str
    doc_type: str
    confidence: float
    quality: list[str]
    fields: dict[str, Any]
    readable: bool  # text was read and the type's key fields were found
    missing_fields: list[str]
    holder_match: str  # "match", "mismatch" or "unknown"
    advice: list[str]  # Chinese advice, one per quality flag
    advice_en: list[str]
    quality_metrics: dict[str, float]
    timings_ms: dict[str, float]
    id_numbers: list[str] = field(default_factory=list, repr=False)
    names: list[str] = field(default_factory=list, repr=False)

    def to_json(self, unmasked: bool = False) -> dict[str, Any]:
        """The CLI's page object; ID numbers masked (1101**********002X) unless ``unmasked``."""
        return {
            "file": self.file,
            "doc_type": self.doc_type,
            "confidence": self.confidence,
            "quality": list(self.quality),
            "fields": dict(self.fields) if unmasked else mask_fields(self.fields),
            "readable": self.readable,
            "missing_fields": list(self.missing_fields),
            "holder_match": self.holder_match,
            "advice": list(self.advice),
            "advice_en": list(self.advice_en),
            "quality_metrics": dict(self.quality_metrics),
            "timings_ms": dict(self.timings_ms),
        }

    def __repr__(self) -> str:  # never the plain fields
        return (
            f"PageResult({self.file!r}, {self.doc_type}, {self.confidence:.2f}, "
            f"quality={self.quality}, readable={self.readable})"
        )


class _Clock:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = round(self.times.get(stage, 0.0) + (now - self._t) * 1000, 1)
        self._t = now


def decode(data: bytes) -> np.ndarray:
    """Encoded image bytes to a BGR array; ValueError if they are not an image."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not an image (expected JPEG or PNG bytes)")
    return image


def select_lines(
    boxes: list[ocr.Box], char_h: float, page_width: int, options: PrecheckOptions
) -> list[ocr.Box]:
    """The lines worth reading: not long body-text lines, at most ``max_lines``."""
    keep = [
        b
        for b in boxes
        if not (b[2] > options.body_line_width * page_width and b[3] < 1.4 * char_h)
    ]
    return keep[: options.max_lines]


def analyse_image(
    image: np.ndarray,
    name: str = "",
    *,
    engine: OcrEngine,
    options: PrecheckOptions | None = None,
    holder_name: str = "",
    holder_id: str = "",
    clock: _Clock | None = None,
) -> PageResult:
    """Run every stage on a decoded frame (BGR ``uint8``)."""
    opts = options or PrecheckOptions()
    clock = clock or _Clock()
    t = opts.thresholds
    location = pagelib.locate_page(image, t.detect_side, t.edge_margin)
    quality = pagelib.check_quality(image, location, t)
    clock.lap("quality")

    if location.quad is not None:
        flat = pagelib.warp_page(image, location.quad, opts.ocr_side)
    else:  # no whole page: read what there is, the "cropped" advice comes first anyway
        flat = image
    clock.lap("warp")

    h, w = flat.shape[:2]
    k = min(1.0, opts.layout_side / max(h, w))
    small = cv2.resize(flat, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    boxes, char_h = ocr.find_text_lines(small[:, :, 2] if small.ndim == 3 else small)
    boxes = select_lines(boxes, char_h, small.shape[1], opts)
    boxes = [tuple(round(v / k) for v in b) for b in boxes]  # type: ignore[misc]
    clock.lap("layout")

    lines = engine.read_lines(flat, boxes)  # type: ignore[arg-type]
    clock.lap("ocr")

    if opts.reread_ids:
        lines = _reread_ids(flat, lines, engine)
        clock.lap("reread")

    reading = understand.understand(lines, (w, h))
    match = (
        understand.holder_check(reading, holder_name, holder_id)
        if (holder_name or holder_id)
        else "unknown"
    )
    # read: key fields found; for "other" (no key fields) enough text to be sure of it
    readable = (
        reading.characters >= 8
        and not reading.missing_fields
        and (reading.doc_type != "other" or reading.confidence >= 0.8)
    )
    flags = quality.flags
    clock.lap("understand")
    result = PageResult(
        file=name,
        doc_type=reading.doc_type,
        confidence=reading.confidence,
        quality=flags,
        fields=reading.fields,
        readable=readable,
        missing_fields=reading.missing_fields,
        holder_match=match,
        advice=[pagelib.advice(f, "zh") for f in flags],
        advice_en=[pagelib.advice(f, "en") for f in flags],
        quality_metrics=quality.metrics,
        timings_ms={},
        id_numbers=reading.id_numbers,
        names=reading.names,
    )
    log.info(
        "page %s: %s (%.2f) quality=%s readable=%s holder=%s",
        name or "-",
        result.doc_type,
        result.confidence,
        flags,
        readable,
        match,
    )
    return result


def _reread_ids(flat: np.ndarray, lines: list[TextLine], engine: OcrEngine) -> list[TextLine]:
    """Read again, digits only, the lines whose ID number failed its check; keep a
    re-read only if it yields a valid number."""
    suspects = {id(t) for t in understand.id_like_lines(lines)}
    if not suspects:
        return lines
    out = []
    for line in lines:
        if id(line) not in suspects:
            out.append(line)
            continue
        again = engine.read_lines(flat, [line.box], whitelist="0123456789X")
        fixed = again[0] if again else None
        if fixed and understand.find_id_numbers(fixed.text)[0]:
            # keep the label (Chinese) part of the first reading, then the digits
            prefix = understand.clean(line.text)
            cut = next((i for i, c in enumerate(prefix) if c.isdigit()), len(prefix))
            out.append(TextLine(prefix[:cut] + fixed.text, line.box, fixed.confidence))
        else:
            out.append(line)
    return out


def analyse_page(
    data: bytes,
    name: str = "",
    *,
    engine: OcrEngine | None = None,
    options: PrecheckOptions | None = None,
    holder_name: str = "",
    holder_id: str = "",
) -> PageResult:
    """Analyse one encoded page (JPEG/PNG bytes). Uses this process's shared engine for
    ``options.engine`` unless ``engine`` is given."""
    opts = options or PrecheckOptions()
    clock = _Clock()
    image = decode(data)
    clock.lap("decode")
    result = analyse_image(
        image,
        name,
        engine=engine or shared_engine(opts.engine, opts.ocr_threads),
        options=opts,
        holder_name=holder_name,
        holder_id=holder_id,
        clock=clock,
    )
    result.timings_ms = dict(clock.times)
    result.timings_ms["total"] = round(sum(clock.times.values()), 1)
    return result


# ----------------------------------------------------------------------------- processes
_ENGINES: dict[str, OcrEngine] = {}


def shared_engine(name: str = ocr.DEFAULT_ENGINE, threads: int = 1) -> OcrEngine:
    """This process's engine ``name``, created (and its models loaded) on first use."""
    name = ocr.resolve_engine(name)
    engine = _ENGINES.get(name)
    if engine is None:
        engine = ocr.create_engine(name, **({"threads": threads} if name == "rapidocr" else {}))
        _ENGINES[name] = engine
    return engine


def warm_up(name: str = ocr.DEFAULT_ENGINE, threads: int = 1) -> float:
    """Create and warm this process's engine; returns the milliseconds it took (call it at
    start-up, off the GUI thread, or let ``PrecheckWorker`` do it)."""
    start = time.perf_counter()
    shared_engine(name, threads).warm_up()
    took = (time.perf_counter() - start) * 1000
    log.info("OCR engine %s warmed up in %.0f ms", name, took)
    return took


def _init_worker(name: str, threads: int) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        warm_up(name, threads)
    except Exception:  # the first page will raise the real error to the caller
        log.exception("warming the OCR engine %s failed", name)


class PrecheckWorker:
    """OCR worker process(es) (``workers``, default one), warmed at start, for the kiosk's
    pre-check.

    Why a process: OCR holds the CPU (and, for RapidOCR, the GIL in parts) for hundreds of
    milliseconds per page; in the GUI's process that would stall the touchscreen. Results
    come back as ``concurrent.futures.Future`` objects whose callbacks run on the pool's
    own thread: post them to the GUI thread (the kiosk's Runner) before touching widgets.
    ``close()`` cancels pages not started and waits for the running one (safe twice);
    ``close(wait=False)`` terminates the process instead.
    """

    def __init__(self, options: PrecheckOptions | None = None, workers: int = 1) -> None:
        self.options = options or PrecheckOptions()
        # spawn: never fork a process that has Qt and other threads running
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.options.engine, self.options.ocr_threads),
        )
        self.warmed: Future[float] = self._pool.submit(_ping)

    def submit(
        self, data: bytes, name: str = "", *, holder_name: str = "", holder_id: str = ""
    ) -> Future[PageResult]:
        if self._pool is None:
            raise RuntimeError("the pre-check worker is closed")
        return self._pool.submit(
            analyse_page,
            data,
            name,
            options=self.options,
            holder_name=holder_name,
            holder_id=holder_id,
        )

    def close(self, wait: bool = True) -> None:
        """Stop the worker. ``wait=False`` (the kiosk shutting down) terminates it at once
        instead of waiting for the page (or the model loading) in progress."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not wait:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=5)
        pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PrecheckWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ping() -> float:
    """Runs after the initializer: its future completes when the worker is warm."""
    return time.perf_counter()


def result_to_dict(result: PageResult) -> dict[str, Any]:
    """Every field (plain values) — for tests and in-memory use only."""
    return asdict(result)
