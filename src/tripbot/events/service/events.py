"""Events: made, listed, read, changed and deleted; the upcoming ones for the bot's reminders."""

from __future__ import annotations

from sqlalchemy import func, select

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Event, Membership
from tripbot.events.schemas import (
    EventCreate,
    EventOut,
    EventSummary,
    EventUpdate,
    UpcomingQuery,
    check_span,
)
from tripbot.platform.errors import InvalidInput, Message
from tripbot.platform.operations import Access, Call

MAX_UPCOMING_EVENTS = 1000
"""Most events one ``upcoming_events`` call answers (the window is at most 31 days too)."""


@OPERATIONS.post("/events", status=201)
def create_event(call: Call, data: EventCreate) -> EventOut:
    """Create an event; you become its owner."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user = store.user(uow, call.principal.require_user())
        event = Event(**data.model_dump(), created_by=user.id)
        uow.session.add(event)
        uow.session.flush()
        uow.session.add(Membership(event_id=event.id, user_id=user.id, role="owner"))
        uow.commit()
        return store.event_out(event, "owner", 1)


@OPERATIONS.get("/events")
def events(call: Call) -> list[EventOut]:
    """The events you belong to."""
    # Soonest first.
    with call.unit_of_work() as uow:
        user_id = call.principal.require_user()
        counts = (
            select(Membership.event_id, func.count().label("n"))
            .group_by(Membership.event_id)
            .subquery()
        )
        rows = uow.session.execute(
            select(Event, Membership.role, counts.c.n)
            .join(Membership, Membership.event_id == Event.id)
            .join(counts, counts.c.event_id == Event.id)
            .where(Membership.user_id == user_id)
            .order_by(Event.starts_at, Event.id)
        )
        return [store.event_out(event, role, n) for event, role, n in rows]


@OPERATIONS.get("/events/upcoming", access=Access.SYSTEM)
def upcoming_events(call: Call, window: UpcomingQuery) -> list[EventSummary]:
    """Events starting in ``[starts_after, starts_before)``, soonest first (system only)."""
    call.principal.require_system()
    with call.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(Event)
            .where(Event.starts_at >= window.starts_after, Event.starts_at < window.starts_before)
            .order_by(Event.starts_at, Event.id)
            .limit(MAX_UPCOMING_EVENTS)
        )
        return [
            EventSummary(
                id=e.id,
                name=e.name,
                kind=e.kind,
                place=e.place,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                timezone=e.timezone,
                currency=e.currency,
            )
            for e in rows
        ]


@OPERATIONS.get("/events/<int:event_id>")
def event(call: Call, event_id: int) -> EventOut:
    """One of your events (404 for events you do not belong to)."""
    # TripBot's own components see every event, as role "system".
    with call.reading() as connection:
        return store.seen_event(connection, call.principal, event_id)


@OPERATIONS.patch("/events/<int:event_id>")
def update_event(call: Call, event_id: int, data: EventUpdate) -> EventOut:
    """Change an event (owners and organizers)."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        membership = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            membership.role,
            "organizer",
            Message("only an event organizer or above may change the event"),
        )
        changed = membership.event
        changes = data.model_dump(exclude_unset=True)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
            setattr(changed, name, value)
        check_span(changed.starts_at, changed.ends_at)
        store.changed(uow, "event.updated", event_id, {"changed": sorted(changes)})
        uow.commit()
        return store.event_out(changed, membership.role, store.member_count(uow, event_id))


@OPERATIONS.delete("/events/<int:event_id>")
def delete_event(call: Call, event_id: int) -> None:
    """Delete an event (owners)."""
    # Its memberships and invitations go with it.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        membership = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            membership.role, "owner", Message("only an event owner or above may delete the event")
        )
        store.changed(uow, "event.deleted", event_id, {"name": membership.event.name})
        uow.session.delete(membership.event)
        uow.commit()
