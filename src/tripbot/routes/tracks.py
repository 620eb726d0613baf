"""Tracks read from the files people have (GPX, KML, KMZ, TCX, FIT, GeoJSON), made usable,
and written back as GPX or GeoJSON.

A file's kind is told by its content, not its name: a zip is a KMZ, a FIT header a FIT file,
XML by its root element (gpx, kml, TrainingCenterDatabase), JSON is GeoJSON. Each reader lives
in ``tripbot.routes.formats``; ``tripbot.routes.repairs`` then drops or repairs bad points, and
only a file with no usable track is refused, saying what is wrong and where.

At most ``MAX_CONCURRENT_PARSES`` files are read at once in a process: reading is bound by the
processor (and Python's lock), so more at once would only add their memory together.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from tripbot.platform.errors import Message
from tripbot.routes import repairs
from tripbot.routes.formats import fit, geojson, gpx, kml, kmz, tcx
from tripbot.routes.formats.common import (
    FloatArray,
    Parsed,
    Repair,
    Segment,
    Source,
    Track,
    Waypoint,
    refuse,
    xml_root,
)

__all__ = [
    "FloatArray",
    "Repair",
    "Segment",
    "Source",
    "Track",
    "Waypoint",
    "pack",
    "parse",
    "read_track",
    "to_geojson",
    "to_gpx",
    "unpack",
]

MAX_CONCURRENT_PARSES = 2
_parsing = threading.BoundedSemaphore(MAX_CONCURRENT_PARSES)
FORMATS = "GPX, KML, KMZ, TCX, FIT or GeoJSON"


# ---- reading ---------------------------------------------------------------------------------


def read_track(content: bytes, filename: str = "") -> Track:
    """The usable track of a route file, with what was repaired to make it so.

    Raises InvalidInput (field ``file``) saying what is wrong and where.
    """
    with _parsing:
        return repairs.repaired(parse(content, filename))


def parse(content: bytes, filename: str = "") -> Parsed:
    """What a file holds, as written (nothing repaired yet)."""
    if kmz.is_zip(content):
        inner, name = kmz.unzipped(content)
        if kmz.is_zip(inner):
            raise refuse(
                Message("the KMZ holds another zip archive ({entry}); send the file inside it"),
                entry=repr(name),
            )
        parsed = parse(inner, name)
        if parsed.source == "kml":
            parsed.source = "kmz"
        return parsed
    if fit.is_fit(content):
        return fit.read(content)
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        root = xml_root(content)
        if root == "gpx":
            return gpx.read(content)
        if root == "kml":
            return kml.read(content)
        if root == "trainingcenterdatabase":
            return tcx.read(content)
        raise refuse(
            Message("the XML file is neither GPX, KML nor TCX (its root element is <{kind}>)"),
            kind=root,
        )
    if head.startswith((b"{", b"[")):
        return geojson.read(content)
    raise _unknown(filename)


def _unknown(filename: str) -> Exception:
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind in ("gpx", "kml", "tcx", "xml"):
        return refuse(
            Message("the file {filename} is not XML, so it cannot be {kind}"),
            filename=repr(filename),
            kind=kind.upper(),
        )
    if kind in ("geojson", "json"):
        return refuse(
            Message("the file {filename} is not JSON, so it cannot be GeoJSON"),
            filename=repr(filename),
        )
    if kind == "kmz":
        return refuse(
            Message(
                "the file {filename} is not a zip archive, so it cannot be a KMZ (a zipped "
                "KML): it may be damaged; export it again"
            ),
            filename=repr(filename),
        )
    if kind == "fit":
        return refuse(
            Message(
                "the file {filename} does not start with a FIT header, so it cannot be a FIT "
                "file: it may be damaged; copy it from the device again"
            ),
            filename=repr(filename),
        )
    return refuse(Message("unknown file type: send a {formats} file"), formats=FORMATS)


# ---- storing ---------------------------------------------------------------------------------


def pack(track: Track) -> bytes:
    """The track's points as compressed numpy arrays (npz; no pickles)."""
    ends = np.cumsum([len(s) for s in track.segments])
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        lat=np.concatenate([s.lat for s in track.segments]),
        lon=np.concatenate([s.lon for s in track.segments]),
        ele=np.concatenate([s.ele for s in track.segments]).astype(np.float32),
        time=np.concatenate([s.time for s in track.segments]),
        ends=ends,
    )
    return buffer.getvalue()


