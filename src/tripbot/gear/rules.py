"""The gear service's pure rules: what is free day by day, which reservations an item's stock can
no longer serve, which units go out first, and a packing list's weights. No database here: each
rule takes plain values and answers plain values, so it is tested on its own.

Reservations are whole days, both ends included. A loan still out after its last day keeps
holding its gear until today: gear that has not come back cannot be lent again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from tripbot.gear.schemas import Progress, Weights
from tripbot.platform.db import utcnow
from tripbot.platform.errors import InvalidInput, Message

Booking = tuple[int, date, date, int, str]
"""What one reservation holds: its item, first day, last day, quantity and status."""
CONDITION_ORDER = {"new": 0, "good": 1, "worn": 2, "out_of_service": 3}
"""Units go out best first."""
PHOTO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
UNIT_OUT_OF_SERVICE = "unit_out_of_service"
"""Flag: the unit a reservation is for is out of service."""
NOT_ENOUGH_IN_SERVICE = "not_enough_in_service"
"""Flag: not enough of the item is in service on some day of a reservation."""
EVENT_DELETED = "event_deleted"
"""Flag: the event a reservation was for was deleted (and the reservation cancelled)."""
FLAGS = (UNIT_OUT_OF_SERVICE, NOT_ENOUGH_IN_SERVICE, EVENT_DELETED)
"""Why a reservation cannot be served as booked, stored as codes: the web and the bot word them
in their reader's language."""


@dataclass(frozen=True)
class GearPolicy:
    """The club's rules: the longest reservation, the largest photo, and its time zone."""

    max_reservation_days: int = 90
    max_photo_bytes: int = 2_000_000
    timezone: str = "Europe/Madrid"
    clock: Callable[[], datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        # A wrong TRIPBOT_GEAR_TIMEZONE stops the service at start, not at the first request.
        ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today in the club's time zone: reservations are made of its days."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()


# ---- days and availability -------------------------------------------------------------------


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


def check_window(policy: GearPolicy, first: date, last: date, field: str) -> None:
    """Refuse a window of days longer than the club allows."""
    days = (last - first).days + 1
    if days > policy.max_reservation_days:
        raise InvalidInput(
            Message(
                "{field}: a window of days can span at most {max_days} days; this one spans {days}"
            ),
            field=field,
            max_days=policy.max_reservation_days,
            days=days,
        )


def check_dates(policy: GearPolicy, start: date, end: date) -> None:
    """Refuse a reservation's days if they end before they start, start in the past, or span
    more days than the club allows."""
    if end < start:
        raise InvalidInput(
            Message("end_date {end_date} is before the first day, {start_date}"),
            field="end_date",
            end_date=end.isoformat(),
            start_date=start.isoformat(),
        )
    if start < policy.today():
        raise InvalidInput(
            Message("start_date {start_date} is in the past; the club's today is {today}"),
            field="start_date",
            start_date=start.isoformat(),
            today=policy.today().isoformat(),
        )
    check_window(policy, start, end, "end_date")


# ---- flags -----------------------------------------------------------------------------------


class Held(Protocol):
    """A reservation as the flag rule reads it."""

    @property
    def status(self) -> str:
        """reserved, out, returned or cancelled."""
        ...

    @property
    def unit_id(self) -> int | None:
        """The unit it is for, if one."""
        ...

    @property
    def start_date(self) -> date:
        """Its first day."""
        ...

    @property
    def end_date(self) -> date:
        """Its last day."""
        ...

    @property
    def quantity(self) -> int:
        """How many it holds."""
        ...


def flags(
    capacity: int, unusable: set[int], reservations: Iterable[Held], today: date
) -> list[str | None]:
    """Why each reservation can no longer be served (None: it can), first come first served.

    ``reservations`` come in their turn: gear out on loan first, then reservations in the order
    they were made. A loan out is never flagged; it holds its gear, so later ones may not fit.
    """
    used: dict[date, int] = defaultdict(int)
    reasons: list[str | None] = []
    for reservation in reservations:
        reason = None
        if reservation.status == "reserved" and reservation.unit_id in unusable:
            reason = UNIT_OUT_OF_SERVICE
        else:
            days = days_between(
                max(reservation.start_date, today),
                holds_until(reservation.end_date, reservation.status, today),
            )
            if reservation.status == "reserved" and any(
                used[d] + reservation.quantity > capacity for d in days
            ):
                reason = NOT_ENOUGH_IN_SERVICE
            else:
                for day in days:
                    used[day] += reservation.quantity
        reasons.append(reason)
    return reasons


# ---- units and photos ------------------------------------------------------------------------


def hand_out_order(condition: str, label: str, unit_id: int) -> tuple[int, str, int]:
    """The order units are picked to go out in: best condition first, then by label."""
    return CONDITION_ORDER[condition], label.lower(), unit_id


def photo_type(data: bytes) -> str:
    """The content type of a photo by its first bytes; only PNG, JPEG and WebP are photos."""
    for magic, content_type in PHOTO_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidInput(Message("the photo must be a PNG, JPEG or WebP image"), field="photo")


# ---- packing weights -------------------------------------------------------------------------


class Line(Protocol):
    """A packing list's line as the weights read it."""

    @property
    def weight_grams(self) -> int:
        """One piece's weight."""
        ...

    @property
    def quantity(self) -> int:
        """How many pieces."""
        ...

    @property
    def worn(self) -> bool:
        """Worn, not carried."""
        ...

    @property
    def consumable(self) -> bool:
        """Used up on the way."""
        ...


def weights(entries: Iterable[Line]) -> Weights:
    """LighterPack's weights: total counts every piece; a worn line counts once whatever its
    quantity (the spares travel in the pack); consumables count in full and are never worn."""
    total = worn = consumable = 0
    for entry in entries:
        line = entry.weight_grams * entry.quantity
        total += line
        if entry.consumable:
            consumable += line
        elif entry.worn:
            worn += entry.weight_grams
    return Weights(total=total, base=total - worn - consumable, worn=worn, consumable=consumable)


def packed(provided_by: str, tickers: Collection[int], user_id: int | None) -> bool:
    """Whether a packing list line is packed for someone: their own tick on a line each
    participant brings (each packs their own bag), anyone's on a line the club lends."""
    if provided_by == "club":
        return bool(tickers)
    return user_id is not None and user_id in tickers


def progress(states: Iterable[bool]) -> Progress:
    """How many of some lines are packed, from each line's state."""
    seen = list(states)
    return Progress(packed=sum(seen), total=len(seen))
