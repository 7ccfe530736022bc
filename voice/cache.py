"""Fixed prompts synthesised once to WAV files, so they start playing at once.

Why: synthesis happens before the first sample can play; on a slow kiosk board that is the
delay a citizen hears after every tap. Greetings, "请刷身份证", and the digits and letters
(keypad echo speaks them one at a time) are the same every time, so they are synthesised at
start-up and kept as files named by a hash of (spoken text, voice, rate) — a change of voice,
engine version or speaking rate simply misses and makes new files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from voice.text import DIGITS, LETTERS

log = logging.getLogger(__name__)

GREETING = "您好，欢迎使用自助取号机。"
TAP_ID_CARD = "请刷身份证"

# Synthesised when a voice with a cache starts; the kiosk adds its screen prompts.
DEFAULT_PROMPTS: tuple[str, ...] = (GREETING, TAP_ID_CARD, *DIGITS, *LETTERS)


class PromptCache:
    """WAV files in one directory, keyed by spoken text + voice + rate; counts hits and misses.

    Used from the voice's worker thread only; ``hits``/``misses`` may be read from anywhere.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str, voice: str, rate: int) -> str:
        """Hex digest naming the file; ``voice`` should include the engine version."""
        return hashlib.sha256(f"{voice}\0{rate}\0{text}".encode()).hexdigest()[:32]

    def path(self, text: str, voice: str, rate: int) -> Path:
        return self.directory / f"{self.key(text, voice, rate)}.wav"

    def get(self, text: str, voice: str, rate: int) -> bytes | None:
        """The cached WAV, or None (a miss); both are counted."""
        try:
            wav = self.path(text, voice, rate).read_bytes()
        except OSError:
            wav = None
        if wav:
            self.hits += 1
            return wav
        self.misses += 1
        return None

    def __contains__(self, item: tuple[str, str, int]) -> bool:
        """``(text, voice, rate) in cache``, without counting a hit or a miss."""
        return self.path(*item).is_file()

    def put(self, text: str, voice: str, rate: int, wav: bytes) -> Path:
        """Store atomically (write a temporary file, then rename): a crash leaves no half file."""
        target = self.path(text, voice, rate)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(wav)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def stats(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "files": sum(1 for _ in self.directory.glob("*.wav")),
        }
