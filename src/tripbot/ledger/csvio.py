"""Entries as CSV, the way a spreadsheet writes them: export, and import with a problem per line.

People are written by name (``#12`` when a name is ambiguous), several of them as
``Ana=10.00; Bruno=13.50``; the treasury is ``treasury``. A file saved by a Spanish spreadsheet
(a byte order mark, ``;`` separators, ``23,50`` or ``1.234,50`` amounts, ``01/05/2027`` dates,
Spanish kind names) reads as well, and an export can be written that way (``spreadsheet_dialect``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol
from pydantic import ValidationError

from tripbot.ledger.money import format_minor
from tripbot.ledger.rules import Plan, Share
from tripbot.ledger.schemas import KINDS, TREASURY, EntryCreate, FieldProblem
from tripbot.ledger.words import described
from tripbot.platform.errors import Message

COLUMNS = (
    "date",
    "kind",
    "description",
    "counterparty",
    "category",
    "amount",
    "currency",
    "rate",
    "in_kind",
    "paid_by",
    "received_by",
    "split_method",
    "split",
)
"""What an imported line may say (``description`` and ``amount`` are required)."""
EXPORT_ONLY = ("entry_id", "revision", "book_amount", "book_currency")
"""Columns an export adds, ignored by the import so that an export reads back."""
MAX_LINES = 10_000

_KIND_NAMES: dict[str, str] = {
    **{kind: kind for kind in KINDS},
    "compra": "purchase",
    "venta": "sale",
    "inversion": "investment",
    "donacion": "donation",
    "patrocinio": "sponsorship",
    "gasto": "expense",
    "transferencia": "transfer",
}
_SPLIT_NAMES = {
    "equal": "equal",
    "shares": "shares",
    "exact": "exact",
    "percent": "percent",
    "igual": "equal",
    "partes": "shares",
    "exacto": "exact",
    "porcentaje": "percent",
}
_TRUE = {"1", "true", "yes", "y", "si", "x"}
_FALSE = {"", "0", "false", "no", "n"}
_TREASURY_NAMES = {TREASURY, "tesoreria"}
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_USER_REF = re.compile(r"#(\d{1,10})")
_FORMULA_START = frozenset("=+-@\t\r")


@cache
def _plain(text: str) -> str:
    """Lower case without accents, to match what people type in a spreadsheet."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def party_label(party: int | None, names: Mapping[int, str]) -> str:
    """How a party is written in a cell: its name, or ``#id`` when the name would not read back."""
    if party is None:
        return TREASURY
    name = names.get(party, "")
    clashes = sum(1 for other in names.values() if _plain(other) == _plain(name))
    if (
        not name
        or clashes > 1
        or any(ch in name for ch in ";=#")
        or _plain(name) in _TREASURY_NAMES
    ):
        return f"#{party}"
    return name


