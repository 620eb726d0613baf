"""Making a file's track usable: a bad point is dropped or repaired, never the whole file.

What is done, in order, to each line a file holds:

1. points without a readable position, or at an impossible one, are dropped;
2. points that jump more than 100 km away from the rest (a GPS glitch to 0,0) are dropped; a
   track that really jumps (two days' walks with a drive between) is kept as separate parts;
3. times before 1980 (GPSBabel's "no time" is 1901-12-13) or in the future are ignored, and so
   are times earlier than the point before (the fewest needed for the rest to run forward);
4. elevations outside -500..9000 m are ignored; a track whose every elevation is 0 m has none;
   missing elevations are interpolated along the track when at least half are known, else the
   track has no elevation;
5. a line of a single point is left out, and a line that repeats another (the same walk as a
   LineString and as a timed gx:Track, as Suunto and GPSBabel write) is left out, keeping the
   timed one.

Waypoints without a valid position are dropped. When a GPX file's tracks have no usable path,
its routes are used. Only a file with no usable line at all is refused, saying why. Each kind
of repair is counted and its first places kept, to be told on the route's page, in the API and
by the folder import, in the reader's language.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from tripbot.platform.errors import InvalidInput, Message, fill
from tripbot.platform.language import current_language
from tripbot.routes.formats.common import (
    MAX_EXAMPLES,
    FloatArray,
    Parsed,
    Place,
    Repair,
    Segment,
    Track,
    Waypoint,
    refuse,
)
from tripbot.routes.schemas import RepairKind, RepairOut, RepairPlace

MIN_ELEVATION_M = -500.0
MAX_ELEVATION_M = 9000.0
MAX_GAP_M = 100_000.0
"""Two consecutive points farther apart than this are a glitch or a journey, not a walk."""
GLITCH_SHARE = 0.05
"""A stretch cut off by jumps with fewer than this share of a line's points is a glitch."""
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC).timestamp()
"""GPS time starts in 1980: an earlier timestamp is a broken clock (or 'no time')."""
FUTURE_SLACK_S = 2 * 86_400.0
SAME_PATH_M = 50.0
"""Two lines are the same path when every part of each runs within this of the other."""
MAX_WAYPOINTS = 1000

ORDER: tuple[RepairKind, ...] = (
    "route_used",
    "file_truncated",
    "duplicate_path",
    "no_position",
    "impossible_position",
    "far_from_track",
    "split_at_jump",
    "short_segment",
    "time_unreadable",
    "time_implausible",
    "time_out_of_order",
    "elevation_implausible",
    "elevation_all_zero",
    "elevation_filled",
    "elevation_dropped",
    "waypoint_dropped",
    "waypoints_repeat_track",
)
DROPS: frozenset[RepairKind] = frozenset(
    {"no_position", "impossible_position", "far_from_track", "short_segment"}
)
"""Repairs that can leave a file without a usable line (they are its refusal's reasons)."""

SENTENCES: dict[RepairKind, Message] = {
    "no_position": Message("{count} point(s) without a position were left out ({places})"),
    "impossible_position": Message(
        "{count} point(s) at an impossible place were left out ({places})"
    ),
    "far_from_track": Message(
        "{count} point(s) more than 100 km away from the rest of the track were left out ({places})"
    ),
    "split_at_jump": Message(
        "the track jumps more than 100 km {count} time(s): its parts are kept as separate "
        "segments ({places})"
    ),
    "short_segment": Message("{count} segment(s) with a single point were left out ({places})"),
    "time_unreadable": Message("{count} unreadable time(s) were ignored ({places})"),
    "time_implausible": Message(
        "{count} impossible time(s), before 1980 or in the future, were ignored ({places})"
    ),
    "time_out_of_order": Message(
        "{count} time(s) earlier than the point before were ignored ({places})"
    ),
    "elevation_implausible": Message(
        "{count} elevation(s) outside -500 to 9000 m were ignored ({places})"
    ),
    "elevation_all_zero": Message(
        "all {count} elevations were exactly 0 m, which means none was recorded: the route "
        "has no elevation figures"
    ),
    "elevation_filled": Message(
        "{count} point(s) had no elevation: it was interpolated from the points around ({places})"
    ),
    "elevation_dropped": Message(
        "{count} point(s) had no elevation, too many to interpolate: the route has no "
        "elevation figures ({places})"
    ),
    "duplicate_path": Message(
        "{count} line(s) repeating another line of the file were left out, so the walk "
        "counts once ({places})"
    ),
    "route_used": Message(
        "the file's track has fewer than two points, so its route was used ({places})"
    ),
    "waypoint_dropped": Message(
        "{count} waypoint(s) without a valid position were left out ({places})"
    ),
    "waypoints_repeat_track": Message(
        "{count} waypoint(s) that only repeat points of the track were left out"
    ),
    "file_truncated": Message(
        "the file is cut short; the points before the cut were kept ({places})"
    ),
}

