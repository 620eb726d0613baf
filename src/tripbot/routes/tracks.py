"""Tracks read from GPX, KML and GeoJSON files, refused when they are unsafe or make no sense,
and written back as GPX or GeoJSON.

XML is parsed by lxml with entities unresolved, no network and no huge trees, and any DTD is
refused: GPX and KML never need one, and entity tricks (billion laughs, XXE) all need one.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

import numpy as np
from lxml import etree
from numpy.typing import NDArray

from tripbot.platform.errors import InvalidInput, Message

FloatArray = NDArray[np.float64]
Source = Literal["gpx-track", "gpx-route", "kml", "geojson"]

MIN_ELEVATION_M = -500.0
MAX_ELEVATION_M = 9000.0
MAX_GAP_M = 100_000.0
"""Two consecutive points farther apart than this are a glitch, not a walk."""
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC).timestamp()
"""GPS time starts in 1980: an earlier timestamp is a broken clock."""

_XML = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)


def _refuse(detail: Message, **values: str | int) -> InvalidInput:
    return InvalidInput(detail, field="file", **values)


@dataclass(frozen=True)
class Segment:
    """One continuous stretch of track: coordinates, elevation and time (NaN where unknown)."""

    lat: FloatArray
    lon: FloatArray
    ele: FloatArray
    time: FloatArray
    """Seconds since the epoch."""

    def __len__(self) -> int:
        return int(self.lat.size)


@dataclass(frozen=True)
class Waypoint:
    """A point of interest that came with the track (a GPX wpt, a KML or GeoJSON point)."""

    name: str
    lat: float
    lon: float
    ele: float | None = None
    description: str = ""
    symbol: str = ""


@dataclass(frozen=True)
class Track:
    """What a file holds: the track's segments in order, its waypoints, and its own words."""

    segments: tuple[Segment, ...]
    waypoints: tuple[Waypoint, ...]
    source: Source
    name: str = ""
    description: str = ""

    @property
    def point_count(self) -> int:
        """How many track points there are, over every segment."""
        return sum(len(s) for s in self.segments)


def _segment(
    lat: Sequence[Any] | FloatArray,
    lon: Sequence[Any] | FloatArray,
    ele: Sequence[Any] | FloatArray | None = None,
    time: FloatArray | None = None,
) -> Segment:
    try:
        lat_a = np.asarray(lat, dtype=np.float64)
        lon_a = np.asarray(lon, dtype=np.float64)
        if ele is None:
            ele_a = np.full(lat_a.size, np.nan)
        elif isinstance(ele, list):
            ele_a = np.asarray([np.nan if v in (None, "") else v for v in ele], np.float64)
        else:
            ele_a = np.asarray(ele, dtype=np.float64)
    except (ValueError, TypeError) as error:
        raise _refuse(
            Message("a coordinate or elevation is not a number ({reason})"), reason=str(error)
        ) from error
    times = np.full(lat_a.size, np.nan) if time is None else time
    return Segment(lat_a, lon_a, ele_a, times)


# ---- reading ---------------------------------------------------------------------------------


def read_track(content: bytes, filename: str = "") -> Track:
    """The track a GPX, KML or GeoJSON file holds, told apart by content, not by name.

    Raises InvalidInput (field ``file``) saying what is wrong and where.
    """
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        track = _read_xml(content)
    elif head.startswith((b"{", b"[")):
        track = _read_geojson(content)
    else:
        kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if kind in ("gpx", "kml", "xml"):
            raise _refuse(
                Message("the file {filename} is not XML, so it cannot be {kind}"),
                filename=repr(filename),
                kind=kind.upper(),
            )
        if kind in ("geojson", "json"):
            raise _refuse(
                Message("the file {filename} is not JSON, so it cannot be GeoJSON"),
                filename=repr(filename),
            )
        raise _refuse(Message("unknown file type: send a GPX, KML or GeoJSON file"))
    return validated(track)


DTD_REFUSED = Message(
    "the file declares a DTD (<!DOCTYPE>); GPX and KML never need one, and entity "
    "declarations are refused for safety"
)


