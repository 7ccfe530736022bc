"""Voice guidance policy: when the kiosk speaks, what it repeats, and per-visit controls.

The UI composes what a screen says (it owns the translated words) and hands it to
``announce``; the Guide decides whether to speak: always in 长辈版, in normal mode only when
the hall turned voice on, never after the citizen muted it for this visit. Speaking a new
screen interrupts the old one. Volume and mute reset for the next citizen.
"""

from __future__ import annotations

import logging

from kiosk.visit import Screen, State
from voice.base import Voice

log = logging.getLogger(__name__)

VOLUME_STEP = 0.15


class Guide:
    def __init__(self, voice: Voice, normal_mode: bool = False) -> None:
        self.voice = voice
        self.normal_mode = normal_mode  # the hall's setting for normal mode
        self.muted = False  # the citizen turned voice off for this visit
        self.elder = False
        self.last = ""
        self._session = ""

    @property
    def speaking_enabled(self) -> bool:
        return (self.elder or self.normal_mode) and not self.muted

    def follow(self, state: State) -> None:
        """Track the visit: a new visit resets volume and mute; leaving 长辈版 may silence."""
        if state.session_id != self._session:
            self._session = state.session_id
            if self.muted or self.voice.volume != self.voice.default_volume:
                log.info("voice reset for the next citizen")
            self.muted = False
            self.voice.reset()
        if self.elder and not state.elder and not self.normal_mode:
            self.voice.stop()
        self.elder = state.elder
        if state.screen is Screen.HOME and not state.elder and not self.normal_mode:
            self.last = ""

    def announce(self, text: str, always: bool = False) -> bool:
        """Speak a screen's words (interrupting what was said before). True if spoken.

        ``always``: speak even in normal mode with voice off (the offer of 长辈版 itself),
        unless the citizen muted the voice.
        """
        self.last = text
        allowed = self.speaking_enabled or (always and not self.muted)
        if not allowed or not text.strip():
            return False
        self.voice.say(text)
        return True

    def read_back(self, text: str) -> bool:
        """Say characters the citizen just chose on the on-screen keyboard (when voice is
        on); the screen's announcement stays what 重听 repeats. Never logged."""
        if not self.speaking_enabled or not text.strip():
            return False
        self.voice.say(text)
        return True

    def repeat(self) -> bool:
        """重听: say the last announcement again."""
        if self.muted:
            return False
        text = self.last
        if not text:
            return False
        self.voice.say(text)
        return True

    def louder(self) -> float:
        self.voice.set_volume(self.voice.volume + VOLUME_STEP)
        return self.voice.volume

    def softer(self) -> float:
        self.voice.set_volume(self.voice.volume - VOLUME_STEP)
        return self.voice.volume

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self.voice.stop()

    @property
    def available(self) -> bool:
        return self.voice.available
