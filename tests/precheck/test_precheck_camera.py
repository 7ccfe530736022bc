"""Capture: auto-capture on synthetic frame sequences, the OpenCV camera backend played from
a video file, the folder scanner, and backend selection."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.scanner.base import create_scanner
from devices.scanner.camera import AutoCapture, AutoCaptureSettings, CameraScanner, auto_capture
from devices.scanner.folder import FolderScanner
from kiosk.precheck import synth

SIZE = (640, 480)


@pytest.fixture(scope="module")
def page_frame() -> np.ndarray:
    sample = synth.render_sample(11, "business_license", frame=SIZE)
    return cv2.imdecode(np.frombuffer(sample.jpeg, np.uint8), cv2.IMREAD_COLOR)


def shifted(frame: np.ndarray, dx: int) -> np.ndarray:
    return np.roll(frame, dx, axis=1)


def test_captures_once_the_page_is_still(page_frame: np.ndarray) -> None:
    moving = [shifted(page_frame, 12 * i) for i in range(10)]
    still = [page_frame.copy() for _ in range(12)]
    decider = AutoCapture(AutoCaptureSettings(still_frames=5))
    decisions = [decider.feed(f) for f in moving + still]
    assert not any(decisions[:10])  # never while moving
    assert decisions.index(True) == 10 + 5  # the 5th still frame after the first still one
    assert decider.last_motion < 1.0


def test_blurred_or_empty_frames_are_never_captured(page_frame: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(page_frame, (0, 0), 6)
    assert auto_capture([blurred] * 30, AutoCaptureSettings(still_frames=3)) is None
    desk = np.full_like(page_frame, 60)
    desk += np.random.default_rng(1).integers(0, 3, desk.shape, dtype=np.uint8)
    assert (
        auto_capture([desk] * 30, AutoCaptureSettings(still_frames=3, sharpness_threshold=0))
        is None
    )


def test_auto_capture_returns_the_sharp_still_frame(page_frame: np.ndarray) -> None:
    frames = [shifted(page_frame, 20 * i) for i in range(5)] + [page_frame] * 10
    got = auto_capture(iter(frames), AutoCaptureSettings(still_frames=4))
    assert got is page_frame


def _video(path: Path, frames: list[np.ndarray]) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, SIZE)
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()
    return str(path)


def test_camera_backend_plays_a_video_and_captures(tmp_path: Path, page_frame: np.ndarray) -> None:
    frames = [shifted(page_frame, 15 * i) for i in range(6)] + [page_frame] * 20
    video = _video(tmp_path / "mat.avi", frames)
    with create_scanner("camera", device=video, width=SIZE[0], height=SIZE[1]) as camera:
        assert isinstance(camera, CameraScanner)
        camera.auto = AutoCaptureSettings(still_frames=4, motion_threshold=4.0)
        jpeg = camera.capture()
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[:2] == (SIZE[1], SIZE[0])
        preview = camera.frames()
        assert next(preview).shape == image.shape
    assert list(preview) == []  # the generator ends once the camera is closed
    with pytest.raises(DeviceUnavailable):
        camera.frame()


def test_capture_times_out_to_the_last_frame_when_never_still(
    tmp_path: Path, page_frame: np.ndarray
) -> None:
    video = _video(tmp_path / "shaky.avi", [shifted(page_frame, 25 * i) for i in range(12)])
    with CameraScanner(video, *SIZE, capture_timeout_s=0.0) as camera:
        assert camera.capture()[:2] == b"\xff\xd8"  # a JPEG all the same
    with CameraScanner(video, *SIZE, capture_timeout_s=30) as camera:
        list(camera.frames())  # play to the end
        with pytest.raises(DeviceTimeout):
            camera.capture()


def test_missing_camera_says_so(tmp_path: Path) -> None:
    camera = CameraScanner(str(tmp_path / "no-such-camera.avi"))
    with pytest.raises(DeviceUnavailable, match="cannot be opened"):
        camera.open()
    camera.close()


def test_folder_scanner_order_settling_and_repeat(tmp_path: Path) -> None:
    old = time.time() - 60
    for i, name in enumerate(("b.jpg", "a.png", "notes.txt")):
        (tmp_path / name).write_bytes(name.encode())
        os.utime(tmp_path / name, (old + i, old + i))
    (tmp_path / "fresh.jpg").write_bytes(b"still being copied")
    with FolderScanner(tmp_path, repeat=True, settle_s=30) as scanner:
        assert scanner.capture() == b"b.jpg"
        assert scanner.capture() == b"a.png"
        assert scanner.capture() == b"b.jpg"  # repeat: start over, fresh.jpg not settled yet
    with FolderScanner(tmp_path) as once:
        once.settle_s = 0
        assert [once.capture() for _ in range(3)] == [b"b.jpg", b"a.png", b"still being copied"]
        with pytest.raises(DeviceTimeout):
            once.capture()
    with pytest.raises(DeviceUnavailable):
        FolderScanner(tmp_path / "missing").open()


def test_sample_documents_are_there_for_the_folder_scanner() -> None:
    folder = Path(__file__).resolve().parents[2] / "config" / "sample_documents"
    with FolderScanner(folder, settle_s=0) as scanner:
        first = scanner.capture()
    assert first[:2] == b"\xff\xd8"
    assert sum(p.stat().st_size for p in folder.iterdir()) < 2_000_000


def test_unknown_backend_lists_camera() -> None:
    with pytest.raises(DeviceUnavailable, match="camera"):
        create_scanner("nope")
