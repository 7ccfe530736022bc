"""The kiosk core: Qt-free."""

__version__ = "0.1.0"
