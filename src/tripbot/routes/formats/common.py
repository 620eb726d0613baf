"""What every reader shares: the track's parts, the raw result of reading a file, lenient number
and time conversion, and XML read a chunk at a time with entities unresolved.

XML is parsed by lxml's pull parser, fed 64 KiB at a time: the points of a segment are taken
from the tree as they arrive and removed from it, so a file's tree never holds more than a
chunk's worth of points (a whole 20 MB GPX tree takes about 150 MB; streamed, a few MB). No
DTD is ever accepted: GPX, KML and TCX never need one, and entity tricks (billion laughs, XXE)
all need one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from lxml import etree
from numpy.typing import NDArray

from tripbot.platform.errors import InvalidInput, Message
from tripbot.routes.schemas import RepairKind

FloatArray = NDArray[np.float64]
Source = Literal["gpx-track", "gpx-route", "kml", "kmz", "geojson", "tcx", "fit"]

CHUNK_BYTES = 1 << 16
MAX_EXAMPLES = 5
"""How many places a repair names (the first ones in the file)."""

SAFE_XML: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}
DTD_REFUSED = Message(
    "the file declares a DTD (<!DOCTYPE>); GPX, KML and TCX never need one, and entity "
    "declarations are refused for safety"
)


def refuse(detail: Message, **values: str | int) -> InvalidInput:
    """The refusal of a file, about its ``file`` field."""
    return InvalidInput(detail, field="file", **values)


@dataclass(frozen=True)
class Segment:
    """One continuous stretch of track: coordinates, elevation and time (NaN where unknown)."""

    lat: FloatArray
    lon: FloatArray
    ele: FloatArray
    time: FloatArray
    """Seconds since the epoch."""
    where: str = ""
    """Where it is in the file ("track 1, segment 2"), to say where a repair was made."""

    def __len__(self) -> int:
        return int(self.lat.size)

    @property
    def timed(self) -> bool:
        """Whether any of its points has a time."""
        return bool(np.isfinite(self.time).any())


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
class Place:
    """One place a repair was made: a point of a line (1-based), or a waypoint by name."""

    where: str
    point: int | None = None
    lat: float | None = None
    lon: float | None = None
    value: str = ""
    """What was there, when it helps (the time that was ignored, the distance of a jump)."""


@dataclass(frozen=True)
class Repair:
    """How many points (or lines, or waypoints) one kind of repair touched, and the first."""

    kind: RepairKind
    count: int
    places: tuple[Place, ...] = ()


@dataclass(frozen=True)
class Track:
    """What a file holds once usable: segments in order, waypoints, its words and repairs."""

    segments: tuple[Segment, ...]
    waypoints: tuple[Waypoint, ...]
    source: Source
    name: str = ""
    description: str = ""
    repairs: tuple[Repair, ...] = ()

    @property
    def point_count(self) -> int:
        """How many track points there are, over every segment."""
        return sum(len(s) for s in self.segments)


@dataclass
class Parsed:
    """A file as read, before any repair: its lines may hold points without a position."""

    source: Source
    lines: list[Segment] = field(default_factory=list)
    waypoints: list[Waypoint] = field(default_factory=list)
    name: str = ""
    description: str = ""
    fallback: list[Segment] = field(default_factory=list)
    """Lines to use when ``lines`` have no usable path (a GPX file's routes)."""
    fallback_source: Source | None = None
    notes: list[Repair] = field(default_factory=list)
    """What the reader already repaired (unreadable times, a file cut short)."""
    areas: int = 0
    """Areas (KML polygons) seen: not routes, but worth naming when nothing else is there."""


# ---- numbers and times ---------------------------------------------------------------------


def floats(values: Sequence[Any]) -> FloatArray:
    """Numbers from texts, NaN where a text is missing or not a number (fast when all are)."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        out = np.empty(len(values))
        for i, value in enumerate(values):
            try:
                out[i] = float(value)
            except (TypeError, ValueError):
                out[i] = np.nan
        return out


def times(values: Sequence[str | None]) -> tuple[FloatArray, list[int]]:
    """ISO 8601 instants as epoch seconds (NaN where missing), and which were unreadable.

    numpy reads them in bulk when all are in UTC; others are read one by one.
    """
    seconds = np.full(len(values), np.nan)
    present = [i for i, value in enumerate(values) if value]
    if not present:
        return seconds, []
    texts = [values[i].strip() for i in present]  # type: ignore[union-attr]
    # A Z can only end an ISO 8601 instant: as many Zs as values means all are in UTC.
    if "".join(texts).count("Z") == len(texts):
        try:
            stamps = np.array([t[:-1] for t in texts], dtype="datetime64[ms]")
            seconds[present] = stamps.astype(np.int64).astype(np.float64) / 1000.0
            return seconds, []
        except ValueError:
            pass  # an unusual form: read one by one below
    unreadable = []
    for i, text in zip(present, texts, strict=True):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            unreadable.append(i)
            continue
        seconds[i] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return seconds, unreadable


def unreadable_times(where: str, bad: Sequence[tuple[int, str | None]]) -> Repair:
    """The note that some times could not be read (they are ignored): (index, text) pairs."""
    places = tuple(Place(where, i + 1, value=str(value)[:40]) for i, value in bad[:MAX_EXAMPLES])
    return Repair("time_unreadable", len(bad), places)


def segment(
    where: str,
    lat: FloatArray,
    lon: FloatArray,
    ele: FloatArray | None = None,
    time: FloatArray | None = None,
) -> Segment:
    """A segment from its arrays; missing elevation or time are NaN."""
    size = lat.size
    return Segment(
        lat,
        lon,
        np.full(size, np.nan) if ele is None else ele,
        np.full(size, np.nan) if time is None else time,
        where,
    )


def joined(parts: Iterable[FloatArray]) -> FloatArray:
    """Arrays read a chunk at a time, as one."""
    chunks = list(parts)
    return np.concatenate(chunks) if chunks else np.empty(0)


# ---- XML, a chunk at a time ----------------------------------------------------------------

Hook = Callable[[etree._Element], None]
Batch = Callable[[list[etree._Element]], None]


def local(tag: object) -> str:
    """An element's name without its namespace."""
    return str(tag).rpartition("}")[2]


def _xml_error(error: etree.XMLSyntaxError) -> InvalidInput:
    line, column = error.position
    return refuse(
        Message("the file is not valid XML: line {line}, column {column}: {reason}"),
        line=line,
        column=column,
        reason=str(error.msg),
    )


def refuse_dtd(content: bytes) -> None:
    """Refuse a file that declares a DTD, on its bytes, before any parser sees it."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise refuse(DTD_REFUSED)


def xml_root(content: bytes) -> str:
    """The name of the root element, in lower case, read from the file's first bytes."""
    refuse_dtd(content)
    parser = etree.XMLPullParser(events=("start",), **SAFE_XML)
    try:
        for offset in range(0, len(content), 1 << 16):
            parser.feed(content[offset : offset + (1 << 16)])
            for _, element in parser.read_events():
                return local(element.tag).lower()
        parser.close()
    except etree.XMLSyntaxError as error:
        raise _xml_error(error) from error
    raise refuse(Message("the file is not valid XML: it has no element"))


def walk_xml(
    content: bytes,
    *,
    start: Mapping[str, Hook] | None = None,
    end: Mapping[str, Hook] | None = None,
    streamed: Mapping[str, Batch] | None = None,
) -> None:
    """Read an XML file a chunk at a time, calling hooks by element name (namespaces ignored).

    ``start`` and ``end`` hooks get the element when it opens and when it closes. A
    ``streamed`` element's children are handed over in batches as they are complete, then
    removed from the tree, so that an element with a million points never stands whole.
    """
    start, end, streamed = start or {}, end or {}, streamed or {}
    names = sorted({*start, *end, *streamed})
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=[f"{{*}}{name}" for name in names], **SAFE_XML
    )
    open_containers: list[etree._Element] = []

    def handle(event: str, element: etree._Element) -> None:
        name = local(element.tag)
        if event == "start":
            if name in streamed:
                open_containers.append(element)
            if name in start:
                start[name](element)
            return
        if name in streamed:
            streamed[name](list(element))
            del element[:]
            open_containers.remove(element)
        if name in end:
            end[name](element)

    try:
        for offset in range(0, len(content), CHUNK_BYTES):
            parser.feed(content[offset : offset + CHUNK_BYTES])
            for event, element in parser.read_events():
                handle(event, element)
            for container in open_containers:
                # Every child but the last is complete: the parser may be inside the last one.
                complete = len(container) - 1
                if complete > 0:
                    streamed[local(container.tag)](container[:complete])
                    del container[:complete]
        root = parser.close()
        for event, element in parser.read_events():
            handle(event, element)
    except etree.XMLSyntaxError as error:
        raise _xml_error(error) from error
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise refuse(DTD_REFUSED)


def forget(element: etree._Element) -> None:
    """Let an element that was read go, with the siblings before it (memory stays bounded)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def text(element: etree._Element | None) -> str:
    """An element's text, stripped (empty when there is none)."""
    return (element.text or "").strip() if element is not None else ""


def child_text(element: etree._Element, name: str) -> str:
    """The text of an element's first child of that name (namespaces ignored)."""
    for child in element:
        if local(child.tag) == name:
            return text(child)
    return ""
