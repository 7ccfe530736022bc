"""Live picture of the document camera (高拍仪) on the pre-check capture screen.

A Python thread reads the camera's ``frames()`` (``devices.scanner.camera``) at about
``FPS`` frames a second, scales each to ``WIDTH`` pixels, measures its sharpness (variance
of the Laplacian at 640 px wide, the measure and threshold auto-capture uses) and hands the
small RGB picture to the GUI thread through a queued signal; the GUI thread only wraps it
in a pixmap (~1 ms). So the preview never stalls the screen, whatever the camera does.

Scanners without ``frames()`` (the folder scanner of ``./run``) have no live picture: the
preview stays hidden. Pressing 拍这一页 still auto-captures: the camera waits for a still,
sharp page (``CameraScanner.capture``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

FPS = 8.0
WIDTH = 360


class _Frames(QObject):
    ready = Signal(object)  # (rgb bytes, width, height, sharpness); queued to the GUI thread


class CameraPreview(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("camera_preview")
        self.setProperty("silent", True)  # a picture: nothing to read aloud
        self.setFixedWidth(WIDTH)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._frames = _Frames()
        self._frames.ready.connect(self._show)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_shown = 0
        self.sharpness = 0.0
        self.on_frame: Any = None  # set by the screen: called with the sharpness of each frame

    @staticmethod
    def available(scanner: object) -> bool:
        return callable(getattr(scanner, "frames", None))

    def start(self, scanner: Any) -> None:
        """Show ``scanner``'s live picture (from another thread) until ``stop``."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(scanner,), name="camera-preview", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2.0)

    def _run(self, scanner: Any) -> None:
        import cv2

        interval = 1.0 / FPS
        try:
            for frame in scanner.frames():
                if self._stop.is_set():
                    return
                started = time.monotonic()
                h, w = frame.shape[:2]
                grey = cv2.cvtColor(cv2.resize(frame, (640, max(1, h * 640 // w))),
                                    cv2.COLOR_BGR2GRAY)  # fmt: skip
                sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
                small = cv2.resize(frame, (WIDTH, max(1, h * WIDTH // w)),
                                   interpolation=cv2.INTER_AREA)  # fmt: skip
                rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
                self._frames.ready.emit((rgb.tobytes(), rgb.shape[1], rgb.shape[0], sharpness))
                # pace the picture (a video file used for training would play at once)
                self._stop.wait(max(0.0, interval - (time.monotonic() - started)))
        except Exception:  # noqa: BLE001 — the camera went away: the picture just stops
            return

    @Slot(object)
    def _show(self, item: tuple[bytes, int, int, float]) -> None:
        if self._stop.is_set():
            return
        data, w, h, sharpness = item
        image = QImage(data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.setPixmap(QPixmap.fromImage(image))
        self.frames_shown += 1
        self.sharpness = sharpness
        if self.on_frame is not None:
            self.on_frame(sharpness)
