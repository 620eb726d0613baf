"""How the ledger writes entries and reads them back: books, people's names, revisions with their
allocations and legs, the audit trail, the outbox and idempotency keys.

Writes go through a few multi-row statements however many entries there are (an import of
thousands is a handful of INSERTs); reads batch their ``IN`` lists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Table, and_, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tripbot.events.schemas import EventOut, MemberOut
from tripbot.ledger.models import (
    Allocation,
    AuditRecord,
    Balance,
    Book,
    Dispute,
    Entry,
    Leg,
    Person,
    Receipt,
    Revision,
    idempotency,
    outbox,
)
from tripbot.ledger.money import format_minor
from tripbot.ledger.rules import LegLine, Plan, Share
from tripbot.ledger.schemas import (
    TREASURY,
    DisputeOut,
    EntryDetail,
    EntryOut,
    LegOut,
    PartyShare,
    ReceiptOut,
    RevisionOut,
    SplitOut,
    SplitShare,
)
from tripbot.ledger.words import described
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Message, NotFound
from tripbot.platform.idempotency import claim, complete
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import record_change

ModelT = TypeVar("ModelT", bound=BaseModel)
CHUNK = 500
"""Ids per ``IN (...)`` list: far below every database's limit on bound parameters."""
RevisionItem = tuple[int, int, str, Plan, str, dict[str, list[str]]]
"""What a revision is written from: entry id, number, action, plan, reason, changes."""


def find_book(uow: UnitOfWork, event_id: int) -> Book | None:
    """An event's book, if it has one yet."""
    return uow.session.get(Book, event_id)


def _insert_ignoring_duplicates(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())


def open_book(uow: UnitOfWork, event: EventOut) -> Book:
    """The event's book, locked for this write; opened in the event's currency the first time."""
    _insert_ignoring_duplicates(
        uow.session,
        Book,
        {"event_id": event.id, "currency": event.currency, "visibility": "organizers"},
    )
    book = uow.session.scalar(select(Book).where(Book.event_id == event.id).with_for_update())
    assert book is not None
    return book


def locked_book(uow: UnitOfWork, event_id: int) -> Book:
    """An event's book, locked for this write; NotFound if it has no entries yet."""
    book = uow.session.scalar(select(Book).where(Book.event_id == event_id).with_for_update())
    if book is None:
        raise NotFound(Message("event {event_id} has no entries yet"), event_id=event_id)
    return book


def sync_people(uow: UnitOfWork, event_id: int, members: Sequence[MemberOut]) -> dict[int, str]:
    """Remember the members' names (kept for those who leave); all known names of the event."""
    known = {
        p.user_id: p for p in uow.session.scalars(select(Person).where(Person.event_id == event_id))
    }
    for member in members:
        person = known.get(member.user_id)
        if person is None:
            person = Person(
                event_id=event_id, user_id=member.user_id, display_name=member.display_name
            )
            uow.session.add(person)
            known[member.user_id] = person
        elif person.display_name != member.display_name:
            person.display_name = member.display_name
    return {user_id: p.display_name for user_id, p in known.items()}


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Ids in slices short enough for one ``IN (...)`` list."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def names_of(
    uow: UnitOfWork, event_id: int, ids: Iterable[int | None] | None = None
) -> dict[int, str]:
    """The names of some people of an event (all of them without ``ids``)."""
    query = select(Person.user_id, Person.display_name).where(Person.event_id == event_id)
    if ids is None:
        return dict(uow.session.execute(query).all())
    wanted = sorted({i for i in ids if i is not None})
    names: dict[int, str] = {}
    for chunk in chunks(wanted):
        names.update(uow.session.execute(query.where(Person.user_id.in_(chunk))).all())
    return names


def name_of(names: dict[int, str], party: int | None) -> str:
    """How to show a party: the treasury, a member's name, or ``#id`` if it is unknown."""
    if party is None:
        return TREASURY
    return names.get(party, f"#{party}")


def changed(uow: UnitOfWork, topic: str, event_id: int, payload: dict[str, Any]) -> None:
    """Record a change in the outbox, in the same transaction, for the bot and the web."""
    record_change(uow.session, outbox, topic, event_id, {"event_id": event_id, **payload})


def audit(
    uow: UnitOfWork,
    event_id: int,
    actor: int,
    action: str,
    summary: dict[str, Any],
    *,
    entry_id: int | None = None,
    revision: int | None = None,
) -> None:
    """Add a line to the event's audit trail."""
    uow.session.add(
        AuditRecord(
            event_id=event_id,
            actor_id=actor,
            action=action,
            entry_id=entry_id,
            revision=revision,
            summary=summary,
            at=utcnow(),
        )
    )


