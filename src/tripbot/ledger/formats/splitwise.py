"""Splitwise's CSV export of a group (*Export as spreadsheet*).

Layout, as Splitwise writes it and as Spliit's importer reads it (spliit-app/spliit,
``src/lib/imports/formats/splitwise/``): ``Date,Description,Category,Cost,Currency`` and then one
column per person; each line says by how much it changed each person's balance (what they paid
less their part: positive is owed), blank lines between lines, and a last line whose description
is ``Total balance`` with every person's balance per currency. The headers are in the exporter's
language (``Datum,Beschreibung,Kategorie,Kosten,Währung`` in German). A line of the category
*Payment* is a payment between people.

The file does not say who paid how much of a line shared by several payers, only each one's net
change: a line with one person up is read as paid by them (their own part is the cost less what
they are owed); a line with several up is read as paid by each of them by what they are owed, and
shared by the others, which changes nobody's balance but counts a smaller cost.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from decimal import Decimal

from tripbot.ledger.formats import ForeignBook, ForeignLine, FormatError, day_of, decimal
from tripbot.platform.errors import Message

_ALIASES = {
    "date": {"date", "datum", "fecha", "data"},
    "description": {"description", "beschreibung", "descripcion", "descrizione", "memo"},
    "category": {"category", "kategorie", "categoria", "categorie"},
    "cost": {"cost", "kosten", "coste", "costo", "cout", "betrag", "amount"},
    "currency": {"currency", "wahrung", "moneda", "valuta", "devise"},
}
_PAYMENT = {"payment", "zahlung", "pago", "pagamento", "paiement"}
_TOTAL = {"total balance", "gesamtsaldo", "gesamtbilanz", "saldo total", "solde total"}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _columns(header: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(header[:5]):
        for name, aliases in _ALIASES.items():
            if _plain(cell) in aliases:
                found[name] = index
    return found if len(found) == 5 else None


def is_csv(text: str) -> bool:
    """A CSV whose first five columns are Splitwise's (in any of its languages)."""
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    return _columns(header) is not None and len(header) > 5


def read_csv(text: str) -> ForeignBook:
    """The lines and the total balances of a Splitwise export."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    columns = _columns(header)
    assert columns is not None
    people = tuple(cell.strip() for cell in header[5:])
    lines: list[ForeignLine] = []
    totals: dict[str, dict[str, Decimal]] = {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            number = reader.line_num
            description = row[columns["description"]].strip()
            currency = row[columns["currency"]].strip().upper() or None
            deltas = [decimal(cell or "0", number) for cell in row[5 : 5 + len(people)]]
            if _plain(description) in _TOTAL:
                totals[currency or ""] = dict(zip(people, deltas, strict=False))
                continue
            lines.append(_line(number, row, columns, people, deltas, currency))
    except csv.Error as error:
        raise FormatError(
            Message("line {line}: {reason}"), line=reader.line_num, reason=str(error)
        ) from error
    currencies = {line.currency for line in lines if line.currency}
    currency = currencies.pop() if len(currencies) == 1 else None
    balances = totals.get(currency or "") if len(totals) == 1 or currency else None
    return ForeignBook(
        app="splitwise-csv", people=people, lines=tuple(lines), currency=currency, balances=balances
    )


def _line(  # noqa: PLR0917 - the parts of one row, read once by the loop
    number: int,
    row: list[str],
    columns: dict[str, int],
    people: tuple[str, ...],
    deltas: list[Decimal],
    currency: str | None,
) -> ForeignLine:
    cost = decimal(row[columns["cost"]] or "0", number)
    category = row[columns["category"]].strip()
    up = [(p, d) for p, d in zip(people, deltas, strict=False) if d > 0]
    down = [(p, -d) for p, d in zip(people, deltas, strict=False) if d < 0]
    payment = _plain(category) in _PAYMENT
    skipped = None
    if sum(deltas) != 0:
        skipped = Message("its changes to the balances do not add up to zero")
    elif not up:
        skipped = Message("it changes nobody's balance")
    base = ForeignLine(
        number=number,
        description=row[columns["description"]].strip(),
        day=day_of(row[columns["date"]]),
        kind="transfer" if payment else "expense",
        amount=cost,
        currency=currency,
        paid=(),
        category="" if payment else category,
        skipped=skipped,
    )
    if skipped is not None:
        return base
    moved = sum(d for _, d in up)
    if payment or len(up) > 1 or cost < moved:
        # What moved between people is all the file tells; it is the amount of the entry.
        return _replace(base, amount=moved, paid=tuple(up), shares=tuple(down))
    payer, owed = up[0]
    own = cost - owed
    shares = tuple(down) + (((payer, own),) if own else ())
    return _replace(base, paid=((payer, cost),), shares=shares)


def _replace(line: ForeignLine, **changes: object) -> ForeignLine:
    from dataclasses import replace

    return replace(line, **changes)  # type: ignore[arg-type]
