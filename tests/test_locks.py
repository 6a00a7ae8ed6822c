"""The lock files pin, within its range, every package the requirement files name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def ranges(path: Path) -> list[Requirement]:
    found: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += ranges(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def pins(path: Path) -> dict[str, str]:
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(), flags=re.MULTILINE)
    }


@pytest.mark.parametrize(
    ("requirements", "lock"),
    [
        ("requirements-dev.txt", "requirements-lock.txt"),
        ("requirements-tools.txt", "requirements-tools-lock.txt"),
    ],
)
def test_every_range_is_pinned_inside_it(requirements: str, lock: str) -> None:
    pinned = pins(ROOT / lock)
    for requirement in ranges(ROOT / requirements):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pinned[name]} outside {requirement.specifier}: run make lock"
        )


def test_the_lowest_pins_are_the_lower_bounds() -> None:
    """requirements-lowest.txt (what `make test-lowest` runs on) pins each runtime range at
    its lower bound, and nothing else."""
    lowest = pins(ROOT / "requirements-lowest.txt")
    bounds: dict[str, str] = {}
    for requirement in ranges(ROOT / "requirements.txt"):
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{requirement} needs exactly one lower bound (>=)"
        bounds[canonicalize_name(requirement.name)] = lower[0]
    assert {name: Version(v) for name, v in lowest.items()} == {
        name: Version(v) for name, v in bounds.items()
    }


def test_the_docs_name_the_lower_bounds_they_are_tested_with() -> None:
    readme = (ROOT / "docs" / "development.md").read_text()
    listed = ", ".join(
        f"{name} {version}"
        for name, version in re.findall(
            r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements-lowest.txt").read_text(), flags=re.MULTILINE
        )
    )
    assert f"({listed})" in " ".join(readme.split())
