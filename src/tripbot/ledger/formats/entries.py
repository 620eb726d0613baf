"""A foreign book's lines as TripBot entries: names turned into members, weights into exact
shares, with no database (the import checks each entry against the ledger's rules after).

Apps that share by weight (ihatemoney, Cospend) keep each part unrounded and round only the
balance they show; rounding each line's parts on its own would let a person's total drift by a
cent every few lines. So each part of a weighted line is what brings its person's running total
to the unrounded one rounded to the cent; where the parts must then move a cent to add up to the
line's amount, it goes to someone who has lines still to come, and is made good there. Every
total ends equal to the app's rounded balance unless the app's own rounded balances do not add
up (then someone must differ by a cent), and the parts of every line add up to its amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tripbot.ledger.formats import ForeignBook, ForeignLine
from tripbot.ledger.money import MoneyError, format_minor, to_minor
from tripbot.ledger.schemas import EntryCreate
from tripbot.platform.errors import Message

DESCRIPTION_LIMIT = 200
CATEGORY_LIMIT = 60


@dataclass(frozen=True)
class Carried:
    """A line and what it becomes: the entry's body, or why it cannot be carried over."""

    line: ForeignLine
    currency: str
    paid: tuple[tuple[str, int], ...]
    shares: tuple[tuple[str, int], ...]
    problem: Message | None


def _minor(amount: Decimal, currency: str) -> int:
    return to_minor(amount, currency)


class _Carry:
    """Running totals of weighted parts, unrounded and as given, per person."""

    def __init__(self) -> None:
        self.exact: dict[str, Fraction] = defaultdict(Fraction)
        self.given: dict[str, int] = defaultdict(int)

    def parts(
        self,
        amount: int,
        owers: Sequence[str],
        weights: Mapping[str, Decimal],
        final: Set[str] = frozenset(),
    ) -> list[int]:
        """The parts of ``amount`` minor units among ``owers`` by weight: each one's running
        total rounded to the nearest cent, and where the parts must then move a cent to add up,
        the cent goes first to someone with lines still to come (``final``: those for whom this
        is the last), who will be brought back to the nearest cent then."""
        total = sum(Fraction(weights[o]) for o in owers)
        wanted: list[Fraction] = []
        for ower in owers:
            self.exact[ower] += amount * Fraction(weights[ower]) / total
            wanted.append(self.exact[ower] - self.given[ower])
        parts = [round(w) for w in wanted]
        left = amount - sum(parts)
        step = 1 if left > 0 else -1

        def cost(i: int) -> tuple[bool, Fraction, int]:
            return (owers[i] in final, abs(parts[i] + step - wanted[i]), i)

        while left:
            index = min(range(len(owers)), key=cost)
            parts[index] += step
            left -= step
        for ower, part in zip(owers, parts, strict=True):
            self.given[ower] += part
        return parts


def _settle_cents(carry: _Carry, lines: Sequence[tuple[Sequence[str], list[int]]]) -> None:
    """Move the cents that keep someone's total off the app's rounded one to someone off the other
    way, inside a line they share (its amount unchanged), while such pairs are left."""
    off = {p: carry.given[p] - round(carry.exact[p]) for p in carry.given}
    over = [p for p, d in off.items() if d > 0]
    under = [p for p, d in off.items() if d < 0]
    for owers, parts in reversed(lines):
        if not over or not under:
            return
        for giver in [p for p in over if p in owers]:
            taker = next((p for p in under if p in owers), None)
            i, j = owers.index(giver), owers.index(taker) if taker else -1
            if taker is None or parts[i] == 0:
                continue
            parts[i] -= 1
            parts[j] += 1
            carry.given[giver] -= 1
            carry.given[taker] += 1
            for person, store in ((giver, over), (taker, under)):
                off[person] = carry.given[person] - round(carry.exact[person])
                if off[person] == 0:
                    store.remove(person)


def carry(
    book: ForeignBook, weights: Mapping[str, Decimal], fallback_currency: str
) -> list[Carried]:
    """Every line in minor units of its currency: who paid and whose part is how much."""
    carries: dict[str, _Carry] = defaultdict(_Carry)
    weighted: dict[str, list[tuple[Sequence[str], list[int]]]] = defaultdict(list)
    last: dict[str, int] = {}
    for index, line in enumerate(book.lines):
        if line.skipped is None:
            for ower in line.owers:
                last[ower] = index
    worked: list[tuple[ForeignLine, str, tuple[tuple[str, int], ...], Any, Message | None]] = []
    for index, line in enumerate(book.lines):
        currency = line.currency or book.currency or fallback_currency
        if line.skipped is not None:
            worked.append((line, currency, (), (), line.skipped))
            continue
        try:
            amount = _minor(line.amount, currency)
            paid = tuple((n, _minor(a, currency)) for n, a in line.paid)
            shares: Any = tuple((n, _minor(a, currency)) for n, a in line.shares)
            if line.owers:
                final = {o for o in line.owers if last.get(o) == index}
                shares = (line.owers, carries[currency].parts(amount, line.owers, weights, final))
                weighted[currency].append(shares)
        except MoneyError as error:
            worked.append((line, currency, (), (), error.message))
            continue
        worked.append(
            (line, currency, paid, shares, Message("its amount is zero") if amount == 0 else None)
        )
    for currency, lines in weighted.items():
        _settle_cents(carries[currency], lines)
    out: list[Carried] = []
    for line, currency, paid, worked_shares, worked_problem in worked:
        shares_out = worked_shares
        if line.owers and worked_shares:
            owers, parts = worked_shares
            shares_out = tuple((n, p) for n, p in zip(owers, parts, strict=True) if p)
        problem = worked_problem
        if problem is None and not shares_out:
            problem = Message("nobody shares this bill")
        out.append(Carried(line, currency, paid, tuple(shares_out), problem))
    return out


def entry(carried: Carried, ids: Mapping[str, int], label: str) -> EntryCreate:
    """The entry a carried line asks for, its people as member ids."""
    line = carried.line
    amount = sum(a for _, a in carried.paid)
    body: dict[str, Any] = {
        "kind": line.kind,
        "description": (line.description or label)[:DESCRIPTION_LIMIT],
        "amount": format_minor(amount, carried.currency),
        "currency": carried.currency,
        "date": line.day,
        "category": line.category[:CATEGORY_LIMIT] if line.kind == "expense" else "",
        "paid_by": _parties(carried.paid, ids, carried.currency),
    }
    if line.kind == "transfer":
        body["received_by"] = _parties(carried.shares, ids, carried.currency)
    else:
        among: dict[int, int] = defaultdict(int)
        for name, part in carried.shares:
            among[ids[name]] += part
        body["split"] = {
            "method": "exact",
            "among": [
                {"user_id": i, "value": format_minor(p, carried.currency)} for i, p in among.items()
            ],
        }
    return EntryCreate.model_validate(body)


def _parties(
    pairs: Sequence[tuple[str, int]], ids: Mapping[str, int], currency: str
) -> list[dict[str, Any]]:
    merged: dict[int, int] = defaultdict(int)
    for name, minor in pairs:
        merged[ids[name]] += minor
    return [{"party": i, "amount": format_minor(m, currency)} for i, m in merged.items() if m]
