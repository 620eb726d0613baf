"""Build TripBot's wheel and sdist, and install the wheel where nothing of the source tree is.

Shared by the release tests and bench/release.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "tripbot"
BUILT_FILES = (
    "gateway/static/vendor/materialize/materialize.min.css",
    "gateway/static/vendor/materialize/materialize.min.js",
    "gateway/static/vendor/material-icons/material-icons.css",
    "gateway/static/vendor/leaflet/leaflet.css",
    "gateway/static/vendor/leaflet/leaflet.js",
    "gateway/static/vendor/chartjs/chart.umd.min.js",
    # every catalogue compiled: the web's and the bot's, in Spanish and English
    *sorted(po.with_suffix(".mo").relative_to(SOURCE).as_posix() for po in SOURCE.rglob("*.po")),
)
"""Made by `make assets` and `make translations`, ignored by git, needed by the package."""
NODE_TOOLS = ("node", "npm", "npx")
DEMO_EMAIL = "ana@demo.tripbot.example"
DEMO_PASSWORD = "tripbot-demo-2026"


@dataclass(frozen=True)
class Release:
    """A built wheel and sdist."""

    wheel: Path
    sdist: Path

    @property
    def version(self) -> str:
        """The version in the wheel's file name."""
        return self.wheel.name.split("-")[1]


def build_release(outdir: Path) -> Release:
    """Build the sdist, then the wheel from it, as the release workflow does (python -m build)."""
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m build failed:\n{result.stdout[-3000:]}{result.stderr}")
    (wheel,) = outdir.glob("tripbot-*.whl")
    (sdist,) = outdir.glob("tripbot-*.tar.gz")
    return Release(wheel, sdist)


def wheel_names(wheel: Path) -> set[str]:
    """The paths inside a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def sdist_names(sdist: Path) -> set[str]:
    """The paths inside an sdist, without its top folder."""
    with tarfile.open(sdist) as archive:
        return {name.partition("/")[2] for name in archive.getnames()}


def migration_files() -> set[str]:
    """Every service's migration scripts in the source tree, as package paths."""
    return {
        path.relative_to(SOURCE.parent).as_posix()
        for path in SOURCE.glob("*/migrations/**/*")
        if path.is_file() and path.suffix in (".py", ".mako") and "__pycache__" not in path.parts
    }


def path_without_node() -> str:
    """This PATH without the folders that hold Node.js or npm."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(
        folder
        for folder in folders
        if folder and not any((Path(folder) / tool).exists() for tool in NODE_TOOLS)
    )


def clean_environment(venv: Path) -> dict[str, str]:
    """The environment of a machine with Python only: the venv first, no Node, no source tree."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRIPBOT_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), path_without_node()])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def create_venv(venv: Path) -> None:
    """A new virtualenv with pip."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)


def pip_install(venv: Path, wheel: Path, env: dict[str, str], cwd: Path) -> None:
    """Install the wheel and its dependencies into the venv (from the configured index)."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip install failed:\n{result.stdout[-3000:]}{result.stderr}")


def static_references(page: str) -> list[str]:
    """The stylesheets and scripts a page loads from the site itself."""
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    return [url for url in links + scripts if url.startswith("/")]


def stylesheet_references(css: str, base: str) -> list[str]:
    """The files (fonts, images) a stylesheet loads, as absolute paths."""
    found = re.findall(r"url\(['\"]?([^'\")]+)['\"]?\)", css)
    return [urljoin(base, url) for url in found if not url.startswith("data:")]


def log_in(http: httpx.Client) -> None:
    """Log in as the demo's first person through the web form (session cookie kept)."""
    form = http.get("/login")
    form.raise_for_status()
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if match is None:
        raise RuntimeError("the login page has no CSRF token")
    answer = http.post(
        "/login",
        data={"csrf_token": match.group(1), "email": DEMO_EMAIL, "password": DEMO_PASSWORD},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"demo login failed: {answer.status_code} {answer.text[:500]}")


def a_route(http: httpx.Client) -> int:
    """Create a route through the API as the demo's first person; its id."""
    token = http.post("/api/v1/auth/token", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    token.raise_for_status()
    coordinates = [[-4.85 + i * 0.001, 43.26, 200.0 + 10 * i] for i in range(30)]
    created = http.post(
        "/api/v1/routes",
        json={
            "name": "Ruta de prueba",
            "geojson": {"type": "LineString", "coordinates": coordinates},
        },
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    created.raise_for_status()
    route_id: int = created.json()["id"]
    return route_id
