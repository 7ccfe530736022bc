"""The kiosk survives many Qt calls: PySide6 6.12.0 on Python 3.11 drops a reference to None
per void Qt call (see ui/__init__.py). Run in a child process: a failure aborts it."""

from __future__ import annotations

import os
import subprocess
import sys

LOOP = """
import sys
{imports}
from PySide6.QtWidgets import QApplication, QPushButton
app = QApplication([])
b = QPushButton("x")
for _ in range(30_000):  # a few hours of kiosk use: key taps, screen renders
    b.setText("a")
    b.setVisible(False)
print("alive")
"""


def run(imports: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", LOOP.format(imports=imports)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_sixty_thousand_void_qt_calls_do_not_abort_the_kiosk() -> None:
    done = run("import ui")
    assert done.returncode == 0 and "alive" in done.stdout, done.stderr[-2000:]