@dataclass(frozen=True)
class ParsedLine:
    """One data line of a CSV: the entry it asks for, or what is wrong with it."""

    line: int
    description: str
    entry: EntryCreate | None
    problems: list[FieldProblem]


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header, size): a ``Message`` and the values
    of its placeholders, so the refusal that reports it can be translated."""

    def __init__(self, message: Message, **values: str | int) -> None:
        self.message = message
        self.values = values
        super().__init__(message.format_map(values))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _amount_text(text: str) -> str:
    """An amount as the API reads it, written either way: ``1234.50``, ``1234,50``,
    ``1.234,50`` or ``1,234.50`` (the last mark is the decimal one when both appear)."""
    text = text.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        return text.replace(thousands, "").replace(decimal, ".")
    if "," in text and text.count(",") == 1:
        return text.replace(",", ".")
    return text


def _date_text(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    found = _DAY_FIRST.fullmatch(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


class _People:
    """Resolves the names written in cells to user ids."""

    def __init__(self, names: Mapping[int, str]) -> None:
        self._ids = set(names)
        self._by_name: dict[str, list[int]] = {}
        for user_id, name in names.items():
            self._by_name.setdefault(_plain(name), []).append(user_id)

    def resolve(self, token: str) -> int | str:
        """The user id (or "treasury") a cell names; ValueError if it names nobody or several."""
        plain = _plain(token)
        if plain in _TREASURY_NAMES:
            return TREASURY
        found = _USER_REF.fullmatch(token.strip())
        if found:
            return int(found.group(1))
        ids = self._by_name.get(plain, [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise ValueError(
                Message("{name} names several members; write #id instead").filled(
                    name=repr(token.strip())
                )
            )
        raise ValueError(
            Message("{name} is not a member of this event").filled(name=repr(token.strip()))
        )


def _pairs(cell: str) -> Iterator[tuple[str, str | None]]:
    for chunk in cell.split(";"):
        if not chunk.strip():
            continue
        name, sep, value = chunk.partition("=")
        yield name, (_amount_text(value) if sep else None)


def _parties(cell: str, people: _People, value_name: str) -> list[dict[str, Any]] | None:
    if not cell.strip():
        return None
    return [
        {"party": people.resolve(name), **({value_name: value} if value is not None else {})}
        for name, value in _pairs(cell)
    ]


def _split(method: str, cell: str, people: _People) -> dict[str, Any] | None:
    if not cell.strip() and not method.strip():
        return None
    chosen = _SPLIT_NAMES.get(_plain(method) or "equal")
    if chosen is None:
        raise ValueError(
            Message("split_method {method} is not equal, shares, exact or percent").filled(
                method=repr(method.strip())
            )
        )
    among = []
    for name, value in _pairs(cell):
        user = people.resolve(name)
        if user == TREASURY:
            raise ValueError(Message("the treasury does not share costs; name members"))
        among.append({"user_id": user, **({"value": value} if value is not None else {})})
    return {"method": chosen, "among": among}


def _flag(text: str) -> bool:
    plain = _plain(text)
    if plain in _TRUE:
        return True
    if plain in _FALSE:
        return False
    raise ValueError(Message("{text} is not yes or no").filled(text=repr(text.strip())))


def _body(row: Mapping[str, str], people: _People) -> tuple[dict[str, Any], list[FieldProblem]]:
    body: dict[str, Any] = {}
    problems: list[FieldProblem] = []

    def cell(name: str) -> str:
        return unescape_cell((row.get(name) or "").strip())

    simple = {
        "description": cell("description"),
        "counterparty": cell("counterparty"),
        "category": cell("category"),
        "amount": _amount_text(cell("amount")),
    }
    body.update({k: v for k, v in simple.items() if v or k in ("description", "amount")})
    readers: dict[str, Any] = {
        "kind": lambda: _KIND_NAMES.get(_plain(cell("kind")), cell("kind")) or None,
        "date": lambda: _date_text(cell("date")),
        "currency": lambda: cell("currency") or None,
        "rate": lambda: _amount_text(cell("rate")) or None,
        "in_kind": lambda: _flag(cell("in_kind")) or None,
        "paid_by": lambda: _parties(cell("paid_by"), people, "amount"),
        "received_by": lambda: _parties(cell("received_by"), people, "amount"),
        "split": lambda: _split(cell("split_method"), cell("split"), people),
    }
    for name, read in readers.items():
        try:
            value = read()
        except ValueError as error:
            problems.append(FieldProblem.of(name, _message_of(error)))
            continue
        if value is not None:
            body[name] = value
    return body, problems


def _message_of(error: ValueError) -> str:
    """What a reader's refusal says (a message when it has one, to be said in any language)."""
    said = error.args[0] if error.args else str(error)
    return said if isinstance(said, Message) else str(said)


def _schema_problems(error: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem.of_schema(".".join(str(part) for part in detail["loc"]) or "line", detail)
        for detail in error.errors()
    ]


def _reader(text: str) -> csv.DictReader[str]:
    # The header names the columns with no separator inside them, so the separator is the one
    # it uses most: commas (programs), semicolons (a Spanish spreadsheet) or tabs.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(name or "").strip().casefold() for name in reader.fieldnames or []]
    if "description" not in header or "amount" not in header:
        raise CsvError(
            Message(
                "the first line must name the columns, with at least description and amount; "
                "the columns are {columns}"
            ),
            columns=", ".join(COLUMNS),
        )
    unknown = [name for name in header if name not in COLUMNS and name not in EXPORT_ONLY]
    if unknown:
        raise CsvError(
            Message("unknown column {column}; the columns are {columns}"),
            column=repr(unknown[0]),
            columns=", ".join(COLUMNS),
        )
    reader.fieldnames = header
    return reader


