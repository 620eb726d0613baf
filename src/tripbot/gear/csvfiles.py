"""CSV files of the inventory (TripBot's own columns) and of packing lists (LighterPack's).

Reading checks the whole file before anything is stored: the first bad line is reported by
number and column (a 422), and nothing of that file is kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import ValidationError

from tripbot.gear.schemas import ITEM_DETAILS, ItemCreate, ItemDetails, UnitCreate
from tripbot.platform.errors import InvalidInput, Message

T = TypeVar("T")

INVENTORY_COLUMNS = (*ITEM_DETAILS, "tracking", "quantity", "unit_label", "condition", "notes")
"""The inventory file: one line per quantity item, one line per unit of a unit item; its first
columns are the item's details, named as the API names them."""
OPTIONAL_INVENTORY_COLUMNS = tuple(
    name for name in ITEM_DETAILS if not ItemDetails.model_fields[name].is_required()
)
"""Details with a default may be left out of a file: one written before a detail was added
still reads."""

LIGHTERPACK_COLUMNS = (
    "Item Name",
    "Category",
    "desc",
    "qty",
    "weight",
    "unit",
    "url",
    "price",
    "worn",
    "consumable",
)
"""LighterPack's list export, column for column."""

GRAMS_PER_UNIT: dict[str, Decimal] = {
    "": Decimal(1),
    "g": Decimal(1),
    "gram": Decimal(1),
    "grams": Decimal(1),
    "kg": Decimal(1000),
    "kilogram": Decimal(1000),
    "kilograms": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "ounce": Decimal("28.349523125"),
    "ounces": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
    "pound": Decimal("453.59237"),
    "pounds": Decimal("453.59237"),
}
YES = frozenset({"worn", "consumable", "yes", "y", "true", "1", "x", "sí", "si"})
NO = frozenset({"", "no", "n", "false", "0"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BAD_HEADER = {
    (False, False): Message("line {line}: the columns must be {columns}"),
    (True, False): Message("line {line}: the columns must be {columns}; missing {missing}"),
    (False, True): Message("line {line}: the columns must be {columns}; unknown {unknown}"),
    (True, True): Message(
        "line {line}: the columns must be {columns}; missing {missing}; unknown {unknown}"
    ),
}
"""What a wrong header says, by whether columns are missing and whether some are unknown."""


@dataclass(frozen=True)
class Row:
    """One line of a CSV file: its number in the file and its cells by column."""

    line: int
    cells: dict[str, str]

    def error(self, column: str, message: Message, **values: str | int) -> InvalidInput:
        """The 422 for a bad cell of this line: ``message`` starts with where it is,
        ``line {line}, column {column}: ``, and takes its other placeholders from ``values``."""
        return InvalidInput(message, line=self.line, column=column, **values)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            Message("the file is not UTF-8 text; save it as CSV UTF-8"), line=None
        ) from error


def read_rows(data: bytes, columns: Sequence[str], optional: Collection[str] = ()) -> Iterator[Row]:
    """The lines of a CSV file with exactly ``columns`` (in any order), header checked first;
    a column in ``optional`` may be left out, its cells read as empty."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvalidInput(Message("the file is empty"), line=1) from None
    except csv.Error as error:
        raise InvalidInput(Message("line {line}: {reason}"), line=1, reason=str(error)) from error
    missing = [name for name in columns if name not in header and name not in optional]
    unknown = [name for name in header if name not in columns]
    if missing or unknown or len(header) != len(set(header)):
        said = {"columns": ",".join(columns)}
        if missing:
            said["missing"] = ", ".join(missing)
        if unknown:
            said["unknown"] = ", ".join(repr(u) for u in unknown)
        raise InvalidInput(_BAD_HEADER[bool(missing), bool(unknown)], line=1, column=None, **said)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidInput(
                Message("line {line}: {reason}"),
                line=reader.line_num,
                column=None,
                reason=str(error),
            ) from error
        if not any(value.strip() for value in values):
            continue
        line = reader.line_num
        if len(values) != len(header):
            raise InvalidInput(
                Message("line {line}: {cells} cells where the header has {header_cells}"),
                line=line,
                column=None,
                cells=len(values),
                header_cells=len(header),
            )
        cells = dict.fromkeys(optional, "")
        cells.update((name, _unescape(value)) for name, value in zip(header, values, strict=True))
        yield Row(line, cells)


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A CSV file; a cell a spreadsheet would run as a formula is quoted with an apostrophe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if cell is None else _escape(str(cell)) for cell in row])
    return out.getvalue()


def _escape(cell: str) -> str:
    # A leading '=' (or + - @) makes Excel and LibreOffice evaluate the cell (CSV injection).
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


def whole_number(row: Row, column: str, *, minimum: int, blank: int | None = None) -> int | None:
    """A cell as a whole number at least ``minimum``; ``blank`` if empty."""
    text = row.cells[column].strip()
    if not text:
        return blank
    try:
        value = int(text)
    except ValueError:
        raise row.error(
            column,
            Message("line {line}, column {column}: {cell} is not a whole number"),
            cell=repr(text),
        ) from None
    if value < minimum:
        raise row.error(
            column,
            Message("line {line}, column {column}: {number} is below {minimum}"),
            number=value,
            minimum=minimum,
        )
    return value


def decimal(row: Row, column: str) -> Decimal | None:
    """A cell as a non-negative decimal number, or None if empty."""
    text = row.cells[column].strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise row.error(
            column, Message("line {line}, column {column}: {cell} is not a number"), cell=repr(text)
        ) from None
    if not value.is_finite() or value < 0:
        raise row.error(
            column,
            Message("line {line}, column {column}: {cell} is not a number of zero or more"),
            cell=repr(text),
        )
    return value


def grams(row: Row, weight_column: str, unit_column: str) -> int:
    """A weight and its unit (gram, kilogram, ounce, pound) as whole grams."""
    unit = row.cells[unit_column].strip().lower()
    if unit not in GRAMS_PER_UNIT:
        raise row.error(
            unit_column,
            Message(
                "line {line}, column {column}: {cell} is not a weight unit "
                "(gram, kilogram, ounce, pound)"
            ),
            cell=repr(unit),
        )
    weight = decimal(row, weight_column) or Decimal(0)
    return int((weight * GRAMS_PER_UNIT[unit]).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def flag(row: Row, column: str) -> bool:
    """A yes/no cell: LighterPack writes ``Worn`` and ``Consumable``, or leaves it empty."""
    text = row.cells[column].strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise row.error(
        column,
        Message("line {line}, column {column}: {cell} is neither yes nor empty"),
        cell=repr(row.cells[column]),
    )


def validated(row: Row, schema: Callable[..., T], columns: dict[str, str], **data: Any) -> T:
    """``schema(**data)``, with a pydantic complaint told as this line's bad column."""
    try:
        return schema(**data)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        column, reason = columns.get(field), _reason(first["msg"])
        if column is None:
            raise InvalidInput(
                Message("line {line}: {reason}"), line=row.line, column=None, reason=reason
            ) from None
        raise row.error(
            column, Message("line {line}, column {column}: {reason}"), reason=reason
        ) from None


def _reason(message: str) -> str:
    return message.removeprefix("Value error, ")


@dataclass
class _Draft:
    """An item being read from the inventory file, with the line where it first appears."""

    row: Row
    fields: dict[str, Any]
    units: list[UnitCreate]
    labels: dict[str, int]


UNIT_FIELDS = {"label": "unit_label", "condition": "condition", "notes": "notes"}
ITEM_FIELDS = {name: name for name in (*ITEM_DETAILS, "tracking", "quantity")}


def _required(row: Row, column: str) -> str:
    value = row.cells[column].strip()
    if not value:
        raise row.error(column, Message("line {line}, column {column}: the {column} is missing"))
    return value


def _details(row: Row) -> dict[str, Any]:
    """An item's details from their cells: whole numbers read as such (zero or more, the
    field's default when blank), text stripped; their limits are checked with the item."""
    details: dict[str, Any] = {}
    for name in ITEM_DETAILS:
        field = ItemDetails.model_fields[name]
        if field.annotation is int:
            blank = None if field.is_required() else field.default
            details[name] = whole_number(row, name, minimum=0, blank=blank)
        else:
            details[name] = row.cells[name].strip()
    return details


def _unit_line(row: Row, draft: _Draft) -> None:
    label = row.cells["unit_label"].strip()
    if not label:
        return  # the item itself, with no unit yet
    seen = draft.labels.get(label.casefold())
    if seen is not None:
        raise row.error(
            "unit_label",
            Message("line {line}, column {column}: {cell} is already on line {first_line}"),
            cell=repr(label),
            first_line=seen,
        )
    draft.labels[label.casefold()] = row.line
    draft.units.append(
        validated(
            row,
            UnitCreate,
            UNIT_FIELDS,
            label=label,
            condition=row.cells["condition"].strip().lower() or "good",
            notes=row.cells["notes"],
        )
    )


def read_inventory(data: bytes, event_id: int | None) -> list[tuple[int, ItemCreate]]:
    """The items of an inventory file, each with the line it starts on.

    Lines of one item tracked by units share its name and category, one line per unit.
    """
    drafts: dict[tuple[str, str], _Draft] = {}
    for row in read_rows(data, INVENTORY_COLUMNS, OPTIONAL_INVENTORY_COLUMNS):
        name, category = _required(row, "name"), _required(row, "category")
        tracking = row.cells["tracking"].strip().lower()
        if tracking not in ("units", "quantity"):
            raise row.error(
                "tracking",
                Message("line {line}, column {column}: {cell} is neither units nor quantity"),
                cell=repr(tracking),
            )
        key = (name.casefold(), category.casefold())
        draft = drafts.get(key)
        if draft is not None and (tracking == "quantity" or draft.fields["tracking"] != tracking):
            raise row.error(
                "name",
                Message(
                    "line {line}, column {column}: {name} in {category} is already on line "
                    "{first_line}"
                ),
                name=repr(name),
                category=repr(category),
                first_line=draft.row.line,
            )
        if draft is None:
            quantity = None
            if tracking == "quantity":
                quantity = whole_number(row, "quantity", minimum=1)
                if quantity is None:
                    raise row.error(
                        "quantity", Message("line {line}, column {column}: the quantity is missing")
                    )
            draft = _Draft(
                row,
                {
                    **_details(row),
                    "name": name,
                    "category": category,
                    "tracking": tracking,
                    "quantity": quantity,
                    "event_id": event_id,
                },
                [],
                {},
            )
            drafts[key] = draft
        if tracking == "units":
            if row.cells["quantity"].strip() not in ("", "1"):
                raise row.error(
                    "quantity",
                    Message(
                        "line {line}, column {column}: "
                        "a line of an item tracked by units is one unit"
                    ),
                )
            _unit_line(row, draft)
        elif row.cells["unit_label"].strip():
            raise row.error(
                "unit_label",
                Message(
                    "line {line}, column {column}: an item tracked by quantity has no unit labels"
                ),
            )
    return [
        (
            draft.row.line,
            validated(draft.row, ItemCreate, ITEM_FIELDS, **draft.fields, units=draft.units),
        )
        for draft in drafts.values()
    ]
