"""Handwriting through Zinnia's C API (ctypes) with Debian's tegaki-zinnia-simplified-chinese
model: strokes of (x, y) points on a square pad -> the likeliest characters.

Zinnia compares stroke shapes on the pad's own coordinates (it normalises by the width and
height given), so the pad passes its size with the strokes.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Sequence
from ctypes import c_char_p, c_float, c_int, c_size_t, c_void_p
from pathlib import Path

from ime import base
from ime.base import EngineStatus

log = logging.getLogger(__name__)

LIBRARY = "libzinnia.so.0"
MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
MAX_STROKES = 40  # a character has fewer; more is a scribble
MAX_POINTS = 400  # per stroke, after the pad's thinning

Stroke = Sequence[tuple[float, float]]


def _declare(lib: ctypes.CDLL) -> None:
    v = c_void_p
    sigs = {
        "zinnia_recognizer_new": (v, []),
        "zinnia_recognizer_open": (c_int, [v, c_char_p]),
        "zinnia_recognizer_strerror": (c_char_p, [v]),
        "zinnia_recognizer_destroy": (None, [v]),
        "zinnia_recognizer_classify": (v, [v, v, c_size_t]),
        "zinnia_character_new": (v, []),
        "zinnia_character_destroy": (None, [v]),
        "zinnia_character_set_width": (None, [v, c_size_t]),
        "zinnia_character_set_height": (None, [v, c_size_t]),
        "zinnia_character_add": (c_int, [v, c_size_t, c_int, c_int]),
        "zinnia_result_value": (c_char_p, [v, c_size_t]),
        "zinnia_result_score": (c_float, [v, c_size_t]),
        "zinnia_result_size": (c_size_t, [v]),
        "zinnia_result_destroy": (None, [v]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)  # AttributeError: not Zinnia
        fn.restype, fn.argtypes = restype, argtypes


class HandwritingEngine:
    def __init__(self, library: str = LIBRARY, model: Path = MODEL) -> None:
        self.library = library
        self.model = Path(model)
        self.status: EngineStatus = base.NOT_STARTED
        self._lib: ctypes.CDLL | None = None
        self._recognizer: int | None = None
        self._lock = threading.Lock()
        self.start_seconds = 0.0

    def start(self) -> EngineStatus:
        """Load the library and the model (blocking, tens of ms). Idempotent."""
        with self._lock:
            if self.status.ready or self.status.unavailable:
                return self.status
            began = time.perf_counter()
            try:
                if not self.model.is_file():
                    raise RuntimeError(
                        f"no handwriting model {self.model} (tegaki-zinnia-simplified-chinese)"
                    )
                lib = ctypes.CDLL(self.library)
                _declare(lib)
                recognizer = lib.zinnia_recognizer_new()
                if not recognizer:
                    raise RuntimeError("zinnia_recognizer_new failed")
                if not lib.zinnia_recognizer_open(recognizer, str(self.model).encode()):
                    error = (lib.zinnia_recognizer_strerror(recognizer) or b"").decode()
                    lib.zinnia_recognizer_destroy(recognizer)
                    raise RuntimeError(f"cannot open {self.model}: {error}")
            except (OSError, AttributeError, RuntimeError) as exc:
                self.status = base.unavailable(str(exc))
                log.warning("handwriting input unavailable: %s", exc)
                return self.status
            self._lib, self._recognizer = lib, recognizer
            self.start_seconds = time.perf_counter() - began
            self.status = base.READY
            return self.status

    def recognize(
        self, strokes: Sequence[Stroke], width: int, height: int, n: int = 10
    ) -> list[str]:
        """The ``n`` likeliest characters for ``strokes`` drawn on a ``width``×``height``
        pad, best first; empty for no strokes or a scribble of too many strokes."""
        with self._lock:
            if not self.status.ready or self._lib is None:
                raise RuntimeError(f"handwriting engine not ready ({self.status.state.value})")
            strokes = [s for s in strokes if len(s) > 0]
            if not strokes or len(strokes) > MAX_STROKES:
                return []
            lib = self._lib
            character = lib.zinnia_character_new()
            try:
                lib.zinnia_character_set_width(character, max(1, int(width)))
                lib.zinnia_character_set_height(character, max(1, int(height)))
                for i, stroke in enumerate(strokes):
                    for x, y in stroke[:MAX_POINTS]:
                        lib.zinnia_character_add(character, i, round(x), round(y))
                result = lib.zinnia_recognizer_classify(self._recognizer, character, n)
                if not result:
                    return []
                try:
                    size = lib.zinnia_result_size(result)
                    return [lib.zinnia_result_value(result, i).decode() for i in range(size)]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(character)

    def close(self) -> None:
        with self._lock:
            if self._lib is not None and self._recognizer:
                self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._lib, self._recognizer = None, None
            if self.status.ready:
                self.status = base.NOT_STARTED
