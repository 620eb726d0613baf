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


# ---- FIT, as watches write it ------------------------------------------------------------------

_FIT_EPOCH = 631_065_600
_SEMICIRCLES = 2**31 / 180.0
_CRC = [
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
]  # fmt: skip
_CRC_BYTE = [0] * 256
for _byte in range(256):
    _crc = 0
    for _nibble in (_byte & 0xF, _byte >> 4):
        _crc = ((_crc >> 4) & 0x0FFF) ^ _CRC[_crc & 0xF] ^ _CRC[_nibble]
    _CRC_BYTE[_byte] = _crc


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT checksum (CRC-16 as the FIT SDK computes it)."""
    table = _CRC_BYTE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


_RECORD = np.dtype(
    [
        ("header", "u1"),
        ("timestamp", "<u4"),
        ("lat", "<i4"),
        ("lon", "<i4"),
        ("altitude", "<u2"),
        ("heart_rate", "u1"),
        ("cadence", "u1"),
        ("distance", "<u4"),
        ("speed", "<u2"),
        ("temperature", "i1"),
    ]
)
"""A record message as a watch writes it: 25 bytes a second of walking."""


def _definition(local: int, number: int, fields: list[tuple[int, int, int]]) -> bytes:
    head = bytes([0x40 | local, 0, 0]) + number.to_bytes(2, "little") + bytes([len(fields)])
    return head + b"".join(bytes(field) for field in fields)


def to_fit(track: Track, *, course: str = "") -> bytes:
    """The track as a FIT activity (or a course, when named), one record per point."""
    kind = 6 if course else 4
    lat = np.concatenate([s.lat for s in track.segments])
    lon = np.concatenate([s.lon for s in track.segments])
    ele = np.concatenate([s.ele for s in track.segments])
    times = np.concatenate([s.time for s in track.segments])
    start = int(np.nanmin(times)) if np.isfinite(times).any() else 1_000_000_000
    body = [
        _definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)]),
        bytes([0, kind]) + (255).to_bytes(2, "little") + (start - _FIT_EPOCH).to_bytes(4, "little"),
    ]
    if course:
        body += [
            _definition(1, 31, [(5, 16, 0x07)]),
            b"\x01" + course.encode()[:15].ljust(16, b"\x00"),
        ]
    fields = [(253, 4, 0x86), (0, 4, 0x85), (1, 4, 0x85), (2, 2, 0x84), (3, 1, 0x02)]
    fields += [(4, 1, 0x02), (5, 4, 0x86), (6, 2, 0x84), (13, 1, 0x01)]
    body.append(_definition(2, 20, fields))
    records = np.zeros(lat.size, dtype=_RECORD)
    records["header"] = 2
    stamps = np.where(np.isfinite(times), times, start)
    records["timestamp"] = (stamps - _FIT_EPOCH).astype(np.uint32)
    records["lat"] = np.round(lat * _SEMICIRCLES).astype(np.int32)
    records["lon"] = np.round(lon * _SEMICIRCLES).astype(np.int32)
    records["altitude"] = np.where(
        np.isfinite(ele), np.round((np.nan_to_num(ele) + 500) * 5), 0xFFFF
    ).astype(np.uint16)
    records["heart_rate"] = 120
    records["cadence"] = 80
    records["distance"] = np.arange(lat.size, dtype=np.uint32) * 110
    records["speed"] = 1100
    records["temperature"] = 18
    data = b"".join(body) + records.tobytes()
    header = bytes([14, 0x20]) + (2132).to_bytes(2, "little") + len(data).to_bytes(4, "little")
    header += b".FIT"
    header += fit_crc(header).to_bytes(2, "little")
    whole = header + data
    return whole + fit_crc(whole).to_bytes(2, "little")
