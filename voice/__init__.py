"""Text to speech for the kiosk's voice guide, behind one interface (``base.Voice``): espeak-ng
through pyttsx3 with a prompt cache and a streaming player, or a silent/recording voice for
tests. Knows nothing of the kiosk."""
