"""The kiosk's real voice: with no sound card it runs silently and tells staff."""

from __future__ import annotations

import threading

import pytest

from hall.embedded import EmbeddedHallServer
from kiosk.app import build_core
from kiosk.settings import load_settings
from voice.espeak import EspeakVoice
from voice.playback import sound_card_present


def test_no_sound_card_means_silent_and_staff_are_told(kiosk_env: dict[str, str]) -> None:
    present, _why = sound_card_present()
    if present:
        pytest.skip("this machine has a sound card")
    settings = load_settings(environ={**kiosk_env, "KIOSK_VOICE__BACKEND": "espeak"})
    core = build_core(settings, hall_server=EmbeddedHallServer)
    try:
        assert isinstance(core.voice, EspeakVoice)
        assert not core.voice.available
        assert "voice:silent" in [code for _, code in core.alerts]
        core.guide.elder = True
        core.guide.announce("请刷身份证")  # must not raise without a sound card
    finally:
        core.close()


def test_a_deferred_voice_tells_staff_once_started(kiosk_env: dict[str, str]) -> None:
    """The kiosk starts its voice after the home screen (``start_hall=False``, then
    ``warm_up``): no sound card found then still means silent, and staff are told."""
    present, _why = sound_card_present()
    if present:
        pytest.skip("this machine has a sound card")
    settings = load_settings(
        environ={**kiosk_env, "KIOSK_VOICE__BACKEND": "espeak", "KIOSK_PRECHECK__WARM_UP": "false"}
    )
    core = build_core(settings, start_hall=False, hall_server=EmbeddedHallServer)
    try:
        assert isinstance(core.voice, EspeakVoice)
        assert "voice:silent" not in [code for _, code in core.alerts]  # not looked yet
        core.warm_up()
        starting = [t for t in threading.enumerate() if t.name == "voice-warm-up"]
        assert starting, "warm_up starts the voice in a thread"
        for thread in starting:
            thread.join(timeout=60)  # the voice started (and told staff) when it ends
        assert "voice:silent" in [code for _, code in core.alerts], core.alerts
        assert not core.voice.available
    finally:
        core.close()
