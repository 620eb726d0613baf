"""TCX, FIT and KMZ as devices and apps write them, KMZ refused when it is a zip bomb, and a
large GPX read with bounded memory."""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import fitdecode
import numpy as np
import pytest

from tests.routes.synthetic import noisy_track, to_fit
from tripbot.platform.errors import InvalidInput
from tripbot.routes.analysis import analyse
from tripbot.routes.formats import kmz
from tripbot.routes.tracks import read_track

DATA = Path(__file__).parent / "data"


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _refused(content: bytes, fragment: str, filename: str = "route.kmz") -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        read_track(content, filename)
    assert fragment in raised.value.detail, raised.value.detail
    assert raised.value.told_in("es") != raised.value.detail
    return raised.value


# ---- TCX ---------------------------------------------------------------------------------------


def test_a_garmin_connect_tcx_activity_keeps_its_points_times_and_elevation() -> None:
    track = read_track(_read("other/placemark__garmin_connect.tcx"), "run.tcx")
    assert track.source == "tcx"
    segment = track.segments[0]
    assert np.isfinite(segment.time).all()
    assert np.isfinite(segment.ele).all()
    assert (np.diff(segment.time) >= 0).all()
    assert [(r.kind, r.count) for r in track.repairs] == [("no_position", 1)]


def test_a_tcx_course_keeps_its_name_and_its_course_points_as_waypoints() -> None:
    course = read_track(_read("other/placemark__tcx-courses.tcx"), "course.tcx")
    assert course.name == "Test TCX Route"
    cues = read_track(_read("other/gpsbabel__gtrnctr-readcp.tcx"), "cues.tcx")
    assert len(cues.waypoints) == 16
    assert (cues.waypoints[1].name, cues.waypoints[1].symbol) == ("Tp Sum", "Summit")
    assert cues.waypoints[1].description == "Not Sum"


# ---- FIT ---------------------------------------------------------------------------------------


def _session_distance(content: bytes) -> float:
    """The distance the watch itself recorded for the session, read by fitdecode directly."""
    with fitdecode.FitReader(io.BytesIO(content)) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "session":
                return float(frame.get_value("total_distance"))
    raise AssertionError("no session")


def test_a_watchs_fit_activity_measures_as_the_watch_did() -> None:
    content = _read("fit/fitdecode__garmin-fenix-5-walk.fit")
    track = read_track(content, "walk.fit")
    assert track.source == "fit"
    assert track.segments[0].timed
    stats = analyse(track).stats
    assert stats.distance_m == pytest.approx(_session_distance(content), rel=0.03)


def test_a_fit_file_and_a_gpx_file_of_one_walk_give_one_route() -> None:
    walk = noisy_track(3000, seed=3)
    from_fit = read_track(to_fit(walk.track), "walk.fit")
    from_gpx = read_track(walk.gpx, "walk.gpx")
    np.testing.assert_allclose(from_fit.segments[0].lat, from_gpx.segments[0].lat, atol=1e-6)
    np.testing.assert_allclose(from_fit.segments[0].ele, from_gpx.segments[0].ele, atol=0.2)
    np.testing.assert_array_equal(from_fit.segments[0].time, from_gpx.segments[0].time)
    fit_stats, gpx_stats = analyse(from_fit).stats, analyse(from_gpx).stats
    assert fit_stats.distance_m == pytest.approx(gpx_stats.distance_m, rel=1e-4)
    assert fit_stats.ascent_m == pytest.approx(gpx_stats.ascent_m, abs=2)
    named = read_track(to_fit(walk.track, course="Cares"), "cares.fit")
    assert named.name == "Cares"


def test_a_fit_course_keeps_its_name_and_course_points() -> None:
    course = read_track(_read("fit/gpsbabel__fitwrite-track.fit"), "meridian.fit")
    assert course.name == "meridian"
    assert len(course.waypoints) == 12
    # GPSBabel wrote the same course as KML: both give the same route.
    as_kml = read_track(_read("kml/gpsbabel__tracks~gpx.kml"))
    assert analyse(course).stats.distance_m == analyse(as_kml).stats.distance_m


def test_a_fit_file_cut_short_keeps_the_points_before_the_cut() -> None:
    track = read_track(_read("fit/gpsbabel__lezyne_super_gps-garmin_fit-sample-bad-endian.fit"))
    [cut] = track.repairs
    assert cut.kind == "file_truncated"
    assert track.point_count == cut.places[0].point == 804


