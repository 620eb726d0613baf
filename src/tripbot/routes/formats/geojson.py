"""GeoJSON: (Multi)LineStrings are the track, Points the waypoints; times are read from
togeojson's ``coordTimes`` property (one ISO 8601 instant per position, a list per line of a
MultiLineString), which is also how TripBot writes them."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from tripbot.platform.errors import Message
from tripbot.routes.formats.common import (
    Parsed,
    Waypoint,
    floats,
    refuse,
    segment,
    times,
    unreadable_times,
)


def read(content: bytes) -> Parsed:
    """The lines and points of a GeoJSON file."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as error:
        raise refuse(
            Message("the file is not valid JSON: {reason}"), reason=str(error)[:200]
        ) from error
    return parsed_geojson(document)


def _line(parsed: Parsed, coords: object, stamps: object, where: str) -> None:
    if (
        not isinstance(coords, list)
        or not coords
        or not all(isinstance(c, list) and 2 <= len(c) <= 4 for c in coords)
    ):
        raise refuse(
            Message("{where} has coordinates that are not [lon, lat, elevation?] arrays"),
            where=where,
        )
    if len({len(c) for c in coords}) == 1:
        try:
            table = np.asarray(coords, dtype=np.float64)
        except (TypeError, ValueError):  # a word among the numbers: NaN there
            table = np.array([floats(c) for c in coords])
        lon, lat = table[:, 0], table[:, 1]
        ele = table[:, 2] if table.shape[1] > 2 else None
    else:
        lon = floats([c[0] for c in coords])
        lat = floats([c[1] for c in coords])
        ele = floats([c[2] if len(c) > 2 else None for c in coords])
    seconds = None
    if isinstance(stamps, list) and len(stamps) == len(coords):
        texts = [None if s is None else str(s) for s in stamps]
        seconds, unreadable = times(texts)
        if unreadable:
            parsed.notes.append(unreadable_times(where, [(i, texts[i]) for i in unreadable]))
    parsed.lines.append(segment(where, lat, lon, ele, seconds))


def _point(parsed: Parsed, point: object, properties: dict[str, Any], where: str) -> None:
    if not isinstance(point, list) or len(point) < 2:
        raise refuse(Message("{where} has a point that is not [lon, lat]"), where=where)
    values = floats(point[:3])
    parsed.waypoints.append(
        Waypoint(
            str(properties.get("name") or "")[:120],
            float(values[1]),
            float(values[0]),
            float(values[2]) if values.size > 2 and np.isfinite(values[2]) else None,
            str(properties.get("description") or properties.get("desc") or "")[:2000],
            str(properties.get("sym") or "")[:40],
        )
    )


def _geometry(parsed: Parsed, geom: object, properties: dict[str, Any], where: str) -> None:
    if not isinstance(geom, dict):
        return
    kind = geom.get("type")
    coords = geom.get("coordinates")
    stamps = properties.get("coordTimes") or properties.get("times")
    if kind == "LineString":
        _line(parsed, coords, stamps, where)
    elif kind == "MultiLineString" and isinstance(coords, list):
        for i, part in enumerate(coords):
            part_times = stamps[i] if isinstance(stamps, list) and len(stamps) > i else None
            label = Message("{where}, line {number}").filled(where=where, number=i + 1)
            _line(parsed, part, part_times if isinstance(part_times, list) else None, label)
    elif kind in ("Point", "MultiPoint"):
        points = [coords] if kind == "Point" else coords
        for point in points if isinstance(points, list) else []:
            _point(parsed, point, properties, where)
    elif kind in ("Polygon", "MultiPolygon"):
        parsed.areas += 1
    elif kind == "GeometryCollection":
        for i, part in enumerate(geom.get("geometries") or [], start=1):
            label = Message("{where}, geometry {number}").filled(where=where, number=i)
            _geometry(parsed, part, properties, label)


def _feature(parsed: Parsed, names: list[str], item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise refuse(Message("{where} is not a GeoJSON object"), where=where)
    kind = item.get("type")
    if kind == "FeatureCollection":
        features = item.get("features")
        if not isinstance(features, list):
            raise refuse(Message("the FeatureCollection has no features array"))
        for i, part in enumerate(features, start=1):
            _feature(parsed, names, part, Message("feature {number}").filled(number=i))
    elif kind == "Feature":
        properties = item.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        geometry = item.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") in (
            "LineString",
            "MultiLineString",
        ):
            names.append(str(properties.get("name") or ""))
        _geometry(parsed, geometry, properties, where)
    elif kind in (
        "LineString",
        "MultiLineString",
        "Point",
        "MultiPoint",
        "GeometryCollection",
        "Polygon",
        "MultiPolygon",
    ):
        _geometry(parsed, item, {}, where)
    else:
        raise refuse(
            Message("{where} is not GeoJSON: its type is {kind}"),
            where=where,
            kind=repr(str(kind)[:40]),
        )


def parsed_geojson(document: object) -> Parsed:
    """What a GeoJSON object (FeatureCollection, Feature or geometry) holds."""
    parsed = Parsed("geojson")
    names: list[str] = []
    _feature(parsed, names, document, Message("the document"))
    parsed.name = next((n for n in names if n), "")[:120]
    return parsed
