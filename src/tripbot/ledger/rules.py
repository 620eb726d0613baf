"""The money rules of an entry, with no database: check what people typed, resolve the defaults,
turn amounts into exact minor units, share them out, and write the double entry.

Every problem found is reported at once, each with the field it is about, so a form or a CSV line
can show them all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tripbot.ledger.money import (
    MAX_AMOUNT,
    MoneyError,
    allocate,
    convert,
    format_minor,
    integer_weights,
    parse_decimal,
    to_minor,
)
from tripbot.ledger.schemas import (
    TREASURY,
    EntryCreate,
    FieldProblem,
    PartyAmount,
    Split,
    SplitPart,
)
from tripbot.platform.errors import InvalidInput, Message, PermissionDenied

OUTFLOWS = frozenset({"purchase", "expense"})
"""Money that leaves the group: paid by someone, borne by members (a split) or by the event."""
INFLOWS = frozenset({"sale", "investment", "donation", "sponsorship"})
"""Money that comes in: collected by someone for the event."""
INCOME = frozenset({"sale", "donation", "sponsorship"})
IN_KIND = frozenset({"donation", "sponsorship"})
MAX_RATE = Decimal(1_000_000)
MIN_RATE = Decimal("0.000001")
MAX_SHARE = Decimal(1_000_000)
DATE_MARGIN = dt.timedelta(days=366)
"""How far before its start or after its end an entry of an event may be dated."""

PartyKey = int | None
"""A member's user id, or None for the treasury."""


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the event and the person recording."""

    book_currency: str
    starts_on: dt.date
    ends_on: dt.date
    today: dt.date
    members: Mapping[int, str]
    """Who may appear in an entry: current members, and those already in it when correcting."""
    current: frozenset[int]
    """The event's members now: an expense without a split is shared among them all."""
    author: int
    organizer: bool


@dataclass(frozen=True)
class Share:
    """A party's part of an entry, in the entry's currency and the book's."""

    party: PartyKey
    amount: int
    book_amount: int
    value: str | None = None


@dataclass(frozen=True)
class LegLine:
    """One side of the double entry."""

    account: str
    user_id: int | None
    amount: int


@dataclass(frozen=True)
class Plan:
    """A checked entry in minor units, ready to store."""

    kind: str
    date: dt.date
    description: str
    counterparty: str
    category: str
    currency: str
    amount: int
    rate: str | None
    book_amount: int
    in_kind: bool
    paid: tuple[Share, ...]
    received: tuple[Share, ...]
    split_method: str | None
    shares: tuple[Share, ...]
    code: str | None = None
    """What the ledger wrote it for (``settle-up``), the description then empty."""

    def legs(self) -> list[LegLine]:
        """The double entry in the book's currency, one line per account; they sum to zero."""
        totals: dict[tuple[str, int | None], int] = defaultdict(int)
        for share in self.paid:
            totals[_account(share.party)] += share.book_amount
        for share in self.received:
            totals[_account(share.party)] -= share.book_amount
        for share in self.shares:
            totals[_account(share.party)] -= share.book_amount
        if not self.in_kind:
            if self.kind in OUTFLOWS and not self.shares:
                totals[("result", None)] -= self.book_amount
            elif self.kind == "investment":
                totals[("capital", None)] += self.book_amount
            elif self.kind in INCOME:
                totals[("result", None)] += self.book_amount
        lines = [LegLine(a, u, amount) for (a, u), amount in totals.items() if amount != 0]
        if sum(line.amount for line in lines) != 0:  # pragma: no cover - a bug, never input
            raise AssertionError(f"unbalanced double entry: {lines}")
        return lines


def _account(party: PartyKey) -> tuple[str, int | None]:
    return ("treasury", None) if party is None else ("member", party)


def party_key(party: int | str) -> PartyKey:
    """The API's party (a user id or "treasury") as a key."""
    return None if party == TREASURY else int(party)


