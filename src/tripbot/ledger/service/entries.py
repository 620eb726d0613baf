"""Entries: recording, reading, correcting and reversing them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, exists, func, or_, select

from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.models import (
    Allocation,
    Book,
    Entry,
    Revision,
)
from tripbot.ledger.rules import party_key
from tripbot.ledger.schemas import (
    EntryCorrection,
    EntryCreate,
    EntryDetail,
    EntryOut,
    EntryPage,
    EntryQuery,
    FieldProblem,
    Reversal,
)
from tripbot.ledger.service.access import (
    editable,
    events_of,
    is_organizer,
    member,
    require_involved,
    rules_context,
    sees_all,
)
from tripbot.ledger.service.disputes import settled
from tripbot.platform.errors import (
    Conflict,
    Message,
    NotFound,
)
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Access, Call, IdempotencyKey


@OPERATIONS.post("/events/<int:event_id>/ledger/entries", status=201, access=Access.EVENT)
def record_entry(
    call: Call, event_id: int, data: EntryCreate, key: IdempotencyKey = None
) -> EntryOut:
    """Record an entry.

    Left out: today, the event's currency, paid (or collected) by you and, for an expense, split
    equally among every member. Participants record shared expenses they paid; organizers, any
    kind. Send an `Idempotency-Key` to retry safely: a retry records nothing more and gets the
    same answer.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = member(principal, event_id, Message("record entries"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = data.model_dump(mode="json")
        earlier = store.replay(
            uow, principal, event_id, "record", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        names = store.sync_people(uow, event_id, members)
        plan = rules.plan(data, rules_context(event, book, members, principal))
        (entry_id,) = store.new_entries(uow, event_id, author, 1)
        store.write_revisions(uow, event_id, author, [(entry_id, 1, "created", plan, "", {})])
        summary = store.summary(plan, names)
        store.audit(uow, event_id, author, "entry.recorded", summary, entry_id=entry_id, revision=1)
        payload = store.change_payload(plan, entry_id, names, book, author)
        if not is_organizer(principal):  # a participant charging others: they are told
            payload["charged"] = sorted({s.party for s in plan.shares} - {author, None})
        store.changed(uow, "entry.recorded", event_id, payload)
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "record", key=key, answer=answer)
        uow.commit()
        return answer


def _involving(user_id: int) -> Any:
    return or_(
        Entry.created_by == user_id,
        exists().where(Allocation.revision_id == Revision.id, Allocation.user_id == user_id),
    )


def _filtered(
    query: EntryQuery, event_id: int, principal: Principal, book: Book | None
) -> Select[Entry, Revision]:
    statement = (
        select(Entry, Revision).join(Revision, store.is_current()).where(Entry.event_id == event_id)
    )
    if query.state != "all":
        statement = statement.where(Entry.state == query.state)
    if query.kind:
        statement = statement.where(Revision.kind == query.kind)
    if query.category is not None:
        statement = statement.where(Revision.category == query.category)
    if query.date_from:
        statement = statement.where(Revision.date >= query.date_from)
    if query.date_to:
        statement = statement.where(Revision.date <= query.date_to)
    if query.q:
        escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Revision.description.ilike(f"%{escaped}%", escape="\\"))
    if query.party is not None:
        key = party_key(query.party)
        who = Allocation.user_id.is_(None) if key is None else Allocation.user_id == key
        statement = statement.where(exists().where(Allocation.revision_id == Revision.id, who))
    if not sees_all(principal, book):
        statement = statement.where(_involving(principal.require_user()))
    return statement


@OPERATIONS.get("/events/<int:event_id>/ledger/entries", access=Access.EVENT)
def entries(call: Call, event_id: int, query: EntryQuery) -> EntryPage:
    """Entries, newest first, filtered by kind, category, party, dates or words; paged.

    Participants see those that involve them, unless the organizers share everything.
    """
    uow = call.unit_of_work()
    principal = call.principal
    member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            return EntryPage(items=[], total=0, limit=query.limit, offset=query.offset)
        statement = _filtered(query, event_id, principal, book)
        total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = uow.session.execute(
            statement.order_by(Revision.date.desc(), Entry.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        items = store.entries_out(uow, book.currency, list(rows))
        return EntryPage(items=items, total=total, limit=query.limit, offset=query.offset)


@OPERATIONS.get("/events/<int:event_id>/ledger/entries/<int:entry_id>", access=Access.EVENT)
def entry(call: Call, event_id: int, entry_id: int) -> EntryDetail:
    """An entry with every revision (who, when, what changed) and its double entry."""
    uow = call.unit_of_work()
    principal = call.principal
    member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            raise NotFound(
                Message("there is no entry {entry_id} in event {event_id}"),
                entry_id=entry_id,
                event_id=event_id,
            )
        entry, revision = store.entry_row(uow, event_id, entry_id)
        require_involved(uow, principal, book, entry)
        return store.details(uow, book.currency, [(entry, revision)])[0]


def _schema_problems(error: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem.of_schema(".".join(str(part) for part in detail["loc"]) or "body", detail)
        for detail in error.errors()
    ]


def _merge(before: dict[str, Any], correction: EntryCorrection) -> EntryCreate:
    """The current revision with the correction's fields laid over it."""
    given = correction.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    merged = {**before, **given}
    kind, in_kind = merged["kind"], merged["in_kind"]
    # What the new kind has no use for is dropped, unless the correction says it.
    unused = {
        "paid_by": kind in rules.INFLOWS or in_kind,
        "received_by": kind in rules.OUTFLOWS or in_kind,
        "split": kind not in rules.OUTFLOWS,
        "rate": merged["currency"] != before["currency"],
    }
    for name, drop in unused.items():
        if drop and name not in given:
            merged[name] = None
    try:
        return EntryCreate.model_validate({k: v for k, v in merged.items() if v is not None})
    except ValidationError as error:
        raise rules.invalid(_schema_problems(error)) from error


@OPERATIONS.patch("/events/<int:event_id>/ledger/entries/<int:entry_id>", access=Access.EVENT)
def correct_entry(
    call: Call, event_id: int, entry_id: int, data: EntryCorrection, key: IdempotencyKey = None
) -> EntryOut:
    """Correct an entry: the fields given replace the current ones in a new revision.

    The revision says who changed what, when and why; the previous revision's legs are reversed
    and the new ones written. Organizers correct any entry, participants those they recorded.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = member(principal, event_id, Message("correct entries"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = {"entry_id": entry_id, **data.model_dump(mode="json", exclude_unset=True)}
        earlier = store.replay(
            uow, principal, event_id, "correct", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        entry, previous = store.entry_row(uow, event_id, entry_id, lock=True)
        editable(principal, entry, "correct")
        names = store.sync_people(uow, event_id, members)
        old = store.plan_of(previous, store.allocations_of(uow, [previous.id])[previous.id])
        already = (*old.paid, *old.received, *old.shares)
        also = {s.party: store.name_of(names, s.party) for s in already if s.party is not None}
        context = rules_context(event, book, members, principal, also)
        new = rules.plan(_merge(store.as_input(old), data), context)
        if old.code is not None and "description" not in data.model_fields_set:
            # A settle-up corrected keeps being one, still said in each reader's language.
            new = replace(new, description="", code=old.code)
        old_words, new_words = store.summary(old, names), store.summary(new, names)
        changes = {k: [v, new_words[k]] for k, v in old_words.items() if v != new_words[k]}
        if not changes:
            raise Conflict(
                Message("the correction changes nothing in entry {entry_id}"), entry_id=entry_id
            )
        number = entry.revision + 1
        item = (entry_id, number, "corrected", new, data.reason, changes)
        (revision_id,) = store.write_revisions(uow, event_id, author, [item])
        store.reverse_legs(uow, event_id, previous.id, revision_id)
        entry.revision = number
        summary = {"changes": changes, "reason": data.reason}
        store.audit(
            uow, event_id, author, "entry.corrected", summary, entry_id=entry_id, revision=number
        )
        payload = {**store.change_payload(new, entry_id, names, book, author), **summary}
        store.changed(uow, "entry.corrected", event_id, {**payload, "revision": number})
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "correct", key=key, answer=answer)
        uow.commit()
        return answer


@OPERATIONS.post(
    "/events/<int:event_id>/ledger/entries/<int:entry_id>/reverse", access=Access.EVENT
)
def reverse_entry(
    call: Call, event_id: int, entry_id: int, data: Reversal, key: IdempotencyKey = None
) -> EntryOut:
    """Reverse an entry (how an entry is deleted; its history stays).

    Its legs are negated. Organizers reverse any entry, participants those they recorded.
    """
    uow = call.unit_of_work()
    principal = call.principal
    author = member(principal, event_id, Message("reverse entries"))
    with uow:
        uow.lock_for_write()
        book = store.locked_book(uow, event_id)
        payload = {"entry_id": entry_id, **data.model_dump(mode="json")}
        earlier = store.replay(
            uow, principal, event_id, "reverse", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        entry, previous = store.entry_row(uow, event_id, entry_id, lock=True)
        editable(principal, entry, "reverse")
        plan = store.plan_of(previous, store.allocations_of(uow, [previous.id])[previous.id])
        number = entry.revision + 1
        item = (entry_id, number, "reversed", plan, data.reason, {"state": ["active", "reversed"]})
        (revision_id,) = store.write_revisions(uow, event_id, author, [item], legs=False)
        store.reverse_legs(uow, event_id, previous.id, revision_id)
        entry.revision, entry.state = number, "reversed"
        names = store.names_of(uow, event_id, [author])
        summary = {"reason": data.reason, **store.summary(plan, names)}
        if plan.code is not None:  # the trail words a settle-up in its reader's language
            summary["code"] = plan.code
        store.audit(
            uow, event_id, author, "entry.reversed", summary, entry_id=entry_id, revision=number
        )
        payload = store.change_payload(plan, entry_id, names, book, author)
        store.changed(uow, "entry.reversed", event_id, {**payload, "reason": data.reason})
        disputers = store.settle_disputes(uow, entry_id, author, "reversed")
        if disputers:
            settled(
                uow, event_id, payload, disputers=disputers, outcome="reversed", reason=data.reason
            )
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "reverse", key=key, answer=answer)
        uow.commit()
        return answer
