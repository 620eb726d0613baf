"""Routes numbers: importing a 50,000-point noisy GPX against gpxpy 1.6.2 (same file, same run),
the floor (a bare lxml parse), ascent against the known truth, and catalogue search latency;
the same walk as KML, KMZ, TCX, FIT and GeoJSON against the fastest bare parse of each; the peak
memory of importing a 50 MB FIT file; and the peak memory of a server taking six parallel
19.5 MB GPX uploads (this checkout, and another source tree given with --before).

Run: `.venv/bin/python bench/routes.py [--before /path/to/older/src] [--quick]` (installs gpxpy
into its own venv in ~/.cache).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fitdecode  # noqa: E402
import httpx  # noqa: E402
from lxml import etree  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.processes import Process, free_port  # noqa: E402
from tests.routes.synthetic import Synthetic, noisy_track, to_fit  # noqa: E402

from tripbot.platform.db import Database  # noqa: E402
from tripbot.platform.identity import Principal  # noqa: E402
from tripbot.platform.operations import Call, ServiceRuntime  # noqa: E402
from tripbot.routes import service  # noqa: E402
from tripbot.routes.analysis import analyse  # noqa: E402
from tripbot.routes.models import Route  # noqa: E402
from tripbot.routes.schemas import RouteQuery  # noqa: E402
from tripbot.routes.tracks import Track, read_track, to_geojson  # noqa: E402
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
        call = Call(principal, ServiceRuntime("routes", make_settings(Path(tmp)), database))
        latencies = []
        for _ in range(25):
            for query in queries:
                started = time.perf_counter()
                service.catalogue.search_routes(call, query)
                latencies.append((time.perf_counter() - started) * 1000)
        database.dispose()
    return statistics.median(latencies)


# ---- the same walk in every format ----------------------------------------------------------


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_kml(track: Track) -> bytes:
    """The track as a KML gx:Track, as phones and Google Earth write it."""
    s = track.segments[0]
    whens = "".join(f"<when>{_iso(t)}</when>" for t in s.time.tolist())
    coords = "".join(
        f"<gx:coord>{b:.7f} {a:.7f} {c:.1f}</gx:coord>"
        for a, b, c in zip(s.lat.tolist(), s.lon.tolist(), s.ele.tolist(), strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2" '
        'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><name>Walk</name><Placemark>'
        f"<gx:Track>{whens}{coords}</gx:Track></Placemark></Document></kml>"
    ).encode()


def to_tcx(track: Track) -> bytes:
    """The track as a TCX activity, as Garmin Connect writes it."""
    s = track.segments[0]
    points = "".join(
        f"<Trackpoint><Time>{_iso(t)}</Time><Position><LatitudeDegrees>{a:.7f}</LatitudeDegrees>"
        f"<LongitudeDegrees>{b:.7f}</LongitudeDegrees></Position>"
        f"<AltitudeMeters>{c:.1f}</AltitudeMeters></Trackpoint>"
        for a, b, c, t in zip(
            s.lat.tolist(), s.lon.tolist(), s.ele.tolist(), s.time.tolist(), strict=True
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
        '<Activity Sport="Other"><Id>2026-05-01T06:00:00Z</Id>'
        '<Lap StartTime="2026-05-01T06:00:00Z">'
        f"<Track>{points}</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def zipped(name: str, content: bytes) -> bytes:
    """A zip of one file (a KMZ when it is doc.kml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def fit_floor(content: bytes) -> int:
    """A bare decode of a FIT file by fitdecode (the maintained FIT parser; no checksum, no
    value conversion): every record read, nothing kept."""
    reader = fitdecode.FitReader(
        io.BytesIO(content),
        processor=None,
        check_crc=fitdecode.CrcCheck.DISABLED,
        error_handling=fitdecode.ErrorHandling.IGNORE,
    )
    return sum(1 for frame in reader if frame.frame_type == fitdecode.FIT_FRAME_DATA)


def kmz_floor(content: bytes) -> object:
    """Unzip and parse the KML, nothing more."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return etree.fromstring(archive.read("doc.kml"))


def formats(synthetic: Synthetic, runs: int) -> dict[str, dict[str, Any]]:
    """Import time (read, repair, statistics) of the same walk in each format, against the
    fastest bare parse of that format available here."""
    track = synthetic.track
    xml: Callable[[bytes], object] = etree.fromstring
    kml = to_kml(track)
    files: dict[str, tuple[str, bytes, str, Callable[[bytes], object]]] = {
        "gpx": ("walk.gpx", synthetic.gpx, "lxml.etree.fromstring", xml),
        "kml": ("walk.kml", kml, "lxml.etree.fromstring", xml),
        "kmz": ("walk.kmz", zipped("doc.kml", kml), "zipfile + lxml", kmz_floor),
        "tcx": ("walk.tcx", to_tcx(track), "lxml.etree.fromstring", xml),
        "geojson": (
            "walk.geojson",
            json.dumps(to_geojson(track, {"name": "walk"})).encode(),
            "json.loads",
            json.loads,
        ),
        "fit": ("walk.fit", to_fit(track), "fitdecode, bare", fit_floor),
    }
    result = {}
    for kind, (name, content, floor_name, floor) in files.items():
        ours = best(lambda c=content, n=name: analyse(read_track(c, n)), runs)  # type: ignore[misc]
        bare = best(lambda c=content, f=floor: f(c), runs)  # type: ignore[misc]
        stats = analyse(read_track(content, name)).stats
        result[kind] = {
            "bytes": len(content),
            "points": stats.point_count,
            "distance_m": stats.distance_m,
            "import_s": round(ours, 4),
            "floor": floor_name,
            "floor_s": round(bare, 4),
            "import_over_floor": round(ours / bare, 2),
        }
    return result


# ---- memory ------------------------------------------------------------------------------------

PEAK_IMPORT = """
import sys, time
from pathlib import Path
from tripbot.routes.analysis import analyse
from tripbot.routes.tracks import read_track

def peak_mib():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's at fork.
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024

content = open(sys.argv[1], "rb").read()
before = peak_mib()
started = time.perf_counter()
stats = analyse(read_track(content, "big.fit")).stats
seconds = time.perf_counter() - started
print(before, peak_mib(), stats.point_count, round(seconds, 1))
"""


def fit_memory(megabytes: int) -> dict[str, Any]:
    """Peak memory of a process importing a FIT file of about ``megabytes`` MB (read, repair,
    statistics), and how much of it the file's bytes themselves take."""
    points = megabytes * 1_000_000 // 25
    content = to_fit(noisy_track(points, seed=11).track)
    with tempfile.NamedTemporaryFile(suffix=".fit") as file:
        file.write(content)
        file.flush()
        del content
        answer = subprocess.run(  # noqa: S603 - our interpreter, our script
            [sys.executable, "-c", PEAK_IMPORT, file.name],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        size = Path(file.name).stat().st_size
    before, peak, count, seconds = answer.stdout.split()
    return {
        "file_mb": round(size / 1e6, 1),
        "points": int(count),
        "rss_with_file_loaded_mib": int(before),
        "peak_rss_mib": int(peak),
        "import_grew_mib": int(peak) - int(before),
        "import_s": float(seconds),
    }


def _vm_hwm_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def parallel_uploads(source: Path, files: list[bytes]) -> dict[str, Any]:
    """Peak memory (VmHWM) of `tripbot run` from ``source`` while one member uploads the files
    at once through the public API."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
        env.update(TRIPBOT_ENV="test", TRIPBOT_LOG_LEVEL="WARNING", PYTHONPATH=str(source))
        server = Process(
            "run",
            ["run", "--data-dir", str(Path(tmp) / "data")],
            env,
            free_port(),
            Path(tmp) / "run.log",
            command=(sys.executable, "-m", "tripbot"),
        )
        server.start(ready_path="/api/v1/health", timeout=60)
        try:
            assert server.popen is not None
            pid = server.popen.pid
            idle = _vm_hwm_mib(pid)
            with httpx.Client(base_url=server.url, timeout=600) as http:
                body = {"email": "ana@bench.example", "password": "a long bench password"}
                http.post("/api/v1/auth/register", json=body | {"display_name": "Ana"})
                token = http.post("/api/v1/auth/token", json=body).json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
                statuses: list[int] = []

                def upload(content: bytes, number: int) -> None:
                    answer = http.post(
                        "/api/v1/routes",
                        files={"file": (f"walk{number}.gpx", content, "application/gpx+xml")},
                        headers=headers,
                    )
                    statuses.append(answer.status_code)

                started = time.perf_counter()
                threads = [
                    threading.Thread(target=upload, args=(content, n))
                    for n, content in enumerate(files)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                seconds = time.perf_counter() - started
            return {
                "source": str(source),
                "uploads": len(files),
                "file_mb": round(len(files[0]) / 1e6, 1),
                "statuses": sorted(statuses),
                "idle_rss_mib": idle,
                "peak_rss_mib": _vm_hwm_mib(pid),
                "seconds": round(seconds, 1),
            }
        finally:
            server.stop()


def upload_files(count: int, megabytes: float) -> list[bytes]:
    """``count`` different GPX files of about ``megabytes`` MB each."""
    points = int(megabytes * 1_000_000 / 99.4)
    return [noisy_track(points, seed=100 + n, noise=False).gpx for n in range(count)]


def main() -> None:
    """Measure, print a table, write bench/results/routes.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="another source tree (its src folder)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the bench")
    options = parser.parse_args()
    points = 5_000 if options.quick else 50_000
    synthetic = noisy_track(points)
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    ours = best(lambda: analyse(read_track(synthetic.gpx)))
    floor = best(lambda: etree.fromstring(synthetic.gpx, xml_parser))
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
    result: dict[str, Any] = {
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "points": points,
        "import_s": ours,
        "gpxpy_s": peer["s"],
        "ratio_vs_gpxpy": peer["s"] / ours,
        "import_over_gpxpy": ours / peer["s"],
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
    result["formats"] = formats(synthetic, RUNS)
    for kind, row in result["formats"].items():
        print(f"{kind:8} {json.dumps(row)}")
    result["fit_memory"] = fit_memory(5 if options.quick else 50)
    print("fit_memory", json.dumps(result["fit_memory"]))
    files = upload_files(6, 2.0 if options.quick else 19.5)
    uploads = {"after": parallel_uploads(ROOT / "src", files)}
    if options.before:
        uploads["before"] = parallel_uploads(options.before, files)
    result["parallel_uploads"] = uploads
    print("parallel_uploads", json.dumps(uploads))
    if not options.quick:
        (ROOT / "bench" / "results" / "routes.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
