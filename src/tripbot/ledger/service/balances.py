"""Balances, the suggested settlement, and recording it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from tripbot.events.schemas import MemberOut
from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.models import (
    Balance,
)
from tripbot.ledger.money import MoneyError, format_minor, parse_decimal, to_minor
from tripbot.ledger.schemas import (
    Balances,
    EntryCreate,
    MemberBalance,
    PartyAmount,
    PartyRef,
    Settlement,
    SettlementRecord,
    SettlementRecorded,
    TransferOut,
)
from tripbot.ledger.service.access import (
    events_of,
    member,
    organizer,
    rules_context,
    sees_all,
)
from tripbot.ledger.settle import Transfer, settle
from tripbot.ledger.words import SETTLE_UP
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import (
    Conflict,
    Message,
)
from tripbot.platform.operations import Access, Call, IdempotencyKey


def sums(uow: UnitOfWork, event_id: int) -> tuple[dict[int, int], int, int]:
    """Every member's balance, the treasury's and the event's own: one read of the running
    totals, however many entries there are."""
    rows = uow.session.execute(
        select(Balance.account, Balance.user_id, Balance.amount).where(Balance.event_id == event_id)
    )
    members: dict[int, int] = {}
    treasury = own = 0
    for account, user_id, amount in rows:
        if account == "member":
            members[user_id] = amount
        elif account == "treasury":
            treasury = amount
        else:
            own += amount
    return members, treasury, own


@OPERATIONS.get("/events/<int:event_id>/ledger/balances", access=Access.EVENT)
def balances(call: Call, event_id: int) -> Balances:
    """Each member's balance (positive: is owed), the treasury's and the event's own.

    Their sum is always exactly zero. Participants see only their own unless the report is
    shared.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    me = member(principal, event_id, Message("read balances"))
    with uow:
        book = store.find_book(uow, event_id)
        everyone = sees_all(principal, book)
        currency = book.currency if book else events.event(event_id).currency
        members, treasury, own = sums(uow, event_id)
        names = store.names_of(uow, event_id, None if everyone else [me])
        ids = sorted(set(names) | set(members), key=lambda i: (names.get(i, "").casefold(), i))
        listed = [
            MemberBalance(
                user_id=i,
                name=store.name_of(names, i),
                balance=format_minor(members.get(i, 0), currency),
            )
            for i in (ids if everyone else [me])
        ]
        if not everyone:
            return Balances(
                currency=currency,
                members=listed,
                treasury=None,
                event=None,
                total=None,
                complete=False,
            )
        return Balances(
            currency=currency,
            members=listed,
            treasury=format_minor(treasury, currency),
            event=format_minor(own, currency),
            total=format_minor(sum(members.values()) + treasury + own, currency),
            complete=True,
        )


def suggested(uow: UnitOfWork, event_id: int) -> list[Transfer[int | None]]:
    """The fewest transfers that settle every member of an event (the treasury a party)."""
    members, _, _ = sums(uow, event_id)
    # The treasury keeps the event's own money: it takes what members hold for the event and
    # pays what they advanced for it, so settling brings every member to zero.
    parties: list[tuple[int | None, int]] = [(None, -sum(members.values()))]
    parties += sorted(members.items())
    order = {key: rank for rank, (key, _) in enumerate(parties)}
    return settle(parties, order)


def transfers_out(
    transfers: Sequence[Transfer[int | None]], names: dict[int, str], currency: str
) -> list[TransferOut]:
    """Transfers as the API tells them: who pays whom (with names) how much."""

    def ref(party: int | None) -> PartyRef:
        return PartyRef(party=store.party_of(party), name=store.name_of(names, party))

    return [
        TransferOut(payer=ref(t.payer), payee=ref(t.payee), amount=format_minor(t.amount, currency))
        for t in transfers
    ]