def _read_xml(content: bytes) -> Track:
    # Refused before parsing, so entity tricks never reach the parser; the check after
    # parsing catches what a byte search cannot see (a UTF-16 file, say).
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise _refuse(DTD_REFUSED)
    try:
        root = etree.fromstring(content, _XML)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise _refuse(
            Message("the file is not valid XML: line {line}, column {column}: {reason}"),
            line=line,
            column=column,
            reason=str(error.msg),
        ) from error
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise _refuse(DTD_REFUSED)
    kind = etree.QName(root).localname.lower()
    if kind == "gpx":
        return _read_gpx(root)
    if kind == "kml":
        return _read_kml(root)
    raise _refuse(
        Message("the XML file is neither GPX nor KML (its root element is <{kind}>)"), kind=kind
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _times(values: Sequence[str], where: str) -> FloatArray:
    """ISO 8601 instants as epoch seconds; numpy parses them in bulk when they are UTC."""
    if not values:
        return np.empty(0)
    # A Z can only end an ISO 8601 instant: as many Zs as values means all are in UTC.
    if "".join(values).count("Z") == len(values):
        try:
            stamps = np.array([v[:-1] for v in values], dtype="datetime64[ms]")
            return stamps.astype(np.int64).astype(np.float64) / 1000.0
        except ValueError:
            pass  # an unusual form: read one by one below, to say which
    seconds = np.empty(len(values))
    for i, value in enumerate(values):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise _refuse(
                Message("point {point} of {where} has an unreadable time {value}"),
                point=i + 1,
                where=where,
                value=repr(value),
            ) from error
        seconds[i] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return seconds


def _gpx_points(container: etree._Element, tag: str, namespace: str | None, where: str) -> Segment:
    # One pass over the points lines every value up with its point, and is faster than an
    # XPath per field; numbers are converted on the way, so a bad one is found at its point.
    qualified = f"{{{namespace}}}" if namespace else ""
    ele_tag, time_tag = f"{qualified}ele", f"{qualified}time"
    lat: list[float] = []
    lon: list[float] = []
    ele: list[float] = []
    stamps: list[str] = []
    nan = math.nan
    try:
        for point in container.iterchildren(f"{qualified}{tag}"):
            lat.append(float(point.get("lat")))  # type: ignore[arg-type]
            lon.append(float(point.get("lon")))  # type: ignore[arg-type]
            height, moment = nan, ""
            for child in point:
                if child.tag == ele_tag:
                    height = float(child.text)  # type: ignore[arg-type]
                elif child.tag == time_tag:
                    moment = child.text or ""
            ele.append(height)
            stamps.append(moment)
    except (TypeError, ValueError) as error:
        number = len(ele) + 1
        raise _refuse(
            Message("point {point} of {where} has a missing or unreadable lat, lon or ele"),
            point=number,
            where=where,
        ) from error
    seconds: FloatArray | None = None
    if any(stamps):
        seconds = np.full(len(stamps), np.nan)
        known = [i for i, t in enumerate(stamps) if t]
        seconds[known] = _times([stamps[i].strip() for i in known], where)
    return Segment(np.array(lat), np.array(lon), np.array(ele), _or_nan(seconds, len(lat)))


def _or_nan(values: FloatArray | None, size: int) -> FloatArray:
    return np.full(size, np.nan) if values is None else values


def _read_gpx(root: etree._Element) -> Track:
    namespace = etree.QName(root).namespace
    ns = {"g": namespace} if namespace else {}
    p = "g:" if ns else ""

    def first(path: str) -> str:
        found = root.xpath(f"string({path})", namespaces=ns)
        return str(found).strip()

    segments: list[Segment] = []
    for t, trk in enumerate(root.xpath(f"{p}trk", namespaces=ns), start=1):
        for s, seg in enumerate(trk.xpath(f"{p}trkseg", namespaces=ns), start=1):
            segments.append(
                _gpx_points(
                    seg,
                    "trkpt",
                    namespace,
                    Message("track {track}, segment {segment}").filled(track=t, segment=s),
                )
            )
    source: Source = "gpx-track"
    if not any(len(s) for s in segments):
        source = "gpx-route"
        segments = [
            _gpx_points(rte, "rtept", namespace, Message("route {number}").filled(number=r))
            for r, rte in enumerate(root.xpath(f"{p}rte", namespaces=ns), start=1)
        ]
    waypoints = []
    for wpt in root.xpath(f"{p}wpt", namespaces=ns):
        child = {etree.QName(c).localname: _text(c) for c in wpt if isinstance(c.tag, str)}
        waypoints.append(
            _waypoint(
                child.get("name", ""),
                wpt.get("lat"),
                wpt.get("lon"),
                child.get("ele"),
                child.get("desc") or child.get("cmt", ""),
                child.get("sym") or child.get("type", ""),
            )
        )
    name = first(f"{p}metadata/{p}name") or first(f"{p}name") or first(f"{p}trk/{p}name")
    name = name or first(f"{p}rte/{p}name")
    description = first(f"{p}metadata/{p}desc") or first(f"{p}desc") or first(f"{p}trk/{p}desc")
    return Track(tuple(segments), tuple(waypoints), source, name, description)


def _waypoint(  # noqa: PLR0917 - the fields of a waypoint, in GPX order
    name: str,
    lat: object,
    lon: object,
    ele: object = None,
    description: str = "",
    symbol: str = "",
) -> Waypoint:
    try:
        lat_f, lon_f = float(str(lat)), float(str(lon))
        ele_f = float(str(ele)) if ele not in (None, "") else None
    except ValueError as error:
        raise _refuse(
            Message("the waypoint {name} has a coordinate that is not a number"), name=repr(name)
        ) from error
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise _refuse(
            Message("the waypoint {name} is at an impossible place ({lat}, {lon})"),
            name=repr(name),
            lat=str(lat_f),
            lon=str(lon_f),
        )
    if ele_f is not None and not MIN_ELEVATION_M <= ele_f <= MAX_ELEVATION_M:
        ele_f = None
    return Waypoint(name[:120], lat_f, lon_f, ele_f, description[:2000], symbol[:40])


def _kml_coordinates(text: str, where: str) -> Segment:
    tuples = text.split()
    parts = [t.split(",") for t in tuples]
    widths = {len(p) for p in parts}
    if not parts or not widths <= {2, 3}:
        raise _refuse(
            Message("{where} has coordinates that are not 'lon,lat[,alt]' tuples"), where=where
        )
    try:
        if widths == {3}:
            values = np.array(parts, dtype=np.float64)
            return _segment(values[:, 1], values[:, 0], values[:, 2])
        lon = [float(p[0]) for p in parts]
        lat = [float(p[1]) for p in parts]
        ele = [float(p[2]) if len(p) == 3 else None for p in parts]
    except ValueError as error:
        raise _refuse(
            Message("{where} has a coordinate that is not a number"), where=where
        ) from error
    return _segment(lat, lon, ele if widths != {2} else None)


def _read_kml(root: etree._Element) -> Track:
    segments: list[Segment] = []
    for i, line in enumerate(root.iter("{*}LineString"), start=1):
        text = line.findtext("{*}coordinates") or ""
        segments.append(_kml_coordinates(text, Message("line {number}").filled(number=i)))
    for i, track in enumerate(root.iter("{*}Track"), start=1):
        coords = [c.text or "" for c in track.iter("{*}coord")]
        rows = [c.split() for c in coords]
        if any(len(r) not in (2, 3) for r in rows):
            raise _refuse(
                Message("gx:Track {track} has a gx:coord that is not 'lon lat [alt]'"), track=i
            )
        try:
            lon = [float(r[0]) for r in rows]
            lat = [float(r[1]) for r in rows]
            ele = [float(r[2]) if len(r) == 3 else None for r in rows]
        except ValueError as error:
            raise _refuse(
                Message("gx:Track {track} has a coordinate that is not a number"), track=i
            ) from error
        whens = [(w.text or "").strip() for w in track.iter("{*}when")]
        times = (
            _times(whens, Message("gx:Track {number}").filled(number=i))
            if len(whens) == len(rows)
            else None
        )
        segments.append(_segment(lat, lon, ele, times))
    waypoints = []
    for placemark in root.iter("{*}Placemark"):
        for point in placemark.iter("{*}Point"):
            values = (point.findtext("{*}coordinates") or "").strip().split(",")
            if len(values) < 2:
                raise _refuse(Message("a KML point has no 'lon,lat' coordinates"))
            waypoints.append(
                _waypoint(
                    (placemark.findtext("{*}name") or "").strip(),
                    values[1],
                    values[0],
                    values[2] if len(values) > 2 else None,
                    (placemark.findtext("{*}description") or "").strip(),
                )
            )
    name = (root.findtext("{*}Document/{*}name") or root.findtext(".//{*}name") or "").strip()
    description = (root.findtext("{*}Document/{*}description") or "").strip()
    return Track(tuple(segments), tuple(waypoints), "kml", name, description)


def _read_geojson(content: bytes) -> Track:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as error:
        raise _refuse(
            Message("the file is not valid JSON: {reason}"), reason=str(error)[:200]
        ) from error
    return geojson_track(document)


def geojson_track(document: object) -> Track:  # noqa: PLR0915 - one walk of the document
    """The track of a GeoJSON object (FeatureCollection, Feature or geometry)."""
    segments: list[Segment] = []
    waypoints: list[Waypoint] = []
    names: list[str] = []

    def line(coords: object, times: object, where: str) -> None:
        if (
            not isinstance(coords, list)
            or not coords
            or not all(isinstance(c, list) and 2 <= len(c) <= 4 for c in coords)
        ):
            raise _refuse(
                Message("{where} has coordinates that are not [lon, lat, elevation?] arrays"),
                where=where,
            )
        seconds = None
        if isinstance(times, list) and len(times) == len(coords):
            seconds = _times([str(t) for t in times], where)
        try:
            if len({len(c) for c in coords}) == 1:
                values = np.array(coords, dtype=np.float64)
                elevations = values[:, 2] if values.shape[1] > 2 else None
                segments.append(_segment(values[:, 1], values[:, 0], elevations, seconds))
                return
            lon = [c[0] for c in coords]
            lat = [c[1] for c in coords]
            ele = [c[2] if len(c) > 2 else None for c in coords]
        except (ValueError, TypeError) as error:
            raise _refuse(
                Message("{where} has a coordinate that is not a number"), where=where
            ) from error
        segments.append(_segment(lat, lon, ele, seconds))

    def geometry(geom: object, properties: dict[str, Any], where: str) -> None:
        if not isinstance(geom, dict):
            return
        kind = geom.get("type")
        coords = geom.get("coordinates")
        times = properties.get("coordTimes") or properties.get("times")
        if kind == "LineString":
            line(coords, times, where)
        elif kind == "MultiLineString" and isinstance(coords, list):
            for i, part in enumerate(coords):
                part_times = times[i] if isinstance(times, list) and len(times) > i else None
                line(part, part_times if isinstance(part_times, list) else None, where)
        elif kind in ("Point", "MultiPoint"):
            points = [coords] if kind == "Point" else coords
            for point in points if isinstance(points, list) else []:
                if not isinstance(point, list) or len(point) < 2:
                    raise _refuse(
                        Message("{where} has a point that is not [lon, lat]"), where=where
                    )
                waypoints.append(
                    _waypoint(
                        str(properties.get("name") or "")[:120],
                        point[1],
                        point[0],
                        point[2] if len(point) > 2 else None,
                        str(properties.get("description") or properties.get("desc") or ""),
                        str(properties.get("sym") or ""),
                    )
                )
        elif kind == "GeometryCollection":
            for part in geom.get("geometries") or []:
                geometry(part, properties, where)

    def feature(item: object, where: str) -> None:
        if not isinstance(item, dict):
            raise _refuse(Message("{where} is not a GeoJSON object"), where=where)
        kind = item.get("type")
        if kind == "FeatureCollection":
            features = item.get("features")
            if not isinstance(features, list):
                raise _refuse(Message("the FeatureCollection has no features array"))
            for i, part in enumerate(features, start=1):
                feature(part, Message("feature {number}").filled(number=i))
        elif kind == "Feature":
            properties = item.get("properties") or {}
            if not isinstance(properties, dict):
                properties = {}
            if item.get("geometry", {}) and (item.get("geometry") or {}).get("type") in (
                "LineString",
                "MultiLineString",
            ):
                names.append(str(properties.get("name") or ""))
            geometry(item.get("geometry"), properties, where)
        elif kind in ("LineString", "MultiLineString", "Point", "MultiPoint", "GeometryCollection"):
            geometry(item, {}, where)
        else:
            raise _refuse(
                Message("{where} is not GeoJSON: its type is {kind}"),
                where=where,
                kind=repr(str(kind)[:40]),
            )

    feature(document, Message("the document"))
    name = next((n for n in names if n), "")
    return Track(tuple(segments), tuple(waypoints), "geojson", name[:120])


# ---- sense checks ----------------------------------------------------------------------------


def _short_gaps(segment: Segment) -> FloatArray:
    """Rough metres between consecutive points (only to catch glitches, not to measure)."""
    lat = np.radians(segment.lat)
    dlat = np.diff(lat)
    dlon = np.radians(np.diff(segment.lon))
    dlon = (dlon + np.pi) % (2 * np.pi) - np.pi
    x = dlon * np.cos((lat[1:] + lat[:-1]) / 2)
    result: FloatArray = 6_371_000.0 * np.hypot(x, dlat)
    return result


def validated(track: Track) -> Track:
    """The track if it makes sense; else InvalidInput saying which point is wrong and why."""
    if not track.segments or track.point_count == 0:
        raise _refuse(
            Message("the file has no track: no GPX trk or rte points, no KML or GeoJSON line")
        )
    kept = []
    for number, segment in enumerate(track.segments, start=1):
        where = (
            Message("segment {number}").filled(number=number)
            if len(track.segments) > 1
            else Message("the track")
        )
        coords_ok = (
            np.isfinite(segment.lat)
            & np.isfinite(segment.lon)
            & (np.abs(segment.lat) <= 90)
            & (np.abs(segment.lon) <= 180)
        )
        if not coords_ok.all():
            i = int(np.argmin(coords_ok))
            raise _refuse(
                Message(
                    "point {point} of {where} is at an impossible place "
                    "(latitude {lat}, longitude {lon})"
                ),
                point=i + 1,
                where=where,
                lat=str(segment.lat[i]),
                lon=str(segment.lon[i]),
            )
        ele = segment.ele
        known = np.isfinite(ele)
        wild = known & ((ele < MIN_ELEVATION_M) | (ele > MAX_ELEVATION_M))
        if wild.any():
            i = int(np.argmax(wild))
            raise _refuse(
                Message(
                    "point {point} of {where} has an elevation of {elevation} m; elevations must "
                    "lie between {min_elevation} and {max_elevation} m"
                ),
                point=i + 1,
                where=where,
                elevation=f"{ele[i]:g}",
                min_elevation=f"{MIN_ELEVATION_M:g}",
                max_elevation=f"{MAX_ELEVATION_M:g}",
            )
        if len(segment) > 1:
            gaps = _short_gaps(segment)
            if (gaps > MAX_GAP_M).any():
                i = int(np.argmax(gaps > MAX_GAP_M)) + 1
                raise _refuse(
                    Message(
                        "point {point} of {where} is {distance_km} km from the point "
                        "before it: the track jumps, which a walk cannot do"
                    ),
                    point=i + 1,
                    where=where,
                    distance_km=f"{gaps[i - 1] / 1000:.0f}",
                )
        timed = segment.time[np.isfinite(segment.time)]
        if timed.size:
            if (timed < EARLIEST).any():
                raise _refuse(
                    Message("{where} has a time before 1980, which no GPS can record"), where=where
                )
            backwards = np.diff(timed) < 0
            if backwards.any():
                i = int(np.argmax(backwards)) + 1
                index = int(np.flatnonzero(np.isfinite(segment.time))[i])
                raise _refuse(
                    Message(
                        "point {point} of {where} is timed before the point before it: "
                        "the timestamps are out of order"
                    ),
                    point=index + 1,
                    where=where,
                )
        if len(segment) >= 2:
            kept.append(segment)
    if not kept:
        raise _refuse(
            Message("the track has only {point_count} point(s); a route needs at least two"),
            point_count=track.point_count,
        )
    return Track(tuple(kept), track.waypoints, track.source, track.name, track.description)


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


def to_geojson(track: Track, properties: dict[str, Any]) -> dict[str, Any]:
    """The track as a GeoJSON FeatureCollection: one (Multi)LineString, then its waypoints."""
    lines = [
        [
            _position(a, b, c)
            for a, b, c in zip(s.lat.tolist(), s.lon.tolist(), s.ele.tolist(), strict=True)
        ]
        for s in track.segments
    ]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": lines[0]}
        if len(lines) == 1
        else {"type": "MultiLineString", "coordinates": lines}
    )
    features: list[dict[str, Any]] = [
        {"type": "Feature", "geometry": geometry, "properties": properties}
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
