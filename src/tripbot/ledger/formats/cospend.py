"""Cospend's CSV export of a project (julien-nc/cospend-nc, ``lib/Service/CospendService.php``,
``getJsonProject``, the writer behind *Export project*).

Sections separated by a blank line, each with its own header: the members
(``name,weight,active,color``), the bills (``what,amount,date,timestamp,payer_name,payer_weight,
payer_active,owers,repeat,…,categoryid,paymentmode,paymentmodeid,comment,deleted``), then
categories, payment modes and currencies when the project has them. A bill is shared among its
owers (names joined by ``,``) by their weights; a bill in the trash (``deleted`` 1) counts for
nothing; one of the category *Reimbursement* (id -11) is a transfer.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from tripbot.ledger.formats import ForeignBook, ForeignLine, FormatError, day_of, decimal, people_in
from tripbot.platform.errors import Message

_MEMBERS = {"name", "weight", "active", "color"}
_BILLS = {"what", "amount", "payer_name", "payer_weight", "owers"}
REIMBURSEMENT = -11
"""Cospend's own category of reimbursements."""


def is_csv(text: str) -> bool:
    """A CSV that starts with Cospend's members section (or its bills, with ``timestamp``)."""
    header = {cell.strip() for cell in next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])}
    return header >= _MEMBERS or (_BILLS | {"timestamp", "payer_active"}) <= header


def read_csv(text: str) -> ForeignBook:
    """The members, weights and bills of a Cospend export."""
    reader = csv.reader(io.StringIO(text, newline=""))
    section: dict[str, int] = {}
    kind = ""
    weights: dict[str, Decimal] = {}
    lines: list[ForeignLine] = []
    currency: str | None = None
    new_section = True
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                new_section = True
                continue
            if new_section:
                section = {cell.strip(): i for i, cell in enumerate(row) if cell.strip()}
                kind = _section(section.keys())
                new_section = False
                continue
            cell = {name: (row[i] if i < len(row) else "") for name, i in section.items()}
            where = reader.line_num
            if kind == "members":
                # Cospend shares a bill by weight 1 for a member of weight 0.
                weight = decimal(cell["weight"], where)
                weights[cell["name"].strip()] = weight or Decimal(1)
            elif kind == "bills":
                lines.append(_bill(reader.line_num, cell, weights))
            elif kind == "currencies" and decimal(cell["exchange_rate"], where) == 1:
                written = cell["currencyname"].strip().upper()
                currency = written if len(written) == 3 and written.isalpha() else None
    except csv.Error as error:
        raise FormatError(
            Message("line {line}: {reason}"), line=reader.line_num, reason=str(error)
        ) from error
    people = people_in(lines, tuple(weights))
    return ForeignBook(
        app="cospend-csv",
        people=people,
        lines=tuple(lines),
        currency=currency,
        weights=weights,
        unknown_weights=tuple(p for p in people if p not in weights),
    )


def _section(columns: object) -> str:
    names = set(columns)  # type: ignore[call-overload]
    if names >= _BILLS:
        return "bills"
    if names >= _MEMBERS:
        return "members"
    if {"currencyname", "exchange_rate"} <= names:
        return "currencies"
    return "other"


def _bill(number: int, cell: dict[str, str], weights: dict[str, Decimal]) -> ForeignLine:
    where = number
    payer = cell["payer_name"].strip()
    weights.setdefault(payer, decimal(cell["payer_weight"] or "1", where))
    amount = decimal(cell["amount"], where)
    owers = tuple(o.strip() for o in cell["owers"].split(",") if o.strip())
    category = cell.get("categoryid", "").strip()
    skipped = None
    if cell.get("deleted", "").strip() not in ("", "0"):
        skipped = Message("it is in Cospend's trash")
    elif not owers:
        skipped = Message("nobody shares this bill")
    elif cell["what"] == "deleteMeIfYouWant":
        skipped = Message("it is a placeholder line")
    return ForeignLine(
        number=number,
        description=cell["what"].strip(),
        day=day_of(cell.get("date")),
        kind="transfer" if category == str(REIMBURSEMENT) else "expense",
        amount=amount,
        currency=None,
        paid=((payer, amount),),
        owers=owers,
        skipped=skipped,
    )
