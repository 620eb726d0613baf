"""Amounts and dates as people type them in a chat, read in the chat's language.

Dates are read by a small grammar over the locale's own words from Babel (CLDR): month and
weekday names, and "hoy / mañana / pasado mañana", "este sábado". It covers what club members
write (``21-12``, ``21.12``, ``21 de diciembre``, ``mañana``, ``el sábado``, ``del 21 al 23``,
``12/05-14/05``) and nothing more; tests/bot/test_reading.py checks it by property (every day
written every way reads back as itself). A general parser (dateparser) was not taken: it reads
no ranges ("del 21 al 23"), guesses freely (any number becomes a date, which /gear would take
from the item's name), and costs a second of start-up loading its language data.

Amounts accept a point or a comma as the decimal separator, thousands separators, and a
currency sign or code before or after (``1.000,50``, ``23€``, ``€23``, ``23 € cena``); a text
that reads two ways (``1.000``: one thousand, or one?) is returned as both for the bot to ask.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_name, list_currencies

from tripbot.bot.texts import LANGUAGES

# ---- amounts ------------------------------------------------------------------------------------

MAX_AMOUNT = Decimal(10) ** 9


class BadAmount(ValueError):
    """The amount typed is not one the ledger can record; ``args[0]`` says why (a msgid)."""


@dataclass(frozen=True)
class Amount:
    """An amount read from a chat: one value, or two when the text reads both ways."""

    value: Decimal
    other: Decimal | None = None
    """The other reading of an ambiguous text (``1.000``: ``value`` 1000, ``other`` 1)."""
    currency: str | None = None
    """The currency named with a sign or a code (``€``, ``EUR``, ``euros``), if any."""


def _fold(text: str) -> str:
    """Lower case without accents: how words are compared (people skip accents in chats)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def currency_words() -> dict[str, str]:
    """The ways a chat names a currency → its ISO code: signs (``€``, ``US$``), codes in
    capitals (``EUR``), and the names of the usual ones (``euros``, folded). Codes in lower case
    are not taken: ``all``, ``top`` and ``pen`` are words of a description too."""
    words: dict[str, str] = {}
    for language in LANGUAGES:
        for code, symbol in Locale.parse(language).currency_symbols.items():
            if not symbol.isalpha():
                words.setdefault(_fold(symbol), code)
        for code in COMMON_CURRENCIES:
            for count in (1, 2):
                words.setdefault(_fold(get_currency_name(code, count, language)), code)
    words.update({"€": "EUR", "$": "USD"})
    return words


COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "ARS", "MXN", "CLP", "COP", "PEN", "UYU")
"""Currencies whose names (``euros``, ``dólares``) are read as signs."""


def currency_of(word: str) -> str | None:
    """The currency a word names, if it names one."""
    if word.isupper() and word in ISO_CODES:
        return word
    return currency_words().get(_fold(word))


ISO_CODES = frozenset(list_currencies())


_SIGNS = re.compile(r"^([^\d\s]+)?(\d[\d.,]*)([^\d\s]+)?$")


def _number(text: str) -> tuple[Decimal, Decimal | None]:
    """A number with a point or comma as decimal separator and the other as thousands
    separator; both readings of ``1.000`` (one thousand, one) when it reads two ways."""
    if not re.fullmatch(r"\d[\d.,]*\d|\d", text):
        raise BadAmount("{amount} is not an amount of money.")
    separators = [c for c in text if c in ".,"]
    if not separators:
        return Decimal(text), None
    if len(set(separators)) == 2:
        decimal_mark = separators[-1]
        group_mark = "," if decimal_mark == "." else "."
        whole, fraction = text.rsplit(decimal_mark, 1)
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group_mark)}\d{{3}})+", whole):
            raise BadAmount("{amount} is not an amount of money.")
        return Decimal(f"{whole.replace(group_mark, '')}.{fraction}"), None
    mark = separators[0]
    if len(separators) > 1:
        if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+", text):
            raise BadAmount("{amount} is not an amount of money.")
        return Decimal(text.replace(mark, "")), None
    whole, fraction = text.split(mark)
    as_decimal = Decimal(f"{whole}.{fraction}")
    if len(fraction) == 3 and whole != "0" and len(whole) <= 3:
        return Decimal(whole + fraction), as_decimal
    return as_decimal, None


