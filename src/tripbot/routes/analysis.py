"""Honest statistics of a track, computed with numpy: distances on the WGS84 ellipsoid; ascent
that noisy GPS cannot inflate; walking time by the MIDE rule and the Swiss formula; the route's
shape; a simplified line for maps and the elevation profile.

Ascent and descent: the elevation is resampled every ``resample_m`` metres along the track,
smoothed with a Gaussian of ``smoothing_sigma_m`` metres, then counted with a hysteresis of
``hysteresis_m`` metres: a rise or fall only counts once it has gone that far, so GPS jitter
(which goes up and down by a few metres all the time) adds nothing, while every real climb
counts in full. Ascent minus descent is exactly the change from start to end.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tripbot.platform.errors import InvalidInput, Message
from tripbot.routes.formats.common import FloatArray, Segment, Track

Shape = Literal["circular", "out-and-back", "one-way"]
FedmeType = Literal["SL", "PR", "GR"]

WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
EARTH_MEAN_RADIUS_M = 6_371_008.8

# The Swiss hiking-time formula (Schweizer Wanderwege, as SchweizMobil and swisstopo use it):
# minutes per km as a polynomial of the slope in tenths (10 * rise / run), for |slope| < 40 %.
SWISS_MINUTES_PER_KM = (
    14.271,
    3.6991,
    2.5922,
    -1.4384,
    0.32105,
    0.81542,
    -0.090261,
    -0.20757,
    0.010192,
    0.028588,
    -0.00057466,
    -0.0021842,
    1.5176e-5,
    8.6894e-5,
    -1.3584e-7,
    -1.4026e-6,
)

MIDE_HORIZONTAL_M_PER_H = 4000.0
MIDE_ASCENT_M_PER_H = 400.0
MIDE_DESCENT_M_PER_H = 600.0
MIDE_EFFORT_HOURS = (1.0, 3.0, 6.0, 10.0)
"""Upper bounds (inclusive) of MIDE effort 1 to 4; longer walks are effort 5."""


@dataclass(frozen=True)
class Method:
    """How elevation is cleaned before ascent and descent are counted."""

    resample_m: float = 10.0
    smoothing_sigma_m: float = 25.0
    hysteresis_m: float = 4.0

    def describe(self) -> str:
        """The method in one sentence, for people and the API."""
        return (
            f"elevation resampled every {self.resample_m:g} m along the track, smoothed with a "
            f"Gaussian of sigma {self.smoothing_sigma_m:g} m, and climbs counted with a "
            f"{self.hysteresis_m:g} m hysteresis"
        )


METHOD = Method()


@dataclass(frozen=True)
class Stats:
    """The numbers of a track; elevation-based ones are None when the track has no elevation."""

    distance_m: float
    distance_3d_m: float | None
    ascent_m: float | None
    descent_m: float | None
    min_elevation_m: float | None
    max_elevation_m: float | None
    time_mide_min: int | None
    time_swiss_min: int | None
    effort: int | None
    shape: Shape
    suggested_type: FedmeType
    point_count: int
    segment_count: int
    has_times: bool
    bbox: tuple[float, float, float, float]
    """min_lat, min_lon, max_lat, max_lon"""
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class Analysis:
    """Statistics, the simplified line for maps ([lon, lat] per segment) and the profile."""

    stats: Stats
    geometry: list[list[list[float]]]
    profile: list[list[float]]
    """[distance km, elevation m, lat, lon] along the whole track; empty without elevation."""


# ---- distances -------------------------------------------------------------------------------


def step_lengths(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Metres between consecutive points on the WGS84 ellipsoid.

    Each step uses the ellipsoid's radii of curvature at its mid-latitude (meridional M and
    prime vertical N): exact to well under 0.01 % for the steps of a track (up to tens of km).
    """
    phi = np.radians(lat)
    dphi = np.diff(phi)
    dlam = np.radians(np.diff(lon))
    dlam = (dlam + np.pi) % (2 * np.pi) - np.pi
    mid = (phi[1:] + phi[:-1]) * 0.5
    sin_mid = np.sin(mid)
    w = 1.0 - WGS84_E2 * sin_mid * sin_mid
    meridional = WGS84_A * (1.0 - WGS84_E2) / (w * np.sqrt(w))
    normal = WGS84_A / np.sqrt(w)
    result: FloatArray = np.hypot(meridional * dphi, normal * np.cos(mid) * dlam)
    return result


