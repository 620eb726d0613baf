"""Other apps' exports, read as they are written: what the file says, before TripBot's rules.

A reader turns a file into a :class:`ForeignBook`: the people it names (by the names it writes),
the lines it carries (who paid, who received, who bears what) and, where the file has them, the
app's own balances. :func:`recognise` tells the format from the content alone, never from the
file's name. Nothing here knows TripBot's members: matching names and checking entries against
the ledger's rules is the import's work (``service/switching.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from tripbot.platform.errors import Message

MAX_LINES = 20_000
"""The most lines one file may carry (an export of several years of a busy group)."""


class FormatError(ValueError):
    """The file as a whole cannot be read as any known format: a ``Message`` and the values of its
    placeholders, so the refusal that reports it can be translated."""

    def __init__(self, message: Message, **values: str | int) -> None:
        self.message = message
        self.values = values
        super().__init__(message.format_map(values))


@dataclass(frozen=True)
class ForeignLine:
    """One line of another app's export, as that app means it.

    ``paid`` and ``shares`` are exact amounts per name; a line shared by weight (ihatemoney,
    Cospend) names its ``owers`` instead and the import works the amounts out from the weights.
    For a transfer, ``shares`` (or the owers) are who received it.
    """

    number: int
    description: str
    day: dt.date | None
    kind: Literal["expense", "transfer"]
    amount: Decimal
    currency: str | None
    paid: tuple[tuple[str, Decimal], ...]
    shares: tuple[tuple[str, Decimal], ...] = ()
    owers: tuple[str, ...] = ()
    category: str = ""
    skipped: Message | None = None
    """Why the line cannot be carried over (it is shown, never stored)."""


@dataclass(frozen=True)
class ForeignBook:
    """Everything a file carries."""

    app: str
    """Which format it is (``ihatemoney-json``, ``splitwise-csv``…)."""
    people: tuple[str, ...]
    lines: tuple[ForeignLine, ...]
    currency: str | None = None
    weights: Mapping[str, Decimal] = field(default_factory=dict)
    """Each person's weight where the file says it (apps that share by weight)."""
    unknown_weights: tuple[str, ...] = ()
    """People who share by weight but whose weight the file does not say."""
    balances: Mapping[str, Decimal] | None = None
    """The app's own balance of each person, where the file has it (positive: is owed)."""


FORMATS: dict[str, str] = {
    "ihatemoney-csv": "ihatemoney (CSV)",
    "ihatemoney-json": "ihatemoney (JSON)",
    "splitwise-csv": "Splitwise (CSV)",
    "spliit-csv": "Spliit (CSV)",
    "spliit-json": "Spliit (JSON)",
    "cospend-csv": "Cospend (CSV)",
}
"""The formats the import reads, by id, with the name a person knows them by."""


def decimal(text: object, line: int) -> Decimal:
    """A number as the app wrote it (text, or a JSON number read as its text), exactly; ``line``
    is where, for the refusal."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise FormatError(
            Message("line {line}: {text} is not a number"), line=line, text=repr(str(text)[:40])
        )
    return value


def day_of(text: object) -> dt.date | None:
    """The date an app wrote (``2027-05-01``, or the start of an ISO timestamp); None if none."""
    written = str(text or "").strip()[:10]
    try:
        return dt.date.fromisoformat(written)
    except ValueError:
        return None


def people_in(lines: Sequence[ForeignLine], first: Sequence[str] = ()) -> tuple[str, ...]:
    """Every name the lines write, in order of appearance (those of ``first`` first)."""
    seen: dict[str, None] = dict.fromkeys(first)
    for line in lines:
        for name, _ in (*line.paid, *line.shares):
            seen.setdefault(name)
        for name in line.owers:
            seen.setdefault(name)
    return tuple(seen)


def known_formats() -> str:
    """The formats the import reads, for a refusal: ``ihatemoney (CSV), …``."""
    return ", ".join(FORMATS.values())


def recognise(raw: bytes) -> ForeignBook:
    """Read a file as the app that wrote it; FormatError if it is none of the known formats."""
    from tripbot.ledger.formats import cospend, ihatemoney, spliit, splitwise

    text = _decode(raw)
    stripped = text.lstrip()
    readers: list[tuple[Callable[[str], bool], Callable[[str], ForeignBook]]] = [
        (ihatemoney.is_json, ihatemoney.read_json),
        (spliit.is_json, spliit.read_json),
        (cospend.is_csv, cospend.read_csv),
        (ihatemoney.is_csv, ihatemoney.read_csv),
        # Spliit's CSV starts with the same five names as Splitwise's, in another order.
        (spliit.is_csv, spliit.read_csv),
        (splitwise.is_csv, splitwise.read_csv),
    ]
    for matches, read in readers:
        if matches(stripped):
            book = read(stripped)
            if len(book.lines) > MAX_LINES:
                raise FormatError(
                    Message("a file may have at most {limit} lines; split it"), limit=MAX_LINES
                )
            return book
    raise FormatError(
        Message("this file is not an export TripBot knows; it reads {formats}"),
        formats=known_formats(),
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def first_line(text: str) -> str:
    """The header line of a CSV text."""
    return text.split("\n", 1)[0].strip().lstrip("\ufeff")