PLACE = Message("{where}: {items}")
POINT = Message("point {point}")
POINT_WITH_VALUE = Message("point {point} ({value})")
MORE_PLACES = Message("and {count} more")
SAME_VALUE = Message("{points} ({value})")
VERBATIM = Message("{text}")
"""Words that need no translation (a value from the file), as a message among messages."""


def _message(text: str) -> Message:
    """A text as a message: itself when it is one, else said as it is in every language."""
    return text if isinstance(text, Message) else VERBATIM.filled(text=text)


class _Log:
    """Repairs as they are made: a count and the first places of each kind."""

    def __init__(self) -> None:
        self.counts: dict[RepairKind, int] = {}
        self.places: dict[RepairKind, list[Place]] = {}

    def add(self, kind: RepairKind, count: int, places: Iterable[Place] = ()) -> None:
        if count <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + count
        kept = self.places.setdefault(kind, [])
        for place in places:
            if len(kept) >= MAX_EXAMPLES:
                break
            kept.append(place)

    def extend(self, repairs: Iterable[Repair]) -> None:
        for repair in repairs:
            self.add(repair.kind, repair.count, repair.places)

    def repairs(self) -> tuple[Repair, ...]:
        return tuple(
            Repair(kind, self.counts[kind], tuple(self.places[kind]))
            for kind in ORDER
            if kind in self.counts
        )


def _points(segment: Segment, index: Any, positions: Any, value: Any = None) -> list[Place]:
    """Places of some points of a segment, numbered as in the file (from 1)."""
    places = []
    for p in positions[:MAX_EXAMPLES]:
        lat, lon = float(segment.lat[p]), float(segment.lon[p])
        places.append(
            Place(
                segment.where,
                int(index[p]) + 1,
                lat if math.isfinite(lat) else None,
                lon if math.isfinite(lon) else None,
                value(int(p)) if value else "",
            )
        )
    return places


def _iso(seconds: float) -> str:
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.0f} s"


