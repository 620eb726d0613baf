"""Synthetic tracks with a known truth: a smooth mountain profile walked at 1 point a second,
recorded with realistic GPS noise (correlated drift plus jitter, worse in elevation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from tripbot.routes.tracks import Segment, Track, to_gpx

START = (43.2395, -4.8570)  # Poncebos, at the mouth of the Cares gorge
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Synthetic:
    """A recorded track and the truth it was recorded from."""

    gpx: bytes
    track: Track
    true_ascent_m: float
    true_descent_m: float
    true_length_m: float


def _ar1(rng: np.random.Generator, n: int, sigma: float, phi: float) -> np.ndarray:
    """A stationary AR(1) series: GPS error drifts slowly, it does not jump."""
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def true_elevation(s_m: np.ndarray) -> np.ndarray:
    """Hills of 14 km, 4 km and 900 m: slopes up to about 35 %."""
    km = s_m / 1000.0
    return (
        900.0
        + 300.0 * np.sin(2 * np.pi * km / 14.0)
        + 80.0 * np.sin(2 * np.pi * km / 4.0 + 1.0)
        + 15.0 * np.sin(2 * np.pi * km / 0.9 + 2.0)
    )


def noisy_track(points: int = 50_000, seed: int = 7, noise: bool = True) -> Synthetic:
    """A walk of ``points`` seconds at about 1.1 m/s, with its true ascent and length."""
    rng = np.random.default_rng(seed)
    speed = np.clip(1.1 + _ar1(rng, points, 0.15, 0.99), 0.6, 1.6)
    heading = np.cumsum(_ar1(rng, points, 0.04, 0.995))
    steps = speed[1:]
    east = np.concatenate(([0.0], np.cumsum(steps * np.cos(heading[1:]))))
    north = np.concatenate(([0.0], np.cumsum(steps * np.sin(heading[1:]))))
    along = np.concatenate(([0.0], np.cumsum(steps)))
    dense = np.linspace(0.0, along[-1], int(along[-1]) * 4 + 1)
    truth = np.diff(true_elevation(dense))
    elevation = true_elevation(along)
    if noise:
        east = east + _ar1(rng, points, 2.0, 0.995) + rng.normal(0.0, 0.3, points)
        north = north + _ar1(rng, points, 2.0, 0.995) + rng.normal(0.0, 0.3, points)
        elevation = elevation + _ar1(rng, points, 3.0, 0.98) + rng.normal(0.0, 1.0, points)
    lat = START[0] + north / METRES_PER_DEGREE
    lon = START[1] + east / (METRES_PER_DEGREE * np.cos(np.radians(START[0])))
    start = datetime(2026, 5, 1, 6, 0, tzinfo=UTC).timestamp()
    times = start + np.arange(points, dtype=np.float64)
    track = Track(
        (Segment(lat, lon, np.round(elevation, 1), times),), (), "gpx-track", "Synthetic walk"
    )
    return Synthetic(
        gpx=to_gpx(track, "Synthetic walk"),
        track=track,
        true_ascent_m=float(truth[truth > 0].sum()),
        true_descent_m=float(-truth[truth < 0].sum()),
        true_length_m=float(along[-1]),
    )


def small_gpx(
    name: str = "Ruta corta",
    *,
    points: int = 60,
    start: tuple[float, float] = START,
    elevation: bool = True,
    climb_m: float = 120.0,
    step_deg: float = 0.0005,
    description: str = "",
) -> bytes:
    """A tidy GPX: a straight walk north-east that climbs, then a waypoint."""
    rows = []
    for i in range(points):
        lat, lon = start[0] + i * step_deg, start[1] + i * step_deg
        ele = f"<ele>{500 + climb_m * i / max(points - 1, 1):.1f}</ele>" if elevation else ""
        rows.append(f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}">{ele}</trkpt>')
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        f"<metadata><name>{name}</name><desc>{description}</desc></metadata>"
        f'<wpt lat="{start[0]}" lon="{start[1]}"><ele>500</ele><name>Fuente</name></wpt>'
        f"<trk><name>{name}</name><trkseg>{''.join(rows)}</trkseg></trk></gpx>"
    ).encode()
