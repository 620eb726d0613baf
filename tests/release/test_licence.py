"""The licence: the full GPL v3 text at the root and in LICENSES/, every file covered by the
REUSE layout (`reuse lint` clean), and the same text in the image."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tests.deploy.conftest import tool
from tests.release.packaging import ROOT

DEBIAN_GPL3 = Path("/usr/share/common-licenses/GPL-3")
GPL3_SHA256 = "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986"
"""The FSF's GPL v3 text (gnu.org/licenses/gpl-3.0.txt, as Debian ships it)."""


def test_the_licence_is_the_full_gpl_v3_text() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == GPL3_SHA256
    if DEBIAN_GPL3.exists():
        assert text == DEBIAN_GPL3.read_bytes()
    assert (ROOT / "LICENSES" / "GPL-3.0-or-later.txt").read_bytes() == text
    assert b"END OF TERMS AND CONDITIONS" in text


def test_every_file_says_its_licence_reuse_lint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("reuse"), "--root", str(ROOT), "lint"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "Used licenses: GPL-3.0-or-later" in result.stdout


def test_the_package_declares_the_licence_and_its_file() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = "GPL-3.0-or-later"' in pyproject
    assert 'license-files = ["LICENSE"]' in pyproject
