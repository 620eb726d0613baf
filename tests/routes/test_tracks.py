"""Reading GPX, KML and GeoJSON: what is kept, what is refused and why, and writing back."""

from __future__ import annotations

import json
import resource
from typing import Any

import numpy as np
import pytest
from lxml import etree

from tests.routes.synthetic import noisy_track, small_gpx
from tripbot.platform.errors import InvalidInput
from tripbot.routes.tracks import pack, read_track, to_geojson, to_gpx, unpack

GPX11 = 'xmlns="http://www.topografix.com/GPX/1/1"'


def _gpx(body: str, namespace: str = GPX11) -> bytes:
    return f'<?xml version="1.0"?><gpx version="1.1" {namespace}>{body}</gpx>'.encode()


def _points(*rows: tuple[float, float, float | None, str | None]) -> str:
    out = []
    for lat, lon, ele, time_ in rows:
        inner = (f"<ele>{ele}</ele>" if ele is not None else "") + (
            f"<time>{time_}</time>" if time_ else ""
        )
        out.append(f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>')
    return "".join(out)


def _refused(content: bytes, fragment: str, filename: str = "x.gpx") -> None:
    with pytest.raises(InvalidInput) as raised:
        read_track(content, filename)
    assert fragment in raised.value.detail, raised.value.detail
    assert raised.value.extensions["field"] == "file"


# ---- what is kept ----------------------------------------------------------------------------


def test_a_gpx_track_keeps_points_elevation_times_waypoints_and_names() -> None:
    track = read_track(small_gpx("Ruta del Cares", points=10, description="Por la garganta"))
    assert track.source == "gpx-track"
    assert (track.name, track.description) == ("Ruta del Cares", "Por la garganta")
    assert track.point_count == 10
    segment = track.segments[0]
    assert segment.ele[0] == 500.0
    assert segment.ele[-1] == pytest.approx(620.0)
    assert np.isnan(segment.time).all()
    assert [(w.name, w.ele) for w in track.waypoints] == [("Fuente", 500.0)]


def test_multi_track_multi_segment_files_keep_every_segment_in_order() -> None:
    seg = "<trkseg>{}</trkseg>"
    body = (
        "<trk>"
        + seg.format(_points((43.0, -4.0, 100, None), (43.001, -4.0, 110, None)))
        + seg.format(_points((43.01, -4.0, 200, None), (43.011, -4.0, 210, None)))
        + "</trk><trk>"
        + seg.format(_points((43.02, -4.0, 300, None), (43.021, -4.0, 310, None)))
        + "</trk>"
    )
    track = read_track(_gpx(body))
    assert [float(s.ele[0]) for s in track.segments] == [100.0, 200.0, 300.0]


def test_a_gpx_with_only_a_route_uses_the_route_points() -> None:
    body = (
        "<rte><name>Planned</name>"
        '<rtept lat="43.0" lon="-4.0"><ele>10</ele></rtept>'
        '<rtept lat="43.01" lon="-4.0"><ele>20</ele></rtept></rte>'
    )
    track = read_track(_gpx(body))
    assert (track.source, track.name, track.point_count) == ("gpx-route", "Planned", 2)


def test_gpx_1_0_and_gpx_without_namespace_are_read() -> None:
    body = f"<trk><trkseg>{_points((43.0, -4.0, 1, None), (43.01, -4.0, 2, None))}</trkseg></trk>"
    for namespace in ('xmlns="http://www.topografix.com/GPX/1/0"', ""):
        assert read_track(_gpx(body, namespace)).point_count == 2


def test_times_in_utc_and_with_offsets_are_read_and_a_missing_elevation_is_interpolated() -> None:
    rows = _points(
        (43.0, -4.0, 100, "2026-05-01T08:00:00Z"),
        (43.001, -4.0, None, "2026-05-01T10:00:05+02:00"),
        (43.002, -4.0, 102, None),
    )
    track = read_track(_gpx(f"<trk><trkseg>{rows}</trkseg></trk>"))
    segment = track.segments[0]
    assert segment.time[1] - segment.time[0] == 5.0
    assert np.isnan(segment.time[2])
    assert segment.ele[1] == pytest.approx(101.0, abs=0.01)
    assert [(r.kind, r.count, r.places[0].point) for r in track.repairs] == [
        ("elevation_filled", 1, 2)
    ]


def test_kml_lines_tracks_and_placemarks() -> None:
    kml = b"""<?xml version="1.0"?>
    <kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
    <Document><name>Vuelta</name>
      <Placemark><name>Refugio</name>
        <Point><coordinates>-4.85,43.25,1200</coordinates></Point></Placemark>
      <Placemark><LineString><coordinates>-4.85,43.24,500 -4.86,43.25,600
        -4.87,43.25,650</coordinates></LineString></Placemark>
      <Placemark><gx:Track><when>2026-05-01T08:00:00Z</when><when>2026-05-01T08:01:00Z</when>
        <gx:coord>-4.87 43.25 650</gx:coord><gx:coord>-4.871 43.251 655</gx:coord>
      </gx:Track></Placemark>
    </Document></kml>"""
    track = read_track(kml, "vuelta.kml")
    assert (track.source, track.name) == ("kml", "Vuelta")
    assert [s.ele.tolist() for s in track.segments] == [[500.0, 600.0, 650.0], [650.0, 655.0]]
    assert track.segments[1].time[1] - track.segments[1].time[0] == 60.0
    assert [(w.name, w.ele) for w in track.waypoints] == [("Refugio", 1200.0)]


@pytest.mark.parametrize(
    "document",
    [
        {"type": "LineString", "coordinates": [[-4.0, 43.0, 10], [-4.0, 43.01, 20]]},
        {
            "type": "Feature",
            "properties": {"name": "Senda"},
            "geometry": {"type": "LineString", "coordinates": [[-4.0, 43.0], [-4.0, 43.01, 20]]},
        },
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "Senda"},
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": [[[-4.0, 43.0, 10], [-4.0, 43.01, 20]]],
                    },
                },
                {
                    "type": "Feature",
                    "properties": {"name": "Mirador"},
                    "geometry": {"type": "Point", "coordinates": [-4.0, 43.005]},
                },
            ],
        },
    ],
)
def test_geojson_lines_features_and_collections(document: dict[str, object]) -> None:
    track = read_track(json.dumps(document).encode(), "x.geojson")
    assert track.source == "geojson"
    assert track.segments[0].lat.tolist() == [43.0, 43.01]
    assert track.segments[0].ele[1] == 20.0


