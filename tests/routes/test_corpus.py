"""Real files from devices and apps (tests/routes/data, origins in its MANIFEST.md): each
imports, with what was repaired, or is refused saying why, in English and Spanish."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tripbot.platform.errors import InvalidInput
from tripbot.routes.analysis import analyse
from tripbot.routes.tracks import parse, read_track, to_geojson

DATA = Path(__file__).parent / "data"

EXPECTED: dict[str, tuple[str, tuple[str, ...]] | str] = {
    "fit/fitdecode__Settings.fit": "the FIT file holds no activity or course",
    "fit/fitdecode__activity-unexpected-eof.fit": ("fit", ("file_truncated",)),
    "fit/fitdecode__garmin-fenix-5-walk.fit": ("fit", ()),
    "fit/fitdecode__sample-activity.fit": ("fit", ("no_position",)),
    "fit/gpsbabel__Lctns_Instinct.fit": "the FIT file holds no activity or course",
    "fit/gpsbabel__fitwrite-track.fit": ("fit", ("elevation_dropped",)),
    "fit/gpsbabel__garmin-edge-800.fit": ("fit", ()),
    "fit/gpsbabel__garmin-vivosmart-hr.fit": "the file has no usable track: 15 point(s",
    "fit/gpsbabel__lezyne_super_gps-garmin_fit-sample-bad-endian.fit": ("fit", ("file_truncated",)),
    "geojson/togeojson__blue_hills.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__gxmultitrack.kml.geojson": ("geojson", ()),
    "geojson/togeojson__linestring.kml.geojson": ("geojson", ()),
    "geojson/togeojson__multigeometry.kml.geojson": ("geojson", ()),
    "geojson/togeojson__multitrack.kml.geojson": ("geojson", ()),
    "geojson/togeojson__multitrackgpx.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__osm.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__run.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__style.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__trek.gpx.geojson": ("geojson", ()),
    "geojson/togeojson__zero_elevation.gpx.geojson": ("geojson", ()),
    "gpx/gpxpy__Mojstrovka.gpx": ("gpx-track", ("time_implausible",)),
    "gpx/gpxpy__around-visnjan-with-car.gpx": ("gpx-track", ()),
    "gpx/gpxpy__cerknicko-jezero-no-creator.gpx": ("gpx-track", ()),
    "gpx/gpxpy__cerknicko-jezero-with-elevations-zero.gpx": ("gpx-track", ("elevation_all_zero",)),
    "gpx/gpxpy__cerknicko-jezero-without-elevations.gpx": ("gpx-track", ()),
    "gpx/gpxpy__cerknicko-jezero.gpx": ("gpx-track", ()),
    "gpx/gpxpy__cerknicko-without-times.gpx": ("gpx-track", ()),
    "gpx/gpxpy__custom_schema_locations.gpx": "the file has no track: no GPX track or r",
    "gpx/gpxpy__default_schema_locations.gpx": "the file has no track: no GPX track or r",
    "gpx/gpxpy__first_and_last_elevation.gpx": (
        "gpx-track",
        ("elevation_dropped", "time_out_of_order"),
    ),
    "gpx/gpxpy__gpx-with-node-with-comments.gpx": "the track has only 1 point(s); a route n",
    "gpx/gpxpy__gpx1.0_with_all_fields.gpx": "the file has no usable track: 5 point(s)",
    "gpx/gpxpy__gpx1.1_with_all_fields.gpx": "the file has no usable track: 5 point(s)",
    "gpx/gpxpy__gpx1.1_with_extensions.gpx": "the file holds 1 waypoint(s) but no trac",
    "gpx/gpxpy__gpx1.1_with_extensions_without_namespaces.gpx": "the file holds 1 waypoint",
    "gpx/gpxpy__gpx_with_garmin_extension.gpx": "the file holds 1 waypoint(s) but no trac",
    "gpx/gpxpy__korita-zbevnica.gpx": ("gpx-track", ()),
    "gpx/gpxpy__route.gpx": ("gpx-route", ("route_used",)),
    "gpx/gpxpy__track-with-empty-segment.gpx": ("gpx-track", ()),
    "gpx/gpxpy__track-with-extremes.gpx": ("gpx-track", ()),
    "gpx/gpxpy__track-with-less-sec-time.gpx": ("gpx-track", ()),
    "gpx/gpxpy__track-with-small-floats.gpx": ("gpx-track", ()),
    "gpx/gpxpy__track_with_dilution_errors.gpx": "the file has no usable track: 2 segment(",
    "gpx/gpxpy__track_with_speed.gpx": ("gpx-track", ()),
    "gpx/gpxpy__unicode.gpx": "the file holds 6 waypoint(s) but no trac",
    "gpx/gpxpy__unicode2.gpx": "the file has no track: no GPX track or r",
    "gpx/gpxpy__unicode_with_bom.gpx": "the file holds 1 waypoint(s) but no trac",
    "gpx/gpxpy__unicode_with_bom_noencoding.gpx": "the file holds 1 waypoint(s) but no trac",
    "gpx/placemark__Friday-Evening-Run.gpx": ("gpx-track", ()),
    "gpx/placemark__apple_watch_route.gpx": ("gpx-track", ()),
    "gpx/placemark__bad.gpx": "the file has no usable track: 3 point(s)",
    "gpx/placemark__garmin_extensions.gpx": "the file has no usable track: 7 point(s)",
    "gpx/placemark__opencpn.gpx": ("gpx-route", ("route_used",)),
    "gpx/placemark__strava.gpx": ("gpx-track", ()),
    "gpx/togeojson__blue_hills.gpx": ("gpx-track", ("short_segment",)),
    "gpx/togeojson__empty_ele.gpx": "the track has no length: all its points ",
    "gpx/togeojson__empty_trk.gpx": "the file has no track: no GPX track or r",
    "gpx/togeojson__gdal.gpx": "the file has no usable track: 7 point(s)",
    "gpx/togeojson__missing_hr.gpx": ("gpx-track", ()),
    "gpx/togeojson__multitrackgpx.gpx": ("gpx-track", ()),
    "gpx/togeojson__north_core.gpx": (
        "gpx-track",
        ("duplicate_path", "far_from_track", "short_segment", "split_at_jump"),
    ),
    "gpx/togeojson__osm.gpx": ("gpx-track", ()),
    "gpx/togeojson__run.gpx": ("gpx-track", ()),
    "gpx/togeojson__run_gpxtpx.gpx": ("gpx-track", ()),
    "gpx/togeojson__style.gpx": ("gpx-track", ()),
    "gpx/togeojson__trek.gpx": ("gpx-route", ("route_used",)),
    "gpx/togeojson__trek_no_rtept.gpx": "the file has no track: no GPX track or r",
    "gpx/togeojson__unique_trkpt.gpx": "the track has only 1 point(s); a route n",
    "gpx/togeojson__wpt.gpx": "the file holds 40 waypoint(s) but no tra",
    "gpx/togeojson__zero_elevation.gpx": ("gpx-track", ()),
    "kml/gpsbabel__opentracks.kml": ("kml", ("no_position",)),
    "kml/gpsbabel__realtime.kml": (
        "kml",
        ("duplicate_path", "elevation_filled", "time_implausible", "waypoints_repeat_track"),
    ),
    "kml/gpsbabel__segmented_tracks-track.kml": (
        "kml",
        ("duplicate_path", "waypoints_repeat_track"),
    ),
    "kml/gpsbabel__tracks~gpx.kml": (
        "kml",
        ("duplicate_path", "elevation_dropped", "waypoints_repeat_track"),
    ),
    "kml/placemark__bad.kml": "the file has no usable track: 2 point(s)",
    "kml/placemark__linear_ring.kml": "the file holds 1 area(s) (polygons) and ",
    "kml/placemark__multigeometry_sibling.kml": ("kml", ()),
    "kml/togeojson__gxmultitrack.kml": ("kml", ()),
    "kml/togeojson__gxtrack.kml": ("kml", ()),
    "kml/togeojson__linestring.kml": ("kml", ()),
    "kml/togeojson__multigeometry.kml": ("kml", ()),
    "kml/togeojson__multigeometry_discrete.kml": ("kml", ()),
    "kml/togeojson__multitrack.kml": ("kml", ()),
    "kml/togeojson__non_gx_multitrack.kml": ("kml", ()),
    "kml/togeojson__point.kml": "the file holds 1 waypoint(s) but no trac",
    "kml/togeojson__polygon.kml": "the file holds 1 area(s) (polygons) and ",
    "kml/togeojson__timespan.kml": "the file holds 1 area(s) (polygons) and ",
    "kml/togeojson__twopoints.kml": "the file holds 2 waypoint(s) but no trac",
    "other/gpsbabel__gtrnctr-readcp.tcx": ("tcx", ()),
    "other/placemark__bad.tcx": "the file has no usable track: 2 point(s)",
    "other/placemark__garmin_connect.tcx": ("tcx", ("no_position",)),
    "other/placemark__sample.tcx": ("tcx", ("no_position",)),
    "other/placemark__tcx-courses.tcx": ("tcx", ()),
}
"""Each file: (source, the kinds of repair made) when it imports, else its refusal's start."""


