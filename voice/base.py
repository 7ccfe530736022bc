"""Text to speech behind one interface.

``say`` interrupts whatever is being spoken (the citizen moved on); ``stop`` silences; the
volume is 0.0–1.0 and ``reset`` restores the hall's default for the next citizen.
"""

from __future__ import annotations

import importlib


class Voice:
    def __init__(self, volume: float = 0.8, enabled: bool = True) -> None:
        self.default_volume = volume
        self.volume = volume
        self.enabled = enabled
        self.available = True  # False when there is no sound card: run silently, tell staff

    def say(self, text: str) -> None:
        if self.enabled and text.strip():
            self._say(text)

    def _say(self, text: str) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start a voice made with ``start=False`` (its engine); nothing for most voices."""

    def stop(self) -> None:
        pass

    def set_volume(self, volume: float) -> None:
        self.volume = min(1.0, max(0.0, volume))

    def reset(self) -> None:
        self.stop()
        self.volume = self.default_volume

    def close(self) -> None:
        self.stop()


class RecordingVoice(Voice):
    """Records what would be spoken, for demos, tests and machines without a sound card."""

    def __init__(self, volume: float = 0.8, enabled: bool = True) -> None:
        super().__init__(volume, enabled)
        self.spoken: list[str] = []

    def _say(self, text: str) -> None:
        self.spoken.append(text)


BACKENDS = {
    "recording": "voice.base:RecordingVoice",
    # kwargs: volume, enabled, rate (words per minute, default 150), cache_dir (None: temporary)
    "espeak": "voice.espeak:EspeakVoice",
}


def create_voice(backend: str, **options: object) -> Voice:
    try:
        module_name, _, cls_name = BACKENDS[backend].partition(":")
    except KeyError:
        raise ValueError(
            f"unknown voice backend {backend!r}; allowed: {', '.join(BACKENDS)}"
        ) from None
    cls = getattr(importlib.import_module(module_name), cls_name)
    voice: Voice = cls(**options)
    return voice