def cumulative(lengths: FloatArray) -> FloatArray:
    """Distance from the first point to each point."""
    out = np.empty(lengths.size + 1)
    out[0] = 0.0
    np.cumsum(lengths, out=out[1:])
    return out


# ---- elevation -------------------------------------------------------------------------------


def _filled_elevations(track: Track, cums: list[FloatArray]) -> list[FloatArray] | None:
    """Each segment's elevations with small gaps interpolated; None when too few are known."""
    known = sum(int(np.isfinite(s.ele).sum()) for s in track.segments)
    if known < 0.5 * track.point_count:
        return None
    filled = []
    for segment, cum in zip(track.segments, cums, strict=True):
        mask = np.isfinite(segment.ele)
        if not mask.any():
            return None
        filled.append(segment.ele if mask.all() else np.interp(cum, cum[mask], segment.ele[mask]))
    return filled


def resample(cum: FloatArray, values: FloatArray, step: float) -> tuple[FloatArray, FloatArray]:
    """Values at evenly spaced distances (at most ``step`` apart) along the track."""
    count = max(math.ceil(cum[-1] / step), 1)
    grid = np.linspace(0.0, cum[-1], count + 1)
    return grid, np.interp(grid, cum, values)


def smooth(values: FloatArray, sigma_samples: float) -> FloatArray:
    """A Gaussian smoothing that keeps the first and last values and the slope at the ends."""
    if sigma_samples < 0.5 or values.size < 3:
        return values
    radius = max(1, round(3 * sigma_samples))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma_samples) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, radius, mode="reflect", reflect_type="odd")
    result: FloatArray = np.convolve(padded, kernel, mode="valid")
    return result


def turning_points(values: FloatArray, threshold: float) -> NDArray[np.intp]:
    """Indices of the first point, each turn by at least ``threshold``, and the last point.

    Between two turning points the series only goes one way (up to wiggles smaller than the
    threshold), so the legs between them are the climbs and descents that count.
    """
    last = values.size - 1
    if last < 1:
        return np.array([0], dtype=np.intp)
    steps = np.diff(values)
    # Only local extrema can be turning points: the loop below visits those alone.
    candidates = np.concatenate(([0], np.flatnonzero(steps[:-1] * steps[1:] <= 0) + 1, [last]))
    heights = values[candidates].tolist()
    pivots = [0]
    trend = 0
    high = low = extreme = 0
    for j in range(1, len(heights)):
        height = heights[j]
        if trend == 0:
            if height > heights[high]:
                high = j
            if height < heights[low]:
                low = j
            if heights[high] - heights[low] >= threshold:
                first, extreme, trend = (low, high, 1) if low < high else (high, low, -1)
                if first:
                    pivots.append(first)
        elif trend * (height - heights[extreme]) >= 0:
            extreme = j
        elif trend * (heights[extreme] - height) >= threshold:
            pivots.append(extreme)
            trend, extreme = -trend, j
    if trend and extreme != pivots[-1]:
        pivots.append(extreme)
    if pivots[-1] != len(heights) - 1:
        pivots.append(len(heights) - 1)
    result: NDArray[np.intp] = candidates[pivots]
    return result


def mide_hours(horizontal_m: float, ascent_m: float, descent_m: float) -> float:
    """The MIDE (FEDME) walking time of one stretch, breaks not included.

    The larger of the horizontal time (4 km/h) and the vertical time (400 m/h up, 600 m/h
    down), plus half the smaller.
    """
    horizontal = horizontal_m / MIDE_HORIZONTAL_M_PER_H
    vertical = ascent_m / MIDE_ASCENT_M_PER_H + descent_m / MIDE_DESCENT_M_PER_H
    return max(horizontal, vertical) + min(horizontal, vertical) / 2


def mide_effort(hours: float) -> int:
    """MIDE effort 1 to 5 from the walking time (≤1 h, ≤3 h, ≤6 h, ≤10 h, more)."""
    for effort, bound in enumerate(MIDE_EFFORT_HOURS, start=1):
        if hours <= bound:
            return effort
    return 5


def swiss_minutes(spacing_m: FloatArray, rise_m: FloatArray) -> float:
    """Walking minutes by the Swiss hiking-time formula over consecutive stretches."""
    moving = spacing_m > 0
    run, rise = spacing_m[moving], rise_m[moving]
    slope = 10.0 * rise / run
    per_km = np.polynomial.polynomial.polyval(np.clip(slope, -3.999, 3.999), SWISS_MINUTES_PER_KM)
    per_km = np.where(slope >= 4, 17.0 * slope, np.where(slope <= -4, -9.0 * slope, per_km))
    return float((per_km * run).sum() / 1000.0)


