"""TCX (Garmin Training Center): activities (laps of tracks) and courses (a track and its
course points), streamed.

A trackpoint without a Position (written while the watch has no fix, or for heart rate alone)
keeps its place as a point without position, which the repairs drop and count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from lxml import etree

from tripbot.platform.errors import Message
from tripbot.routes.formats.common import (
    FloatArray,
    Parsed,
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


def _position(element: etree._Element) -> tuple[str | None, str | None]:
    lat = lon = None
    for part in element:
        name = local(part.tag)
        if name == "LatitudeDegrees":
            lat = part.text
        elif name == "LongitudeDegrees":
            lon = part.text
    return lat, lon


@dataclass
class _Track:
    """A TCX Track being read, a batch of trackpoints at a time."""

    where: str
    lat: list[FloatArray] = field(default_factory=list)
    lon: list[FloatArray] = field(default_factory=list)
    ele: list[FloatArray] = field(default_factory=list)
    time: list[FloatArray] = field(default_factory=list)
    unreadable: list[tuple[int, str | None]] = field(default_factory=list)
    count: int = 0

    def add(self, points: list[etree._Element]) -> None:
        lat: list[str | None] = []
        lon: list[str | None] = []
        ele: list[str | None] = []
        stamps: list[str | None] = []
        for point in points:
            if local(point.tag) != "Trackpoint":
                continue
            la = lo = height = moment = None
            for child in point:
                name = local(child.tag)
                if name == "Time":
                    moment = child.text
                elif name == "Position":
                    la, lo = _position(child)
                elif name == "AltitudeMeters":
                    height = child.text
            lat.append(la)
            lon.append(lo)
            ele.append(height)
            stamps.append(moment)
        if not lat:
            return
        self.lat.append(floats(lat))
        self.lon.append(floats(lon))
        self.ele.append(floats(ele))
        seconds, unreadable = times(stamps)
        self.time.append(seconds)
        self.unreadable.extend((self.count + i, stamps[i]) for i in unreadable)
        self.count += len(lat)


def read(content: bytes) -> Parsed:
    """The tracks of a TCX file's activities and courses, and its course points."""
    parsed = Parsed("tcx")
    tracks: list[_Track] = []
    names: dict[str, str] = {}

    def new_track(_: etree._Element) -> None:
        tracks.append(_Track(Message("track {number}").filled(number=len(tracks) + 1)))

    def words(element: etree._Element) -> None:
        parent = element.getparent()
        owner = local(parent.tag) if parent is not None else ""
        key = f"{owner}/{local(element.tag)}"
        if owner in ("Course", "Activity") and key not in names:
            names[key] = text(element)

    def course_point(element: etree._Element) -> None:
        lat, lon = floats(list(_position(next(element.iter("{*}Position"), element))))
        ele = floats([child_text(element, "AltitudeMeters") or None])[0]
        parsed.waypoints.append(
            Waypoint(
                child_text(element, "Name")[:120],
                float(lat),
                float(lon),
                None if np.isnan(ele) else float(ele),
                child_text(element, "Notes")[:2000],
                child_text(element, "PointType")[:40],
            )
        )
        forget(element)

    def track_points(batch: list[etree._Element]) -> None:
        tracks[-1].add(batch)  # the track open now, not the one open when this was defined

    walk_xml(
        content,
        start={"Track": new_track},
        end={"CoursePoint": course_point, "Name": words, "Notes": words},
        streamed={"Track": track_points},
    )
    for track in tracks:
        if track.unreadable:
            parsed.notes.append(unreadable_times(track.where, track.unreadable))
        parsed.lines.append(
            segment(
                track.where,
                joined(track.lat),
                joined(track.lon),
                joined(track.ele),
                joined(track.time),
            )
        )
    parsed.name = names.get("Course/Name") or names.get("Activity/Notes") or ""
    return parsed
