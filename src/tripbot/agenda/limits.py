"""How long an activity may last and how far from its event it may be.

An activity outside its event's dates is allowed (a conflict warns of it), but not anywhere in
time: one in year 9999 or year 1 made the calendar feed and the schedule export fail for the
whole event, and every export walks the time between an event and its activities.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripbot.events.schemas import MAX_EVENT_DAYS, EventOut
from tripbot.platform.errors import InvalidInput, Message

REACH = timedelta(days=MAX_EVENT_DAYS)
"""How far before its event's start or after its end an activity may be: a year."""


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """A moment moved, stopping at the first or last instant a datetime can hold."""
    try:
        return moment + by
    except OverflowError:
        if by < timedelta(0):
            return datetime.min.replace(tzinfo=UTC)
        return datetime.max.replace(tzinfo=UTC)


def check_times(
    max_hours: int, starts_at: datetime, ends_at: datetime, event: EventOut | None = None
) -> None:
    """Refuse an activity that ends before it starts, lasts more than ``max_hours``, or (given
    its event) lies more than a year from the event's dates."""
    if ends_at <= starts_at:
        raise InvalidInput(Message("ends_at must be after starts_at"), field="ends_at")
    hours = (ends_at - starts_at) / timedelta(hours=1)
    if hours > max_hours:
        raise InvalidInput(
            Message("an activity may last at most {max_hours} hours; this one would last {hours}"),
            field="ends_at",
            max_hours=max_hours,
            hours=f"{hours:g}",
        )
    if event is None:
        return
    earliest, latest = _shifted(event.starts_at, -REACH), _shifted(event.ends_at, REACH)
    if starts_at < earliest or ends_at > latest:
        raise InvalidInput(
            Message(
                "an activity must take place within a year of its event's dates, "
                "between {earliest} and {latest}"
            ),
            field="starts_at" if starts_at < earliest else "ends_at",
            earliest=earliest.date().isoformat(),
            latest=latest.date().isoformat(),
        )