@dataclass(frozen=True)
class _Climb:
    grid: FloatArray
    heights: FloatArray
    ascent: float
    descent: float
    mide_hours: float


def _climb(cum: FloatArray, elevation: FloatArray, method: Method) -> _Climb:
    grid, raw = resample(cum, elevation, method.resample_m)
    spacing = grid[1] - grid[0] if grid.size > 1 else method.resample_m
    heights = smooth(raw, method.smoothing_sigma_m / spacing if spacing > 0 else 0.0)
    pivots = turning_points(heights, method.hysteresis_m)
    rises = np.diff(heights[pivots])
    runs = np.diff(grid[pivots])
    hours = sum(
        mide_hours(run, max(rise, 0.0), max(-rise, 0.0))
        for run, rise in zip(runs.tolist(), rises.tolist(), strict=True)
    )
    return _Climb(
        grid,
        heights,
        float(rises[rises > 0].sum()),
        float(-rises[rises < 0].sum()),
        hours,
    )


# ---- shape and simplification ----------------------------------------------------------------


def _local_xy(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres east and north of the track's middle (good enough for shapes and maps)."""
    lat0 = math.radians(float((lat.min() + lat.max()) / 2))
    lon0 = float((lon.min() + lon.max()) / 2)
    x = np.radians(lon - lon0) * EARTH_MEAN_RADIUS_M * math.cos(lat0)
    y = np.radians(lat) * EARTH_MEAN_RADIUS_M
    return x, y


def route_shape(x: FloatArray, y: FloatArray, cum: FloatArray, tolerance_m: float = 40.0) -> Shape:
    """Circular, out-and-back or one-way, from where the track starts, ends and goes.

    Closed when the end is within max(200 m, 2 % of the length, up to 1 km) of the start;
    out-and-back when at least 70 % of the second half runs within ~``tolerance_m`` of the
    first half.
    """
    length = float(cum[-1])
    gap = math.hypot(float(x[-1] - x[0]), float(y[-1] - y[0]))
    if gap > max(200.0, min(0.02 * length, 1000.0)):
        return "one-way"
    step = max(length / 4000, 10.0)
    samples = np.arange(0.0, length, step)
    sx, sy = np.interp(samples, cum, x), np.interp(samples, cum, y)
    half = samples < length / 2
    cells_x = np.floor(sx / tolerance_m).astype(np.int64)
    cells_y = np.floor(sy / tolerance_m).astype(np.int64)
    outbound = np.unique(cells_x[half] * 4_000_003 + cells_y[half])
    near = np.zeros(int((~half).sum()), dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            keys = (cells_x[~half] + dx) * 4_000_003 + cells_y[~half] + dy
            near |= np.isin(keys, outbound)
    if near.size and near.mean() >= 0.7:
        return "out-and-back"
    return "circular"


def suggested_type(distance_m: float) -> FedmeType:
    """The FEDME kind of path by length: SL under 10 km, PR up to 50 km, GR beyond."""
    if distance_m < 10_000:
        return "SL"
    return "PR" if distance_m <= 50_000 else "GR"


def simplify(x: FloatArray, y: FloatArray, max_points: int, tolerance: float) -> NDArray[np.intp]:
    """Indices of the points to keep (Ramer-Douglas-Peucker, most important split first).

    Splitting always the stretch that strays farthest gives the best line for a point
    budget in one pass; it stops at ``max_points`` or when nothing strays beyond
    ``tolerance``.
    """
    n = x.size
    if n <= 2 or max_points <= 2:
        return np.array([0, n - 1] if n > 1 else [0], dtype=np.intp)
    heap: list[tuple[float, int, int, int]] = []

    def push(a: int, b: int) -> None:
        if b - a < 2:
            return
        px, py = x[a + 1 : b], y[a + 1 : b]
        ax, ay, dx, dy = x[a], y[a], x[b] - x[a], y[b] - y[a]
        length2 = dx * dx + dy * dy
        if length2 > 0:
            t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
            distances = np.hypot(px - ax - t * dx, py - ay - t * dy)
        else:
            distances = np.hypot(px - ax, py - ay)
        k = int(np.argmax(distances))
        if distances[k] > tolerance:
            heapq.heappush(heap, (-float(distances[k]), a, b, a + 1 + k))

    kept = [0, n - 1]
    push(0, n - 1)
    while heap and len(kept) < max_points:
        _, a, b, i = heapq.heappop(heap)
        kept.append(i)
        push(a, i)
        push(i, b)
    return np.array(sorted(kept), dtype=np.intp)


# ---- the whole analysis ----------------------------------------------------------------------


def analyse(
    track: Track,
    method: Method = METHOD,
    map_points: int = 500,
    profile_points: int = 400,
) -> Analysis:
    """Every statistic of a validated track, its map line and its elevation profile."""
    segments: tuple[Segment, ...] = track.segments
    cums = [cumulative(step_lengths(s.lat, s.lon)) for s in segments]
    lengths = [float(c[-1]) for c in cums]
    distance = sum(lengths)
    if distance <= 0:
        raise InvalidInput(
            Message("the track has no length: all its points are at the same place"), field="file"
        )
    lat = np.concatenate([s.lat for s in segments])
    lon = np.concatenate([s.lon for s in segments])
    x, y = _local_xy(lat, lon)

    geometry = []
    offset = 0
    for segment, length in zip(segments, lengths, strict=True):
        end = offset + len(segment)
        budget = max(2, round(map_points * length / distance))
        keep = simplify(x[offset:end], y[offset:end], budget, 1.0)
        geometry.append(np.column_stack((segment.lon[keep], segment.lat[keep])).round(6).tolist())
        offset = end
    joined = np.concatenate([c + sum(lengths[:i]) for i, c in enumerate(cums)])
    shape = route_shape(x, y, joined)

    elevations = _filled_elevations(track, cums)
    climbs = (
        [_climb(c, e, method) for c, e in zip(cums, elevations, strict=True)]
        if elevations is not None
        else []
    )
    ascent = descent = distance_3d = min_ele = max_ele = None
    time_mide = time_swiss = effort = None
    profile: list[list[float]] = []
    if climbs:
        ascent = round(sum(c.ascent for c in climbs), 1)
        descent = round(sum(c.descent for c in climbs), 1)
        distance_3d = round(
            sum(float(np.hypot(np.diff(c.grid), np.diff(c.heights)).sum()) for c in climbs), 1
        )
        min_ele = round(min(float(c.heights.min()) for c in climbs), 1)
        max_ele = round(max(float(c.heights.max()) for c in climbs), 1)
        hours = sum(c.mide_hours for c in climbs)
        time_mide = round(hours * 60)
        effort = mide_effort(hours)
        time_swiss = round(sum(swiss_minutes(np.diff(c.grid), np.diff(c.heights)) for c in climbs))
        profile = _profile(segments, cums, climbs, lengths, profile_points)

    stats = Stats(
        distance_m=round(distance, 1),
        distance_3d_m=distance_3d,
        ascent_m=ascent,
        descent_m=descent,
        min_elevation_m=min_ele,
        max_elevation_m=max_ele,
        time_mide_min=time_mide,
        time_swiss_min=time_swiss,
        effort=effort,
        shape=shape,
        suggested_type=suggested_type(distance),
        point_count=track.point_count,
        segment_count=len(segments),
        has_times=any(bool(np.isfinite(s.time).any()) for s in segments),
        bbox=(float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())),
        start=(float(lat[0]), float(lon[0])),
        end=(float(lat[-1]), float(lon[-1])),
    )
    return Analysis(stats, geometry, profile)


def _profile(
    segments: tuple[Segment, ...],
    cums: list[FloatArray],
    climbs: list[_Climb],
    lengths: list[float],
    max_points: int,
) -> list[list[float]]:
    """The smoothed elevation along the whole track, thinned to ``max_points`` by shape."""
    offsets = np.cumsum([0.0, *lengths[:-1]])
    distance = np.concatenate([c.grid + o for c, o in zip(climbs, offsets, strict=True)])
    heights = np.concatenate([c.heights for c in climbs])
    lat = np.concatenate(
        [np.interp(c.grid, cum, s.lat) for c, cum, s in zip(climbs, cums, segments, strict=True)]
    )
    lon = np.concatenate(
        [np.interp(c.grid, cum, s.lon) for c, cum, s in zip(climbs, cums, segments, strict=True)]
    )
    span = float(heights.max() - heights.min()) or 1.0
    keep = simplify(distance / distance[-1], (heights - heights.min()) / span, max_points, 1e-3)
    rows: list[list[float]] = np.column_stack(
        (
            (distance[keep] / 1000).round(3),
            heights[keep].round(1),
            lat[keep].round(6),
            lon[keep].round(6),
        )
    ).tolist()
    return rows
