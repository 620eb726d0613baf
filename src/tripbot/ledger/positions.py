"""Money a person has open in events, whether or not they are still members.

Someone who left an event with a balance still owes it or is still owed it: the settlement keeps
them in its transfers. This use case lets them see where they stand without a membership:
their own balance and the suggested transfers that involve them, nothing of anyone else's.
"""

from __future__ import annotations

from sqlalchemy import select

from tripbot.ledger import store
from tripbot.ledger.models import Balance
from tripbot.ledger.money import format_minor
from tripbot.ledger.schemas import OpenPosition, PartyRef, TransferOut
from tripbot.ledger.settle import settle
from tripbot.platform.db import UnitOfWork
from tripbot.platform.identity import Principal

MAX_POSITIONS = 50
"""The most events one person is told of at once (the ones with money open, newest first)."""


def open_positions(uow: UnitOfWork, principal: Principal) -> list[OpenPosition]:
    """The events where the asker's balance is not zero, with the transfers that settle it."""
    me = principal.require_user()
    with uow:
        open_events = list(
            uow.session.scalars(
                select(Balance.event_id)
                .where(Balance.account == "member", Balance.user_id == me, Balance.amount != 0)
                .order_by(Balance.event_id.desc())
                .limit(MAX_POSITIONS)
            )
        )
        return [_position(uow, event_id, me) for event_id in open_events]


def _position(uow: UnitOfWork, event_id: int, me: int) -> OpenPosition:
    book = store.find_book(uow, event_id)
    currency = book.currency if book else "EUR"
    members = dict(
        uow.session.execute(
            select(Balance.user_id, Balance.amount).where(
                Balance.event_id == event_id, Balance.account == "member"
            )
        ).all()
    )
    # The same parties and order as the event's settlement, so both tell the same transfers.
    parties: list[tuple[int | None, int]] = [(None, -sum(members.values()))]
    parties += sorted(members.items())
    order = {key: rank for rank, (key, _) in enumerate(parties)}
    mine = [t for t in settle(parties, order) if me in (t.payer, t.payee)]
    names = store.names_of(uow, event_id, [p for t in mine for p in (t.payer, t.payee)])

    def ref(party: int | None) -> PartyRef:
        return PartyRef(party=store.party_of(party), name=store.name_of(names, party))

    return OpenPosition(
        event_id=event_id,
        currency=currency,
        balance=format_minor(members.get(me, 0), currency),
        transfers=[
            TransferOut(
                payer=ref(t.payer), payee=ref(t.payee), amount=format_minor(t.amount, currency)
            )
            for t in mine
        ],
    )
