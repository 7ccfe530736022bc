"""ID-card readers: the serial protocol (``protocol``), the real reader over a serial port
(``reader``), a wire-level simulator (``simulator``) and a virtual reader of invented cards
(``virtual``), all behind ``base.CardReader``."""
