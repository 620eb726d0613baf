"""Counting, day by day, how much of each item the reservations hold.

Reservations are whole days, both ends included. A loan still out after its last day keeps
holding its gear until today: gear that has not come back cannot be lent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

Booking = tuple[int, date, date, int, str]
"""What one reservation holds: its item, first day, last day, quantity and status."""


def holds_until(end_date: date, status: str, today: date) -> date:
    """The last day a reservation holds its gear: its end, or today for an overdue loan."""
    if status == "out" and end_date < today:
        return today
    return end_date


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def used_by_day(
    item_ids: Sequence[int],
    bookings: Sequence[Booking],
    first: date,
    last: date,
    today: date,
) -> npt.NDArray[np.int64]:
    """How many of each item (rows, in ``item_ids`` order) are held on each day (columns).

    A difference array per item: +quantity on a booking's first day in the window, -quantity
    after its last, then a running sum along the days. Bookings of other items are skipped.
    """
    days = (last - first).days + 1
    diff = np.zeros((len(item_ids), days + 1), dtype=np.int64)
    if bookings:
        index = {item_id: row for row, item_id in enumerate(item_ids)}
        items, starts, ends, quantities, statuses = zip(*bookings, strict=True)
        rows = np.fromiter((index.get(i, -1) for i in items), np.int64, len(items))
        origin, count = first.toordinal(), len(items)
        start = np.fromiter((d.toordinal() for d in starts), np.int64, count) - origin
        end = np.fromiter((d.toordinal() for d in ends), np.int64, count) - origin
        out = np.fromiter((s == "out" for s in statuses), bool, count)
        # A loan still out after its last day holds its gear until today.
        end = np.where(out, np.maximum(end, today.toordinal() - origin), end)
        start, end = np.maximum(start, 0), np.minimum(end, days - 1)
        keep = (rows >= 0) & (start <= end)
        amounts = np.asarray(quantities, dtype=np.int64)[keep]
        np.add.at(diff, (rows[keep], start[keep]), amounts)
        np.add.at(diff, (rows[keep], end[keep] + 1), -amounts)
    return np.cumsum(diff[:, :days], axis=1)


def free_by_day(capacities: Sequence[int], used: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """What is left of each item's capacity each day (never below zero)."""
    free: npt.NDArray[np.int64] = np.maximum(
        np.asarray(capacities, dtype=np.int64)[:, None] - used, 0
    )
    return free
