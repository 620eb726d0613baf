"""Money a person has open in events, whether or not they are still members.

Someone who left an event with a balance still owes it or is still owed it: the settlement keeps
them in its transfers. This use case lets them see where they stand without a membership:
their own balance and the suggested transfers that involve them, nothing of anyone else's.
"""

from __future__ import annotations

from sqlalchemy import select

from tripbot.ledger import OPERATIONS, store
from tripbot.ledger.models import Balance
from tripbot.ledger.money import format_minor
from tripbot.ledger.schemas import OpenPosition
from tripbot.ledger.service.balances import suggested, sums, transfers_out
from tripbot.platform.db import UnitOfWork
from tripbot.platform.operations import Access, Call

MAX_POSITIONS = 50
"""The most events one person is told of at once (the ones with money open, newest first)."""


@OPERATIONS.get("/ledger/positions", access=Access.USER)
def open_positions(call: Call) -> list[OpenPosition]:
    """The events where you have money open, member or not any more.

    Your balance in each (positive: you are owed) and the suggested transfers that involve you.
    """
    me = call.principal.require_user()
    with call.unit_of_work() as uow:
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
    members, _, _ = sums(uow, event_id)
    # The same transfers as the event's settlement, those that involve the asker.
    mine = [t for t in suggested(uow, event_id) if me in (t.payer, t.payee)]
    names = store.names_of(uow, event_id, [p for t in mine for p in (t.payer, t.payee)])
    return OpenPosition(
        event_id=event_id,
        currency=currency,
        balance=format_minor(members.get(me, 0), currency),
        transfers=transfers_out(mine, names, currency),
    )
