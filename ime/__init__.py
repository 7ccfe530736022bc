"""Chinese input engines for the on-screen keyboard, Qt-free.

- ``ime.rime``: pinyin through librime's C API (ctypes), Debian's luna_pinyin schema
  (simplified), with the hall's own phrases added as a Rime custom phrase table.
- ``ime.handwriting``: handwriting through Zinnia's C API (ctypes) with Debian's
  tegaki-zinnia-simplified-chinese model.

Both load lazily (``start()``, blocking: call it off the GUI thread) and never raise for a
missing library or model: their ``status`` then says "unavailable" and why. Nothing typed is
logged or written to disk: Rime's learning user dictionary is switched off, its log is off.
"""

from ime.base import EngineState, EngineStatus
from ime.handwriting import HandwritingEngine
from ime.rime import Composition, PinyinEngine

__all__ = ["Composition", "EngineState", "EngineStatus", "HandwritingEngine", "PinyinEngine"]
