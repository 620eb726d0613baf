"""Release numbers: what the wheel weighs and holds, and how long a newcomer waits from
`pip install tripbot-<version>-py3-none-any.whl` to the first page of `tripbot run --demo`.

The install is measured in a fresh virtualenv from the configured package index (pip's cache as
it is: a newcomer's first install downloads more). Its floor, measured in the same run, is the
same dependencies installed without TripBot in another fresh virtualenv; the first page's floor
is a bare Flask app under waitress started from that venv. No Node on the PATH, run from a folder
outside the source tree. Run: `.venv/bin/python bench/release.py`; results go to
bench/results/release.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from email.parser import Parser
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import Process, free_port  # noqa: E402
from tests.release.packaging import (  # noqa: E402
    build_release,
    clean_environment,
    create_venv,
    pip_install,
)

FLOOR_APP = """
import sys
from flask import Flask
from waitress import serve
app = Flask("floor")
@app.get("/")
def index():
    return "<!doctype html><title>floor</title>"
serve(app, host="127.0.0.1", port=int(sys.argv[-1]), threads=8)
"""


def group_of(name: str) -> str:
    """The folder a wheel entry is counted in: tripbot/<part>, with the built assets apart."""
    if name.startswith("tripbot/gateway/static/vendor/"):
        return "tripbot/gateway/static/vendor (web assets)"
    if ".dist-info/" in name:
        return "*.dist-info"
    if name.endswith(".mo"):
        return "compiled catalogues (.mo)"
    if "/migrations/" in name:
        return "migrations"
    parts = name.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def contents(wheel: Path) -> dict[str, Any]:
    """Size of the wheel and, per folder, its files and their compressed and unpacked bytes."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "zipped": 0, "bytes": 0})
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            group = groups[group_of(info.filename)]
            group["files"] += 1
            group["zipped"] += info.compress_size
            group["bytes"] += info.file_size
    ordered = dict(sorted(groups.items(), key=lambda item: -item[1]["zipped"]))
    return {
        "wheel": wheel.name,
        "wheel_bytes": wheel.stat().st_size,
        "files": sum(g["files"] for g in groups.values()),
        "unpacked_bytes": sum(g["bytes"] for g in groups.values()),
        "by_folder": ordered,
    }


def dependencies(wheel: Path) -> list[str]:
    """The wheel's own Requires-Dist, without extras' requirements."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(metadata).decode())
    return [r for r in message.get_all("Requires-Dist") or [] if "extra ==" not in r]


def first_page(process: Process, timeout: float = 180) -> float:
    """Start a process and wait for `/` to answer 200 (redirects followed); seconds it took."""
    started = time.perf_counter()
    process.start(ready_path="/healthz", timeout=timeout)
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(process.url + "/", timeout=5, follow_redirects=True).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"no first page in {timeout}s: {process.log.read_text()[-2000:]}")


def install_to_first_page(wheel: Path, work: Path) -> dict[str, float]:
    """pip install of the wheel in a fresh venv, then `tripbot run --demo` to its first page."""
    venv = work / "tripbot-venv"
    create_venv(venv)
    env = clean_environment(venv)
    started = time.perf_counter()
    pip_install(venv, wheel, env, work)
    installed = time.perf_counter() - started
    process = Process(
        "wheel",
        ["run", "--demo", "--data-dir", str(work / "data")],
        env,
        free_port(),
        work / "run.log",
        command=(str(venv / "bin" / "tripbot"),),
        cwd=work,
    )
    try:
        page = first_page(process)
    finally:
        process.stop()
    return {"pip_install_s": installed, "run_to_first_page_s": page}


def floor(wheel: Path, work: Path) -> dict[str, float]:
    """The same dependencies without TripBot installed, then a bare Flask page served."""
    venv = work / "floor-venv"
    create_venv(venv)
    env = clean_environment(venv)
    requirements = work / "requirements.txt"
    requirements.write_text("\n".join(dependencies(wheel)) + "\n")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - pip of our own venv
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
        env=env,
        cwd=work,
        check=True,
        capture_output=True,
    )
    installed = time.perf_counter() - started
    port = free_port()
    started = time.perf_counter()
    popen = subprocess.Popen(  # noqa: S603 - our own floor app
        [str(venv / "bin" / "python"), "-c", FLOOR_APP, str(port)], env=env, cwd=work
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)
    finally:
        served = time.perf_counter() - started
        popen.terminate()
        popen.wait()
    return {"pip_install_s": installed, "run_to_first_page_s": served}


def main() -> None:
    """Measure and write bench/results/release.json."""
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tripbot-release-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        release = build_release(work / "dist")
        built = time.perf_counter() - started
        wheel = contents(release.wheel)
        ours = install_to_first_page(release.wheel, work)
        base = floor(release.wheel, work)
        sdist_bytes = release.sdist.stat().st_size
    total = ours["pip_install_s"] + ours["run_to_first_page_s"]
    floor_total = base["pip_install_s"] + base["run_to_first_page_s"]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
        },
        "version": release.version,
        "build_wheel_and_sdist_s": built,
        "sdist_bytes": sdist_bytes,
        **wheel,
        "install_to_first_page_s": total,
        "install": ours,
        "floor_same_dependencies_bare_flask": base,
        "floor_install_to_first_page_s": floor_total,
        "install_to_first_page_ratio_to_floor": total / floor_total,
    }
    out = ROOT / "bench" / "results" / "release.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "by_folder"}, indent=2))
    for name, group in results["by_folder"].items():
        print(f"  {name:45} {group['files']:4} files {group['zipped'] / 1024:8.1f} KiB zipped")


if __name__ == "__main__":
    main()