@dataclass
class _Problems:
    found: list[FieldProblem] = field(default_factory=list)
    said: list[Message] = field(default_factory=list)

    def add(self, where: str, message: Message) -> None:
        """Note a problem with a field."""
        self.found.append(FieldProblem.of(where, message))
        self.said.append(Message("{field}: {problem}").filled(field=where, problem=message))

    def raise_if_any(self) -> None:
        """Refuse the entry if anything was noted."""
        if self.found:
            raise invalid(self.found, self.said)


def invalid(
    problems: Sequence[FieldProblem], said: Sequence[Message] | None = None
) -> InvalidInput:
    """The 422 error for some problems, its detail naming each field (``said``: the same
    problems as messages, to be told in the caller's language).

    The per-field messages in ``errors`` stay English: callers match them."""
    listed = (
        Message.joined(said)
        if said is not None
        else "; ".join(f"{p.field}: {p.message}" for p in problems)
    )
    return InvalidInput(
        Message("{problems}"),
        field=problems[0].field,
        problems=listed,
        errors=[
            {
                "location": "json",
                "field": p.field,
                "messages": [p.message],
                "message_id": p.message_id,
                "values": p.values,
            }
            for p in problems
        ],
    )


def _strangers(ids: Sequence[int]) -> Message:
    listed = ", ".join(str(i) for i in sorted(set(ids)))
    return (
        Message("user {user_ids} is not a member of this event")
        if len(set(ids)) == 1
        else Message("users {user_ids} are not members of this event")
    ).filled(user_ids=listed)


def _amount(text: str, currency: str, where: str, problems: _Problems) -> int | None:
    try:
        value = parse_decimal(text)
        minor = to_minor(value, currency)
    except MoneyError as error:
        problems.add(where, error.message)
        return None
    if abs(value) > MAX_AMOUNT:
        problems.add(
            where,
            Message("{text} is over the largest amount, {largest} {currency}").filled(
                text=text, largest=f"{MAX_AMOUNT:,}", currency=currency
            ),
        )
        return None
    return minor


def _rate(data: EntryCreate, currency: str, context: Context, problems: _Problems) -> Decimal:
    book = context.book_currency
    if currency == book:
        if data.rate is not None and parse_decimal(data.rate) != 1:
            problems.add(
                "rate",
                Message("a rate is only for entries in another currency than {book}").filled(
                    book=book
                ),
            )
        return Decimal(1)
    if data.rate is None:
        problems.add(
            "rate",
            Message("say how many {book} one {currency} was worth, e.g. 0.92").filled(
                book=book, currency=currency
            ),
        )
        return Decimal(0)
    rate = parse_decimal(data.rate)
    if not MIN_RATE <= rate <= MAX_RATE:
        problems.add(
            "rate",
            Message("the rate must be between {lowest} and {highest}").filled(
                lowest=str(MIN_RATE), highest=f"{MAX_RATE:,}"
            ),
        )
        return Decimal(0)
    return rate


def _check_date(data: EntryCreate, context: Context, problems: _Problems) -> dt.date:
    day = data.date or context.today
    first, last = context.starts_on - DATE_MARGIN, context.ends_on + DATE_MARGIN
    if not first <= day <= last:
        problems.add(
            "date",
            Message(
                "{day} is far outside the event ({starts_on} to {ends_on}); "
                "date entries from {first} to {last}"
            ).filled(
                day=str(day),
                starts_on=str(context.starts_on),
                ends_on=str(context.ends_on),
                first=str(first),
                last=str(last),
            ),
        )
    return day


def _other_total(total: int, expected: int, currency: str) -> Message:
    return Message("the amounts add up to {total}, not {expected}").filled(
        total=format_minor(total, currency), expected=format_minor(expected, currency)
    )