def read_amount(words: list[str]) -> tuple[Amount, list[str]]:
    """The amount at the start of ``words`` (a sign or code before or after it, apart or
    attached) and the words after it; BadAmount when there is none to read."""
    taken, currency = 0, None
    if words and currency_of(words[0]):
        currency, taken = currency_of(words[0]), 1
    if len(words) <= taken:
        raise BadAmount("{amount} is not an amount of money.")
    found = _SIGNS.match(words[taken])
    if found is None:
        raise BadAmount("{amount} is not an amount of money.")
    before, digits, after = found.groups()
    for sign in (before, after):
        if sign is None:
            continue
        if currency_of(sign) is None or currency is not None:
            raise BadAmount("{amount} is not an amount of money.")
        currency = currency_of(sign)
    taken += 1
    if currency is None and len(words) > taken and currency_of(words[taken]):
        currency, taken = currency_of(words[taken]), taken + 1
    value, other = _number(digits)
    if value <= 0:
        raise BadAmount("The amount must be more than zero.")
    if value > MAX_AMOUNT:
        if other is None or other > MAX_AMOUNT:
            raise BadAmount("{amount} is more than the ledger takes in one entry.")
        value, other = other, None
    if other is not None and other <= 0:
        other = None
    return Amount(value, other, currency), words[taken:]


def decimals(value: Decimal) -> int:
    """How many decimals an amount is written with (trailing zeros do not count)."""
    exponent = int(value.normalize().as_tuple().exponent)
    return max(0, -exponent)


# ---- dates --------------------------------------------------------------------------------------


class BadDates(ValueError):
    """The words are not days the bot reads."""


@dataclass(frozen=True)
class Days:
    """The days asked for, first and last included; ``last`` may come before ``first`` when
    they were typed the wrong way round (the caller offers to swap them)."""

    first: date
    last: date

    @property
    def reversed(self) -> bool:
        """Whether the range was typed backwards."""
        return self.last < self.first

    @property
    def length(self) -> int:
        """How many days the range spans."""
        return abs((self.last - self.first).days) + 1


@dataclass(frozen=True)
class _Day:
    """A day as typed: a known date, or a day of a month (of a year) still to be placed."""

    day: int
    month: int | None = None
    year: int | None = None
    known: date | None = None


@dataclass(frozen=True)
class _Words:
    """The words of a language the grammar reads."""

    months: dict[str, int]
    weekdays: dict[str, int]
    relative_days: dict[tuple[str, ...], int]
    relative_weekdays: dict[tuple[str, ...], int]
    starts: frozenset[str]
    joins: frozenset[str]
    fillers: frozenset[str]


@cache
def _words(language: str) -> _Words:
    """The month and weekday names, and the relative days, of a language (from CLDR)."""
    locale = Locale.parse(language)
    months: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in locale.months[context][width].items():
                months[_fold(name).rstrip(".")] = number
    weekdays: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in locale.days[context][width].items():
                weekdays[_fold(name).rstrip(".")] = number
    # Babel reads CLDR's relative day names ("pasado mañana") but offers no accessor for them.
    fields = locale._data["date_fields"]
    relative_days = {
        tuple(_fold(str(name)).split()): offset
        for offset, name in dict(fields["day"]["relative"]).items()
        if offset >= 0
    }
    relative_weekdays: dict[tuple[str, ...], int] = {}
    for number, key in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun")):
        for offset, name in dict(fields[key]["relative"]).items():
            if offset >= 0:
                relative_weekdays[tuple(_fold(str(name)).split())] = number
    grammar = GRAMMAR[language]
    return _Words(
        months,
        weekdays,
        relative_days,
        relative_weekdays,
        frozenset(grammar["starts"]),
        frozenset(grammar["joins"]),
        frozenset(grammar["fillers"]),
    )