def test_a_track_without_elevation_is_accepted_with_nan_elevations() -> None:
    track = read_track(small_gpx(points=5, elevation=False))
    assert np.isnan(track.segments[0].ele).all()


# ---- what is refused -------------------------------------------------------------------------


def test_not_xml_is_refused_with_the_place_of_the_error() -> None:
    _refused(b"<gpx><trk></gpx>", "not valid XML: line 1")
    _refused(b"\x00\x01binary", "is not XML, so it cannot be GPX")


def test_an_unknown_file_type_is_refused() -> None:
    _refused(b"%PDF-1.7 ...", "unknown file type: send a GPX, KML, KMZ, TCX, FIT", "notes.pdf")
    _refused(b"<html><body>hi</body></html>", "neither GPX, KML nor TCX", "page.html")
    _refused(b'{"type": "Topology"}', "not GeoJSON", "area.json")
    _refused(b'{"type": "Polygon", "coordinates": []}', "1 area(s) (polygons) and no line")


def test_billion_laughs_is_refused_before_parsing_with_bounded_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE gpx [{entities}]><gpx>&lol9;</gpx>'.encode()
    parsed: list[object] = []
    real_parser = etree.XMLPullParser

    def counting_parser(*args: Any, **kwargs: Any) -> Any:
        parsed.append(args)
        return real_parser(*args, **kwargs)

    monkeypatch.setattr(etree, "XMLPullParser", counting_parser)
    assert read_track(small_gpx()).point_count == 60
    assert parsed  # the parser is counted when it is used
    parsed.clear()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _refused(bomb, "declares a DTD")
    assert parsed == []  # refused on its bytes: no parser ever saw an entity to expand
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 50  # expanded, 10**9 "lol"s would need gigabytes


def test_external_entities_are_never_read() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<gpx xmlns="http://www.topografix.com/GPX/1/1"><metadata><name>&xxe;</name></metadata>'
        b'<trk><trkseg><trkpt lat="1" lon="1"/><trkpt lat="1.1" lon="1"/></trkseg></trk></gpx>'
    )
    with pytest.raises(InvalidInput) as raised:
        read_track(xxe)
    assert "DTD" in raised.value.detail
    assert "root:" not in raised.value.detail


