"""Disputes: a member charged by an entry someone else recorded says it is wrong; the entry is
flagged for the organizers until one of them confirms it or reverses it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tripbot.ledger import OPERATIONS, store
from tripbot.ledger.models import Dispute
from tripbot.ledger.rules import Plan
from tripbot.ledger.schemas import DisputeIn, EntryOut, Resolution
from tripbot.ledger.service.access import events_of, member, organizer
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import Conflict, Message, PermissionDenied
from tripbot.platform.identity import EVENT_ROLE_RANK
from tripbot.platform.operations import Access, Call

ENTRY = "/events/<int:event_id>/ledger/entries/<int:entry_id>"


@OPERATIONS.post(f"{ENTRY}/dispute", status=201, access=Access.EVENT)
def dispute_entry(call: Call, event_id: int, entry_id: int, data: DisputeIn) -> EntryOut:
    """Dispute an entry that charges you and that someone else recorded.

    The entry is flagged for the organizers, who are told, until one of them confirms or
    reverses it.
    """
    uow = call.unit_of_work()
    who = member(call.principal, event_id, Message("dispute entries"))
    organizers = [
        m.user_id
        for m in events_of(call).members(event_id)
        if EVENT_ROLE_RANK.get(m.role, 0) >= EVENT_ROLE_RANK["organizer"]
    ]
    with uow:
        uow.lock_for_write()
        book = store.locked_book(uow, event_id)
        entry, revision = store.entry_row(uow, event_id, entry_id, lock=True)
        plan = store.plan_of(revision, store.allocations_of(uow, [revision.id])[revision.id])
        charged = {s.party for s in plan.shares}
        if entry.created_by == who or who not in charged:
            raise PermissionDenied(
                Message(
                    "only a member charged by entry {entry_id}, who did not record it, may "
                    "dispute it"
                ),
                entry_id=entry_id,
            )
        if entry.state != "active":
            raise Conflict(
                Message("entry {entry_id} is reversed; there is nothing to dispute"),
                entry_id=entry_id,
            )
        if _open_dispute_of(uow, entry_id, who):
            raise Conflict(
                Message("you already dispute entry {entry_id}; the organizers will settle it"),
                entry_id=entry_id,
            )
        uow.session.add(
            Dispute(event_id=event_id, entry_id=entry_id, raised_by=who, reason=data.reason)
        )
        names = _names(uow, event_id, plan, who, entry.created_by)
        summary = {"reason": data.reason, **store.summary(plan, names)}
        if plan.code is not None:  # the trail words a settle-up in its reader's language
            summary["code"] = plan.code
        store.audit(
            uow,
            event_id,
            who,
            "entry.disputed",
            summary,
            entry_id=entry_id,
            revision=entry.revision,
        )
        payload = store.change_payload(plan, entry_id, names, book, entry.created_by)
        store.changed(
            uow,
            "entry.disputed",
            event_id,
            {
                **payload,
                "disputed_by": store.name_of(names, who),
                "reason": data.reason,
                "organizers": organizers,
            },
        )
        answer = store.entry_out(uow, book, entry_id)
        uow.commit()
        return answer


@OPERATIONS.post(f"{ENTRY}/confirm", access=Access.EVENT)
def confirm_entry(call: Call, event_id: int, entry_id: int, data: Resolution) -> EntryOut:
    """Let a disputed entry stand (organizers); who disputed it is told. To undo it instead,
    reverse it."""
    uow = call.unit_of_work()
    who = organizer(call.principal, event_id, Message("settle disputes"))
    with uow:
        uow.lock_for_write()
        book = store.locked_book(uow, event_id)
        entry, revision = store.entry_row(uow, event_id, entry_id, lock=True)
        disputers = store.settle_disputes(uow, entry_id, who, "confirmed")
        if not disputers:
            raise Conflict(Message("nobody disputes entry {entry_id}"), entry_id=entry_id)
        plan = store.plan_of(revision, store.allocations_of(uow, [revision.id])[revision.id])
        names = _names(uow, event_id, plan, who)
        store.audit(
            uow,
            event_id,
            who,
            "entry.dispute_confirmed",
            {"reason": data.reason},
            entry_id=entry_id,
            revision=entry.revision,
        )
        payload = store.change_payload(plan, entry_id, names, book, who)
        settled(
            uow, event_id, payload, disputers=disputers, outcome="confirmed", reason=data.reason
        )
        answer = store.entry_out(uow, book, entry_id)
        uow.commit()
        return answer


def settled(
    uow: UnitOfWork,
    event_id: int,
    payload: dict[str, Any],
    *,
    disputers: list[int],
    outcome: str,
    reason: str,
) -> None:
    """Record that an entry's disputes were settled, for the bot to tell who raised them."""
    told = {**payload, "outcome": outcome, "reason": reason, "disputers": disputers}
    store.changed(uow, "entry.dispute_settled", event_id, told)


def _names(uow: UnitOfWork, event_id: int, plan: Plan, *people: int) -> dict[int, str]:
    """The names of everyone an entry involves, and of ``people``."""
    parties = {s.party for s in (*plan.paid, *plan.received, *plan.shares)}
    return store.names_of(uow, event_id, {*parties, *people})


def _open_dispute_of(uow: UnitOfWork, entry_id: int, who: int) -> bool:
    return (
        uow.session.scalar(
            select(Dispute.id).where(
                Dispute.entry_id == entry_id, Dispute.raised_by == who, Dispute.outcome.is_(None)
            )
        )
        is not None
    )
