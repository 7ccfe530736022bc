"""UVC document camera (高拍仪) through OpenCV, with auto-capture when the page is still.

``device`` is what ``cv2.VideoCapture`` opens: a camera index (0 = /dev/video0), a device
path (``/dev/video2``), or — for tests and training — a video file or an image sequence
(``frames/%03d.png``), which OpenCV plays like a camera.

Auto-capture (``AutoCapture``, pure, fed one frame at a time) takes the picture once a page
is on the mat, has not moved for ``still_frames`` consecutive frames, and is sharp:

- motion: mean absolute difference between consecutive frames, grey, scaled to 160 px wide,
  below ``motion_threshold`` grey levels;
- sharpness: variance of the Laplacian of the frame scaled to 640 px wide, at least
  ``sharpness_threshold`` (grey levels²) — calibrate per camera with
  ``python -m devices.scanner.page``;
- a page: ``devices.scanner.page.locate_page`` finds a whole page (optional).

Threads: ``frames()`` is a generator that blocks on the camera; run it in a worker thread
(the GUI shows the frames it yields). ``close()`` may be called from another thread: reads
and release share a lock, and the generator ends.

Why OpenCV: it speaks V4L2 (UVC) directly, no vendor SDK; ``opencv-python-headless`` because
the full wheel ships Qt plugins that clash with PySide6.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.scanner.base import Scanner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutoCaptureSettings:
    still_frames: int = 8  # consecutive still frames (≈ 0.3–0.5 s at 15–25 fps)
    motion_threshold: float = 3.0  # mean |Δ| grey levels between frames, at 160 px wide
    sharpness_threshold: float = 60.0  # variance of the Laplacian at 640 px wide
    require_page: bool = True  # only when a whole page lies on the mat


class AutoCapture:
    """Decides, frame by frame, when to take the picture. Pure: no camera, no clock."""

    def __init__(self, settings: AutoCaptureSettings | None = None) -> None:
        self.settings = settings or AutoCaptureSettings()
        self._previous: np.ndarray | None = None
        self._still = 0
        self.last_motion = 0.0
        self.last_sharpness = 0.0

    def reset(self) -> None:
        self._previous = None
        self._still = 0

    def feed(self, frame: np.ndarray) -> bool:
        """True when this frame is the one to keep (then the counter starts again)."""
        import cv2

        s = self.settings
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        tiny = cv2.resize(grey, (160, max(1, round(h * 160 / w))), interpolation=cv2.INTER_AREA)
        if self._previous is not None and self._previous.shape == tiny.shape:
            self.last_motion = float(np.mean(cv2.absdiff(tiny, self._previous)))
            moving = self.last_motion >= s.motion_threshold
        else:
            moving = True
        self._previous = tiny
        self._still = 0 if moving else self._still + 1
        if self._still < s.still_frames:
            return False
        small = cv2.resize(grey, (640, max(1, round(h * 640 / w))), interpolation=cv2.INTER_AREA)
        self.last_sharpness = float(cv2.Laplacian(small, cv2.CV_64F).var())
        if self.last_sharpness < s.sharpness_threshold:
            return False
        if s.require_page:
            from devices.scanner.page import locate_page

            location = locate_page(small)
            if location.quad is None or location.touches_edge:
                return False
        self._still = 0
        return True


def auto_capture(
    frames: Iterable[np.ndarray], settings: AutoCaptureSettings | None = None
) -> np.ndarray | None:
    """The first frame at which the page is still and sharp, or None if the frames end."""
    decider = AutoCapture(settings)
    for frame in frames:
        if decider.feed(frame):
            return frame
    return None


class CameraScanner(Scanner):
    """A UVC document camera; ``capture()`` returns a JPEG of an auto-captured frame."""

    def __init__(
        self,
        device: int | str = 0,
        width: int = 1920,
        height: int = 1080,
        *,
        capture_timeout_s: float = 10.0,
        jpeg_quality: int = 90,
        auto: AutoCaptureSettings | None = None,
    ) -> None:
        super().__init__()
        self.device = device
        self.width = width  # px requested; the camera may choose the nearest it supports
        self.height = height
        self.capture_timeout_s = capture_timeout_s
        self.jpeg_quality = jpeg_quality
        self.auto = auto or AutoCaptureSettings()
        self._cap: Any = None
        self._lock = threading.Lock()

    def _open(self) -> None:
        try:
            import cv2
        except ImportError as exc:  # pragma: no cover - cv2 is a dependency
            raise DeviceUnavailable("camera backend needs opencv-python-headless") from exc
        device: int | str = self.device
        if isinstance(device, str) and device.isdigit():
            device = int(device)
        cap = cv2.VideoCapture(device)
        if not cap.isOpened():
            cap.release()
            raise DeviceUnavailable(
                f"document camera {self.device!r} cannot be opened: is it plugged in, and is"
                " the device (index or /dev/videoN) right in the settings?"
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise DeviceUnavailable(f"document camera {self.device!r} opened but gives no picture")
        self._cap = cap
        self._first: np.ndarray | None = frame
        log.info("camera %r open at %dx%d", self.device, frame.shape[1], frame.shape[0])

    def _close(self) -> None:
        with self._lock:
            cap, self._cap = self._cap, None
            if cap is not None:
                cap.release()

    def frame(self) -> np.ndarray:
        """The next frame (BGR). DeviceUnavailable if closed, DeviceTimeout if none comes."""
        with self._lock:
            if self._cap is None:
                raise DeviceUnavailable("the camera is closed")
            first, self._first = self._first, None
            if first is not None:
                return first
            ok, frame = self._cap.read()
        if not ok or frame is None:
            raise DeviceTimeout(f"camera {self.device!r} gave no frame")
        return frame

    def frames(self, max_fps: float | None = None) -> Iterator[np.ndarray]:
        """Frames for the live preview until the camera is closed or stops giving frames;
        ``max_fps`` drops frames to spare the CPU (the preview needs ~10 fps)."""
        interval = 1.0 / max_fps if max_fps else 0.0
        last = 0.0
        while self.is_open:
            try:
                frame = self.frame()
            except (DeviceTimeout, DeviceUnavailable):
                return
            now = time.monotonic()
            if interval and now - last < interval:
                continue
            last = now
            yield frame

    def capture_frame(self) -> np.ndarray:
        """Wait (up to ``capture_timeout_s``) for a still, sharp page; if none comes, the
        last frame — the quality check will then say what is wrong with it."""
        decider = AutoCapture(self.auto)
        deadline = time.monotonic() + self.capture_timeout_s
        last: np.ndarray | None = None
        for frame in self.frames():
            last = frame
            if decider.feed(frame) or time.monotonic() > deadline:
                return frame
        if last is None:
            raise DeviceTimeout(f"camera {self.device!r} gave no frame")
        return last

    def capture(self) -> bytes:
        import cv2

        frame = self.capture_frame()
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:  # pragma: no cover - encoding a valid frame does not fail
            raise DeviceTimeout("could not encode the captured frame")
        return buf.tobytes()