def _files() -> list[str]:
    return sorted(
        str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md"
    )


def test_every_file_has_its_origin_and_an_expected_outcome() -> None:
    manifest = (DATA / "MANIFEST.md").read_text()
    listed = set(re.findall(r"^\| ([^ |]+) \|", manifest, re.MULTILINE)) - {"local"}
    assert listed == set(_files())
    assert set(EXPECTED) == set(_files())


@pytest.mark.parametrize("name", _files())
def test_a_real_file_imports_with_its_repairs_or_is_refused_saying_why(name: str) -> None:
    content = (DATA / name).read_bytes()
    expected = EXPECTED[name]
    if isinstance(expected, str):
        with pytest.raises(InvalidInput) as raised:
            analyse(read_track(content, Path(name).name))
        assert raised.value.detail.startswith(expected), raised.value.detail
        spanish = raised.value.told_in("es")
        assert spanish != raised.value.detail, f"no Spanish for: {raised.value.detail}"
        return
    track = read_track(content, Path(name).name)
    source, kinds = expected
    assert (track.source, tuple(sorted({r.kind for r in track.repairs}))) == (source, kinds)
    stats = analyse(track).stats
    assert stats.distance_m > 0
    assert all(len(s) >= 2 for s in track.segments)


# ---- each kind of failure of issue 18, on real files -----------------------------------------


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_a_walk_written_twice_in_one_file_counts_once_keeping_the_timed_line() -> None:
    # GPSBabel writes a track as a timed gx:Track and again as a "Path" LineString.
    content = _read("kml/gpsbabel__tracks~gpx.kml")
    lines = parse(content).lines
    assert [str(line.where) for line in lines] == ["gx:Track 1", "line 1"]
    track = read_track(content)
    assert [str(s.where) for s in track.segments] == ["gx:Track 1"]
    alone = analyse(read_track(content)).stats.distance_m
    both = sum(
        float(np.nansum(analyse(read_track(_only(line))).stats.distance_m)) for line in lines
    )
    assert alone == pytest.approx(both / 2, rel=1e-3)
    [repeat] = [r for r in track.repairs if r.kind == "duplicate_path"]
    assert str(repeat.places[0].where) == "line 1"


