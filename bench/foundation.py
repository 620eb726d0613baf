"""Foundation numbers: cold start and memory of `tripbot run`, and the e2e scenario in each mode.

Floors are measured in the same run: a bare Flask app served by waitress (cold start), and an
empty request loop (scenario). Run: `.venv/bin/python bench/foundation.py`.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.databases import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)
from tests.e2e.scenario import run_club_scenario  # noqa: E402
from tests.processes import Process, free_port, production_environment  # noqa: E402

from tripbot import SERVICES  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import build_embedded  # noqa: E402

FLOOR_APP = """
import sys
from flask import Flask
from waitress import serve
app = Flask("floor")
@app.get("/api/v1/health")
def health():
    return {"status": "ok"}
serve(app, host="127.0.0.1", port=int(sys.argv[-1]), threads=8)
"""


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def floor_start(env: dict[str, str]) -> float:
    """Seconds from process start to the first answer of a bare Flask app under waitress."""
    port = free_port()
    started = time.perf_counter()
    popen = subprocess.Popen([sys.executable, "-c", FLOOR_APP, str(port)], env=env)  # noqa: S603
    try:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.02)
    finally:
        popen.terminate()
        popen.wait()


def cold_start(runs: int = 3) -> dict[str, float]:
    """Seconds from process start to a healthy gateway on a fresh data dir, and RSS then."""
    starts, rss, floors = [], [], []
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            process = Process(
                "run", ["run", "--data-dir", tmp], env, free_port(), Path(tmp) / "run.log"
            )
            starts.append(process.start(ready_path="/api/v1/health"))
            assert process.popen is not None
            httpx.get(process.url + "/", timeout=5)
            rss.append(rss_mib(process.popen.pid))
            process.stop()
            floors.append(floor_start(env))
    return {
        "cold_start_s": statistics.median(starts),
        "rss_after_start_mib": statistics.median(rss),
        "floor_flask_waitress_start_s": statistics.median(floors),
        "cold_start_ratio_to_floor": statistics.median(starts) / statistics.median(floors),
    }


def scenario_embedded() -> float:
    """Seconds for the e2e scenario with every service in process (SQLite)."""
    with tempfile.TemporaryDirectory() as tmp:
        system = build_embedded(Settings(env="development", data_dir=Path(tmp)))
        transport = httpx.WSGITransport(app=system.gateway)
        with httpx.Client(transport=transport, base_url="http://bench") as http:
            started = time.perf_counter()
            run_club_scenario(http)
            elapsed = time.perf_counter() - started
        system.close()
    return elapsed


def scenario_distributed() -> float | None:
    """Seconds for the e2e scenario with one process per service on PostgreSQL."""
    if postgres_unavailable_reason():
        return None
    env = production_environment()
    processes: list[Process] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            urls = {}
            for name in SERVICES:
                url = create_postgres_database(f"tripbot_bench_{name}")
                service = Process(
                    name,
                    ["serve", name],
                    {**env, **urls, "TRIPBOT_DATABASE_URL": url},
                    free_port(),
                    Path(tmp) / f"{name}.log",
                )
                service.start()
                processes.append(service)
                urls[f"TRIPBOT_{name.upper()}_URL"] = service.url
            gateway = Process(
                "gateway",
                ["serve", "gateway"],
                {**env, **urls},
                free_port(),
                Path(tmp) / "gateway.log",
            )
            gateway.start(ready_path="/api/v1/health")
            processes.append(gateway)
            with httpx.Client(base_url=gateway.url, timeout=10) as http:
                started = time.perf_counter()
                run_club_scenario(http)
                return time.perf_counter() - started
        finally:
            for process in processes:
                process.stop()
            for name in SERVICES:
                drop_postgres_database(f"tripbot_bench_{name}")


def main() -> None:
    """Measure and write bench/results/foundation.json."""
    results: dict[str, object] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **cold_start(),
        "scenario_embedded_s": min(scenario_embedded() for _ in range(3)),
        "scenario_distributed_s": scenario_distributed(),
    }
    out = ROOT / "bench" / "results" / "foundation.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key:32} {value:.3f}" if isinstance(value, float) else f"{key:32} {value}")


if __name__ == "__main__":
    main()