@dataclass
class _Sharing:
    """Shares out one entry's amount: who paid or collected it, and whose part of it each is."""

    currency: str
    amount: int
    book_amount: int
    context: Context
    problems: _Problems

    def _members_only(self, where: str, keys: Sequence[PartyKey]) -> bool:
        strangers = [k for k in keys if k is not None and k not in self.context.members]
        if strangers:
            self.problems.add(where, _strangers(strangers))
        if len(set(keys)) != len(keys):
            self.problems.add(where, Message("each member or the treasury may appear only once"))
        return not strangers and len(set(keys)) == len(keys)

    def side(self, name: str, given: list[PartyAmount] | None) -> tuple[Share, ...]:
        """Who paid (or collected) how much; left out: the author, all of it."""
        parties = given if given is not None else [PartyAmount(party=self.context.author)]
        if not parties:
            self.problems.add(name, Message("name at least one member or the treasury"))
            return ()
        keys = [party_key(p.party) for p in parties]
        if not self._members_only(name, keys):
            return ()
        if len(parties) == 1 and parties[0].amount is None:
            return (Share(keys[0], self.amount, self.book_amount),)
        minors = self._amounts(name, parties)
        if minors is None:
            return ()
        if sum(minors) != self.amount:
            self.problems.add(name, _other_total(sum(minors), self.amount, self.currency))
            return ()
        books = allocate(self.book_amount, [abs(m) for m in minors])
        return tuple(Share(k, m, b) for k, m, b in zip(keys, minors, books, strict=True))

    def _amounts(self, name: str, parties: Sequence[PartyAmount]) -> list[int] | None:
        minors: list[int] = []
        for index, party in enumerate(parties):
            where = f"{name}.{index}.amount"
            if party.amount is None:
                self.problems.add(where, Message("say how much each one paid or collected"))
                return None
            minor = _amount(party.amount, self.currency, where, self.problems)
            if minor is None:
                return None
            if minor == 0 or (minor < 0) != (self.amount < 0):
                self.problems.add(
                    where,
                    Message("must be negative, as the total is")
                    if self.amount < 0
                    else Message("must be more than zero"),
                )
                return None
            minors.append(minor)
        return minors

    def _value(self, method: str, text: str, where: str) -> Decimal | None:
        if method == "exact":
            minor = _amount(text, self.currency, where, self.problems)
            if minor is not None and minor != 0 and (minor < 0) != (self.amount < 0):
                self.problems.add(where, Message("must have the same sign as the amount"))
                return None
            return None if minor is None else Decimal(abs(minor))
        value = parse_decimal(text)
        limit = Decimal(100) if method == "percent" else MAX_SHARE
        if not 0 <= value <= limit:
            self.problems.add(
                where,
                (
                    Message("a percentage must be from 0 to {limit}")
                    if method == "percent"
                    else Message("shares must be from 0 to {limit}")
                ).filled(limit=f"{limit:,}"),
            )
            return None
        return value

    def _values(self, split: Split) -> list[Decimal] | None:
        values: list[Decimal] = []
        for index, part in enumerate(split.among):
            where = f"split.among.{index}.value"
            if split.method == "equal":
                if part.value is not None:
                    self.problems.add(where, Message("an equal split takes no values"))
                values.append(Decimal(1))
            elif part.value is None:
                self.problems.add(
                    where,
                    Message("a split by {method} needs a value for each one").filled(
                        method=split.method
                    ),
                )
            else:
                value = self._value(split.method, part.value, where)
                if value is not None:
                    values.append(value)
        return values if len(values) == len(split.among) else None

    def _adds_up(self, method: str, values: Sequence[Decimal]) -> bool:
        total = sum(values)
        if method == "percent" and total != 100:
            self.problems.add(
                "split.among",
                Message("the percentages add up to {total}, not 100").filled(total=str(total)),
            )
        elif method == "exact" and total != abs(self.amount):
            self.problems.add(
                "split.among", _other_total(int(total), abs(self.amount), self.currency)
            )
        elif total == 0:
            self.problems.add("split.among", Message("someone must bear a part of the cost"))
        else:
            return True
        return False

    def split(self, split: Split) -> tuple[Share, ...]:
        """Each chosen member's part of a cost, by largest remainder so the parts add up."""
        ids = [part.user_id for part in split.among]
        if not self._members_only("split.among", ids):
            return ()
        values = self._values(split)
        if values is None or not self._adds_up(split.method, values):
            return ()
        weights = integer_weights(values)
        minors = allocate(self.amount, weights)
        books = allocate(self.book_amount, weights)
        kept = [None if split.method == "equal" else p.value for p in split.among]
        return tuple(Share(i, m, b, v) for i, m, b, v in zip(ids, minors, books, kept, strict=True))