def _only(line: object) -> bytes:
    """One line of a file as a GPX file of its own."""
    from tripbot.routes.tracks import Track, to_gpx

    return to_gpx(Track((line,), (), "kml"), "one")  # type: ignore[arg-type]


def _suunto_like(gxtrack_kml: bytes) -> bytes:
    """A Placemark that holds one walk as a LineString and as a timed gx:Track (Suunto's KML),
    made from a real gx:Track."""
    text = gxtrack_kml.decode()
    coords = re.findall(r"<gx:coord>([^<]*)</gx:coord>", text)
    line = " ".join(",".join(c.split()) for c in coords)
    return (
        text.replace(
            "<gx:Track>",
            f"<MultiGeometry><LineString><coordinates>{line}</coordinates></LineString><gx:Track>",
        )
        .replace("</gx:Track>", "</gx:Track></MultiGeometry>")
        .encode()
    )


def test_a_placemark_with_the_walk_as_line_and_as_timed_track_counts_it_once() -> None:
    real = _read("kml/togeojson__gxtrack.kml")
    single = analyse(read_track(real)).stats
    doubled = read_track(_suunto_like(real))
    assert [str(s.where) for s in doubled.segments] == ["gx:Track 1"]
    stats = analyse(doubled).stats
    assert stats.distance_m == single.distance_m
    assert (stats.effort, stats.suggested_type) == (single.effort, single.suggested_type)
    assert doubled.segments[0].timed