def test_a_fit_file_that_is_no_activity_or_course_is_refused_saying_so() -> None:
    error = _refused(_read("fit/fitdecode__Settings.fit"), "FIT file type is settings", "s.fit")
    assert "exporta la actividad o el curso" in error.told_in("es")
    _refused(b"\x0e\x10garbage", "does not start with a FIT header", "broken.fit")


# ---- KMZ ---------------------------------------------------------------------------------------


def _zipped(*entries: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return out.getvalue()


def test_a_kmz_is_its_kml_zipped_with_pictures() -> None:
    kml = _read("kml/gpsbabel__opentracks.kml")
    content = _zipped(("images/marker.png", b"\x89PNG..."), ("doc.kml", kml))
    track = read_track(content, "wurmlingen.kmz")
    assert track.source == "kmz"
    assert track.name == "Wurmlinger Kapelle"
    plain = read_track(kml)
    assert analyse(track).stats == analyse(plain).stats


def test_a_kmz_without_kml_or_not_a_zip_or_damaged_says_what_it_is() -> None:
    _refused(_zipped(("photo.jpg", b"jpeg")), "holds no KML file: it holds photo.jpg")
    _refused(b"<html>not a kmz", "neither GPX, KML nor TCX", "route.kmz")
    _refused(b"\x00\x01 not a zip", "is not a zip archive, so it cannot be a KMZ")
    whole = _zipped(("doc.kml", _read("kml/gpsbabel__opentracks.kml")))
    _refused(whole[: len(whole) // 2], "zip archive (as a KMZ is) but it is damaged")


@pytest.fixture
def grown_mib() -> object:
    """How much the process's peak memory grew during the test, in MiB (checked after)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def grown() -> float:
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

    return grown


def test_zip_bombs_are_refused_with_bounded_memory(grown_mib: object) -> None:
    many = _zipped(*((f"{i}.png", b"") for i in range(kmz.MAX_ENTRIES + 1)))
    _refused(many, f"more than {kmz.MAX_ENTRIES} are refused")
    zeros = bytes(20_000_000)
    _refused(_zipped(("doc.kml", zeros)), "times over its compressed size")  # 20 MB in 20 kB
    huge = io.BytesIO()
    with (
        zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("doc.kml", "w", force_zip64=True) as entry,
    ):
        for _ in range(7):
            entry.write(bytes(10_000_000))  # 70 MB claimed, never read back
    _refused(huge.getvalue(), "would expand to 70 MB")
    assert grown_mib() < 60  # type: ignore[operator]


def test_a_kmz_whose_header_lies_about_its_size_is_not_believed(grown_mib: object) -> None:
    content = bytearray(_zipped(("doc.kml", bytes(10_000_000))))
    # Say, in the central directory, that the entry expands to 100 bytes.
    directory = content.rindex(b"PK\x01\x02")
    content[directory + 24 : directory + 28] = (100).to_bytes(4, "little")
    _refused(bytes(content), "doc.kml")
    assert grown_mib() < 40  # type: ignore[operator]


# ---- bounded memory ----------------------------------------------------------------------------

_PEAK = """
import sys
from pathlib import Path
from tripbot.routes.tracks import read_track

def peak_kib():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's at fork.
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

content = open(sys.argv[1], "rb").read()
before = peak_kib()
track = read_track(content)
print((peak_kib() - before) // 1024, track.point_count)
"""


def test_a_20_mb_gpx_is_read_with_a_fraction_of_the_memory_of_its_tree(tmp_path: Path) -> None:
    path = tmp_path / "big.gpx"
    path.write_bytes(noisy_track(200_000, noise=False).gpx)
    assert path.stat().st_size > 19_000_000
    answer = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], check=True, capture_output=True, text=True
    )
    grown, points = map(int, answer.stdout.split())
    assert points == 200_000
    # The whole tree of this file takes about 150 MB; the points themselves 6.4 MB as arrays.
    assert grown < 60, f"reading grew the process by {grown} MiB"


def test_at_most_two_files_are_read_at_once_in_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from tripbot.routes import tracks

    inside, most = 0, 0
    lock = threading.Lock()
    real_parse = tracks.parse

    def counted(content: bytes, filename: str = "") -> object:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            time.sleep(0.05)  # long enough for the other threads to try to come in
            return real_parse(content, filename)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(tracks, "parse", counted)
    content = noisy_track(2000).gpx
    threads = [threading.Thread(target=tracks.read_track, args=(content,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == tracks.MAX_CONCURRENT_PARSES == 2