def _check_shape(data: EntryCreate, problems: _Problems) -> None:
    kind = data.kind
    if data.in_kind and kind not in IN_KIND:
        problems.add("in_kind", Message("only a donation or a sponsorship can be in kind"))
    unused = []
    if kind in OUTFLOWS and data.received_by is not None:
        unused.append("received_by")
    if kind in INFLOWS and data.paid_by is not None:
        unused.append("paid_by")
    if kind not in OUTFLOWS and data.split is not None:
        unused.append("split")
    if data.in_kind:
        unused += [name for name in ("paid_by", "received_by") if getattr(data, name) is not None]
    for name in sorted(set(unused)):
        problems.add(
            name,
            (
                Message("a in-kind {kind} has no {name}")
                if data.in_kind
                else Message("a {kind} has no {name}")
            ).filled(kind=kind, name=name),
        )
    if kind == "transfer" and not data.received_by:
        problems.add("received_by", Message("say who received the transfer"))


def _check_permission(data: EntryCreate, context: Context) -> None:
    if context.organizer:
        return
    # A participant records what they paid out of their own pocket: a shared expense, or a
    # payment to someone they owe (a transfer); what others did is an organizer's to record.
    if data.kind not in ("expense", "transfer"):
        raise PermissionDenied(
            Message("a participant may record only shared expenses and payments they made")
        )
    payers = data.paid_by or [PartyAmount(party=context.author)]
    if [party_key(p.party) for p in payers] != [context.author]:
        raise PermissionDenied(
            Message("a participant may record only expenses they paid themselves")
            if data.kind == "expense"
            else Message("a participant may record only payments they made themselves")
        )


def plan(data: EntryCreate, context: Context) -> Plan:
    """Check an entry against the rules and work out its minor units, shares and legs.

    Raises InvalidInput listing every problem (``errors``), or PermissionDenied for what the
    person's role does not allow.
    """
    _check_permission(data, context)
    problems = _Problems()
    currency = data.currency or context.book_currency
    _check_shape(data, problems)
    day = _check_date(data, context, problems)
    rate = _rate(data, currency, context, problems)
    amount = _amount(data.amount, currency, "amount", problems)
    if amount == 0:
        problems.add("amount", Message("must not be zero"))
    elif amount is not None and amount < 0 and data.kind != "expense":
        problems.add(
            "amount", Message("must be more than zero (only an expense, a refund, is negative)")
        )
    problems.raise_if_any()
    assert amount is not None
    book_amount = amount if rate == 1 else convert(amount, currency, context.book_currency, rate)
    if book_amount == 0:
        problems.add(
            "amount",
            Message("is worth less than the smallest unit of {currency}").filled(
                currency=context.book_currency
            ),
        )
        problems.raise_if_any()
    paid: tuple[Share, ...] = ()
    received: tuple[Share, ...] = ()
    shares: tuple[Share, ...] = ()
    if not data.in_kind:
        sharing = _Sharing(currency, amount, book_amount, context, problems)
        if data.kind in OUTFLOWS or data.kind == "transfer":
            paid = sharing.side("paid_by", data.paid_by)
        if data.kind in INFLOWS or data.kind == "transfer":
            received = sharing.side("received_by", data.received_by)
        if data.kind == "transfer" and {s.party for s in paid} & {s.party for s in received}:
            problems.add("received_by", Message("nobody can transfer money to themselves"))
        split = data.split
        if split is None and data.kind == "expense":
            split = Split(among=[SplitPart(user_id=i) for i in sorted(context.current)])
        if split is not None and data.kind in OUTFLOWS:
            shares = sharing.split(split)
    problems.raise_if_any()
    return Plan(
        kind=data.kind,
        date=day,
        description=data.description,
        counterparty=data.counterparty,
        category=data.category,
        currency=currency,
        amount=amount,
        rate=None if currency == context.book_currency else f"{rate}",
        book_amount=book_amount,
        in_kind=data.in_kind,
        paid=paid,
        received=received,
        split_method=data.split.method if data.split else ("equal" if shares else None),
        shares=shares,
    )
