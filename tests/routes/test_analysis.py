"""Track statistics against known truths: geodesy, noisy ascent, MIDE, shapes, simplification."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.routes.synthetic import noisy_track, small_gpx
from tripbot.platform.errors import InvalidInput
from tripbot.routes.analysis import (
    analyse,
    cumulative,
    mide_effort,
    mide_hours,
    route_shape,
    simplify,
    step_lengths,
    suggested_type,
    swiss_minutes,
    turning_points,
)
from tripbot.routes.tracks import Segment, Track, read_track


def _track(lat: np.ndarray, lon: np.ndarray, ele: np.ndarray | None = None) -> Track:
    elevation = np.full(lat.size, np.nan) if ele is None else ele
    return Track((Segment(lat, lon, elevation, np.full(lat.size, np.nan)),), (), "gpx-track")


def test_a_degree_of_meridian_and_of_equator_measure_as_on_the_wgs84_ellipsoid() -> None:
    lat = np.linspace(0.0, 1.0, 2001)
    meridian = step_lengths(lat, np.zeros_like(lat)).sum()
    assert meridian == pytest.approx(110_574.4, abs=0.5)  # WGS84 meridian arc 0°-1°
    lon = np.linspace(0.0, 1.0, 2001)
    equator = step_lengths(np.zeros_like(lon), lon).sum()
    assert equator == pytest.approx(111_319.49, abs=0.5)
    # Along the 45° parallel: N(45°)·cos 45°·π/180, the arc a dense track follows.
    parallel = step_lengths(np.full_like(lon, 45.0), lon).sum()
    assert parallel == pytest.approx(78_846.8, abs=0.5)


def test_steps_across_the_antimeridian_are_short() -> None:
    assert step_lengths(np.array([0.0, 0.0]), np.array([179.9999, -179.9999]))[0] == (
        pytest.approx(22.26, abs=0.01)
    )


def test_noisy_gps_does_not_inflate_ascent() -> None:
    synthetic = noisy_track(12_000, seed=3)
    stats = analyse(read_track(synthetic.gpx)).stats
    assert stats.ascent_m == pytest.approx(synthetic.true_ascent_m, rel=0.05)
    assert stats.descent_m == pytest.approx(synthetic.true_descent_m, rel=0.05)
    raw = np.diff(synthetic.track.segments[0].ele)
    assert raw[raw > 0].sum() > 2 * synthetic.true_ascent_m  # what naive sums report


def test_a_clean_track_keeps_its_real_climbs() -> None:
    synthetic = noisy_track(12_000, seed=3, noise=False)
    stats = analyse(read_track(synthetic.gpx)).stats
    assert stats.ascent_m == pytest.approx(synthetic.true_ascent_m, rel=0.02)
    assert stats.distance_m == pytest.approx(synthetic.true_length_m, rel=0.001)


def test_ascent_minus_descent_is_the_change_from_start_to_end() -> None:
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(0, 3, 5000))
    pivots = turning_points(values, 4.0)
    legs = np.diff(values[pivots])
    assert legs.sum() == pytest.approx(values[-1] - values[0])
    assert (np.abs(legs[1:-1]) >= 4.0).all()
    assert (np.sign(legs[1:]) != np.sign(legs[:-1])).all()


def test_wiggles_below_the_hysteresis_do_not_count() -> None:
    flat = np.array([100.0, 102.0, 99.5, 101.5, 100.0, 103.0, 100.5])
    legs = np.diff(flat[turning_points(flat, 4.0)])
    assert legs[legs > 0].sum() == pytest.approx(0.5)  # only the net rise to the end


def test_a_track_without_elevation_has_null_elevation_statistics_never_zero() -> None:
    stats = analyse(read_track(small_gpx(points=30, elevation=False))).stats
    assert stats.distance_m > 0
    assert (stats.ascent_m, stats.descent_m, stats.distance_3d_m) == (None, None, None)
    assert (stats.time_mide_min, stats.time_swiss_min, stats.effort) == (None, None, None)
    assert analyse(read_track(small_gpx(points=30, elevation=False))).profile == []


def test_mide_rule_takes_the_larger_time_plus_half_the_smaller() -> None:
    # 8 km and 800 m up: 2 h horizontal, 2 h vertical: 2 + 1 = 3 h.
    assert mide_hours(8000, 800, 0) == pytest.approx(3.0)
    # 12 km flat with 300 m down: 3 h horizontal, 0.5 h vertical.
    assert mide_hours(12_000, 0, 300) == pytest.approx(3.25)


@pytest.mark.parametrize(
    ("hours", "effort"),
    [(0.5, 1), (1.0, 1), (1.01, 2), (3.0, 2), (3.5, 3), (6.0, 3), (9.9, 4), (10.0, 4), (10.5, 5)],
)
def test_mide_effort_follows_the_walking_time(hours: float, effort: int) -> None:
    assert mide_effort(hours) == effort


def test_swiss_formula_walks_4_2_km_an_hour_on_the_flat() -> None:
    assert swiss_minutes(np.array([1000.0]), np.array([0.0])) == pytest.approx(14.271)
    steep = swiss_minutes(np.array([1000.0]), np.array([500.0]))
    assert steep == pytest.approx(17 * 5)


def test_statistics_of_a_steady_climb() -> None:
    lat = np.linspace(43.0, 43.0 + 0.09, 1001)  # about 10 km north
    ele = np.linspace(500.0, 1300.0, 1001)
    stats = analyse(_track(lat, np.full_like(lat, -4.0), ele)).stats
    assert stats.distance_m == pytest.approx(9_995, rel=0.002)
    assert stats.ascent_m == pytest.approx(800.0, abs=1.0)
    assert stats.descent_m == pytest.approx(0.0, abs=1.0)
    assert stats.distance_3d_m == pytest.approx(math.hypot(stats.distance_m, 800.0), rel=0.001)
    assert stats.time_mide_min == round(mide_hours(stats.distance_m, 800.0, 0.0) * 60)
    assert (stats.min_elevation_m, stats.max_elevation_m) == (500.0, 1300.0)
    assert (stats.shape, stats.suggested_type, stats.effort) == ("one-way", "SL", 3)


def _circle(radius_m: float, points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    angle = np.linspace(0.0, 2 * np.pi, points)
    lat = 43.0 + radius_m * np.sin(angle) / 111_132.0
    lon = -4.0 + radius_m * (np.cos(angle) - 1) / (111_320.0 * np.cos(np.radians(43.0)))
    return lat, lon


def test_route_shapes() -> None:
    lat, lon = _circle(1500)
    assert analyse(_track(lat, lon)).stats.shape == "circular"
    out = np.linspace(43.0, 43.05, 1000)
    there_and_back = np.concatenate([out, out[::-1] + 0.00008])  # back 9 m beside
    lon_back = np.full(there_and_back.size, -4.0)
    assert analyse(_track(there_and_back, lon_back)).stats.shape == "out-and-back"
    assert analyse(_track(out, np.full(out.size, -4.0))).stats.shape == "one-way"


def test_shape_of_a_loop_that_returns_by_the_same_path_for_a_while() -> None:
    x = np.concatenate([np.zeros(500), np.linspace(0, 2000, 500), np.full(500, 2000.0)])
    y = np.concatenate([np.linspace(0, 3000, 500), np.full(500, 3000.0), np.linspace(3000, 0, 500)])
    x = np.concatenate([x, np.linspace(2000, 0, 500)])
    y = np.concatenate([y, np.zeros(500)])
    steps = np.hypot(np.diff(x), np.diff(y))
    assert route_shape(x, y, cumulative(steps)) == "circular"


@pytest.mark.parametrize(
    ("metres", "kind"),
    [(9_999, "SL"), (10_000, "PR"), (50_000, "PR"), (50_001, "GR")],
)
def test_fedme_type_suggestion_by_length(metres: float, kind: str) -> None:
    assert suggested_type(metres) == kind


def test_simplification_keeps_ends_and_shape_within_its_budget() -> None:
    t = np.linspace(0, 20 * np.pi, 50_000)
    x, y = t * 100, np.sin(t) * 100
    kept = simplify(x, y, 300, 0.0)
    assert kept[0] == 0
    assert kept[-1] == x.size - 1
    assert len(kept) == 300
    assert len(simplify(x, y, 300, 5.0)) < 300  # stops once nothing strays 5 m
    assert (np.diff(kept) > 0).all()
    rebuilt = np.interp(x, x[kept], y[kept])
    assert np.abs(rebuilt - y).max() < 5.0  # a 200 m-wide wave kept within 5 m


def test_map_line_and_profile_are_small_and_follow_the_track() -> None:
    synthetic = noisy_track(20_000, seed=5)
    result = analyse(read_track(synthetic.gpx))
    assert sum(len(s) for s in result.geometry) <= 500
    assert len(result.profile) <= 400
    km = [p[0] for p in result.profile]
    assert km == sorted(km)
    assert km[-1] == pytest.approx(result.stats.distance_m / 1000, abs=0.01)
    heights = [p[1] for p in result.profile]
    assert max(heights) == pytest.approx(result.stats.max_elevation_m, abs=1.0)


def test_a_track_whose_points_never_move_has_no_length() -> None:
    lat = np.full(10, 43.0)
    with pytest.raises(InvalidInput, match="no length"):
        analyse(_track(lat, np.full(10, -4.0)))


def test_multi_segment_tracks_add_up_without_the_gaps() -> None:
    one = Segment(
        np.linspace(43.0, 43.01, 100),
        np.full(100, -4.0),
        np.linspace(100.0, 200.0, 100),
        np.full(100, np.nan),
    )
    two = Segment(
        np.linspace(43.05, 43.06, 100),
        np.full(100, -4.0),
        np.linspace(200.0, 300.0, 100),
        np.full(100, np.nan),
    )
    stats = analyse(Track((one, two), (), "gpx-track")).stats
    single = analyse(Track((one,), (), "gpx-track")).stats
    assert stats.distance_m == pytest.approx(2 * single.distance_m, abs=0.2)
    assert stats.ascent_m == pytest.approx(200.0, abs=1.0)
    assert stats.segment_count == 2
