"""A guest's place claimed (``guest.claimed`` in the events service's feed): the audit trail
says so, and when the guest was merged into an account that already existed, every share,
payment and balance of the guest in the event's books becomes that person's."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from tripbot.ledger import store
from tripbot.ledger.models import Allocation, AuditRecord, Balance, Leg, Person, Revision
from tripbot.platform.db import UnitOfWork

CLAIMED = "person.claimed"
"""The audit trail's action for a guest's place claimed."""


def _told(uow: UnitOfWork, event_id: int, guest_id: int, user_id: int) -> bool:
    records = uow.session.scalars(
        select(AuditRecord.summary).where(
            AuditRecord.event_id == event_id, AuditRecord.action == CLAIMED
        )
    )
    return any((s.get("guest_id"), s.get("user_id")) == (guest_id, user_id) for s in records)


def _rebalance(uow: UnitOfWork, event_id: int, user_id: int) -> None:
    """Make a person's running totals the sum of their legs again."""
    uow.session.execute(
        delete(Balance).where(Balance.event_id == event_id, Balance.user_id == user_id)
    )
    sums = uow.session.execute(
        select(Leg.account, func.sum(Leg.amount))
        .where(Leg.event_id == event_id, Leg.user_id == user_id)
        .group_by(Leg.account)
    )
    for account, amount in sums:
        uow.session.add(
            Balance(event_id=event_id, account=account, user_id=user_id, amount=int(amount))
        )


def claim_person(
    uow: UnitOfWork,
    event_id: int,
    guest_id: int,
    user_id: int,
    *,
    guest_name: str,
    name: str,
) -> bool:
    """Record that a guest's place was claimed and, if by another account, move the guest's
    books to it; False if it was done already (a change handed over twice)."""
    with uow:
        uow.lock_for_write()
        if _told(uow, event_id, guest_id, user_id):
            return False
        if guest_id != user_id:
            revisions = select(Revision.id).where(Revision.event_id == event_id)
            uow.session.execute(
                update(Allocation)
                .where(Allocation.revision_id.in_(revisions), Allocation.user_id == guest_id)
                .values(user_id=user_id)
            )
            uow.session.execute(
                update(Leg)
                .where(Leg.event_id == event_id, Leg.user_id == guest_id)
                .values(user_id=user_id)
            )
            _rebalance(uow, event_id, guest_id)
            _rebalance(uow, event_id, user_id)
            uow.session.execute(
                delete(Person).where(Person.event_id == event_id, Person.user_id == guest_id)
            )
            if uow.session.get(Person, (event_id, user_id)) is None:
                uow.session.add(Person(event_id=event_id, user_id=user_id, display_name=name))
        summary = {
            "guest_id": guest_id,
            "user_id": user_id,
            "guest_name": guest_name,
            "display_name": name,
            "merged": guest_id != user_id,
        }
        store.audit(uow, event_id, user_id, CLAIMED, summary)
        uow.commit()
        return True