def _scope(principal: Principal, event_id: int, operation: str) -> str:
    return f"ledger:{event_id}:{principal.user_id}:{operation}"


def replay(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    operation: str,
    *,
    key: str | None,
    payload: Any,
    model: type[ModelT],
) -> ModelT | None:
    """The earlier answer to a retried request, or None after claiming its key for this one."""
    if key is None:
        return None
    earlier = claim(uow.session, idempotency, _scope(principal, event_id, operation), key, payload)
    return None if earlier is None else model.model_validate(earlier)


def remember(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    operation: str,
    *,
    key: str | None,
    answer: BaseModel,
) -> None:
    """Keep the answer of a request whose key :func:`replay` claimed."""
    if key is not None:
        scope = _scope(principal, event_id, operation)
        complete(uow.session, idempotency, scope, key, answer.model_dump(mode="json"))


def new_entries(uow: UnitOfWork, event_id: int, author: int, count: int) -> list[int]:
    """Ids of ``count`` new entries, made in one statement."""
    now = utcnow()
    rows = [
        {
            "event_id": event_id,
            "revision": 1,
            "state": "active",
            "created_by": author,
            "created_at": now,
        }
        for _ in range(count)
    ]
    result = uow.session.scalars(
        insert(Entry).returning(Entry.id, sort_by_parameter_order=True), rows
    )
    return list(result)


def write_revisions(
    uow: UnitOfWork,
    event_id: int,
    author: int,
    items: Sequence[RevisionItem],
    *,
    legs: bool = True,
) -> list[int]:
    """Store revisions (entry id, number, action, plan, reason, changes) with their allocations
    and, unless told otherwise, their legs; in a few statements however many there are."""
    now = utcnow()
    revision_rows = [
        {
            "entry_id": entry_id,
            "event_id": event_id,
            "number": number,
            "action": action,
            "author_id": author,
            "recorded_at": now,
            "reason": reason,
            "changes": changes,
            "kind": plan.kind,
            "date": plan.date,
            "description": plan.description,
            "code": plan.code,
            "counterparty": plan.counterparty,
            "category": plan.category,
            "currency": plan.currency,
            "amount": plan.amount,
            "rate": plan.rate,
            "book_amount": plan.book_amount,
            "in_kind": plan.in_kind,
            "split_method": plan.split_method,
        }
        for entry_id, number, action, plan, reason, changes in items
    ]
    ids = list(
        uow.session.scalars(
            insert(Revision).returning(Revision.id, sort_by_parameter_order=True), revision_rows
        )
    )
    allocation_rows: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    for revision_id, (_, _, _, plan, _, _) in zip(ids, items, strict=True):
        for role, shares in (
            ("paid", plan.paid),
            ("received", plan.received),
            ("share", plan.shares),
        ):
            allocation_rows += [
                {
                    "revision_id": revision_id,
                    "role": role,
                    "position": position,
                    "user_id": share.party,
                    "value": share.value,
                    "amount": share.amount,
                    "book_amount": share.book_amount,
                }
                for position, share in enumerate(shares)
            ]
        if legs:
            leg_rows += [_leg_row(event_id, revision_id, line) for line in plan.legs()]
    if allocation_rows:
        # Core INSERTs of plain rows: the ORM's bulk bookkeeping would double an import's time.
        uow.session.execute(insert(_table(Allocation)), allocation_rows)
    _write_legs(uow, event_id, leg_rows)
    return ids