@OPERATIONS.get("/events/<int:event_id>/ledger/settlement", access=Access.EVENT)
def settlement(call: Call, event_id: int) -> Settlement:
    """The fewest transfers that settle every member.

    The largest debtor pays the largest creditor; participants see those that involve them unless
    the report is shared.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    me = member(principal, event_id, Message("read the settlement"))
    members = events.members(event_id)  # asked before the unit of work: no lock is held
    with uow:
        book = store.find_book(uow, event_id)
        everyone = sees_all(principal, book)
        if book is None:
            currency = events.event(event_id).currency
            return Settlement(currency=currency, transfers=[], complete=everyone)
        transfers = suggested(uow, event_id)
        if not everyone:
            transfers = [t for t in transfers if me in (t.payer, t.payee)]
        keeper = None
        if any(None in (t.payer, t.payee) for t in transfers):
            keeper = treasury_keeper(members)
        parties = [p for t in transfers for p in (t.payer, t.payee)] + [keeper]
        names = store.names_of(uow, event_id, parties)
        shown = transfers_out(transfers, names, book.currency)
        return Settlement(
            currency=book.currency,
            transfers=shown,
            complete=everyone,
            treasury_keeper=None
            if keeper is None
            else PartyRef(party=keeper, name=store.name_of(names, keeper)),
        )


def treasury_keeper(members: Sequence[MemberOut]) -> int | None:
    """Who keeps the treasury's money, so paying it names a person: the event's first owner."""
    owners = sorted(m.user_id for m in members if m.role == "owner")
    return owners[0] if owners else None


def _canonical(text: str, currency: str) -> str:
    try:
        return format_minor(to_minor(parse_decimal(text), currency), currency)
    except MoneyError:
        return text


@OPERATIONS.post("/events/<int:event_id>/ledger/settlement", status=201, access=Access.EVENT)
def settle_up(
    call: Call, event_id: int, data: SettlementRecord, key: IdempotencyKey = None
) -> SettlementRecorded:
    """Record the suggested transfers as done (organizers); balances come to zero.

    Each transfer becomes a transfer entry. `transfers`, when given, must be the current
    suggestion (what the organizer saw), or nothing is recorded.
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    author = organizer(principal, event_id, Message("record settlements"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = data.model_dump(mode="json")
        earlier = store.replay(
            uow, principal, event_id, "settle", key=key, payload=payload, model=SettlementRecorded
        )
        if earlier is not None:
            return earlier
        transfers = suggested(uow, event_id)
        if not transfers:
            raise Conflict(Message("everyone is settled already"))
        names = store.names_of(uow, event_id)
        shown = transfers_out(transfers, names, book.currency)
        if data.transfers is not None:
            expected = [(t.payer.party, t.payee.party, t.amount) for t in shown]
            given = [
                (t.payer, t.payee, _canonical(t.amount, book.currency)) for t in data.transfers
            ]
            if given != expected:
                raise Conflict(
                    Message(
                        "the balances changed since these transfers were suggested; "
                        "look at the new suggestion and record that one"
                    )
                )
        context = rules_context(event, book, [], principal, names)
        # Settling up long after the event is still possible: the transfers are then dated
        # on the last day entries of this event may have.
        day = data.date or min(context.today, context.ends_on + rules.DATE_MARGIN)
        # Stored as a code, not words: each reader sees it in their own language.
        plans = [
            replace(
                rules.plan(
                    EntryCreate(
                        kind="transfer",
                        description=SETTLE_UP,
                        amount=format_minor(t.amount, book.currency),
                        date=day,
                        paid_by=[PartyAmount(party=store.party_of(t.payer))],
                        received_by=[PartyAmount(party=store.party_of(t.payee))],
                    ),
                    context,
                ),
                description="",
                code=SETTLE_UP,
            )
            for t in transfers
        ]
        ids = store.new_entries(uow, event_id, author, len(plans))
        items: list[store.RevisionItem] = [
            (i, 1, "created", p, "", {}) for i, p in zip(ids, plans, strict=True)
        ]
        store.write_revisions(uow, event_id, author, items)
        answer = SettlementRecorded(currency=book.currency, transfers=shown, entry_ids=ids)
        summary = {"transfers": [t.model_dump() for t in shown], "entry_ids": ids}
        store.audit(uow, event_id, author, "settlement.recorded", summary)
        said = [
            {
                "payer": t.payer.name,
                "payer_id": t.payer.party,
                "payee": t.payee.name,
                "payee_id": t.payee.party,
                "amount": t.amount,
            }
            for t in shown
        ]
        store.changed(
            uow,
            "settlement.recorded",
            event_id,
            {
                "currency": book.currency,
                "transfers": said,
                "by": author,
                "by_name": store.name_of(names, author),
            },
        )
        store.remember(uow, principal, event_id, "settle", key=key, answer=answer)
        uow.commit()
        return answer
