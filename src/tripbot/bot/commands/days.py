"""Days typed after a command (/gear, /reserve): read in the chat's language, and a range
typed backwards or too long told in words, with the fix offered on a button."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tripbot.bot import formats
from tripbot.bot.conversation import Again, Turn
from tripbot.bot.reading import Days, looks_like_days, split_days
from tripbot.bot.refusals import Told


def club_today(turn: Turn) -> date:
    """Today where the club's gear is kept."""
    return datetime.now(ZoneInfo(turn.runtime.settings.gear_timezone)).date()


def typed_days(turn: Turn, usage: str) -> tuple[list[str], Days | None]:
    """The words of the command before the days at their end, and those days (if any); Told
    ``usage`` when the last word is shaped like a day that does not exist (``31/02``)."""
    words, days = split_days(turn.args, turn.language, club_today(turn))
    if days is None and words and looks_like_days(words[-1]):
        raise Told(turn.tr("I cannot read {days} as days.", days=words[-1]) + "\n" + turn.tr(usage))
    return words, days


def _written(days: Days) -> tuple[str, ...]:
    """Days as the command reads them back, whatever the language."""
    return (days.first.isoformat(), "-", days.last.isoformat())


async def usable_days(turn: Turn, words: list[str], days: Days) -> bool:
    """Whether the days can be asked about; otherwise say why in words and offer the fix: the
    range the right way round, or its first days that fit."""
    limit = turn.runtime.settings.gear_max_reservation_days
    again = (turn.name, tuple(words), turn.chosen_event)
    if days.reversed:
        fixed = Days(days.last, days.first)
        await turn.offer(
            turn.tr(
                "{last} comes before {first}. Did you mean from {last} to {first}?",
                first=formats.day(turn.language, days.first),
                last=formats.day(turn.language, days.last),
            ),
            [(_label(turn, fixed), Again(again[0], (*again[1], *_written(fixed)), again[2]))],
        )
        return False
    if days.length > limit:
        # The days that fit, from today on: a range under way is of no use in its past.
        start = max(days.first, club_today(turn))
        fixed = Days(start, min(days.last, start + timedelta(days=limit - 1)))
        await turn.offer(
            turn.tr(
                "I can look at {limit} days at a time, and from {first} to {last} are {count}. "
                "Shall I look at these?",
                limit=limit,
                first=formats.day(turn.language, days.first),
                last=formats.day_in_year(turn.language, days.last),
                count=days.length,
            ),
            [(_label(turn, fixed), Again(again[0], (*again[1], *_written(fixed)), again[2]))],
        )
        return False
    return True


def _label(turn: Turn, days: Days) -> str:
    return turn.tr(
        "{first} → {last}",
        first=formats.day(turn.language, days.first),
        last=formats.day(turn.language, days.last),
    )
