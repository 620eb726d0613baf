"""Memberships: who is in an event with which role, changing roles, leaving and adding."""

from __future__ import annotations

from sqlalchemy import select

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Event, Membership, User
from tripbot.events.schemas import (
    ROLE_RANK,
    EventJoin,
    MemberAdded,
    MemberOut,
    MemberRoleChange,
    MembershipOut,
)
from tripbot.platform.errors import Conflict, Message, NotFound, PermissionDenied
from tripbot.platform.operations import Access, Call


@OPERATIONS.get("/events/<int:event_id>/members", tag="Members")
def members(call: Call, event_id: int) -> list[MemberOut]:
    """An event's members and their roles."""
    # Owners first; for its members and TripBot's own components.
    with call.unit_of_work() as uow:
        store.visible_event(uow, call.principal, event_id)
        rows = uow.session.execute(
            select(Membership, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.event_id == event_id)
            .order_by(Membership.joined_at, Membership.id)
        )
        found = [
            MemberOut(
                user_id=m.user_id,
                display_name=name,
                role=m.role,
                joined_at=m.joined_at,
            )
            for m, name in rows
        ]
        return sorted(found, key=lambda m: -ROLE_RANK[m.role])


@OPERATIONS.get("/events/<int:event_id>/membership", public=False)
def membership(call: Call, event_id: int) -> MembershipOut:
    """The asker's role in an event (what other services are told), or NotFound."""
    with call.unit_of_work() as uow:
        found = store.membership(uow, event_id, call.principal.user_id)
        return MembershipOut(event_id=event_id, user_id=found.user_id, role=found.role)


@OPERATIONS.patch("/events/<int:event_id>/members/<int:user_id>", tag="Members")
def change_member_role(
    call: Call, event_id: int, user_id: int, data: MemberRoleChange
) -> MemberOut:
    """Change a member's role (owners and organizers; ownership only by owners)."""
    # Organizers manage participants and organizers; only owners grant or take ownership; an
    # event always keeps an owner.
    role = data.role
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        actor = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            actor.role, "organizer", Message("only an event organizer or above may change roles")
        )
        target = uow.session.scalar(
            select(Membership).where(Membership.event_id == event_id, Membership.user_id == user_id)
        )
        if target is None:
            raise NotFound(Message("user {user_id} is not a member of this event"), user_id=user_id)
        if target.role == "guest":
            # A role gives rights to someone who can log in; a guest cannot until they claim.
            raise Conflict(
                Message("a guest has no account; they get a role when they claim their place")
            )
        if "owner" in (role, target.role) and actor.role != "owner":
            raise PermissionDenied(Message("only an owner may grant or take away ownership"))
        if target.role == "owner" and role != "owner" and store.owner_count(uow, event_id) == 1:
            raise Conflict(
                Message("an event must keep at least one owner; name another owner first")
            )
        store.changed(
            uow,
            "member.role_changed",
            event_id,
            {"user_id": user_id, "from": target.role, "to": role},
        )
        target.role = role
        uow.commit()
        name = uow.session.get(User, user_id)
        return MemberOut(
            user_id=user_id,
            display_name=name.display_name if name else "",
            role=role,
            joined_at=target.joined_at,
        )


@OPERATIONS.delete("/events/<int:event_id>/members/<int:user_id>", tag="Members")
def remove_member(call: Call, event_id: int, user_id: int) -> None:
    """Leave an event (your own id) or remove a member (owners and organizers)."""
    # Owners are removed only by owners.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        actor = store.membership(uow, event_id, call.principal.user_id)
        if user_id == actor.user_id:
            target = actor
        else:
            rules.require_rank(
                actor.role,
                "organizer",
                Message("only an event organizer or above may remove members"),
            )
            found = uow.session.scalar(
                select(Membership).where(
                    Membership.event_id == event_id, Membership.user_id == user_id
                )
            )
            if found is None:
                raise NotFound(
                    Message("user {user_id} is not a member of this event"), user_id=user_id
                )
            if found.role == "owner" and actor.role != "owner":
                raise PermissionDenied(Message("only an owner may remove another owner"))
            target = found
        if target.role == "owner" and store.owner_count(uow, event_id) == 1:
            raise Conflict(
                Message("an event must keep at least one owner; name another owner first")
            )
        topic = "member.left" if target is actor else "member.removed"
        store.changed(uow, topic, event_id, {"user_id": target.user_id})
        uow.session.delete(target)
        uow.commit()


def _status_of_addition(answer: MemberAdded) -> int:
    return 201 if answer.added else 200


@OPERATIONS.post(
    "/events/<int:event_id>/members",
    status=201,
    access=Access.SYSTEM,
    status_of=_status_of_addition,
)
def add_member(call: Call, event_id: int, data: EventJoin) -> MemberAdded:
    """Add someone as a participant; 200 if they already belong (TripBot's own components)."""
    # A member already in the event keeps their role: /join must never demote an organizer.
    call.principal.require_system()
    user_id = data.user_id
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        # The rows are locked so two /join at once cannot both insert, nor the event vanish.
        event = uow.session.scalar(select(Event).where(Event.id == event_id).with_for_update())
        if event is None:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        user = uow.session.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None:
            raise NotFound(Message("there is no user {user_id}"), field="user_id", user_id=user_id)
        existing = uow.session.scalar(
            select(Membership).where(Membership.event_id == event_id, Membership.user_id == user_id)
        )
        if existing is not None:
            return MemberAdded.of(event_id, user_id, existing.role, added=False)
        uow.session.add(Membership(event_id=event_id, user_id=user_id, role="participant"))
        store.changed(uow, "member.joined", event_id, {"user_id": user_id, "role": "participant"})
        uow.commit()
        return MemberAdded.of(event_id, user_id, "participant", added=True)
