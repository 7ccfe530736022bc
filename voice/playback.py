"""WAV helpers and playback through ``aplay`` (alsa-utils), interruptible from any thread.

Why aplay in a child process: pyttsx3's own espeak playback runs ``aplay`` through
``os.system`` inside the synthesis callback, which cannot be interrupted; a child process we
own can be terminated the moment the citizen moves on.

Volume is applied here, while the WAV is streamed to aplay's stdin in small chunks: one
synthesised (or cached) WAV serves every volume, and the first sound needs only its first
chunk scaled (~1 ms) instead of the whole utterance (~45 ms for 6 s in pure Python).
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import struct
import subprocess
import time
import wave
from typing import Protocol

log = logging.getLogger(__name__)

APLAY = "aplay"
CHUNK_FRAMES = 2048  # ~93 ms of 22.05 kHz audio per write


def wav_duration(wav: bytes) -> float:
    """Length of a WAV file's audio in seconds, from its header."""
    with wave.open(io.BytesIO(wav)) as reader:
        return reader.getnframes() / reader.getframerate()


def split_wav(wav: bytes) -> tuple[bytes, bytes, int]:
    """(header up to the sample data, sample data, bytes per sample) of a PCM WAV file."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, sampwidth = 12, 0
    while pos + 8 <= len(wav):
        chunk, size = wav[pos : pos + 4], struct.unpack_from("<I", wav, pos + 4)[0]
        if chunk == b"fmt ":
            sampwidth = struct.unpack_from("<H", wav, pos + 8 + 14)[0] // 8
        elif chunk == b"data":
            return wav[: pos + 8], wav[pos + 8 : pos + 8 + size], sampwidth
        pos += 8 + size + (size & 1)
    raise ValueError("WAV file has no data chunk")


def scale_frames(frames: bytes, gain: float) -> bytes:
    """16-bit little-endian samples multiplied by ``gain`` (clamped to 0.0–1.0).

    With numpy (imported on first use: ~0.15 s, paid when the voice starts — see
    ``EspeakVoice``): sample by sample in Python it cost ~8 ms of the GIL per 5 s utterance,
    taken from the GUI thread while the kiosk speaks."""
    gain = min(1.0, max(0.0, gain))
    if gain >= 0.999:
        return frames
    import numpy as np

    samples = np.frombuffer(frames, dtype="<i2", count=len(frames) // 2)
    return (samples * gain).astype("<i2").tobytes()


def scale_volume(wav: bytes, gain: float) -> bytes:
    """The whole WAV with its samples multiplied by ``gain`` (1.0 returns it as it is)."""
    if min(1.0, max(0.0, gain)) >= 0.999:
        return wav
    header, frames, sampwidth = split_wav(wav)
    return header + scale_frames(frames, gain) if sampwidth == 2 else wav


def sound_card_present() -> tuple[bool, str]:
    """Whether ALSA lists a playback card, and why not when it does not.

    ``aplay -l`` exits 0 even with no card (it prints "no soundcards found" on stderr), so
    the listing itself is read: a card shows as a line starting with "card ".
    """
    if shutil.which(APLAY) is None:
        return False, "aplay not found (install alsa-utils)"
    try:
        done = subprocess.run([APLAY, "-l"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"aplay -l failed: {exc}"
    if any(line.startswith("card ") for line in done.stdout.splitlines()):
        return True, ""
    reason = (done.stderr.strip() or done.stdout.strip() or "no cards listed").splitlines()[-1]
    return False, f"aplay -l lists no sound card ({reason})"


class Playback(Protocol):
    """One sound being played."""

    error: str  # why the device failed; empty when it did not

    def wait(self) -> bool:
        """Block until the sound ends or is stopped; False when the device failed."""
        ...

    def stop(self) -> None:
        """End the sound now; safe from any thread, and more than once."""
        ...


class Player(Protocol):
    def start(self, wav: bytes, gain: float = 1.0) -> Playback:
        """Begin playing a complete WAV at volume ``gain`` (0.0–1.0); returns at once (the
        audio flows in ``Playback.wait``). Raises OSError if it cannot start."""
        ...


class AplayPlayback:
    """``aplay -q -`` fed the WAV through a pipe, scaled chunk by chunk as it is written."""

    def __init__(self, command: list[str], wav: bytes, gain: float) -> None:
        self._wav = wav
        self._gain = gain
        self._stopped = False
        self.error = ""
        self.first_audio_at: float | None = None  # perf_counter() when the first chunk went
        self.finished = False  # wait() has returned
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def wait(self) -> bool:
        assert self._proc.stdin is not None and self._proc.stderr is not None
        try:
            header, frames, sampwidth = split_wav(self._wav)
            gain = self._gain if sampwidth == 2 else 1.0
            step = CHUNK_FRAMES * max(1, sampwidth)
            self._proc.stdin.write(header + scale_frames(frames[:step], gain))
            self._proc.stdin.flush()
            self.first_audio_at = time.perf_counter()
            for pos in range(step, len(frames), step):
                if self._stopped:
                    break
                self._proc.stdin.write(scale_frames(frames[pos : pos + step], gain))
            self._proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError) as exc:  # aplay gone (stopped or failed)
            log.debug("aplay pipe closed: %s", exc)
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        returncode = self._proc.wait()
        err = self._proc.stderr.read().decode(errors="replace").strip()
        self._proc.stderr.close()
        self.finished = True
        if returncode == 0 or self._stopped:
            return True
        self.error = err.splitlines()[-1] if err else f"aplay exit status {returncode}"
        return False

    def stop(self) -> None:
        self._stopped = True
        if self._proc.poll() is None:
            self._proc.terminate()


class AplayPlayer:
    """Plays each WAV with a fresh ``aplay -q -`` child process (``command`` replaces it,
    e.g. for a benchmark without a sound card)."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command

    def start(self, wav: bytes, gain: float = 1.0) -> AplayPlayback:
        return AplayPlayback(self.command or [APLAY, "-q", "-"], wav, gain)
