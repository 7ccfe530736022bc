"""Abstract document scanner / camera: ``capture()`` returns one page as encoded image bytes."""

from __future__ import annotations

from devices.base import Device, load_backend

BACKENDS = {
    "folder": "devices.scanner.folder:FolderScanner",
    "camera": "devices.scanner.camera:CameraScanner",
}


class Scanner(Device):
    kind = "scanner"

    def capture(self) -> bytes:
        """One page as PNG/JPEG bytes. Raises DeviceUnavailable / DeviceTimeout."""
        raise NotImplementedError


def create_scanner(backend: str, **options: object) -> Scanner:
    cls = load_backend(BACKENDS, backend, "scanner")
    scanner: Scanner = cls(**options)
    return scanner
