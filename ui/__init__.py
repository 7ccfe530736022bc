"""ui"""

import ctypes
import sys

if sys.version_info < (3, 12):
    # PySide6 6.12.0 (the locked version) on Python 3.11 drops one reference to None on
    # every call of a Qt method that returns nothing (QPushButton.setText, setVisible …):
    # after some thousands of calls the interpreter aborts ("none_dealloc: deallocating
    # None"). Python 3.12 made None immortal; do the same here. Remove once the lock moves to
    # a fixed PySide6 or the kiosk runs on Python >= 3.12.
    # Reproduce: for _ in range(10_000): QPushButton().setText("a")  -> abort.
    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