GRAMMAR: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "starts": ("del", "de", "desde", "entre", "el", "los", "para"),
        "joins": ("al", "a", "hasta", "y", "-", "\u2013", ".."),
        "fillers": ("de", "del", "el", "este", "proximo", "para", "dia"),
    },
    "en": {
        "starts": ("from", "between", "on", "for", "the"),
        "joins": ("to", "until", "till", "through", "and", "-", "\u2013", ".."),
        "fillers": ("of", "the", "on", "this", "next", "for"),
    },
}
"""The little words around days: what opens a range, what joins its ends, what goes before a
day. CLDR has no such lists; these are the ones people type."""

_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|º|ª)?,?$")
_JOINER = re.compile(r"-|\u2013|\.\.")


def _numeric(token: str) -> _Day | None:
    iso = _ISO.match(token)
    if iso:
        day = _Day(int(iso[3]), int(iso[2]), int(iso[1]))
    else:
        found = _NUMERIC.match(token)
        if found is None:
            return None
        year = found[4]
        day = _Day(
            int(found[1]),
            int(found[3]),
            (2000 + int(year) if len(year) == 2 else int(year)) if year else None,
        )
    month_ok = day.month is None or 1 <= day.month <= 12
    return day if 1 <= day.day <= 31 and month_ok else None


def _tokens(text: str) -> list[str]:
    """The words of a text; two numeric days written as one (``12/05-14/05``) come apart."""
    tokens = []
    for token in _fold(text).replace(",", " ").split():
        tokens += _compact_range(token) or [token]
    return tokens


def _compact_range(token: str) -> list[str] | None:
    if _numeric(token):
        return None
    for found in _JOINER.finditer(token):
        first, last = token[: found.start()], token[found.end() :]
        if _numeric(first) and _numeric(last):
            return [first, "-", last]
    return None


class _Reader:
    """Reads one day, then maybe a second, from tokens."""

    def __init__(self, tokens: list[str], words: _Words, today: date) -> None:
        self.tokens, self.words, self.today, self.at = tokens, words, today, 0

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def peek(self, ahead: int = 0) -> str | None:
        at = self.at + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def phrase(self, table: dict[tuple[str, ...], int]) -> int | None:
        for words, value in sorted(table.items(), key=lambda item: -len(item[0])):
            if tuple(self.tokens[self.at : self.at + len(words)]) == words:
                self.at += len(words)
                return value
        return None

    def day(self, *, bare: bool) -> _Day | None:
        """One day: relative, a weekday, numeric, or a number and a month name (either order);
        a bare day number only when ``bare``."""
        start = self.at
        found = self._relative() or self._dated(bare=bare)
        if found is None:
            self.at = start
        return found

    def _relative(self) -> _Day | None:
        offset = self.phrase(self.words.relative_days)
        if offset is not None:
            return _Day(0, known=self.today + timedelta(days=offset))
        weekday = self.phrase(self.words.relative_weekdays)
        start = self.at
        while weekday is None and self.peek() in self.words.fillers:
            self.at += 1
        if weekday is None and self.peek() in self.words.weekdays:
            weekday = self.words.weekdays[self.peek() or ""]
            self.at += 1
        if weekday is None:
            self.at = start
            return None
        ahead = (weekday - self.today.weekday()) % 7
        return _Day(0, known=self.today + timedelta(days=ahead))

    def _dated(self, *, bare: bool) -> _Day | None:
        while self.peek() in self.words.fillers:
            self.at += 1
        token = self.peek() or ""
        numeric = _numeric(token)
        if numeric is not None:
            self.at += 1
            return numeric
        if token in self.words.months:
            number = _ORDINAL.match(self.peek(1) or "")
            if number is None or not 1 <= int(number[1]) <= 31:
                return None
            self.at += 2
            return _Day(int(number[1]), self.words.months[token], self.year())
        number = _ORDINAL.match(token)
        if number is None or not 1 <= int(number[1]) <= 31:
            return None
        self.at += 1
        month = self.month()
        if month is None and not bare:
            return None
        return _Day(int(number[1]), month, self.year() if month else None)

    def month(self) -> int | None:
        start = self.at
        while self.peek() in ("de", "of"):
            self.at += 1
        token = self.peek()
        if token in self.words.months:
            self.at += 1
            return self.words.months[token or ""]
        self.at = start
        return None

    def year(self) -> int | None:
        start = self.at
        while self.peek() in ("de", "of"):
            self.at += 1
        token = self.peek() or ""
        if re.fullmatch(r"\d{4}", token):
            self.at += 1
            return int(token)
        self.at = start
        return None


