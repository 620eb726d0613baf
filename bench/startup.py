"""`tripbot run`'s cold start and memory, and which heavy libraries a server without a bot token
has loaded once it answers (issue 14: imports paid only by what runs).

Each run starts `tripbot run` twice on a fresh data directory: the first start migrates the
empty databases, the second finds them up to date (a restart, the common case). Seconds are
until `/api/v1/health` answers; memory is the resident set once it has answered its first page.
The floor is a bare Flask app under waitress, started the same way in the same run.

Run: `.venv/bin/python bench/startup.py [--runs 3]`; results in bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from foundation import floor_start, rss_mib  # noqa: E402
from tests.processes import Process, free_port  # noqa: E402

OUT = ROOT / "bench" / "results" / "startup.json"
HEAVY = ("telegram", "alembic", "numpy", "icalendar", "rich", "typer")
"""Libraries whose loading this benchmark reports."""
LOADED_US = 50
"""Microseconds of import time above which a library counts as loaded."""


def _loaded(data: Path, env: dict[str, str]) -> list[str]:
    """Which of the heavy libraries a start on up-to-date databases imports (one more start,
    with Python's import log, which slows it: not timed)."""
    log = data / "run.log"
    log.write_bytes(b"")
    *_, process = _start(data, {**env, "PYTHONPROFILEIMPORTTIME": "1"})
    process.stop()
    imported = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("import time:"):
            _, cumulative, name = line.removeprefix("import time:").split("|")
            # A refused import (tripbot hides rich from structlog and httpx) is logged too, in
            # a few microseconds; a library that loads takes far longer, or brings submodules.
            if not cumulative.strip().isdigit():  # the log's header
                continue
            if int(cumulative) >= LOADED_US or "." in name:
                imported.add(name.strip().split(".")[0])
    return [name for name in HEAVY if name in imported]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(data: Path, env: dict[str, str]) -> tuple[float, float, float, Process]:
    """Seconds to ready, CPU seconds to ready (what a busy machine does not inflate) and MiB
    after the first page."""
    process = Process("run", ["run", "--data-dir", str(data)], env, free_port(), data / "run.log")
    seconds = process.start(ready_path="/api/v1/health")
    assert process.popen is not None
    cpu = _cpu_seconds(process.popen.pid)
    httpx.get(process.url + "/", timeout=10)
    return seconds, cpu, rss_mib(process.popen.pid), process


def measure(runs: int) -> dict[str, Any]:
    """Median seconds and MiB of first and second starts, and the floor's start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    first, again, cpu, rss, floors = [], [], [], [], []
    loaded: list[str] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, _, _, process = _start(Path(tmp), env)
            process.stop()
            first.append(seconds)
            seconds, cpu_seconds, memory, process = _start(Path(tmp), env)
            process.stop()
            loaded = _loaded(Path(tmp), env)
            again.append(seconds)
            cpu.append(cpu_seconds)
            rss.append(memory)
        floors.append(floor_start(env))
    return {
        "first_start_s": round(statistics.median(first), 3),
        "start_s": round(statistics.median(again), 3),
        "start_cpu_s": round(statistics.median(cpu), 3),
        "rss_after_start_mib": round(statistics.median(rss), 1),
        "floor_flask_waitress_start_s": round(statistics.median(floors), 3),
        "start_to_floor": round(statistics.median(again) / statistics.median(floors), 2),
        "heavy_libraries_loaded": loaded,
    }


def main() -> None:
    """Measure and write bench/results/startup.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "runs": args.runs,
        **measure(args.runs),
    }
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
