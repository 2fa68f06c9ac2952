"""requirements.txt (fixed by the product card) says what pyproject.toml says, and the lock files pin
exactly those versions, so `make` installs what the project declares."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirements(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _version(requirement: str) -> str:
    return requirement.split("==", 1)[1].strip()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _lock(path: Path) -> dict[str, str]:
    return {_name(line): _version(line) for line in _requirements(path)}


def test_requirements_txt_lists_the_dependencies_and_the_extras_of_pyproject():
    project = _project()
    extras = project["optional-dependencies"]
    declared = project["dependencies"] + extras["mysql"] + extras["redis"]
    assert sorted(_requirements(ROOT / "requirements.txt")) == sorted(declared)


def test_requirements_dev_txt_lists_the_dev_extra():
    assert sorted(_requirements(ROOT / "requirements-dev.txt")) == sorted(_project()["optional-dependencies"]["dev"])


def test_every_declared_requirement_is_pinned_and_the_locks_pin_that_version():
    project = _project()
    runtime = project["dependencies"] + project["optional-dependencies"]["mysql"] \
        + project["optional-dependencies"]["redis"]
    dev = project["optional-dependencies"]["dev"]
    for requirement in runtime + dev:
        assert "==" in requirement, f"{requirement}: pin it"
    runtime_lock, dev_lock = _lock(ROOT / "requirements.lock"), _lock(ROOT / "requirements-dev.lock")
    for requirement in runtime:
        assert runtime_lock.get(_name(requirement)) == _version(requirement), requirement
        assert dev_lock.get(_name(requirement)) == _version(requirement), requirement
    for requirement in dev:
        assert dev_lock.get(_name(requirement)) == _version(requirement), requirement
    # What the runtime lock pins, the dev lock pins alike: the tests run on what production runs.
    assert {name: dev_lock[name] for name in runtime_lock} == runtime_lock