def _candidates(day: _Day, other: _Day | None, today: date) -> list[date]:
    """The dates a typed day may be: itself when known; else each year (and, for a bare day
    number, each month) around today that has such a day."""
    if day.known is not None:
        return [day.known]
    if day.month is not None:
        months = [(day.year, day.month)]
    elif other is not None and (other.month is not None or other.known is not None):
        month = other.month or (other.known.month if other.known else 1)
        year = other.year or (other.known.year if other.known else None)
        previous = 12 if month == 1 else month - 1
        months = [(year, month), (year - 1 if year and month == 1 else year, previous)]
    else:
        months = [(None, n) for n in range(1, 13)]
    found = []
    for year, month in months:
        for candidate_year in [year] if year else range(today.year - 1, today.year + 3):
            if day.day <= calendar.monthrange(candidate_year, month)[1]:
                found.append(date(candidate_year, month, day.day))
    if not found:
        raise BadDates(f"there is no day {day.day}/{day.month}")
    return found


def _closest(firsts: list[date], lasts: list[date], today: date) -> Days:
    """The reading that is not over yet, the shortest (a range typed backwards is short the
    wrong way round), the right way round, the soonest. Backwards only within a year: nobody
    means "from 1 January to 31 December" as a range that ends the year before."""

    def rank(days: Days) -> tuple[bool, int, bool, date]:
        return (max(days.first, days.last) < today, days.length, days.reversed, days.first)

    readings = [
        Days(first, last)
        for first in firsts
        for last in lasts
        if first <= last or first.year == last.year
    ]
    if not readings:
        raise BadDates("no reading")
    return min(readings, key=rank)


def read_days(text: str, language: str, today: date) -> Days:
    """The days in ``text``: one day or a range, in the chat's language; BadDates otherwise.

    Days without a year (or a month) are the reading nearest to today that has not ended.
    """
    words = _words(language if language in GRAMMAR else "es")
    reader = _Reader(_tokens(text), words, today)
    introduced = reader.peek() in words.starts
    if introduced:
        reader.at += 1
    first = reader.day(bare=True)
    if first is None:
        raise BadDates(text)
    second = None
    if not reader.done() and reader.peek() in words.joins:
        reader.at += 1
        second = reader.day(bare=True)
        if second is None:
            raise BadDates(text)
    if not reader.done():
        raise BadDates(text)
    if second is None:
        if first.known is None and first.month is None and not introduced:
            raise BadDates(text)  # a lone number is no date ("cuerda 30")
        firsts = _candidates(first, None, today)
        return _closest(firsts, firsts, today) if len(firsts) == 1 else _soonest(firsts, today)
    return _closest(_candidates(first, second, today), _candidates(second, first, today), today)


def _soonest(days: list[date], today: date) -> Days:
    coming = sorted(day for day in days if day >= today) or sorted(days)[-1:]
    return Days(coming[0], coming[0])


_DAY_SHAPED = re.compile(r"^\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{1,4})*(?:(?:-|\u2013|\.\.)\S+)?$")


def looks_like_days(word: str) -> bool:
    """Whether a word is shaped like a day (``31/02``, ``21-23``) though it may be none."""
    return bool(_DAY_SHAPED.match(word))


def split_days(words: list[str], language: str, today: date) -> tuple[list[str], Days | None]:
    """The words before the days at the end of ``words``, and those days (None if no suffix
    reads as days). The longest suffix that reads wins: ``tienda del 21 al 23``."""
    for cut in range(len(words)):
        tail = " ".join(words[cut:])
        try:
            days = read_days(tail, language, today)
        except BadDates:
            continue
        return words[:cut], days
    return words, None
