"""The environment is exactly the lock: every package of requirements*.lock installed at its
locked version, and every dependency pyproject.toml declares pinned in the lock at a version
its range allows. A pyproject change without `scripts/update-lock` fails here."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def locked(*names: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for name in names:
        for line in (ROOT / name).read_text().splitlines():
            match = PIN.match(line)
            if match:
                pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_every_locked_package_is_installed_at_its_locked_version() -> None:
    pins = locked("requirements.lock", "requirements-nodeps.lock")
    assert len(pins) > 40  # the files were read: a parse failure must not pass silently
    wrong = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = (version, installed)
    assert wrong == {}, "installed packages differ from the lock (run ./test to reinstall)"


def test_every_declared_dependency_is_pinned_in_the_lock_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = locked("requirements.lock")
    problems = []
    for spec in declared:
        req = Requirement(spec)
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            problems.append(f"{spec}: locked {version}")
    assert problems == [], "pyproject.toml changed without scripts/update-lock: " + "; ".join(
        problems
    )


def test_every_lock_entry_carries_a_hash() -> None:
    for name in ("requirements.lock", "requirements-nodeps.lock"):
        text = (ROOT / name).read_text()
        entries = re.findall(r"^[A-Za-z0-9._-]+==[^\n]*(?:\n\s+--hash=sha256:[0-9a-f]{64}[^\n]*)+",
                             text, flags=re.M)  # fmt: skip
        assert len(entries) == len(locked(name)) > 0, name
