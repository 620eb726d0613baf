"""KML 2.x: LineStrings, gx:Tracks (also inside gx:MultiTrack) and Point placemarks, streamed.

A Placemark may hold the same walk twice (a LineString and a timed gx:Track, as Suunto
writes), and GPSBabel writes a track as a gx:Track plus a "Path" LineString: those duplicates
are resolved by ``tripbot.routes.repairs`` for every format, not here.
"""

from __future__ import annotations

import re
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
    local,
    segment,
    text,
    times,
    unreadable_times,
    walk_xml,
)

_AFTER_COMMA = re.compile(r",\s+")


def coordinates(value: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Longitude, latitude and altitude of 'lon,lat[,alt]' tuples (NaN where unreadable)."""
    if ", " in value or ",\n" in value or ",\t" in value:
        value = _AFTER_COMMA.sub(",", value)  # "lon, lat, alt": spaces that split nothing
    tuples = value.split()
    count = len(tuples)
    commas = value.count(",")
    if count and commas in (count, 2 * count):
        width = commas // count + 1
        try:
            table = np.asarray(value.replace(",", " ").split(), dtype=np.float64)
            table = table.reshape(count, width)
            altitude = table[:, 2] if width == 3 else np.full(count, np.nan)
            return table[:, 0], table[:, 1], altitude
        except ValueError:
            pass  # a word among the numbers: read tuple by tuple below
    lon, lat, alt = np.full(count, np.nan), np.full(count, np.nan), np.full(count, np.nan)
    for i, item in enumerate(tuples):
        parts = floats(item.split(",")[:3])
        if parts.size >= 2:
            lon[i], lat[i] = parts[0], parts[1]
        if parts.size == 3:
            alt[i] = parts[2]
    return lon, lat, alt


@dataclass
class _GxTrack:
    """A gx:Track being read: its when and gx:coord children, in order."""

    where: str
    whens: list[str | None] = field(default_factory=list)
    coords: list[str | None] = field(default_factory=list)

    def add(self, children: list[etree._Element]) -> None:
        for child in children:
            name = local(child.tag)
            if name == "coord":
                self.coords.append(child.text)
            elif name == "when":
                self.whens.append(child.text)

    def finished(self, parsed: Parsed) -> Segment:
        count = len(self.coords)
        lon, lat, alt = np.full(count, np.nan), np.full(count, np.nan), np.full(count, np.nan)
        filled = [i for i, c in enumerate(self.coords) if c and c.strip()]
        values = " ".join(self.coords[i] for i in filled).split()  # type: ignore[misc]
        if len(values) == 3 * len(filled):
            table = floats(values).reshape(-1, 3)
            lon[filled], lat[filled], alt[filled] = table[:, 0], table[:, 1], table[:, 2]
        else:  # some have no altitude, or a word: one by one
            for i in filled:
                parts = floats(str(self.coords[i]).split()[:3])
                lon[i], lat[i] = (parts[0], parts[1]) if parts.size >= 2 else (np.nan, np.nan)
                alt[i] = parts[2] if parts.size == 3 else np.nan
        seconds = None
        if len(self.whens) == count:
            seconds, unreadable = times(self.whens)
            if unreadable:
                bad = [(i, self.whens[i]) for i in unreadable]
                parsed.notes.append(unreadable_times(self.where, bad))
        return segment(self.where, lat, lon, alt, seconds)


def read(content: bytes, source: str = "kml") -> Parsed:
    """The lines, tracks and points of a KML document."""
    parsed = Parsed("kmz" if source == "kmz" else "kml")
    tracks: list[_GxTrack] = []
    names: dict[str, str] = {}
    counts = {"line": 0}

    def line(element: etree._Element) -> None:
        counts["line"] += 1
        lon, lat, alt = coordinates(child_text(element, "coordinates"))
        where = Message("line {number}").filled(number=counts["line"])
        parsed.lines.append(segment(where, lat, lon, alt))
        element.clear(keep_tail=False)

    def new_track(_: etree._Element) -> None:
        tracks.append(_GxTrack(Message("gx:Track {number}").filled(number=len(tracks) + 1)))

    def track_done(_: etree._Element) -> None:
        parsed.lines.append(tracks[-1].finished(parsed))

    def area(element: etree._Element) -> None:
        # A LinearRing outside a Polygon is an outline too; inside one it counts with it.
        if local(element.tag) == "Polygon" or not any(
            local(a.tag) == "Polygon" for a in element.iterancestors()
        ):
            parsed.areas += 1

    def words(element: etree._Element) -> None:
        parent = element.getparent()
        owner = local(parent.tag) if parent is not None else ""
        key = f"{owner}/{local(element.tag)}"
        if key not in names:
            names[key] = text(element)

    def placemark(element: etree._Element) -> None:
        name = child_text(element, "name")
        description = child_text(element, "description")
        for point in element.iter("{*}Point"):
            lon, lat, alt = coordinates(child_text(point, "coordinates"))
            if lon.size == 0:
                lon, lat, alt = np.array([np.nan]), np.array([np.nan]), np.array([np.nan])
            parsed.waypoints.append(
                Waypoint(
                    name[:120],
                    float(lat[0]),
                    float(lon[0]),
                    None if np.isnan(alt[0]) else float(alt[0]),
                    description[:2000],
                )
            )
        forget(element)

    def track_points(batch: list[etree._Element]) -> None:
        tracks[-1].add(batch)  # the track open now, not the one open when this was defined

    walk_xml(
        content,
        start={"Track": new_track},
        end={
            "LineString": line,
            "Track": track_done,
            "Polygon": area,
            "LinearRing": area,
            "Placemark": placemark,
            "name": words,
            "description": words,
        },
        streamed={"Track": track_points},
    )
    parsed.name = (
        names.get("Document/name")
        or names.get("Folder/name")
        or names.get("Placemark/name")
        or names.get("kml/name")
        or ""
    )
    parsed.description = names.get("Document/description", "")
    return parsed
