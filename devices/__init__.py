"""The kiosk's hardware, independent of the kiosk: ID-card readers (``idcard``), ticket
printers (``printer``) and the document scanner/camera (``scanner``).

One abstract base class per device kind declares what every backend can do (``base.Device``:
open/close, error events; each kind adds its capabilities); backends are chosen by name and
imported only when chosen; virtual backends and wire-level simulators serve demos and tests.
Failures are typed (``errors``): a stable ``error_code`` and the words for the citizen.
"""
