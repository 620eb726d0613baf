"""What every ledger use case shares: what it asks the events service, and who may do what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from sqlalchemy import exists, select

from tripbot.events.client import EventsClient
from tripbot.events.schemas import EventOut, GuestCreate, MemberOut
from tripbot.ledger import store
from tripbot.ledger.models import (
    Allocation,
    Book,
    Entry,
    Revision,
)
from tripbot.ledger.rules import Context
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import (
    Conflict,
    Message,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import EVENT_ROLE_RANK, Principal
from tripbot.platform.operations import Call


class Events(Protocol):
    """What the ledger asks the events service (its typed client is one)."""

    def event(self, event_id: int) -> EventOut:
        """The event, as the asker sees it."""
        ...

    def members(self, event_id: int) -> list[MemberOut]:
        """The event's members."""
        ...

    def add_guest(self, event_id: int, data: GuestCreate) -> MemberOut:
        """Add a person without an account to the event (the import's names nobody matches)."""
        ...


def events_of(call: Call) -> Events:
    """The events service, asked as the caller."""
    return call.peer(EventsClient, "events")


# ---- who may do what --------------------------------------------------------------------------


def member(principal: Principal, event_id: int, action: Message) -> int:
    principal.require_event_role(event_id, "participant", action)
    return principal.require_user()


def organizer(principal: Principal, event_id: int, action: Message) -> int:
    principal.require_event_role(event_id, "organizer", action)
    return principal.require_user()


def is_organizer(principal: Principal) -> bool:
    return EVENT_ROLE_RANK.get(principal.event_role or "", 0) >= EVENT_ROLE_RANK["organizer"]


def sees_all(principal: Principal, book: Book | None) -> bool:
    return is_organizer(principal) or (book is not None and book.visibility == "members")


Shared = Literal["budget", "report", "audit trail", "export"]
_KEPT_BACK: dict[Shared, Message] = {
    "budget": Message(
        "the organizers keep the budget to themselves; ask them to share it with members"
    ),
    "report": Message(
        "the organizers keep the report to themselves; ask them to share it with members"
    ),
    "audit trail": Message(
        "the organizers keep the audit trail to themselves; ask them to share it with members"
    ),
    "export": Message(
        "the organizers keep the export to themselves; ask them to share it with members"
    ),
}
"""The refusal to show participants a report the organizers did not share, by report (one
whole sentence each, so that each translates as a whole)."""

Change = Literal["correct", "reverse"]
_NOT_YOURS: dict[Change, Message] = {
    "correct": Message("a participant may correct only the entries they recorded"),
    "reverse": Message("a participant may reverse only the entries they recorded"),
}
"""The refusal to let a participant change an entry someone else recorded, by change."""


def require_report(principal: Principal, book: Book | None, what: Shared) -> None:
    if not sees_all(principal, book):
        raise PermissionDenied(_KEPT_BACK[what])


def require_involved(uow: UnitOfWork, principal: Principal, book: Book, entry: Entry) -> None:
    """Participants who may not see everything see only the entries that involve them."""
    if sees_all(principal, book):
        return
    me = principal.require_user()
    involved = entry.created_by == me or uow.session.scalar(
        select(
            exists().where(
                Allocation.revision_id == Revision.id,
                Revision.entry_id == entry.id,
                Allocation.user_id == me,
            )
        )
    )
    if not involved:
        raise NotFound(
            Message("there is no entry {entry_id} in event {event_id}"),
            entry_id=entry.id,
            event_id=entry.event_id,
        )


def editable(principal: Principal, entry: Entry, action: Change) -> None:
    if entry.state == "reversed":
        raise Conflict(
            Message("entry {entry_id} was reversed; record a new entry instead"),
            entry_id=entry.id,
        )
    if not is_organizer(principal) and entry.created_by != principal.require_user():
        raise PermissionDenied(_NOT_YOURS[action])


def currency_of(uow: UnitOfWork, events: Events, event_id: int) -> str:
    book = store.find_book(uow, event_id)
    return book.currency if book else events.event(event_id).currency


def rules_context(
    event: EventOut,
    book: Book,
    members: Sequence[MemberOut],
    principal: Principal,
    also: dict[int, str] | None = None,
) -> Context:
    """What the rules need: the event's dates in its own time zone, who may take part, who asks.

    ``also`` are people who may appear though they are no longer members (those already in the
    entry being corrected, or in the balances being settled).
    """
    current = {m.user_id: m.display_name for m in members}
    return Context(
        book_currency=book.currency,
        starts_on=store.local_day(event.starts_at, event.timezone),
        ends_on=store.local_day(event.ends_at, event.timezone),
        today=store.local_day(utcnow(), event.timezone),
        members={**(also or {}), **current},
        current=frozenset(current),
        author=principal.require_user(),
        organizer=is_organizer(principal),
    )
