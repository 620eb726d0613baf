"""Spliit's group exports, CSV and JSON (spliit-app/spliit,
``src/app/groups/[groupId]/expenses/export/{csv,json}/route.ts``).

The JSON is the group as Spliit stores it: amounts in minor units, each expense paid by one
participant for several, with ``shares`` read by its split mode. Each participant's part is worked
out as Spliit does (``src/lib/shares.ts``: largest remainder, ties rotated by a hash of the
expense's id), so the balances come out as Spliit's to the cent. A reimbursement is a transfer.

The CSV has ``Date,Description,Category,Currency,Cost,Original cost,Original currency,Conversion
rate,Is Reimbursement,Split mode`` and one column per participant: their part of the expense,
positive for the one who paid it and negative for the others. When the payer bears no part, their
column is 0 like that of anyone left out: the payer is then the only one at 0, or the line cannot
be carried over.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from tripbot.ledger.formats import ForeignBook, ForeignLine, FormatError, day_of, decimal
from tripbot.ledger.money import precision
from tripbot.platform.errors import Message

_CSV_HEAD = [
    "Date",
    "Description",
    "Category",
    "Currency",
    "Cost",
    "Original cost",
    "Original currency",
    "Conversion rate",
    "Is Reimbursement",
    "Split mode",
]


def is_json(text: str) -> bool:
    """A JSON object with Spliit's ``participants`` and ``expenses``."""
    if not text.startswith("{"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and {"participants", "expenses"} <= data.keys()


def is_csv(text: str) -> bool:
    """A CSV whose first columns are Spliit's."""
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0].lstrip("\ufeff"))), [])
    return [cell.strip() for cell in header[: len(_CSV_HEAD)]] == _CSV_HEAD


def _fnv1a(text: str) -> int:
    # Spliit hashes the id's UTF-16 code units (JavaScript's charCodeAt).
    value = 0x811C9DC5
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        value ^= units[i] | units[i + 1] << 8
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def _apportion(amount: int, shares: list[int], offset: int) -> list[int]:
    """Spliit's split of ``amount`` minor units by ``shares`` (largest remainder, rotated ties)."""
    count, total = len(shares), sum(shares)
    if count == 0 or total == 0:
        return [0] * count
    parts = [amount * s // total for s in shares]
    remainders = [amount * s - parts[i] * total for i, s in enumerate(shares)]
    order = sorted(range(count), key=lambda i: (-remainders[i], (i - offset + count) % count))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def expense_shares(expense: dict[str, Any]) -> dict[str, int]:
    """Each participant's part of a Spliit expense in minor units, as Spliit works it out."""
    paid_for = sorted(expense.get("paidFor") or [], key=lambda p: str(p["participantId"]))
    mode = expense.get("splitMode", "EVENLY")
    shares = [1 if mode == "EVENLY" else int(p.get("shares", 1)) for p in paid_for]
    ident = str(expense.get("id") or "")
    offset = _fnv1a(ident) % len(paid_for) if ident and paid_for else 0
    parts = _apportion(int(expense["amount"]), shares, offset)
    return {str(p["participantId"]): part for p, part in zip(paid_for, parts, strict=True)}


def read_json(text: str) -> ForeignBook:
    """The expenses of a Spliit JSON export."""
    group: dict[str, Any] = json.loads(text)
    names = {str(p["id"]): str(p["name"]).strip() for p in group["participants"]}
    currency = group.get("currencyCode") or None
    scale = precision(currency) if currency else 2
    lines: list[ForeignLine] = []
    for number, expense in enumerate(group["expenses"], start=1):
        try:
            amount = int(expense["amount"])
            parts = expense_shares(expense)
            payer = names[str(expense["paidById"])]
            shares = tuple((names[i], Decimal(p).scaleb(-scale)) for i, p in parts.items() if p)
        except (KeyError, TypeError, ValueError) as error:
            raise FormatError(
                Message("expense {number} is not as Spliit writes it"), number=number
            ) from error
        total = Decimal(amount).scaleb(-scale)
        category = expense.get("category") or {}
        lines.append(
            ForeignLine(
                number=number,
                description=str(expense.get("title") or "").strip(),
                day=day_of(expense.get("expenseDate")),
                kind="transfer" if expense.get("isReimbursement") else "expense",
                amount=total,
                currency=currency,
                paid=((payer, total),),
                shares=shares,
                category="" if category.get("name") == "General" else str(category.get("name", "")),
                skipped=None if shares else Message("nobody shares this expense"),
            )
        )
    return ForeignBook(
        app="spliit-json", people=tuple(names.values()), lines=tuple(lines), currency=currency
    )


def read_csv(text: str) -> ForeignBook:
    """The expenses of a Spliit CSV export, and each one's balance as its columns add up."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader)]
    people = tuple(header[len(_CSV_HEAD) :])
    lines: list[ForeignLine] = []
    sums = dict.fromkeys(people, Decimal(0))
    currencies: set[str] = set()
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = _csv_line(reader.line_num, row, people)
            lines.append(line)
            if line.currency:
                currencies.add(line.currency)
            if line.skipped is None:
                for name, paid in line.paid:
                    sums[name] += paid
                for name, part in line.shares:
                    sums[name] -= part
    except csv.Error as error:
        raise FormatError(
            Message("line {line}: {reason}"), line=reader.line_num, reason=str(error)
        ) from error
    return ForeignBook(
        app="spliit-csv",
        people=people,
        lines=tuple(lines),
        currency=currencies.pop() if len(currencies) == 1 else None,
        balances=sums,
    )


def _csv_line(number: int, row: list[str], people: tuple[str, ...]) -> ForeignLine:
    where = number
    cells = dict(zip(_CSV_HEAD, row, strict=False))
    cost = decimal(cells.get("Cost") or "0", where)
    columns = [
        decimal(cell or "0", where) for cell in row[len(_CSV_HEAD) : len(_CSV_HEAD) + len(people)]
    ]
    values = dict(zip(people, columns, strict=False))
    up = [p for p, v in values.items() if v > 0]
    shares = tuple((p, -v) for p, v in values.items() if v < 0)
    owed = sum(v for _, v in shares)
    payer: str | None = None
    if len(up) == 1:
        payer = up[0]
        shares = (*shares, (payer, values[payer]))
    elif not up:
        zero = [p for p, v in values.items() if v == 0]
        payer = zero[0] if len(zero) == 1 and owed == cost else None
    currency = (cells.get("Currency") or "").strip()
    skipped = None
    if payer is None:
        skipped = Message("the file does not say who paid it")
    elif sum(v for _, v in shares) != cost:
        skipped = Message("its parts do not add up to its cost")
    return ForeignLine(
        number=number,
        description=_unescape((cells.get("Description") or "").strip()),
        day=day_of(cells.get("Date")),
        kind="transfer" if (cells.get("Is Reimbursement") or "").strip() == "Yes" else "expense",
        amount=cost,
        currency=currency.upper() if len(currency) == 3 and currency.isalpha() else None,
        paid=((payer, cost),) if payer else (),
        shares=tuple((p, v) for p, v in shares if v),
        category=_unescape((cells.get("Category") or "").strip()),
        skipped=skipped,
    )


def _unescape(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in "=+-@\t\r" else text
