"""Payments: "I paid Jorge", a transfer from the person recording it that settles part of a
debt, in one step for anyone who owes."""

from __future__ import annotations

from dataclasses import replace

from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.money import format_minor
from tripbot.ledger.schemas import EntryCreate, EntryOut, PartyAmount, PaymentCreate
from tripbot.ledger.service.access import events_of, member, rules_context
from tripbot.ledger.words import SETTLE_UP
from tripbot.platform.errors import Message
from tripbot.platform.operations import Access, Call, IdempotencyKey


@OPERATIONS.post("/events/<int:event_id>/ledger/payments", status=201, access=Access.EVENT)
def record_payment(
    call: Call, event_id: int, data: PaymentCreate, key: IdempotencyKey = None
) -> EntryOut:
    """Record a payment you made to a member or to the treasury (any member).

    It is a transfer from you, said as a settle-up payment in each reader's language: your
    balance goes up by the amount and theirs down. Send an `Idempotency-Key` to retry safely.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = member(principal, event_id, Message("record payments"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = data.model_dump(mode="json")
        earlier = store.replay(
            uow, principal, event_id, "pay", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        names = store.sync_people(uow, event_id, members)
        entry = EntryCreate(
            kind="transfer",
            description=SETTLE_UP,
            amount=data.amount,
            date=data.date,
            paid_by=[PartyAmount(party=author)],
            received_by=[PartyAmount(party=data.to)],
        )
        # Stored as a code, not words: each reader sees it in their own language.
        plan = replace(
            rules.plan(entry, rules_context(event, book, members, principal)),
            description="",
            code=SETTLE_UP,
        )
        (entry_id,) = store.new_entries(uow, event_id, author, 1)
        store.write_revisions(uow, event_id, author, [(entry_id, 1, "created", plan, "", {})])
        summary = {**store.summary(plan, names), "code": SETTLE_UP}
        store.audit(uow, event_id, author, "entry.recorded", summary, entry_id=entry_id, revision=1)
        payee = rules.party_key(data.to)
        store.changed(
            uow,
            "payment.recorded",
            event_id,
            {
                "entry_id": entry_id,
                "payer": store.name_of(names, author),
                "payer_id": author,
                "payee": store.name_of(names, payee),
                "payee_id": store.party_of(payee),
                "amount": format_minor(plan.amount, book.currency),
                "currency": book.currency,
                "by": author,
                "by_name": store.name_of(names, author),
            },
        )
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "pay", key=key, answer=answer)
        uow.commit()
        return answer
