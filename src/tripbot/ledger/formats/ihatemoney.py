"""ihatemoney's bill exports (``/<project>/export/bills.json`` and ``bills.csv``, 7.x), and the JSON
its own import reads, written from a TripBot ledger.

Each bill has one payer and its owers; a person's weight travels only as ``payer_weight`` on the
bills they paid, so, as ihatemoney's own importer (``utils.get_members``) does, a weight is read
from there and an ower who never paid has no known weight (ihatemoney then takes 1). Bills of type
``Reimbursement`` are transfers from the payer to the owers. The CSV writes the owers as one cell,
``"Ana, Bruno"``, and escapes a text cell that a spreadsheet would run (``'=…``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from tripbot.ledger.formats import (
    ForeignBook,
    ForeignLine,
    FormatError,
    day_of,
    decimal,
    first_line,
    people_in,
)
from tripbot.platform.errors import Message

_NEEDED = {"what", "amount", "date", "payer_name", "payer_weight", "owers"}
_NO_CURRENCY = {"", "XXX"}
_FORMULA = frozenset("=+-@\t\n")


def is_json(text: str) -> bool:
    """A JSON list of bills with ihatemoney's fields."""
    if not text.startswith("["):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, list) and all(
        isinstance(bill, dict) and bill.keys() >= _NEEDED for bill in data
    )


def is_csv(text: str) -> bool:
    """A CSV whose header names ihatemoney's bill columns."""
    header = {cell.strip() for cell in first_line(text).split(",")}
    return header >= _NEEDED


def _unescape(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA else text


def read_json(text: str) -> ForeignBook:
    """The bills of an ihatemoney JSON export."""
    bills: list[dict[str, Any]] = json.loads(text)
    return _book("ihatemoney-json", [(n, b, b["owers"]) for n, b in enumerate(bills, start=1)])


def read_csv(text: str) -> ForeignBook:
    """The bills of an ihatemoney CSV export."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            owers = [_unescape(o.strip()) for o in (row.get("owers") or "").split(",")]
            rows.append((reader.line_num, row, [o for o in owers if o]))
    except csv.Error as error:
        raise FormatError(
            Message("line {line}: {reason}"), line=reader.line_num, reason=str(error)
        ) from error
    return _book("ihatemoney-csv", rows)


def _book(app: str, rows: Sequence[tuple[int, Mapping[str, Any], Sequence[Any]]]) -> ForeignBook:
    lines: list[ForeignLine] = []
    weights: dict[str, Decimal] = {}
    currencies: set[str] = set()
    for number, bill, owers in rows:
        where = number
        payer = _unescape(str(bill.get("payer_name") or "").strip())
        weights.setdefault(payer, decimal(bill.get("payer_weight"), where))
        currency = str(bill.get("currency") or "").strip().upper()
        if currency not in _NO_CURRENCY:
            currencies.add(currency)
        amount = decimal(bill.get("amount"), where)
        names = tuple(_unescape(str(o).strip()) for o in owers if str(o).strip())
        kind: Literal["expense", "transfer"] = (
            "transfer" if str(bill.get("bill_type", "")) == "Reimbursement" else "expense"
        )
        lines.append(
            ForeignLine(
                number=number,
                description=_unescape(str(bill.get("what") or "").strip()),
                day=day_of(bill.get("date")),
                kind=kind,
                amount=amount,
                currency=None if currency in _NO_CURRENCY else currency,
                paid=((payer, amount),),
                owers=names,
                skipped=Message("nobody shares this bill") if not names else None,
            )
        )
    people = people_in(lines)
    return ForeignBook(
        app=app,
        people=people,
        lines=tuple(lines),
        currency=currencies.pop() if len(currencies) == 1 else None,
        weights=weights,
        unknown_weights=tuple(p for p in people if p not in weights),
    )


def bill(
    what: str, kind: str, amount: str, *, currency: str, day: str, payer: str, owers: Sequence[str]
) -> dict[str, Any]:
    """One bill as ihatemoney's import reads it (every one paid by someone of weight 1: the
    shares are carried by the bills themselves, see ``service/switching.export_ihatemoney``)."""
    return {
        "what": what,
        "bill_type": "Reimbursement" if kind == "transfer" else "Expense",
        # ihatemoney's files carry amounts as JSON numbers; a two-decimal amount reads back exact.
        "amount": float(amount),
        "currency": currency,
        "date": day,
        "payer_name": payer,
        "payer_weight": 1.0,
        "owers": list(owers),
    }


def write_json(bills: Sequence[Mapping[str, Any]]) -> bytes:
    """Bills as the JSON file ihatemoney's *Import previously exported project* takes."""
    return json.dumps(list(bills), ensure_ascii=False, indent=1).encode()
