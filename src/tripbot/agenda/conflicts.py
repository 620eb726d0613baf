"""What in a timetable deserves a warning: places and people booked twice at once, activities
outside the event's dates, more people expected than a place holds. Warnings, never refusals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tripbot.agenda.schemas import ConflictOut

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Slot:
    """An activity as far as conflicts go (cancelled ones are never given)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place_id: int | None
    place_name: str | None
    place_capacity: int | None
    capacity: int | None
    people: tuple[tuple[int, str], ...]


def overlapping_pairs(slots: Iterable[Slot]) -> list[tuple[Slot, Slot]]:
    """Every pair of slots that overlap (``start < other.end and end > other.start``).

    A sweep over the slots sorted by start: each is compared only with those still running.
    """
    pairs: list[tuple[Slot, Slot]] = []
    running: list[Slot] = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        running = [other for other in running if other.ends_at > slot.starts_at]
        pairs.extend((other, slot) for other in running)
        running.append(slot)
    return pairs


def _grouped(slots: Iterable[tuple[K, Slot]]) -> dict[K, list[Slot]]:
    groups: dict[K, list[Slot]] = defaultdict(list)
    for key, slot in slots:
        groups[key].append(slot)
    return groups


def find(slots: Sequence[Slot], event_starts: datetime, event_ends: datetime) -> list[ConflictOut]:
    """The conflicts among an event's activities, in a stable order."""
    found: list[ConflictOut] = []
    by_place = _grouped((s.place_id, s) for s in slots if s.place_id is not None)
    for place_id, group in by_place.items():
        for first, second in overlapping_pairs(group):
            found.append(
                ConflictOut(
                    kind="place_double_booked",
                    activity_ids=[first.id, second.id],
                    place_id=place_id,
                    detail=f"{first.place_name} is booked for {first.title!r} and "
                    f"{second.title!r} at the same time",
                )
            )
    names = {user_id: name for s in slots for user_id, name in s.people}
    by_person = _grouped((user_id, s) for s in slots for user_id, _ in s.people)
    for user_id, group in by_person.items():
        for first, second in overlapping_pairs(group):
            found.append(
                ConflictOut(
                    kind="person_double_booked",
                    activity_ids=[first.id, second.id],
                    user_id=user_id,
                    detail=f"{names[user_id]} is in charge of {first.title!r} and "
                    f"{second.title!r} at the same time",
                )
            )
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        if slot.starts_at < event_starts or slot.ends_at > event_ends:
            found.append(
                ConflictOut(
                    kind="outside_event",
                    activity_ids=[slot.id],
                    detail=f"{slot.title!r} is not within the event's dates",
                )
            )
        if (
            slot.capacity is not None
            and slot.place_capacity is not None
            and slot.capacity > slot.place_capacity
        ):
            found.append(
                ConflictOut(
                    kind="over_capacity",
                    activity_ids=[slot.id],
                    place_id=slot.place_id,
                    detail=f"{slot.title!r} expects {slot.capacity} people but "
                    f"{slot.place_name} holds {slot.place_capacity}",
                )
            )
    return found
