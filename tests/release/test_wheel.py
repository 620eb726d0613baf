"""The wheel is the product: built like a release, installed into a fresh virtualenv on a PATH
without Node and away from the source tree, it runs `tripbot run --demo` and serves its pages with
their stylesheets, scripts and fonts."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.processes import Process, free_port
from tests.release.packaging import (
    BUILT_FILES,
    NODE_TOOLS,
    ROOT,
    SOURCE,
    Release,
    a_route,
    build_release,
    clean_environment,
    create_venv,
    log_in,
    migration_files,
    pip_install,
    sdist_names,
    static_references,
    stylesheet_references,
    wheel_names,
)

CONTENT_TYPES = {
    ".css": ("text/css",),
    ".js": ("text/javascript", "application/javascript"),
    ".woff2": ("font/woff2",),
    ".woff": ("font/woff",),
}


def built(url: str) -> bytes:
    """The bytes `make assets` put in the source tree at a /static/ URL."""
    return (SOURCE / "gateway" / url.lstrip("/")).read_bytes()


@dataclass(frozen=True)
class Installed:
    """The wheel installed in a fresh virtualenv, and the environment to run it in."""

    venv: Path
    env: dict[str, str]
    workdir: Path

    def python(self, code: str) -> str:
        """What a Python snippet prints when run by the venv's Python in that environment."""
        return subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """This tree's sdist, and the wheel built from it."""
    missing = [name for name in BUILT_FILES if not (ROOT / "src" / "tripbot" / name).exists()]
    assert not missing, f"run `make assets translations` first; missing: {missing}"
    return build_release(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel in a new virtualenv outside the source tree, run with no Node on the PATH."""
    venv = tmp_path_factory.mktemp("venv")
    workdir = tmp_path_factory.mktemp("elsewhere")
    assert not venv.is_relative_to(ROOT)
    assert not workdir.is_relative_to(ROOT)
    create_venv(venv)
    env = clean_environment(venv)
    pip_install(venv, release.wheel, env, workdir)
    return Installed(venv, env, workdir)


@pytest.fixture
def demo(installed: Installed, tmp_path: Path) -> Iterator[Process]:
    """`tripbot run --demo` of the installed wheel, from a folder of its own."""
    process = Process(
        "wheel",
        ["run", "--demo", "--data-dir", str(tmp_path / "data")],
        installed.env,
        free_port(),
        tmp_path / "run.log",
        command=(str(installed.venv / "bin" / "tripbot"),),
        cwd=installed.workdir,
    )
    process.start(timeout=120)
    yield process
    process.stop()


def test_the_wheel_carries_built_assets_translations_and_migrations(release: Release) -> None:
    names = wheel_names(release.wheel)
    missing = [f"tripbot/{name}" for name in BUILT_FILES if f"tripbot/{name}" not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert any(n.startswith("tripbot/gateway/static/vendor/material-icons/files/") for n in names)
    assert any(n.startswith("tripbot/gateway/static/vendor/leaflet/images/") for n in names)
    assert migration_files() <= names, sorted(migration_files() - names)
    assert not [n for n in names if n.startswith(("tests/", "node_modules/", "bench/"))]


def test_the_wheel_and_the_sdist_carry_the_licence(release: Release) -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    with zipfile.ZipFile(release.wheel) as wheel:
        (inside,) = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert wheel.read(inside) == licence
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("/METADATA")))
    assert b"License-Expression: GPL-3.0-or-later" in metadata
    assert b"License-File: LICENSE" in metadata
    with tarfile.open(release.sdist) as sdist:
        (member,) = [
            m for m in sdist.getmembers() if m.name.count("/") == 1 and m.name.endswith("/LICENSE")
        ]
        extracted = sdist.extractfile(member)
        assert extracted is not None
        assert extracted.read() == licence


def test_the_sdist_carries_them_too(release: Release) -> None:
    names = sdist_names(release.sdist)
    missing = [name for name in BUILT_FILES if f"src/tripbot/{name}" not in names]
    assert not missing, f"the sdist lacks {missing}"
    migrations = {f"src/{name}" for name in migration_files()}
    assert migrations <= names, sorted(migrations - names)


def test_the_installed_command_prints_the_release_version(
    release: Release, installed: Installed
) -> None:
    printed = subprocess.run(
        [str(installed.venv / "bin" / "tripbot"), "--version"],
        env=installed.env,
        cwd=installed.workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed == f"tripbot {release.version}"
    if (ROOT / ".git").exists():  # a git checkout: the version comes from its tags
        assert release.version != "0.0.0+unknown"


def test_the_installed_wheel_is_imported_from_the_venv_without_node(installed: Installed) -> None:
    for tool in NODE_TOOLS:
        assert installed.python(f"import shutil; print(shutil.which({tool!r}))") == "None"
    location = Path(installed.python("import tripbot; print(tripbot.__file__)"))
    assert location.is_relative_to(installed.venv)


def test_the_installed_demo_serves_a_page_with_its_css_js_and_fonts(demo: Process) -> None:
    with httpx.Client(base_url=demo.url, timeout=30) as http:
        log_in(http)
        route = a_route(http)
        page = http.get(f"/routes/{route}")
        assert page.status_code == 200, page.text[:500]
        assert "Ruta de prueba" in page.text
        references = static_references(page.text)
        loaded = {url.rsplit("/", 1)[-1] for url in references}
        assert {
            "materialize.min.css",
            "material-icons.css",
            "materialize.min.js",
            "leaflet.css",
            "leaflet.js",
            "chart.umd.min.js",
        } <= loaded, references
        fonts_and_images: list[str] = []
        for url in references:
            answer = http.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["content-type"].startswith(CONTENT_TYPES[Path(url).suffix]), (
                url,
                answer.headers["content-type"],
            )
            assert answer.content == built(url), url
            if url.endswith(".css"):
                fonts_and_images += stylesheet_references(answer.text, url)
        fonts = [url for url in fonts_and_images if url.endswith((".woff2", ".woff"))]
        assert fonts, "material-icons.css names no font"
        for url in fonts:
            answer = http.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["content-type"] in CONTENT_TYPES[Path(url).suffix], url
            assert answer.content == built(url), url
