"""The one way a screen picks a language for what it did not write itself.

UI text goes through Qt's ``tr()`` (translations in ui/i18n/). Names that come from the
catalog or the core (a hall, group, item, material, its location, fee, time limit) exist in
both languages on the model, as ``field`` and ``field_en``: ``local`` picks one
(``local_pair`` for a name table's (Chinese, English) pairs).
"""

from __future__ import annotations

from typing import Any


def local(model: Any, field: str, language: str) -> Any:
    """``model.field`` in Chinese, ``model.field_en`` in any other language."""
    return getattr(model, field if language == "zh" else f"{field}_en")


def local_pair(names: tuple[str, str], language: str) -> str:
    """One of a (Chinese, English) pair, as the core's name tables hold them."""
    return names[0] if language == "zh" else names[1]
