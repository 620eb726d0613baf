"""The version a checkout reports: from its tags, and right in a clone that has none."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.release.packaging import ROOT

RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", re.M)


def newest_release() -> str:
    """The newest version CHANGELOG.md has a section for."""
    found = RELEASE_HEADING.search((ROOT / "CHANGELOG.md").read_text())
    assert found, "CHANGELOG.md names no release"
    return found[1]


def git(*args: str, cwd: Path = ROOT) -> str:
    """What a git command prints."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_fallback_version_is_the_newest_release_of_the_changelog() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    found = re.search(r'^fallback_version = "([^"]+)"$', pyproject, re.M)
    assert found
    assert found[1] == newest_release()


def test_a_clone_without_tags_counts_from_the_newest_release(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = git("rev-parse", "HEAD")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", "--no-checkout", str(ROOT), str(clone)],
        check=True,
        capture_output=True,
    )
    git("checkout", "--quiet", head, cwd=clone)
    assert git("tag", "--list", cwd=clone) == ""
    version = subprocess.run(
        [sys.executable, "-m", "setuptools_scm"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    major, minor, patch = (int(n) for n in newest_release().split("."))
    commits = int(git("rev-list", "--count", "HEAD", cwd=clone))
    found = re.fullmatch(r"(\d+\.\d+\.\d+)\.dev(\d+)\+g([0-9a-f]+)", version)
    assert found, version
    assert found[1] == f"{major}.{minor}.{patch + 1}"
    assert int(found[2]) == commits
    assert head.startswith(found[3])
