"""Routes numbers: importing a 50,000-point noisy GPX against gpxpy 1.6.2 (same file, same run),
the floor (a bare lxml parse), ascent against the known truth, and catalogue search latency.

Run: `.venv/bin/python bench/routes.py` (installs gpxpy into its own venv in ~/.cache).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from tests.routes.synthetic import noisy_track  # noqa: E402

from tripbot.platform.db import Database  # noqa: E402
from tripbot.platform.identity import Principal  # noqa: E402
from tripbot.routes import service  # noqa: E402
from tripbot.routes.analysis import analyse  # noqa: E402
from tripbot.routes.models import Route  # noqa: E402
from tripbot.routes.schemas import RouteQuery  # noqa: E402
from tripbot.routes.tracks import read_track  # noqa: E402
from tripbot.system import migrate  # noqa: E402

GPXPY = "gpxpy==1.6.2"
PEER_VENV = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tripbot-bench" / "gpxpy-1.6.2"
)
RUNS = 5
PEER = """
import sys, time, json, gpxpy
data = open(sys.argv[1]).read()
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    g = gpxpy.parse(data); length = g.length_3d(); ud = g.get_uphill_downhill(); g.simplify()
    times.append(time.perf_counter() - t)
print(json.dumps({"s": min(times), "uphill": ud.uphill, "length_3d": length}))
"""


def peer_python() -> Path:
    """gpxpy in its own virtualenv (never in .venv)."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "-q", GPXPY], check=True)  # noqa: S603
    return python


def best(function: object, runs: int = RUNS) -> float:
    """The fastest of several runs, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def seed_catalogue(database: Database, count: int) -> None:
    """``count`` routes written straight into the catalogue table (statistics made up, spread
    over Iberia): what the search benchmarks search."""
    rows = []
    for i in range(count):
        lat, lon = 36 + (i % 100) * 0.08, -9 + (i // 100) * 0.12
        rows.append(
            {
                "name": f"Ruta {i}",
                "search_text": f"ruta {i} sierra {i % 37}",
                "distance_m": 1000 + i * 7.0,
                "ascent_m": float(i % 1500),
                "effort": 1 + i % 5,
                "time_mide_min": 60 + i % 600,
                "shape": "circular",
                "suggested_type": "PR",
                "point_count": 100,
                "segment_count": 1,
                "has_times": False,
                "min_lat": lat,
                "min_lon": lon,
                "max_lat": lat + 0.05,
                "max_lon": lon + 0.05,
                "start_lat": lat,
                "start_lon": lon,
                "end_lat": lat,
                "end_lon": lon,
                "source": "gpx-track",
                "content_sha256": f"{i:064d}",
                "created_by": 1,
                "description": "",
                "region": "",
                "signage": "",
            }
        )
    with database.engine.begin() as connection:
        connection.execute(insert(Route), rows)


def search_p50(count: int = 10_000) -> float:
    """Median ms of catalogue searches over ``count`` routes on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/routes.db")
        migrate("routes", database)
        seed_catalogue(database, count)
        queries = [
            RouteQuery(q="sierra 5", max_distance_km=50, sort="distance"),
            RouteQuery(near="40.0,-5.0", radius_km=30, sort="nearest"),
            RouteQuery(bbox="-6,38,-4,40", max_effort=3),
            RouteQuery(min_distance_km=20, max_ascent_m=800, sort="-distance", offset=40),
        ]
        principal = Principal(user_id=1)
        latencies = []
        for _ in range(25):
            for query in queries:
                started = time.perf_counter()
                service.search_routes(database.unit_of_work(), principal, query)
                latencies.append((time.perf_counter() - started) * 1000)
        database.dispose()
    return statistics.median(latencies)


def main() -> None:
    """Measure, print a table, write bench/results/routes.json."""
    synthetic = noisy_track(50_000)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    ours = best(lambda: analyse(read_track(synthetic.gpx)))
    floor = best(lambda: etree.fromstring(synthetic.gpx, parser))
    stats = analyse(read_track(synthetic.gpx)).stats
    with tempfile.NamedTemporaryFile(suffix=".gpx") as file:
        file.write(synthetic.gpx)
        file.flush()
        answer = subprocess.run(  # noqa: S603
            [str(peer_python()), "-c", PEER, file.name, "3"],
            check=True,
            capture_output=True,
            text=True,
        )
    peer = json.loads(answer.stdout)
    result = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "points": 50_000,
        "import_s": ours,
        "gpxpy_s": peer["s"],
        "ratio_vs_gpxpy": peer["s"] / ours,
        "floor_lxml_parse_s": floor,
        "import_over_floor": ours / floor,
        "true_ascent_m": round(synthetic.true_ascent_m, 1),
        "our_ascent_m": stats.ascent_m,
        "our_ascent_error_pct": round(100 * (stats.ascent_m / synthetic.true_ascent_m - 1), 1),
        "gpxpy_ascent_m": round(peer["uphill"], 1),
        "gpxpy_ascent_error_pct": round(100 * (peer["uphill"] / synthetic.true_ascent_m - 1), 1),
        "true_length_m": round(synthetic.true_length_m, 1),
        "our_distance_m": stats.distance_m,
        "gpxpy_length_3d_m": round(peer["length_3d"], 1),
        "search_10k_p50_ms": search_p50(),
    }
    for key, value in result.items():
        print(f"{key:24} {value:.3f}" if isinstance(value, float) else f"{key:24} {value}")
    (ROOT / "bench" / "results" / "routes.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
