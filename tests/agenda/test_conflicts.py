"""Conflict finding on its own: the sweep finds exactly the overlapping pairs a brute-force
comparison finds, back-to-back is no overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from tripbot.agenda.conflicts import Slot, find, overlapping_pairs

START = datetime(2027, 5, 1, 6, 0, tzinfo=UTC)


def slot(
    n: int, start: int, minutes: int, place: int | None = 1, people: tuple[int, ...] = ()
) -> Slot:
    """A slot starting ``start`` minutes after 06:00 UTC."""
    return Slot(
        id=n,
        title=f"A{n}",
        starts_at=START + timedelta(minutes=start),
        ends_at=START + timedelta(minutes=start + minutes),
        place_id=place,
        place_name=None if place is None else f"P{place}",
        place_capacity=None,
        capacity=None,
        people=tuple((p, f"U{p}") for p in people),
    )


def test_back_to_back_is_no_overlap_and_one_minute_more_is() -> None:
    assert overlapping_pairs([slot(1, 0, 60), slot(2, 60, 30)]) == []
    first, second = slot(1, 0, 61), slot(2, 60, 30)
    assert overlapping_pairs([second, first]) == [(first, second)]


def test_one_long_activity_overlaps_each_short_one_inside_it() -> None:
    long, a, b = slot(1, 0, 600), slot(2, 60, 30), slot(3, 300, 30)
    assert overlapping_pairs([a, long, b]) == [(long, a), (long, b)]


def test_activities_without_a_place_never_double_book_one() -> None:
    assert find([slot(1, 0, 60, None), slot(2, 0, 60, None)], START, START + timedelta(1)) == []


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 120)), max_size=25))
def test_the_sweep_finds_exactly_the_overlapping_pairs(spans: list[tuple[int, int]]) -> None:
    slots = [slot(n, start, minutes) for n, (start, minutes) in enumerate(spans, start=1)]
    expected = {
        frozenset((a.id, b.id))
        for a, b in combinations(slots, 2)
        if a.starts_at < b.ends_at and a.ends_at > b.starts_at
    }
    found = [frozenset((a.id, b.id)) for a, b in overlapping_pairs(slots)]
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_a_person_in_two_places_at_once_is_one_conflict() -> None:
    found = find(
        [slot(1, 0, 60, 1, people=(7,)), slot(2, 30, 60, 2, people=(7, 8))],
        START,
        START + timedelta(days=1),
    )
    assert [(c.kind, c.activity_ids, c.user_id) for c in found] == [
        ("person_double_booked", [1, 2], 7)
    ]
    assert found[0].detail == "U7 is in charge of 'A1' and 'A2' at the same time"
