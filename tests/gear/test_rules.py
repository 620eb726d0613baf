"""The gear service's pure rules as properties over many made-up cases: what is free day by day,
which reservations an item's stock can still serve, and a packing list's weights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tripbot.gear import rules

ORIGIN = date(2027, 3, 1)
CASES = settings(max_examples=60, deadline=None)
"""Enough made-up cases per rule to find a slip, few enough to keep the suite quick."""


@dataclass(frozen=True)
class Held:
    """A reservation as the flag rule reads it."""

    status: str
    unit_id: int | None
    start_date: date
    end_date: date
    quantity: int


def a_day(low: int = -10, high: int = 30) -> st.SearchStrategy[date]:
    """A day around ORIGIN."""
    return st.integers(low, high).map(lambda n: ORIGIN + timedelta(days=n))


@st.composite
def held(draw: st.DrawFn) -> Held:
    """A reservation, or a loan out (maybe overdue)."""
    first = draw(a_day())
    last = first + timedelta(days=draw(st.integers(0, 10)))
    status = draw(st.sampled_from(["reserved", "out"]))
    unit = draw(st.one_of(st.none(), st.integers(1, 4)))
    return Held(status, unit, first, last, draw(st.integers(1, 5)))


def naive_use(reservations: list[Held], first: date, last: date, today: date) -> dict[date, int]:
    """What the reservations hold each day, counted one day and one reservation at a time."""
    return {
        day: sum(
            r.quantity
            for r in reservations
            if r.start_date <= day <= rules.holds_until(r.end_date, r.status, today)
        )
        for day in rules.days_between(first, last)
    }


@CASES
@given(st.lists(held(), max_size=12), a_day(-5, 5), st.integers(0, 20), a_day(-5, 5))
def test_used_by_day_counts_as_one_would_by_hand(
    reservations: list[Held], first: date, length: int, today: date
) -> None:
    last = first + timedelta(days=length)
    bookings = [(1, r.start_date, r.end_date, r.quantity, r.status) for r in reservations]
    bookings.append((2, first, last, 99, "reserved"))  # another item's: never counted
    used = rules.used_by_day([1], bookings, first, last, today)
    assert used[0].tolist() == list(naive_use(reservations, first, last, today).values())


@CASES
@given(st.lists(st.integers(0, 20), min_size=1, max_size=4), st.data())
def test_what_is_free_is_never_negative_nor_more_than_there_is(
    capacities: list[int], data: st.DataObject
) -> None:
    days = data.draw(st.integers(1, 10))
    bookings = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, len(capacities) - 1),
                a_day(0, days),
                st.integers(0, 5),
                st.integers(1, 9),
            ),
            max_size=15,
        )
    )
    held_ = [(i, d, d + timedelta(days=n), q, "reserved") for i, d, n, q in bookings]
    last = ORIGIN + timedelta(days=days - 1)
    used = rules.used_by_day(range(len(capacities)), held_, ORIGIN, last, ORIGIN)
    free = rules.free_by_day(capacities, used)
    for row, capacity in zip(free.tolist(), capacities, strict=True):
        assert all(0 <= left <= capacity for left in row)


@CASES
@given(st.lists(held(), max_size=12), st.integers(0, 12), a_day(-5, 5))
def test_the_reservations_left_unflagged_never_overbook_a_day(
    reservations: list[Held], capacity: int, today: date
) -> None:
    reservations.sort(key=lambda r: r.status != "out")  # in their turn: gear out first
    reasons = rules.flags(capacity, set(), reservations, today)
    assert len(reasons) == len(reservations)
    assert all(
        reason is None for r, reason in zip(reservations, reasons, strict=True) if r.status == "out"
    )
    kept = [r for r, reason in zip(reservations, reasons, strict=True) if reason is None]
    outs = [r for r in reservations if r.status == "out"]
    last = max([holds_until_of(r, today) for r in reservations], default=today)
    if last < today:
        return
    served = naive_use(kept, today, last, today)
    lent = naive_use(outs, today, last, today)
    for day, count in served.items():
        # Gear out on loan is out whatever the stock says; what is booked on top never overflows.
        assert count <= max(capacity, lent[day])


def holds_until_of(reservation: Held, today: date) -> date:
    """The last day a reservation holds its gear."""
    return rules.holds_until(reservation.end_date, reservation.status, today)


@CASES
@given(st.lists(held(), max_size=12), a_day(-5, 5))
def test_enough_stock_flags_nothing_and_an_unusable_unit_flags_its_reservations(
    reservations: list[Held], today: date
) -> None:
    assert rules.flags(10_000, set(), reservations, today) == [None] * len(reservations)
    reasons = rules.flags(10_000, {1}, reservations, today)
    for reservation, reason in zip(reservations, reasons, strict=True):
        broken = reservation.status == "reserved" and reservation.unit_id == 1
        assert reason == (rules.UNIT_OUT_OF_SERVICE if broken else None)


@dataclass(frozen=True)
class Line:
    """A packing list's line."""

    weight_grams: int
    quantity: int
    worn: bool
    consumable: bool


lines = st.lists(
    st.builds(Line, st.integers(0, 5000), st.integers(1, 10), st.booleans(), st.booleans()),
    max_size=20,
)


@CASES
@given(lines)
def test_weights_add_up(entries: list[Line]) -> None:
    weights = rules.weights(entries)
    assert weights.total == sum(e.weight_grams * e.quantity for e in entries)
    assert weights.base + weights.worn + weights.consumable == weights.total
    assert 0 <= weights.worn <= weights.total
    assert weights.base >= 0


@CASES
@given(
    st.sampled_from(sorted(rules.CONDITION_ORDER)), st.sampled_from(sorted(rules.CONDITION_ORDER))
)
def test_better_units_go_out_first(one: str, other: str) -> None:
    first = sorted([(other, "B", 2), (one, "A", 1)], key=lambda u: rules.hand_out_order(*u))[0]
    best = min(rules.CONDITION_ORDER[one], rules.CONDITION_ORDER[other])
    assert rules.CONDITION_ORDER[first[0]] == best
