"""Errors that the kiosk's and the hall server's composition roots report to a person."""

from __future__ import annotations

from pydantic import ValidationError


class ConfigError(Exception):
    """A settings or catalog file is wrong. The message names file, key and what is allowed."""


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's report into lines of ``key.path: what is wrong (got value)``."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        lines.append(f"{key}: {msg}{shown}")
    return "; ".join(lines)
