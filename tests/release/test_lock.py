"""The dependency locks (requirements/runtime.txt for the image, requirements/dev.txt for
`make setup` and CI): every dependency pinned with its hashes, what pyproject.toml asks for, and
fresh (`uv pip compile` with the Makefile's flags changes nothing); the image and the setup
install from them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.databases import IN_CI
from tests.deploy.conftest import tool
from tests.release.packaging import ROOT

LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ; (.+?))? \\$", re.M)


def pins(lock: Path) -> dict[str, str]:
    """Package -> pinned version (the first pin when markers give several)."""
    found: dict[str, str] = {}
    for name, version, _markers in PIN.findall(lock.read_text()):
        found.setdefault(canonicalize_name(name), version)
    return found


def asked(extra: str | None = None) -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, or an extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(("lock", "extras"), [("runtime.txt", [None]), ("dev.txt", [None, "dev"])])
def test_every_dependency_is_pinned_with_hashes_to_what_pyproject_asks(
    lock: str, extras: list[str | None]
) -> None:
    text = (LOCKS / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if block.strip() and not block.startswith("#"):
            assert "--hash=sha256:" in block, block.splitlines()[0]
    pinned = pins(LOCKS / lock)
    for extra in extras:
        for requirement in asked(extra):
            name = canonicalize_name(requirement.name)
            assert name in pinned, f"{lock} lacks {name}"
            assert requirement.specifier.contains(pinned[name], prereleases=True), (
                f"{lock} pins {name}=={pinned[name]}, pyproject.toml asks {requirement}"
            )


def test_the_image_and_the_dev_lock_agree() -> None:
    runtime, dev = pins(LOCKS / "runtime.txt"), pins(LOCKS / "dev.txt")
    different = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not different, f"runtime.txt and dev.txt disagree: {different}"


def test_the_locks_are_fresh(tmp_path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text()
    flags = re.search(r"^LOCK = \$\(BIN\)/uv pip compile (.+?)\$\(if", makefile, re.M | re.S)
    assert flags
    arguments = flags[1].replace("\\\n", " ").replace("'make lock'", "make-lock").split()
    arguments = ["make lock" if a == "make-lock" else a for a in arguments]
    for lock, extra in (("runtime.txt", []), ("dev.txt", ["--extra", "dev"])):
        copy = tmp_path / lock
        shutil.copy(LOCKS / lock, copy)
        result = subprocess.run(
            [tool("uv"), "pip", "compile", *arguments, *extra, "-o", str(copy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env={**os.environ, "UV_NO_PROGRESS": "1"},
        )
        if result.returncode != 0 and "Failed to fetch" in result.stderr and not IN_CI:
            pytest.skip("the package index is out of reach: freshness not checked here")
        assert result.returncode == 0, result.stderr
        assert copy.read_text() == (LOCKS / lock).read_text(), (
            f"requirements/{lock} is stale: run `make lock` and commit it"
        )


def test_the_image_and_the_setup_install_from_the_locks() -> None:
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert "COPY requirements/runtime.txt" in dockerfile
    assert "install --require-hashes --no-deps --requirement requirements.txt" in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements/dev.txt" in makefile
    assert "$(VENV)/.installed: pyproject.toml requirements/dev.txt" in makefile