def _write_legs(uow: UnitOfWork, event_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert legs and add them to the running totals of their accounts."""
    if not rows:
        return
    uow.session.execute(insert(_table(Leg)), rows)
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for row in rows:
        totals[(row["account"], row["user_id"] or 0)] += row["amount"]
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Balance).values(
        [
            {"event_id": event_id, "account": account, "user_id": user_id, "amount": amount}
            for (account, user_id), amount in sorted(totals.items())
        ]
    )
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[Balance.event_id, Balance.account, Balance.user_id],
            set_={"amount": Balance.amount + statement.excluded.amount},
        )
    )


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _leg_row(
    event_id: int, revision_id: int, line: LegLine, *, reversal: bool = False
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "revision_id": revision_id,
        "account": line.account,
        "user_id": line.user_id,
        "amount": line.amount,
        "reversal": reversal,
    }


def reverse_legs(uow: UnitOfWork, event_id: int, replaced: int, by: int) -> None:
    """Write the negation of a revision's own legs under the revision that replaces it."""
    lines = uow.session.execute(
        select(Leg.account, Leg.user_id, Leg.amount).where(
            Leg.revision_id == replaced, Leg.reversal.is_(False)
        )
    )
    rows = [_leg_row(event_id, by, LegLine(a, u, -amount), reversal=True) for a, u, amount in lines]
    _write_legs(uow, event_id, rows)


def is_current() -> Any:
    """Join condition of an entry and its current revision."""
    return and_(Revision.entry_id == Entry.id, Revision.number == Entry.revision)


def allocations_of(uow: UnitOfWork, revision_ids: Sequence[int]) -> dict[int, list[Allocation]]:
    """Who paid, collected or shared in each revision, in the order they were given."""
    found: dict[int, list[Allocation]] = defaultdict(list)
    for chunk in chunks(revision_ids):
        rows = uow.session.scalars(
            select(Allocation)
            .where(Allocation.revision_id.in_(chunk))
            .order_by(Allocation.revision_id, Allocation.role, Allocation.position)
        )
        for allocation in rows:
            found[allocation.revision_id].append(allocation)
    return found


def plan_of(revision: Revision, allocations: Sequence[Allocation]) -> Plan:
    """A stored revision as the plan it was written from."""
    by_role: dict[str, list[Share]] = defaultdict(list)
    for a in allocations:
        by_role[a.role].append(Share(a.user_id, a.amount, a.book_amount, a.value))
    return Plan(
        kind=revision.kind,
        date=revision.date,
        description=revision.description,
        counterparty=revision.counterparty,
        category=revision.category,
        currency=revision.currency,
        amount=revision.amount,
        rate=revision.rate,
        book_amount=revision.book_amount,
        in_kind=revision.in_kind,
        paid=tuple(by_role["paid"]),
        received=tuple(by_role["received"]),
        split_method=revision.split_method,
        shares=tuple(by_role["share"]),
        code=revision.code,
    )


def _receipts(uow: UnitOfWork, entry_ids: Sequence[int]) -> dict[int, list[ReceiptOut]]:
    found: dict[int, list[ReceiptOut]] = defaultdict(list)
    columns = (
        Receipt.id,
        Receipt.entry_id,
        Receipt.filename,
        Receipt.content_type,
        Receipt.size,
        Receipt.uploaded_by,
        Receipt.uploaded_at,
    )
    for chunk in chunks(entry_ids):
        rows = uow.session.execute(
            select(*columns).where(Receipt.entry_id.in_(chunk)).order_by(Receipt.id)
        ).mappings()
        for row in rows:
            found[row["entry_id"]].append(ReceiptOut.model_validate(dict(row)))
    return found


def _entry_out(
    entry: Entry,
    revision: Revision,
    plan: Plan,
    book_currency: str,
    *,
    names: dict[int, str],
    receipts: list[ReceiptOut],
    disputed: bool,
) -> EntryOut:
    def parties(shares: Sequence[Share]) -> list[PartyShare]:
        return [
            PartyShare(
                party=TREASURY if s.party is None else s.party,
                name=name_of(names, s.party),
                amount=format_minor(s.amount, plan.currency),
                book_amount=format_minor(s.book_amount, book_currency),
            )
            for s in shares
        ]

    split = None
    if plan.split_method and plan.shares:
        split = SplitOut(
            method=plan.split_method,
            among=[
                SplitShare(
                    user_id=s.party or 0,
                    name=name_of(names, s.party),
                    value=s.value,
                    amount=format_minor(s.amount, plan.currency),
                    book_amount=format_minor(s.book_amount, book_currency),
                )
                for s in plan.shares
            ],
        )
    return EntryOut(
        id=entry.id,
        event_id=entry.event_id,
        revision=revision.number,
        state=entry.state,
        kind=plan.kind,
        date=plan.date,
        description=described(plan.description, plan.code),
        code=plan.code,
        counterparty=plan.counterparty,
        category=plan.category,
        amount=format_minor(plan.amount, plan.currency),
        currency=plan.currency,
        rate=plan.rate,
        book_amount=format_minor(plan.book_amount, book_currency),
        book_currency=book_currency,
        in_kind=plan.in_kind,
        paid_by=parties(plan.paid),
        received_by=parties(plan.received),
        split=split,
        receipts=receipts,
        created_by=entry.created_by,
        created_at=entry.created_at,
        updated_by=revision.author_id,
        updated_at=revision.recorded_at,
        disputed=disputed,
    )


def entries_out(
    uow: UnitOfWork, book_currency: str, rows: Sequence[tuple[Entry, Revision]]
) -> list[EntryOut]:
    """Entries as their current revisions say, in a handful of queries however many."""
    if not rows:
        return []
    allocations = allocations_of(uow, [revision.id for _, revision in rows])
    receipts = _receipts(uow, [entry.id for entry, _ in rows])
    plans = {revision.id: plan_of(revision, allocations[revision.id]) for _, revision in rows}
    people = {
        s.party for plan in plans.values() for s in (*plan.paid, *plan.received, *plan.shares)
    }
    names = names_of(uow, rows[0][0].event_id, people)
    disputed = open_disputes(uow, [entry.id for entry, _ in rows])
    return [
        _entry_out(
            entry,
            revision,
            plans[revision.id],
            book_currency,
            names=names,
            receipts=receipts[entry.id],
            disputed=entry.id in disputed,
        )
        for entry, revision in rows
    ]


def open_disputes(uow: UnitOfWork, entry_ids: Sequence[int]) -> set[int]:
    """Which of the entries a member disputes and no organizer has settled."""
    found: set[int] = set()
    for chunk in chunks(entry_ids):
        found.update(
            uow.session.scalars(
                select(Dispute.entry_id).where(
                    Dispute.entry_id.in_(chunk), Dispute.outcome.is_(None)
                )
            )
        )
    return found


def disputes_out(uow: UnitOfWork, event_id: int, entry_id: int) -> list[DisputeOut]:
    """An entry's disputes, oldest first."""
    rows = list(
        uow.session.scalars(
            select(Dispute).where(Dispute.entry_id == entry_id).order_by(Dispute.id)
        )
    )
    names = names_of(uow, event_id, {d.raised_by for d in rows})
    return [
        DisputeOut(
            raised_by=d.raised_by,
            raised_by_name=name_of(names, d.raised_by),
            reason=d.reason,
            raised_at=d.raised_at,
            resolved_by=d.resolved_by,
            resolved_at=d.resolved_at,
            outcome=d.outcome,
        )
        for d in rows
    ]


def settle_disputes(uow: UnitOfWork, entry_id: int, by: int, outcome: str) -> list[int]:
    """Close an entry's open disputes with an outcome; who had raised them."""
    open_ones = list(
        uow.session.scalars(
            select(Dispute).where(Dispute.entry_id == entry_id, Dispute.outcome.is_(None))
        )
    )
    now = utcnow()
    for dispute in open_ones:
        dispute.resolved_by, dispute.resolved_at, dispute.outcome = by, now, outcome
    return [d.raised_by for d in open_ones]


def entry_row(
    uow: UnitOfWork, event_id: int, entry_id: int, *, lock: bool = False
) -> tuple[Entry, Revision]:
    """An entry of an event with its current revision (locked if asked), or NotFound."""
    statement = (
        select(Entry, Revision)
        .join(Revision, is_current())
        .where(Entry.id == entry_id, Entry.event_id == event_id)
    )
    found = uow.session.execute(statement.with_for_update() if lock else statement).first()
    if found is None:
        raise NotFound(
            Message("there is no entry {entry_id} in event {event_id}"),
            entry_id=entry_id,
            event_id=event_id,
        )
    return found


def entry_out(uow: UnitOfWork, book: Book, entry_id: int) -> EntryOut:
    """One entry as it is now (after this transaction's changes)."""
    uow.session.flush()
    return entries_out(uow, book.currency, [entry_row(uow, book.event_id, entry_id)])[0]


def _revisions_out(
    uow: UnitOfWork, event_id: int, entry_ids: Sequence[int]
) -> dict[int, list[RevisionOut]]:
    found: dict[int, list[RevisionOut]] = defaultdict(list)
    revisions: list[Revision] = []
    for chunk in chunks(entry_ids):
        revisions += uow.session.scalars(
            select(Revision).where(Revision.entry_id.in_(chunk)).order_by(Revision.number)
        )
    names = names_of(uow, event_id, [r.author_id for r in revisions])
    for r in revisions:
        found[r.entry_id].append(
            RevisionOut(
                number=r.number,
                action=r.action,
                author_id=r.author_id,
                author_name=name_of(names, r.author_id),
                recorded_at=r.recorded_at,
                reason=r.reason,
                changes=r.changes,
            )
        )
    return found


def _legs_out(
    uow: UnitOfWork, book_currency: str, revision_ids: Sequence[int]
) -> dict[int, list[LegOut]]:
    found: dict[int, list[LegOut]] = defaultdict(list)
    for chunk in chunks(revision_ids):
        rows = uow.session.execute(
            select(Leg.revision_id, Leg.account, Leg.user_id, Leg.amount)
            .where(Leg.revision_id.in_(chunk))
            .order_by(Leg.id)
        )
        for revision_id, account, user_id, amount in rows:
            found[revision_id].append(
                LegOut(account=account, user_id=user_id, amount=format_minor(amount, book_currency))
            )
    return found


def details(
    uow: UnitOfWork, book_currency: str, rows: Sequence[tuple[Entry, Revision]]
) -> list[EntryDetail]:
    """Entries with their whole history and their current double entry."""
    entries = entries_out(uow, book_currency, rows)
    if not rows:
        return []
    revisions = _revisions_out(uow, rows[0][0].event_id, [e.id for e, _ in rows])
    legs = _legs_out(uow, book_currency, [r.id for _, r in rows])
    return [
        EntryDetail(
            **out.model_dump(),
            revisions=revisions[entry.id],
            legs=legs[revision.id],
            disputes=disputes_out(uow, entry.event_id, entry.id),
        )
        for out, (entry, revision) in zip(entries, rows, strict=True)
    ]


def change_payload(
    plan: Plan, entry_id: int, names: dict[int, str], book: Book, author: int
) -> dict[str, Any]:
    """What the outbox says of an entry: enough for the bot to write a message."""
    return {
        "entry_id": entry_id,
        "kind": plan.kind,
        "description": plan.description,
        "code": plan.code,
        "amount": format_minor(plan.amount, plan.currency),
        "currency": plan.currency,
        "book_amount": format_minor(plan.book_amount, book.currency),
        "book_currency": book.currency,
        "paid_by": [name_of(names, s.party) for s in plan.paid],
        "received_by": [name_of(names, s.party) for s in plan.received],
        "by": author,
        "by_name": name_of(names, author),
    }


def summary(plan: Plan, names: dict[int, str]) -> dict[str, str]:
    """An entry in words, field by field: what the audit trail and a correction's diff show."""

    def people(shares: Sequence[Share]) -> str:
        return ", ".join(
            f"{name_of(names, s.party)} {format_minor(s.amount, plan.currency)}" for s in shares
        )

    split = ""
    if plan.shares:
        parts = ", ".join(
            name_of(names, s.party) + (f" {s.value}" if s.value is not None else "")
            for s in plan.shares
        )
        split = f"{plan.split_method}: {parts}"
    return {
        "kind": plan.kind,
        "date": plan.date.isoformat(),
        "description": plan.description,
        "counterparty": plan.counterparty,
        "category": plan.category,
        "amount": f"{format_minor(plan.amount, plan.currency)} {plan.currency}",
        "rate": plan.rate or "",
        "in_kind": "yes" if plan.in_kind else "no",
        "paid_by": people(plan.paid),
        "received_by": people(plan.received),
        "split": split,
    }


def as_input(plan: Plan) -> dict[str, Any]:
    """A stored plan as the request that would record it again (for merging a correction)."""

    def side(shares: Sequence[Share]) -> list[dict[str, Any]] | None:
        if not shares:
            return None
        alone = len(shares) == 1
        return [
            {
                "party": TREASURY if s.party is None else s.party,
                **({} if alone else {"amount": format_minor(s.amount, plan.currency)}),
            }
            for s in shares
        ]

    split = None
    if plan.shares:
        split = {
            "method": plan.split_method,
            "among": [
                {"user_id": s.party, **({"value": s.value} if s.value is not None else {})}
                for s in plan.shares
            ],
        }
    return {
        "kind": plan.kind,
        # A coded entry has no words of its own; its code stands in so the request validates.
        "description": plan.description or plan.code or "",
        "amount": format_minor(plan.amount, plan.currency),
        "date": plan.date.isoformat(),
        "counterparty": plan.counterparty,
        "category": plan.category,
        "currency": plan.currency,
        "rate": plan.rate,
        "in_kind": plan.in_kind,
        "paid_by": side(plan.paid),
        "received_by": side(plan.received),
        "split": split,
    }


def party_of(key: int | None) -> int | str:
    """A party key as the API writes it: a user id or "treasury"."""
    return TREASURY if key is None else key


def local_day(moment: dt.datetime, timezone: str) -> dt.date:
    """The day an instant falls on in a time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def is_active_current() -> Any:
    """Join condition of an entry that is not reversed and its current revision."""
    return and_(is_current(), Entry.state == "active")


def all_current(uow: UnitOfWork, event_id: int) -> list[tuple[Entry, Revision]]:
    """Every entry of an event with its current revision, oldest first."""
    return list(
        uow.session.execute(
            select(Entry, Revision)
            .join(Revision, is_current())
            .where(Entry.event_id == event_id)
            .order_by(Revision.date, Entry.id)
        )
    )
