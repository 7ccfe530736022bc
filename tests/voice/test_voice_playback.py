"""Streaming to aplay: the WAV arrives whole and scaled, stop ends it, failures say why.

A stand-in command takes aplay's place (same pipe, same arguments position), so these run
without a sound card.
"""

from __future__ import annotations

import io
import threading
import time
import wave
from array import array
from pathlib import Path

import pytest
from voice_stubs import silence_wav

from voice.playback import (
    CHUNK_FRAMES,
    AplayPlayer,
    scale_volume,
    split_wav,
    wav_duration,
)


def speech_like_wav(frames: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22050)
        writer.writeframes(array("h", [(i * 37) % 20000 - 10000 for i in range(frames)]).tobytes())
    return out.getvalue()


def test_wav_duration_from_the_header() -> None:
    assert wav_duration(silence_wav(22050)) == 1.0
    assert wav_duration(silence_wav(11025)) == 0.5


def test_split_wav() -> None:
    wav = silence_wav(10)
    header, frames, sampwidth = split_wav(wav)
    assert header + frames == wav and len(frames) == 20 and sampwidth == 2
    with pytest.raises(ValueError):
        split_wav(b"not a wav file at all")


def test_scale_volume() -> None:
    wav = silence_wav(10, value=-1000)
    assert scale_volume(wav, 1.0) is wav
    for gain, expected in [(0.5, -500), (0.0, 0), (-3, 0), (0.1, -100)]:
        with wave.open(io.BytesIO(scale_volume(wav, gain))) as reader:
            assert reader.getnframes() == 10 and reader.getframerate() == 22050
            assert set(array("h", reader.readframes(10))) == {expected}


def test_the_player_streams_the_whole_wav_scaled(tmp_path: Path) -> None:
    out = tmp_path / "played.wav"
    wav = speech_like_wav(5 * CHUNK_FRAMES + 123)  # several chunks and a partial one
    playback = AplayPlayer(["sh", "-c", f"cat > '{out}'"]).start(wav, 0.5)
    assert playback.wait() is True and playback.error == ""
    assert playback.first_audio_at is not None
    assert out.read_bytes() == scale_volume(wav, 0.5)
    assert out.read_bytes() != wav


def test_stop_ends_playback_from_another_thread() -> None:
    wav = speech_like_wav(22050 * 30)  # 30 s: far more than the pipe holds
    playback = AplayPlayer(["sleep", "20"]).start(wav, 1.0)  # never reads: writes block
    threading.Timer(0.2, playback.stop).start()
    start = time.monotonic()
    assert playback.wait() is True  # stopped is not a failure
    assert time.monotonic() - start < 5
    playback.stop()  # twice is fine


def test_a_failing_device_reports_its_error() -> None:
    command = [
        "sh",
        "-c",
        "cat >/dev/null; echo 'aplay: main:831: audio open error: x' >&2; exit 1",
    ]
    playback = AplayPlayer(command).start(silence_wav(100), 1.0)
    assert playback.wait() is False
    assert playback.error == "aplay: main:831: audio open error: x"
