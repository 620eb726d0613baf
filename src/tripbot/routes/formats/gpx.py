"""GPX 1.0 and 1.1 (with or without namespace): tracks, routes and waypoints, streamed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from lxml import etree

from tripbot.platform.errors import Message
from tripbot.routes.formats.common import (
    FloatArray,
    Parsed,
    Segment,
    Waypoint,
    child_text,
    floats,
    forget,
    joined,
    local,
    segment,
    text,
    times,
    unreadable_times,
    walk_xml,
)


@dataclass
class _Line:
    """A trkseg or rte being read, a batch of points at a time."""

    where: str
    lat: list[FloatArray] = field(default_factory=list)
    lon: list[FloatArray] = field(default_factory=list)
    ele: list[FloatArray] = field(default_factory=list)
    time: list[FloatArray] = field(default_factory=list)
    unreadable: list[tuple[int, str | None]] = field(default_factory=list)
    count: int = 0

    def add(self, points: list[etree._Element], point_name: str) -> None:
        first = next((p for p in points if local(p.tag) == point_name), None)
        if first is None:
            return
        namespace = str(first.tag)[: -len(point_name)]
        tags = (namespace + point_name, namespace + "ele", namespace + "time")
        try:
            lat, lon, ele, stamps = _fast(points, *tags)
        except (TypeError, ValueError):  # a missing or unreadable number: NaN there
            lat, lon, ele, stamps = _lenient(points, *tags)
        self.lat.append(lat)
        self.lon.append(lon)
        self.ele.append(ele)
        seconds, unreadable = times(stamps)
        self.time.append(seconds)
        self.unreadable.extend((self.count + i, stamps[i]) for i in unreadable)
        self.count += lat.size


_Columns = tuple[FloatArray, FloatArray, FloatArray, list[str | None]]


def _fast(points: list[etree._Element], point_tag: str, ele_tag: str, time_tag: str) -> _Columns:
    """Every point's values, converted on the way (the common case: all readable)."""
    # One pass over each point's children lines every value up with its point, and Python's
    # float() on the way is faster than converting texts in bulk afterwards.
    lat: list[float] = []
    lon: list[float] = []
    ele: list[float] = []
    stamps: list[str | None] = []
    nan = math.nan
    for point in points:
        if point.tag != point_tag:
            continue
        lat.append(float(point.get("lat")))  # type: ignore[arg-type]
        lon.append(float(point.get("lon")))  # type: ignore[arg-type]
        height, moment = nan, None
        for child in point:
            tag = child.tag
            if tag == ele_tag:
                height = float(child.text)  # type: ignore[arg-type]
            elif tag == time_tag:
                moment = child.text
        ele.append(height)
        stamps.append(moment)
    return np.array(lat), np.array(lon), np.array(ele), stamps


def _lenient(points: list[etree._Element], point_tag: str, ele_tag: str, time_tag: str) -> _Columns:
    """Every point's values, NaN where one is missing or not a number."""
    lat: list[str | None] = []
    lon: list[str | None] = []
    ele: list[str | None] = []
    stamps: list[str | None] = []
    for point in points:
        if point.tag != point_tag:
            continue
        lat.append(point.get("lat"))
        lon.append(point.get("lon"))
        height = moment = None
        for child in point:
            if child.tag == ele_tag:
                height = child.text
            elif child.tag == time_tag:
                moment = child.text
        ele.append(height)
        stamps.append(moment)
    return floats(lat), floats(lon), floats(ele), stamps


def read(content: bytes) -> Parsed:
    """The tracks, routes and waypoints of a GPX file."""
    parsed = Parsed("gpx-track", fallback_source="gpx-route")
    lines: list[_Line] = []
    routes: list[_Line] = []
    counters = {"trk": 0, "trkseg": 0, "rte": 0}
    names: dict[str, str] = {}

    def new_track(_: etree._Element) -> None:
        counters["trk"] += 1
        counters["trkseg"] = 0

    def new_segment(_: etree._Element) -> None:
        counters["trkseg"] += 1
        where = Message("track {track}, segment {segment}").filled(
            track=counters["trk"], segment=counters["trkseg"]
        )
        lines.append(_Line(where))

    def new_route(_: etree._Element) -> None:
        counters["rte"] += 1
        routes.append(_Line(Message("route {number}").filled(number=counters["rte"])))

    def words(element: etree._Element) -> None:
        parent = element.getparent()
        owner = local(parent.tag) if parent is not None else ""
        key = f"{owner}/{local(element.tag)}"
        if owner in ("metadata", "gpx", "trk", "rte") and key not in names:
            names[key] = text(element)

    def waypoint(element: etree._Element) -> None:
        name = child_text(element, "name")
        lat, lon = floats([element.get("lat"), element.get("lon")])
        ele = floats([child_text(element, "ele") or None])[0]
        parsed.waypoints.append(
            Waypoint(
                name[:120],
                float(lat),
                float(lon),
                None if np.isnan(ele) else float(ele),
                (child_text(element, "desc") or child_text(element, "cmt"))[:2000],
                (child_text(element, "sym") or child_text(element, "type"))[:40],
            )
        )
        forget(element)

    walk_xml(
        content,
        start={"trk": new_track, "trkseg": new_segment, "rte": new_route},
        end={"wpt": waypoint, "name": words, "desc": words},
        streamed={
            "trkseg": lambda batch: lines[-1].add(batch, "trkpt"),
            "rte": lambda batch: routes[-1].add(batch, "rtept"),
        },
    )
    parsed.lines = [_segment(line, parsed) for line in lines]
    parsed.fallback = [_segment(line, parsed) for line in routes]

    def first(*keys: str) -> str:
        return next((names[k] for k in keys if names.get(k)), "")

    parsed.name = first("metadata/name", "gpx/name", "trk/name", "rte/name")
    parsed.description = first("metadata/desc", "gpx/desc", "trk/desc")
    return parsed


def _segment(line: _Line, parsed: Parsed) -> Segment:
    if line.unreadable:
        parsed.notes.append(unreadable_times(line.where, line.unreadable))
    return segment(
        line.where, joined(line.lat), joined(line.lon), joined(line.ele), joined(line.time)
    )