def short_gaps(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Rough metres between consecutive points (to find glitches and join lines, not to
    measure)."""
    phi = np.radians(lat)
    dlon = np.radians(np.diff(lon))
    dlon = (dlon + np.pi) % (2 * np.pi) - np.pi
    x = dlon * np.cos((phi[1:] + phi[:-1]) / 2)
    result: FloatArray = 6_371_000.0 * np.hypot(x, np.diff(phi))
    return result


# ---- one line --------------------------------------------------------------------------------


def _take(segment: Segment, keep: Any, index: Any) -> tuple[Segment, Any]:
    part = Segment(
        segment.lat[keep], segment.lon[keep], segment.ele[keep], segment.time[keep], segment.where
    )
    return part, index[keep]


def _positions(segment: Segment, log: _Log) -> tuple[Segment, Any]:
    """Only the points with a possible position, and their numbers in the file."""
    index = np.arange(len(segment))
    finite = np.isfinite(segment.lat) & np.isfinite(segment.lon)
    possible = finite & (np.abs(segment.lat) <= 90) & (np.abs(segment.lon) <= 180)
    if possible.all():
        return segment, index
    missing = np.flatnonzero(~finite)
    log.add("no_position", missing.size, _points(segment, index, missing))
    wrong = np.flatnonzero(finite & ~possible)
    log.add("impossible_position", wrong.size, _points(segment, index, wrong))
    return _take(segment, possible, index)


def _parts(segment: Segment, index: Any, log: _Log) -> list[tuple[Segment, Any]]:
    """The line without points that jump far away and back; split where it really jumps."""
    if len(segment) < 2:
        return [(segment, index)]
    gaps = short_gaps(segment.lat, segment.lon)
    jumps = np.flatnonzero(gaps > MAX_GAP_M)
    if jumps.size == 0:
        return [(segment, index)]
    runs = np.split(np.arange(len(segment)), jumps + 1)
    biggest = max(range(len(runs)), key=lambda i: runs[i].size)
    threshold = max(2, math.ceil(GLITCH_SHARE * len(segment)))
    kept = [r for i, r in enumerate(runs) if r.size >= threshold or (i == biggest and r.size >= 2)]
    kept_points = np.concatenate(kept) if kept else np.empty(0, dtype=np.intp)
    dropped = np.setdiff1d(np.arange(len(segment)), kept_points)
    log.add("far_from_track", dropped.size, _points(segment, index, dropped))
    # Stretches on either side of a dropped glitch join again when they are close.
    groups: list[list[Any]] = []
    for run in kept:
        if groups:
            last = groups[-1][-1][-1]
            ends = [int(last), int(run[0])]
            gap = float(short_gaps(segment.lat[ends], segment.lon[ends])[0])
            if gap <= MAX_GAP_M:
                groups[-1].append(run)
                continue
            log.add(
                "split_at_jump",
                1,
                _points(segment, index, [int(run[0])], lambda _, km=gap / 1000: f"{km:.0f} km"),
            )
        groups.append([run])
    return [_take(segment, np.concatenate(group), index) for group in groups]


def _forward(values: FloatArray) -> Any:
    """Which values to keep so that they run forward: the ones earlier than the one before
    are dropped, unless keeping the most of them needs otherwise (one time far ahead would
    otherwise drop all after it)."""
    greedy = np.maximum.accumulate(values) == values
    best = _longest_rising(values)
    return greedy if greedy.sum() >= best.sum() else best


def _longest_rising(values: FloatArray) -> Any:
    """Which values to keep so that the most of them run forward (never decreasing)."""
    tails: list[float] = []
    tail_at: list[int] = []
    before = [-1] * values.size
    for i, value in enumerate(values.tolist()):
        slot = bisect_right(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[slot] = value
            tail_at[slot] = i
        before[i] = tail_at[slot - 1] if slot else -1
    keep = np.zeros(values.size, dtype=bool)
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep[i] = True
        i = before[i]
    return keep


def _times(segment: Segment, index: Any, log: _Log, now: float) -> FloatArray:
    seconds = segment.time
    known = np.isfinite(seconds)
    if not known.any():
        return seconds

    def said(p: int) -> str:
        return _iso(float(segment.time[p]))

    wrong = np.flatnonzero(known & ((seconds < EARLIEST) | (seconds > now + FUTURE_SLACK_S)))
    if wrong.size:
        seconds = seconds.copy()
        log.add("time_implausible", wrong.size, _points(segment, index, wrong, said))
        seconds[wrong] = np.nan
    timed = np.flatnonzero(np.isfinite(seconds))
    if timed.size > 1 and (np.diff(seconds[timed]) < 0).any():
        seconds = seconds.copy()
        late = timed[~_forward(seconds[timed])]
        log.add("time_out_of_order", late.size, _points(segment, index, late, said))
        seconds[late] = np.nan
    return seconds


def _elevations(segment: Segment, index: Any, log: _Log) -> FloatArray:
    ele = segment.ele
    known = np.isfinite(ele)
    wild = known & ((ele < MIN_ELEVATION_M) | (ele > MAX_ELEVATION_M))
    if known.all() and not wild.any() and not (ele == 0).all():
        return ele
    ele = ele.copy()
    if wild.any():
        where = np.flatnonzero(wild)
        log.add(
            "elevation_implausible",
            where.size,
            _points(segment, index, where, lambda p: f"{segment.ele[p]:g} m"),
        )
        ele[wild] = np.nan
        known &= ~wild
    if known.sum() > 2 and (ele[known] == 0).all():
        log.add("elevation_all_zero", int(known.sum()))
        return np.full(ele.size, np.nan)
    missing = np.flatnonzero(~known)
    if not missing.size or not known.any():
        return ele
    places = _points(segment, index, missing)
    if known.sum() < 0.5 * ele.size:
        log.add("elevation_dropped", missing.size, places)
        return np.full(ele.size, np.nan)
    along = np.concatenate(([0.0], np.cumsum(short_gaps(segment.lat, segment.lon))))
    ele[missing] = np.interp(along[missing], along[known], ele[known])
    log.add("elevation_filled", missing.size, places)
    return ele


def _repaired_line(segment: Segment, log: _Log, now: float) -> list[Segment]:
    """The usable parts of one line (none, one, or several when it jumps)."""
    placed, index = _positions(segment, log)
    parts = []
    for part, numbers in _parts(placed, index, log):
        if len(part) < 2:
            if len(part) == 1:
                log.add("short_segment", 1, _points(part, numbers, [0]))
            continue
        parts.append(
            Segment(
                part.lat,
                part.lon,
                _elevations(part, numbers, log),
                _times(part, numbers, log, now),
                part.where,
            )
        )
    return parts


# ---- the same path twice ---------------------------------------------------------------------


def _local(lat: FloatArray, lon: FloatArray, lat0: float, lon0: float) -> FloatArray:
    x = np.radians(lon - lon0) * 6_371_000.0 * math.cos(math.radians(lat0))
    y = np.radians(lat - lat0) * 6_371_000.0
    result: FloatArray = np.column_stack((x, y))
    return result


def _runs_along(a: FloatArray, b: FloatArray) -> bool:
    """Whether every sampled point of line ``a`` lies within SAME_PATH_M of line ``b``."""
    samples = a[np.linspace(0, len(a) - 1, min(len(a), 64)).astype(int)]
    starts, ends = b[:-1], b[1:]
    along = ends - starts
    length2 = np.maximum((along**2).sum(axis=1), 1e-9)
    for point in samples:
        share = np.clip(((point - starts) * along).sum(axis=1) / length2, 0.0, 1.0)
        nearest = starts + share[:, None] * along
        if float(np.sqrt(((nearest - point) ** 2).sum(axis=1)).min()) > SAME_PATH_M:
            return False
    return True


def same_path(a: Segment, b: Segment) -> bool:
    """Whether two lines are one walk written twice: same way, same places, and (when both
    are timed) the same time; two lines without times must match point for point."""
    if a.timed and b.timed:
        start = max(np.nanmin(a.time), np.nanmin(b.time))
        end = min(np.nanmax(a.time), np.nanmax(b.time))
        shorter = min(np.nanmax(a.time) - np.nanmin(a.time), np.nanmax(b.time) - np.nanmin(b.time))
        if end - start < 0.5 * shorter or end < start:
            return False
    elif not a.timed and not b.timed:
        return (
            len(a) == len(b)
            and bool(np.allclose(a.lat, b.lat, rtol=0.0, atol=1e-5))
            and bool(np.allclose(a.lon, b.lon, rtol=0.0, atol=1e-5))
        )
    lat0, lon0 = float(a.lat[0]), float(a.lon[0])
    xa, xb = _local(a.lat, a.lon, lat0, lon0), _local(b.lat, b.lon, lat0, lon0)
    if np.hypot(*(xa[0] - xb[0])) > SAME_PATH_M or np.hypot(*(xa[-1] - xb[-1])) > SAME_PATH_M:
        return False
    return _runs_along(xa, xb) and _runs_along(xb, xa)


CELL_DEGREES = 0.01
"""Lines are compared only with lines that start in the same or a neighbouring cell (about
1 km): a file of thousands of lines is not compared pair by pair."""


def _candidates(segments: list[Segment]) -> list[tuple[int, int]]:
    """Pairs of lines that start and end near each other (cheap), in file order."""
    cells: dict[tuple[int, int], list[int]] = {}
    for number, s in enumerate(segments):
        key = (int(s.lat[0] // CELL_DEGREES), int(s.lon[0] // CELL_DEGREES))
        cells.setdefault(key, []).append(number)
    pairs = set()
    for (row, column), members in cells.items():
        near = [
            other
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            for other in cells.get((row + dr, column + dc), ())
        ]
        for i in members:
            for j in near:
                a, b = segments[i], segments[j]
                ends = [float(a.lat[-1]), float(b.lat[-1])], [float(a.lon[-1]), float(b.lon[-1])]
                if i < j and short_gaps(np.array(ends[0]), np.array(ends[1]))[0] <= SAME_PATH_M:
                    pairs.add((i, j))
    return sorted(pairs)


def _without_repeats(segments: list[Segment], log: _Log) -> list[int]:
    """Each walk once: of two lines that are the same path, the timed one (or the first).
    Which segments are kept, by position."""
    dropped: set[int] = set()
    for i, j in _candidates(segments):
        if i in dropped or j in dropped:
            continue
        a, b = segments[i], segments[j]
        if same_path(a, b):
            loser = i if (b.timed and not a.timed) else j
            winner = j if loser == i else i
            dropped.add(loser)
            log.add(
                "duplicate_path",
                1,
                [
                    Place(
                        segments[loser].where,
                        value=Message("the same as {where}").filled(where=segments[winner].where),
                    )
                ],
            )
    return [k for k in range(len(segments)) if k not in dropped]


def _usable(lines: Sequence[Segment], log: _Log, now: float) -> list[Segment]:
    """The usable parts of a file's lines, each walk once. The repairs of a line left out as
    a repeat are not told (the line is not in the route); those of the others are."""
    segments: list[Segment] = []
    owners: list[int] = []
    logs: list[_Log] = []
    for number, line in enumerate(lines):
        line_log = _Log()
        parts = _repaired_line(line, line_log, now)
        logs.append(line_log)
        segments.extend(parts)
        owners.extend([number] * len(parts))
    kept = _without_repeats(segments, log)
    used = {owners[k] for k in kept}
    for number, line_log in enumerate(logs):
        if number in used or number not in owners:
            log.extend(line_log.repairs())
    return [segments[k] for k in kept]


# ---- the whole file --------------------------------------------------------------------------


REPEATING_WAYPOINTS = 10
"""More KML placemarks than this on track points are the track listed again, point by point
(GPSBabel writes KML so); other formats' waypoints on the track (a TCX course's turns) stay."""


def _off_track(waypoints: list[Waypoint], segments: Sequence[Segment], log: _Log) -> list[Waypoint]:
    """The waypoints, less those that sit on track points when there are many such."""
    if len(waypoints) <= REPEATING_WAYPOINTS:
        return waypoints
    on_track = {
        (a, b)
        for s in segments
        for a, b in zip(np.round(s.lat, 6).tolist(), np.round(s.lon, 6).tolist(), strict=True)
    }
    repeats = [w for w in waypoints if (round(w.lat, 6), round(w.lon, 6)) in on_track]
    if len(repeats) <= REPEATING_WAYPOINTS:
        return waypoints
    log.add("waypoints_repeat_track", len(repeats))
    return [w for w in waypoints if (round(w.lat, 6), round(w.lon, 6)) not in on_track]


def _waypoints(
    waypoints: Sequence[Waypoint], segments: Sequence[Segment], source: str, log: _Log
) -> tuple[Waypoint, ...]:
    kept = []
    bad = []
    for waypoint in waypoints:
        lat, lon = waypoint.lat, waypoint.lon
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            bad.append(waypoint)
            continue
        ele = waypoint.ele
        if ele is not None and not MIN_ELEVATION_M <= ele <= MAX_ELEVATION_M:
            ele = None
        kept.append(Waypoint(waypoint.name, lat, lon, ele, waypoint.description, waypoint.symbol))
    log.add(
        "waypoint_dropped",
        len(bad),
        [
            Place(
                Message("waypoint {name}").filled(name=repr(w.name)),
                lat=w.lat if math.isfinite(w.lat) else None,
                lon=w.lon if math.isfinite(w.lon) else None,
            )
            for w in bad
        ],
    )
    if source in ("kml", "kmz"):
        kept = _off_track(kept, segments, log)
    if len(kept) > MAX_WAYPOINTS:
        log.add(
            "waypoint_dropped",
            len(kept) - MAX_WAYPOINTS,
            [Place(Message("waypoints after the first {limit}").filled(limit=MAX_WAYPOINTS))],
        )
    return tuple(kept[:MAX_WAYPOINTS])


NO_TRACK = Message(
    "the file has no track: no GPX track or route points, no KML line or gx:Track, no TCX or "
    "FIT track points, no GeoJSON line"
)


def _no_track(parsed: Parsed, log: _Log, waypoints: tuple[Waypoint, ...]) -> InvalidInput:
    """Why a file has no usable line, in words that say what to do."""
    points = sum(len(line) for line in (*parsed.lines, *parsed.fallback))
    drops = [r for r in log.repairs() if r.kind in DROPS]
    placed = points - sum(r.count for r in drops if r.kind != "short_segment")
    if points == 0 and parsed.areas:
        return refuse(
            Message(
                "the file holds {count} area(s) (polygons) and no line: a route is a path; "
                "export it as a track or a line"
            ),
            count=parsed.areas,
        )
    if points == 0 and waypoints:
        return refuse(
            Message(
                "the file holds {count} waypoint(s) but no track: a route needs a line of at "
                "least two points"
            ),
            count=len(waypoints),
        )
    if points == 0:
        return refuse(NO_TRACK)
    if placed < 2 and all(r.kind == "short_segment" for r in drops):
        return refuse(
            Message("the track has only {point_count} point(s); a route needs at least two"),
            point_count=max(placed, 0),
        )
    return refuse(
        Message("the file has no usable track: {reasons}"),
        reasons=Message.joined([describe(r) for r in drops]),
    )


def repaired(parsed: Parsed, now: float | None = None) -> Track:
    """The usable track of a file as read, with what was repaired; InvalidInput when none."""
    moment = datetime.now(UTC).timestamp() if now is None else now
    log = _Log()
    segments = _usable(parsed.lines, log, moment)
    source = parsed.source
    chosen = parsed.lines
    if not segments and parsed.fallback:
        route_log = _Log()
        routes = _usable(parsed.fallback, route_log, moment)
        if routes:
            route_log.add("route_used", 1, [Place(routes[0].where)])
            segments, log, chosen = routes, route_log, parsed.fallback
            source = parsed.fallback_source or source
        else:  # neither is usable: the refusal gives the reasons of both
            log.extend(route_log.repairs())
    labels = {str(line.where) for line in chosen}
    log.extend(
        note
        for note in parsed.notes
        if not note.places or str(note.places[0].where) in labels or note.kind == "file_truncated"
    )
    waypoints = _waypoints(parsed.waypoints, segments, source, log)
    if not segments:
        raise _no_track(parsed, log, waypoints)
    return Track(
        tuple(segments),
        waypoints,
        source,
        parsed.name[:120],
        parsed.description[:5000],
        log.repairs(),
    )


# ---- saying and storing ----------------------------------------------------------------------


def _item(place: Place) -> Message:
    if place.point is not None and place.value:
        return POINT_WITH_VALUE.filled(point=place.point, value=place.value)
    if place.point is not None:
        return POINT.filled(point=place.point)
    return _message(place.value)


def places_said(places: Sequence[Place], count: int) -> Message:
    """Where repairs were made, grouped by line: ``track 1, segment 2: point 7, point 9``."""
    groups: list[tuple[str, list[Place]]] = []
    for place in places:
        if groups and groups[-1][0] == place.where:
            groups[-1][1].append(place)
        else:
            groups.append((place.where, [place]))
    parts: list[Message] = []
    for where, group in groups:
        values = {p.value for p in group}
        if len(group) > 1 and len(values) == 1 and values != {""}:
            # The same value at every point (GPSBabel's 1901 "no time"): said once.
            points = Message.joined([POINT.filled(point=p.point or 0) for p in group], ", ")
            items = [SAME_VALUE.filled(points=points, value=group[0].value)]
        else:
            items = [_item(p) for p in group if p.point is not None or p.value]
        if items:
            parts.append(PLACE.filled(where=where, items=Message.joined(items, ", ")))
        else:
            parts.append(_message(where))
    if count > len(places) and places:
        parts.append(MORE_PLACES.filled(count=count - len(places)))
    return Message.joined(parts, "; ")


def describe(repair: Repair) -> Message:
    """One repair as a sentence (its count and first places), said in any language."""
    return SENTENCES[repair.kind].filled(
        count=repair.count, places=places_said(repair.places, repair.count)
    )


def _stored_text(value: str) -> Any:
    if isinstance(value, Message) and value.template is not None:
        return {
            "template": value.template,
            "values": {k: _stored_text(v) for k, v in value.values.items()},
        }
    return str(value)


def _loaded_text(value: Any) -> str:
    if isinstance(value, dict):
        template = str(value.get("template", ""))
        values = {k: _loaded_text(v) for k, v in dict(value.get("values") or {}).items()}
        # Said as the stored template with its values, so it is translated as it was written.
        restored = VERBATIM.filled(text=fill(template, values) or template)
        restored.template, restored.values = template, values
        return restored
    return str(value)


def stored(repairs: Iterable[Repair]) -> list[dict[str, Any]]:
    """Repairs as JSON for the database (places keep their words' templates)."""
    return [
        {
            "kind": r.kind,
            "count": r.count,
            "places": [
                {
                    "where": _stored_text(p.where),
                    "point": p.point,
                    "lat": p.lat,
                    "lon": p.lon,
                    "value": _stored_text(p.value),
                }
                for p in r.places
            ],
        }
        for r in repairs
    ]


def loaded(rows: Iterable[dict[str, Any]] | None) -> tuple[Repair, ...]:
    """Repairs stored by ``stored``; kinds this version does not know are skipped."""
    repairs = []
    for row in rows or ():
        if row.get("kind") not in SENTENCES:
            continue
        places = tuple(
            Place(
                _loaded_text(p.get("where", "")),
                p.get("point"),
                p.get("lat"),
                p.get("lon"),
                _loaded_text(p.get("value", "")),
            )
            for p in row.get("places") or ()
        )
        repairs.append(Repair(row["kind"], int(row.get("count", 0)), places))
    return tuple(repairs)


def told(rows: Iterable[dict[str, Any]] | None) -> list[RepairOut]:
    """Stored repairs as the API shows them, in the language of the request."""
    language = current_language()

    def said(text: str) -> str:
        return text.said_in(language) if isinstance(text, Message) else text

    return [
        RepairOut(
            kind=repair.kind,
            count=repair.count,
            detail=describe(repair).said_in(language),
            places=[
                RepairPlace(
                    where=said(p.where), point=p.point, lat=p.lat, lon=p.lon, value=said(p.value)
                )
                for p in repair.places
            ],
        )
        for repair in loaded(rows)
    ]