def parse(raw: bytes, names: Mapping[int, str]) -> list[ParsedLine]:
    """Every data line of a CSV file as an entry to create or the problems it has."""
    reader = _reader(_decode(raw))
    people = _People(names)
    lines: list[ParsedLine] = []
    try:
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            if len(lines) >= MAX_LINES:
                raise CsvError(
                    Message("a file may have at most {limit} lines; split it"), limit=MAX_LINES
                )
            number = reader.line_num
            if None in row:
                problem = FieldProblem.of("line", Message("has more cells than the header"))
                lines.append(ParsedLine(number, row.get("description") or "", None, [problem]))
                continue
            body, problems = _body(row, people)
            entry = None
            try:
                entry = EntryCreate.model_validate(body)
            except ValidationError as error:
                problems += _schema_problems(error)
            lines.append(
                ParsedLine(
                    number, body.get("description", ""), None if problems else entry, problems
                )
            )
    except csv.Error as error:
        raise CsvError(
            Message("line {line}: {reason}"), line=reader.line_num, reason=str(error)
        ) from error
    if not lines:
        raise CsvError(Message("the file has no entries below its header line"))
    return lines


@dataclass(frozen=True)
class Dialect:
    """How an export is written: the cell separator, the decimal mark, a byte order mark."""

    delimiter: str = ","
    decimal: str = "."
    bom: bool = False


PLAIN = Dialect()
"""The form programs read: commas, decimal points, no byte order mark."""


def spreadsheet_dialect(language: str | None) -> Dialect:
    """The form a spreadsheet in a language opens as columns: a byte order mark so it reads
    UTF-8 (accents), and where the decimal mark is a comma (Spanish) ``;`` between cells."""
    decimal = get_decimal_symbol(language or "en")
    return Dialect(delimiter=";" if decimal == "," else ",", decimal=decimal, bom=True)


_NUMERIC = ("amount", "rate", "book_amount")


def _localised(row: Mapping[str, str], dialect: Dialect) -> dict[str, str]:
    if dialect.decimal == ".":
        return dict(row)
    out = dict(row)
    for name in _NUMERIC:
        out[name] = out.get(name, "").replace(".", dialect.decimal)
    # Amounts inside people's cells ("Ana=10.00; Bruno=13.50") take the same decimal mark.
    for name in ("paid_by", "received_by", "split"):
        out[name] = re.sub(
            r"=(-?\d+)\.(\d+)", lambda m: f"={m[1]}{dialect.decimal}{m[2]}", out.get(name, "")
        )
    return out


def write(rows: Sequence[Mapping[str, str]], dialect: Dialect = PLAIN) -> str:
    """Rows (export columns and values) as CSV text with a header line, in a dialect."""
    out = io.StringIO()
    if dialect.bom:
        out.write("\ufeff")
    writer = csv.DictWriter(
        out,
        fieldnames=[*EXPORT_ONLY[:2], *COLUMNS, *EXPORT_ONLY[2:]],
        delimiter=dialect.delimiter,
    )
    writer.writeheader()
    writer.writerows(_localised(row, dialect) for row in rows)
    return out.getvalue()


def safe_cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): a leading ``=``, ``+``,
    ``-``, ``@`` or control character is escaped with a quote, which the import removes."""
    return f"'{text}" if text[:1] in _FORMULA_START else text


def unescape_cell(text: str) -> str:
    """The text :func:`safe_cell` escaped."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START else text


def row(
    entry_id: int, revision: int, plan: Plan, names: Mapping[int, str], book_currency: str
) -> dict[str, str]:
    """An entry as an export line; text a spreadsheet could run as a formula is escaped."""

    def people(shares: Sequence[Share], *, values: bool = False) -> str:
        cells = []
        for share in shares:
            label = party_label(share.party, names)
            if values:
                cells.append(label if share.value is None else f"{label}={share.value}")
            elif len(shares) == 1:
                cells.append(label)
            else:
                cells.append(f"{label}={format_minor(share.amount, plan.currency)}")
        return safe_cell("; ".join(cells))

    return {
        "entry_id": str(entry_id),
        "revision": str(revision),
        "date": plan.date.isoformat(),
        "kind": plan.kind,
        # What the ledger wrote itself (a settle-up) in the export's language, so it reads back.
        "description": safe_cell(described(plan.description, plan.code)),
        "counterparty": safe_cell(plan.counterparty),
        "category": safe_cell(plan.category),
        "amount": format_minor(plan.amount, plan.currency),
        "currency": plan.currency,
        "rate": plan.rate or "",
        "in_kind": "yes" if plan.in_kind else "",
        "paid_by": people(plan.paid),
        "received_by": people(plan.received),
        "split_method": plan.split_method or "",
        "split": people(plan.shares, values=True),
        "book_amount": format_minor(plan.book_amount, book_currency),
        "book_currency": book_currency,
    }
