"""Exact money and settlement, property by property: parts add up to the cent, and the fewest
transfers bring every balance to zero."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tripbot.ledger.money import (
    MoneyError,
    allocate,
    convert,
    format_minor,
    integer_weights,
    precision,
    to_minor,
)
from tripbot.ledger.settle import Transfer, settle

totals = st.integers(min_value=-(10**13), max_value=10**13)
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60).filter(
    lambda ws: sum(ws) > 0
)


@given(totals, weights)
def test_allocated_parts_add_up_to_the_total_exactly(total: int, ws: list[int]) -> None:
    parts = allocate(total, ws)
    assert sum(parts) == total
    assert len(parts) == len(ws)


@given(totals, weights)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(total: int, ws: list[int]) -> None:
    whole = sum(ws)
    for part, weight in zip(allocate(total, ws), ws, strict=True):
        exact = Decimal(total) * weight / whole
        assert abs(Decimal(part) - exact) < 1
        if weight == 0:
            assert part == 0


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=500))
def test_an_equal_split_differs_by_at_most_one_cent_and_favours_the_first(
    total: int, people: int
) -> None:
    parts = allocate(total, [1] * people)
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)


def test_a_refund_is_shared_the_same_way_negated() -> None:
    assert allocate(-1000, [1, 1, 1]) == [-334, -333, -333]
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]


def test_allocating_refuses_weights_that_say_nothing() -> None:
    with pytest.raises(ValueError, match="weights"):
        allocate(100, [0, 0])
    with pytest.raises(ValueError, match="weights"):
        allocate(100, [])
    with pytest.raises(ValueError, match="weights"):
        allocate(100, [2, -1])


def test_decimal_weights_keep_their_proportions() -> None:
    assert integer_weights([Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]) == [
        3333,
        3333,
        3334,
    ]
    assert integer_weights([Decimal(2), Decimal("0.5")]) == [20, 5]


@pytest.mark.parametrize(
    ("currency", "places"), [("EUR", 2), ("JPY", 0), ("BHD", 3), ("CLF", 4), ("USD", 2)]
)
def test_minor_units_follow_iso_4217(currency: str, places: int) -> None:
    assert precision(currency) == places
    assert to_minor(Decimal(1), currency) == 10**places


def test_amounts_with_more_decimals_than_the_currency_are_refused() -> None:
    assert to_minor(Decimal("23.50"), "EUR") == 2350
    assert to_minor(Decimal("23.500"), "EUR") == 2350
    with pytest.raises(MoneyError, match=r"EUR amounts have at most 2 decimals; 23\.505 has more"):
        to_minor(Decimal("23.505"), "EUR")
    with pytest.raises(MoneyError, match="JPY amounts have no decimals"):
        to_minor(Decimal("100.5"), "JPY")
    assert to_minor(Decimal("1.234"), "BHD") == 1234


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatting_and_reading_back_is_exact(minor: int) -> None:
    for currency in ("EUR", "JPY", "BHD"):
        assert to_minor(Decimal(format_minor(minor, currency)), currency) == minor


def test_conversion_rounds_half_to_even_at_the_rate_people_typed() -> None:
    assert convert(3000, "USD", "EUR", Decimal("0.92")) == 2760
    assert convert(1, "USD", "EUR", Decimal("0.5")) == 0  # 0.005 EUR: half to even
    assert convert(3, "USD", "EUR", Decimal("0.5")) == 2  # 0.015 EUR: half to even
    assert convert(1000, "JPY", "EUR", Decimal("0.0062")) == 620
    assert convert(2350, "EUR", "JPY", Decimal("161.3")) == 3791  # 3790.55 yen


# ---- settlement ------------------------------------------------------------------------------

balances = st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=120)


def _zero_sum(values: list[int]) -> list[tuple[int, int]]:
    return [*enumerate(values), (len(values), -sum(values))]


def _apply(parties: list[tuple[int, int]], transfers: list[Transfer[int]]) -> dict[int, int]:
    after = dict(parties)
    for transfer in transfers:
        assert transfer.amount > 0
        after[transfer.payer] += transfer.amount
        after[transfer.payee] -= transfer.amount
    return after


@given(balances)
def test_settling_brings_every_balance_to_zero(values: list[int]) -> None:
    parties = _zero_sum(values)
    transfers = settle(parties)
    assert set(_apply(parties, transfers).values()) <= {0}


@given(balances)
def test_settling_takes_fewer_transfers_than_parties_who_owe_or_are_owed(
    values: list[int],
) -> None:
    parties = _zero_sum(values)
    involved = sum(1 for _, amount in parties if amount)
    assert len(settle(parties)) <= max(0, involved - 1)


@given(balances)
def test_debtors_only_pay_and_creditors_only_receive(values: list[int]) -> None:
    parties = _zero_sum(values)
    owed = {key for key, amount in parties if amount > 0}
    owing = {key for key, amount in parties if amount < 0}
    for transfer in settle(parties):
        assert transfer.payer in owing
        assert transfer.payee in owed


@given(balances)
def test_the_same_balances_always_give_the_same_transfers(values: list[int]) -> None:
    parties = _zero_sum(values)
    assert settle(parties) == settle(list(parties))


def test_the_largest_debtor_pays_the_largest_creditor_first() -> None:
    transfers = settle([("ana", 50), ("bruno", -30), ("carla", 100), ("dani", -120)])
    assert transfers == [
        Transfer("dani", "carla", 100),
        Transfer("bruno", "ana", 30),
        Transfer("dani", "ana", 20),
    ]


def test_ties_are_broken_by_the_order_given() -> None:
    parties = [("a", -10), ("b", -10), ("c", 20)]
    assert settle(parties) == [Transfer("a", "c", 10), Transfer("b", "c", 10)]
    order = {"b": 0, "a": 1, "c": 2}
    assert settle(parties, order) == [Transfer("b", "c", 10), Transfer("a", "c", 10)]


def test_balances_that_do_not_sum_to_zero_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to zero"):
        settle([("a", 10), ("b", -9)])


def test_ten_thousand_members_settle_without_recursion() -> None:
    # ihatemoney's `debts` recurses and fails near 2,000 members; this must stay iterative.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        values = [((i * 7919) % 20001) - 10000 for i in range(10_000)]
        parties = _zero_sum(values)
        transfers = settle(parties)
    finally:
        sys.setrecursionlimit(limit)
    assert set(_apply(parties, transfers).values()) <= {0}
    assert len(transfers) < len(parties)
