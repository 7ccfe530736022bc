"""Stand-ins for the pyttsx3 engine and the aplay player, to test EspeakVoice's threading."""

from __future__ import annotations

import io
import threading
import time
import wave
from array import array
from collections.abc import Callable

from voice.playback import scale_volume

SAMPLE = 1000  # value of every sample the stub engine writes


def silence_wav(frames: int, value: int = SAMPLE) -> bytes:
    """A 22.05 kHz mono 16-bit WAV of ``frames`` samples, all equal to ``value``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22050)
        writer.writeframes(array("h", [value] * frames).tobytes())
    return out.getvalue()


class StubEngine:
    """Writes a WAV of 100 frames per character; synthesis of a text in ``hold`` waits for
    its event (to keep the worker busy while a test queues more)."""

    def __init__(self) -> None:
        self.props: dict[str, object] = {}
        self.synthesised: list[tuple[object, str]] = []  # (voice, text given to espeak)
        self.wavs: dict[str, bytes] = {}  # text given to espeak -> its WAV
        self.hold: dict[str, threading.Event] = {}
        self.entered = threading.Event()
        self.thread: threading.Thread | None = None
        self._job: tuple[str, str] | None = None

    def setProperty(self, name: str, value: object) -> None:
        self.props[name] = value

    def save_to_file(self, text: str, filename: str) -> None:
        self._job = (text, filename)

    def runAndWait(self) -> None:
        assert self._job is not None
        text, filename = self._job
        self.thread = threading.current_thread()
        self.synthesised.append((self.props.get("voice"), text))
        if text in self.hold:
            self.entered.set()
            self.hold[text].wait(5)
        wav = silence_wav(100 * len(text))
        self.wavs[text] = wav
        with open(filename, "wb") as out:
            out.write(wav)


class StubPlayback:
    def __init__(self, wav: bytes, gain: float, block: bool, fail: str) -> None:
        self.wav = wav
        self.gain = gain
        self.block = block
        self.error = fail
        self.stopped = threading.Event()

    def wait(self) -> bool:
        if self.block:
            self.stopped.wait(5)
        return not self.error

    def stop(self) -> None:
        self.stopped.set()


class StubPlayer:
    """Records what would be played and when; ``block`` plays until stopped; ``fail`` makes
    every playback fail with that error (a sound card that went away)."""

    def __init__(self, block: bool = False, fail: str = "") -> None:
        self.block = block
        self.fail = fail
        self.playbacks: list[StubPlayback] = []
        self.started_at: list[float] = []

    def start(self, wav: bytes, gain: float = 1.0) -> StubPlayback:
        self.started_at.append(time.perf_counter())
        playback = StubPlayback(wav, gain, self.block, self.fail)
        self.playbacks.append(playback)
        return playback

    @property
    def played(self) -> list[bytes]:
        """The WAVs as they would sound: scaled by the volume they were started with."""
        return [scale_volume(p.wav, p.gain) for p in self.playbacks]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)