def unpack(data: bytes, waypoints: Iterable[Waypoint] = (), name: str = "") -> Track:
    """A track stored by ``pack``."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        lat, lon, time = arrays["lat"], arrays["lon"], arrays["time"]
        ele = arrays["ele"].astype(np.float64)
        starts = np.concatenate([[0], arrays["ends"][:-1]])
        segments = tuple(
            Segment(lat[a:b], lon[a:b], ele[a:b], time[a:b])
            for a, b in zip(starts, arrays["ends"], strict=True)
        )
    return Track(segments, tuple(waypoints), "gpx-track", name)


# ---- writing ---------------------------------------------------------------------------------


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def to_gpx(track: Track, name: str, description: str = "") -> bytes:
    """The track as a GPX 1.1 document, its waypoints first."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="TripBot" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"<metadata><name>{escape(name)}</name>"
        + (f"<desc>{escape(description)}</desc>" if description else "")
        + "</metadata>\n"
    ]
    for w in track.waypoints:
        out.append(f'<wpt lat="{w.lat:.7f}" lon="{w.lon:.7f}">')
        if w.ele is not None:
            out.append(f"<ele>{w.ele:.1f}</ele>")
        out.append(f"<name>{escape(w.name)}</name>")
        if w.description:
            out.append(f"<desc>{escape(w.description)}</desc>")
        if w.symbol:
            out.append(f"<sym>{escape(w.symbol)}</sym>")
        out.append("</wpt>\n")
    out.append(f"<trk><name>{escape(name)}</name>\n")
    for segment in track.segments:
        out.append("<trkseg>\n")
        for lat, lon, ele, time in zip(
            segment.lat.tolist(),
            segment.lon.tolist(),
            segment.ele.tolist(),
            segment.time.tolist(),
            strict=True,
        ):
            point = f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">'
            if not math.isnan(ele):
                point += f"<ele>{ele:.1f}</ele>"
            if not math.isnan(time):
                point += f"<time>{_iso(time)}</time>"
            out.append(point + "</trkpt>\n")
        out.append("</trkseg>\n")
    out.append("</trk>\n</gpx>\n")
    return "".join(out).encode()


def _position(lat: float, lon: float, ele: float) -> list[float]:
    spot = [round(lon, 7), round(lat, 7)]
    return spot if math.isnan(ele) else [*spot, round(ele, 1)]


def coord_times(seconds: FloatArray) -> list[str | None]:
    """Instants as togeojson's ``coordTimes``: ISO 8601 in UTC to the millisecond, as
    JavaScript's toISOString writes them (null where unknown)."""
    known = np.isfinite(seconds)
    milliseconds = np.where(known, np.round(seconds * 1000), 0).astype(np.int64)
    texts = np.datetime_as_string(milliseconds.astype("datetime64[ms]"), unit="ms")
    return [f"{t}Z" if k else None for t, k in zip(texts.tolist(), known.tolist(), strict=True)]


def to_geojson(track: Track, properties: dict[str, Any]) -> dict[str, Any]:
    """The track as a GeoJSON FeatureCollection: one (Multi)LineString, then its waypoints.

    Times go in the line's ``coordTimes`` property, as togeojson writes them and as the
    GeoJSON import reads them (a list per line of a MultiLineString).
    """
    lines = [
        [
            _position(a, b, c)
            for a, b, c in zip(s.lat.tolist(), s.lon.tolist(), s.ele.tolist(), strict=True)
        ]
        for s in track.segments
    ]
    single = len(lines) == 1
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": lines[0]}
        if single
        else {"type": "MultiLineString", "coordinates": lines}
    )
    line_properties = dict(properties)
    if any(s.timed for s in track.segments):
        stamps = [coord_times(s.time) for s in track.segments]
        line_properties["coordTimes"] = stamps[0] if single else stamps
    features: list[dict[str, Any]] = [
        {"type": "Feature", "geometry": geometry, "properties": line_properties}
    ]
    for w in track.waypoints:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": _position(w.lat, w.lon, math.nan if w.ele is None else w.ele),
                },
                "properties": {"name": w.name, "description": w.description, "sym": w.symbol},
            }
        )
    return {"type": "FeatureCollection", "features": features}