def test_a_single_point_is_not_a_route() -> None:
    body = f"<trk><trkseg>{_points((43.0, -4.0, 1, None))}</trkseg></trk>"
    _refused(_gpx(body), "only 1 point(s); a route needs at least two")


def test_a_file_without_a_track_says_so() -> None:
    _refused(_gpx('<wpt lat="1" lon="1"><name>alone</name></wpt>'), "1 waypoint(s) but no track")
    _refused(_gpx("<trk><trkseg></trkseg></trk>"), "the file has no track: no GPX track")


@pytest.mark.parametrize(
    ("rows", "kind", "kept", "place"),
    [
        (((95.0, -4.0, 1, None), (43.0, -4.0, 1, None), (43.001, -4.0, 1, None)),
         "impossible_position", 2, 1),
        (((43.0, -4.0, 1, None), (43.0, 200.0, 1, None), (43.001, -4.0, 1, None)),
         "impossible_position", 2, 2),
        (((43.0, -4.0, 1, None), (43.001, -4.0, 12000, None), (43.002, -4.0, 3, None)),
         "elevation_implausible", 3, 2),
        (((43.0, -4.0, 1, None), (43.001, -4.0, 1, None), (48.0, -4.0, 1, None)),
         "far_from_track", 2, 3),
        (
            (
                (43.0, -4.0, 1, "2026-05-01T08:00:10Z"),
                (43.001, -4.0, 1, "2026-05-01T08:00:05Z"),
                (43.002, -4.0, 1, "2026-05-01T08:00:20Z"),
            ),
            "time_out_of_order", 3, 2,
        ),
        (((43.0, -4.0, 1, "1970-01-01T00:00:00Z"), (43.001, -4.0, 1, None)),
         "time_implausible", 2, 1),
        (((43.0, -4.0, 1, "yesterday"), (43.001, -4.0, 1, None)), "time_unreadable", 2, 1),
    ],
)  # fmt: skip
def test_an_absurd_point_is_dropped_or_repaired_saying_which(
    rows: tuple[tuple[float, float, float | None, str | None], ...],
    kind: str,
    kept: int,
    place: int,
) -> None:
    track = read_track(_gpx(f"<trk><trkseg>{_points(*rows)}</trkseg></trk>"))
    assert track.point_count == kept
    [repair] = [r for r in track.repairs if r.kind == kind]
    assert (repair.count, repair.places[0].point) == (1, place)
    assert str(repair.places[0].where) == "track 1, segment 1"


def test_a_point_with_a_bad_number_is_left_out_and_named() -> None:
    body = '<trk><trkseg><trkpt lat="43" lon="-4"/><trkpt lat="north" lon="-4"/></trkseg></trk>'
    _refused(_gpx(body), "no usable track: 1 point(s) without a position were left out")
    _refused(_gpx(body), "(track 1, segment 1: point 2)")
    body = body.replace("</trkseg>", '<trkpt lat="43.001" lon="-4"/></trkseg>')
    track = read_track(_gpx(body))
    assert track.point_count == 2
    assert [(r.kind, r.places[0].point) for r in track.repairs] == [("no_position", 2)]


def test_deeply_nested_json_is_refused() -> None:
    _refused(b"[" * 100_000 + b"]" * 100_000, "not valid JSON", "deep.geojson")


# ---- writing and storing ---------------------------------------------------------------------


def test_gpx_and_geojson_written_back_read_the_same() -> None:
    synthetic = noisy_track(500)
    track = read_track(synthetic.gpx)
    again = read_track(to_gpx(track, "Again & again"))
    assert again.name == "Again & again"
    np.testing.assert_allclose(again.segments[0].lat, track.segments[0].lat, atol=1e-7)
    np.testing.assert_allclose(again.segments[0].ele, track.segments[0].ele, atol=0.05)
    np.testing.assert_array_equal(again.segments[0].time, track.segments[0].time)
    collection = to_geojson(track, {"name": "x"})
    from_json = read_track(json.dumps(collection).encode(), "x.geojson")
    np.testing.assert_allclose(from_json.segments[0].lon, track.segments[0].lon, atol=1e-7)


def test_packed_tracks_unpack_unchanged() -> None:
    track = read_track(noisy_track(300).gpx)
    back = unpack(pack(track))
    np.testing.assert_array_equal(back.segments[0].lat, track.segments[0].lat)
    np.testing.assert_allclose(back.segments[0].ele, track.segments[0].ele, atol=1e-3)
    np.testing.assert_array_equal(back.segments[0].time, track.segments[0].time)