def test_opentracks_gx_coords_without_position_are_dropped_and_times_stay_with_their_points() -> (
    None
):
    track = read_track(_read("kml/gpsbabel__opentracks.kml"))
    [repair] = track.repairs
    assert (repair.kind, [p.point for p in repair.places]) == ("no_position", [1, 4])
    segment = track.segments[0]
    assert segment.lat.tolist() == [48.503537, 48.503623]
    stamps = np.array(["2021-03-02T09:30:41.890", "2021-03-02T12:34:53.912"], "datetime64[ms]")
    assert segment.time.tolist() == (stamps.astype(np.int64) / 1000).tolist()


def test_gpsbabel_no_time_of_1901_is_ignored_and_the_track_kept() -> None:
    track = read_track(_read("gpx/gpxpy__Mojstrovka.gpx"))
    [repair] = track.repairs
    assert (repair.kind, repair.count) == ("time_implausible", 184)
    assert repair.places[0].value == "1901-12-13T20:45:52Z"
    assert not any(s.timed for s in track.segments)
    assert analyse(track).stats.ascent_m == pytest.approx(430, abs=15)


def test_a_time_earlier_than_the_one_before_is_ignored_not_the_file() -> None:
    track = read_track(_read("gpx/gpxpy__first_and_last_elevation.gpx"))
    [late] = [r for r in track.repairs if r.kind == "time_out_of_order"]
    assert (late.count, late.places[0].point) == (1, 10)
    assert np.isnan(track.segments[0].time[-1])
    assert np.isfinite(track.segments[0].time[:-1]).all()


def test_empty_elevations_as_osmand_writes_them_are_interpolated() -> None:
    real = _read("gpx/togeojson__run.gpx").decode()
    heights = re.findall(r"<ele>([^<]*)</ele>", real)
    emptied = real.replace(f"<ele>{heights[3]}</ele>", "<ele></ele>", 1).replace(
        f"<ele>{heights[7]}</ele>", "<ele/>", 1
    )
    track = read_track(emptied.encode())
    [filled] = track.repairs
    assert (filled.kind, filled.count) == ("elevation_filled", 2)
    assert np.isfinite(track.segments[0].ele).all()
    # OsmAnd's own file with empty elevations is refused for what it is: one place twice.
    with pytest.raises(InvalidInput, match="no length"):
        analyse(read_track(_read("gpx/togeojson__empty_ele.gpx")))


def test_a_waypoint_at_an_impossible_place_is_dropped_and_the_route_kept() -> None:
    real = _read("gpx/gpxpy__korita-zbevnica.gpx").decode()
    broken = re.sub(
        r"(<trk>)", '<wpt lat="95.5" lon="14.2"><name>Vrh</name></wpt>\\1', real, count=1
    )
    track = read_track(broken.encode())
    [dropped] = track.repairs
    assert dropped.kind == "waypoint_dropped"
    assert str(dropped.places[0].where) == "waypoint 'Vrh'"
    assert track.point_count == read_track(real.encode()).point_count


def test_a_gpx_whose_track_has_no_path_uses_its_route() -> None:
    track = read_track(_read("gpx/togeojson__trek.gpx"))
    assert track.source == "gpx-route"
    assert [r.kind for r in track.repairs] == ["route_used"]
    assert track.point_count == 120


def test_the_geojson_export_writes_times_as_togeojson_does_and_reads_them_back() -> None:
    track = read_track(_read("gpx/togeojson__run.gpx"))
    exported = to_geojson(track, {"name": "run"})
    theirs = json.loads(_read("geojson/togeojson__run.gpx.geojson"))
    ours = exported["features"][0]["properties"]["coordTimes"]
    assert ours == theirs["features"][0]["properties"]["coordTimes"]
    again = read_track(json.dumps(exported).encode(), "run.geojson")
    np.testing.assert_array_equal(again.segments[0].time, track.segments[0].time)
