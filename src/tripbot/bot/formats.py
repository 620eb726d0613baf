"""How the bot writes money, days, moments and time zones: the chat's locale, through Babel.

Replies and notifications both go through these, so "7,35 €" and "lunes, 7 de diciembre" read
the same wherever the bot says them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_location
from babel.numbers import format_currency, format_decimal

from tripbot.bot.texts import marked, t

SERVICE_NAMES = {
    "events": marked("events"),
    "routes": marked("routes"),
    "gear": marked("gear"),
    "ledger": marked("accounts"),
    "agenda": marked("timetable"),
}
"""Each part of TripBot as people call it (the service's own name is for operators)."""


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@cache
def _pattern(language: str, skeleton: str, weekday: str = "") -> str:
    """A locale's pattern for a skeleton, its weekday widened when asked (CLDR has no
    ``MMMMEEEEd``: the pattern of ``MMMMEd`` with the full weekday is what it would be)."""
    pattern = str(_locale(language).datetime_skeletons[skeleton].pattern)
    return re.sub(r"E+", weekday, pattern) if weekday else pattern


def money(language: str, amount: Decimal | str, currency: str) -> str:
    """An amount of money in a locale: ``7,35 €``, ``€7.35`` (exact: Decimal in, text out)."""
    return format_currency(Decimal(amount), currency, locale=language)


def number(language: str, value: float | Decimal, digits: int = 1) -> str:
    """A number in a locale, with ``digits`` decimals."""
    return format_decimal(value, format=f"#,##0.{'0' * digits}", locale=language)


def day(language: str, value: date) -> str:
    """A day, short: ``lun, 7 dic`` / ``Mon, Dec 7``."""
    return format_date(value, _pattern(language, "MMMEd"), locale=language)


def day_in_year(language: str, value: date) -> str:
    """A day with its year: ``lun, 7 dic 2026`` / ``Mon, Dec 7, 2026``."""
    return format_date(value, _pattern(language, "yMMMEd"), locale=language)


def long_day(language: str, value: date) -> str:
    """A day in full words: ``lunes, 7 de diciembre`` / ``Monday, December 7``."""
    return format_date(value, _pattern(language, "MMMMEd", "EEEE"), locale=language)


def moment(language: str, value: datetime, zone: str | None = None) -> str:
    """A moment in a time zone (its own offset without one): ``lun, 7 dic, 9:30`` /
    ``Mon, Dec 7, 09:30``."""
    local = value.astimezone(ZoneInfo(zone)) if zone else value
    joined = str(_locale(language).datetime_formats["short"])
    return joined.replace("{1}", day(language, local.date())).replace("{0}", clock(language, local))


def clock(language: str, value: datetime, zone: str | None = None) -> str:
    """The time of day of a moment (in ``zone`` if given): ``9:30`` / ``09:30``."""
    local = value.astimezone(ZoneInfo(zone)) if zone else value
    return format_time(local, _pattern(language, "Hm"), locale=language)


def zone_name(language: str, zone: str) -> str:
    """A time zone by its place: ``hora de Madrid`` / ``Madrid Time``; offsets as they are."""
    city = str(get_timezone_location(ZoneInfo(zone), locale=language, return_city=True))
    if city.startswith(("GMT", "UTC")) or zone in ("UTC", "Etc/UTC"):
        return city
    return str(_locale(language).zone_formats["region"]) % city


def service_name(language: str, service: str) -> str:
    """A part of TripBot as people call it (``las cuentas`` for the ledger)."""
    return t(language, SERVICE_NAMES[service]) if service in SERVICE_NAMES else service
