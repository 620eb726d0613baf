"""Persistence helpers the events service's use cases share: finding rows (and refusing when
they are not there), counting what must stay, recording changes and shaping answers."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Connection, func, literal, select, text, update

from tripbot.events import rules
from tripbot.events.models import Event, Invitation, Membership, User, outbox
from tripbot.events.schemas import EventOut, InvitationOut, UserOut
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import (
    Gone,
    Message,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import record_change


def changed(uow: UnitOfWork, topic: str, event_id: int, payload: dict[str, object]) -> None:
    """Record a change of an event in the outbox, for the services that follow the feed."""
    record_change(uow.session, outbox, topic, event_id, {"event_id": event_id, **payload})


# ---- accounts -----------------------------------------------------------------------------


def user_out(user: User) -> UserOut:
    """An account as answered."""
    return UserOut.model_validate(user, from_attributes=True)


def user(uow: UnitOfWork, user_id: int) -> User:
    """The asker's account, or NotAuthenticated if it is gone."""
    found = uow.session.get(User, user_id)
    if found is None:
        raise NotAuthenticated(Message("your account no longer exists"))
    return found


def require_admin(uow: UnitOfWork, principal: Principal) -> User:
    """The asker's account if they administer the instance."""
    found = user(uow, principal.require_user())
    if found.role != "admin":
        raise PermissionDenied(Message("only an administrator of this TripBot may do this"))
    return found


def is_first_account(uow: UnitOfWork) -> bool:
    """Whether no account exists yet (registrations take turns from here on PostgreSQL)."""
    if uow.session.get_bind().dialect.name == "postgresql":
        # Registrations take turns from here to commit, so two on an empty instance cannot
        # both see "no users yet" and both become admin.
        uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('tripbot.users'))"))
    return uow.session.scalar(select(func.count()).select_from(User)) == 0


def admin_count(uow: UnitOfWork) -> int:
    """How many administrators the instance has."""
    # Locks the admins' rows on PostgreSQL so two demotions cannot both see two admins.
    admins = uow.session.scalars(
        select(User.id).where(User.role == "admin").with_for_update()
    ).all()
    return len(admins)


# ---- events and memberships ---------------------------------------------------------------


def membership(uow: UnitOfWork, event_id: int, user_id: int | None) -> Membership:
    """The asker's membership; events of others are not found, so they cannot be enumerated."""
    found = None
    if user_id is not None:
        found = uow.session.scalar(
            select(Membership).where(Membership.event_id == event_id, Membership.user_id == user_id)
        )
    if found is None:
        raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
    return found


def member_count(uow: UnitOfWork, event_id: int) -> int:
    """How many members an event has."""
    return (
        uow.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.event_id == event_id)
        )
        or 0
    )


def owner_count(uow: UnitOfWork, event_id: int) -> int:
    """How many owners an event has."""
    # Locks the owners' rows on PostgreSQL so two demotions cannot both see two owners.
    owners = uow.session.scalars(
        select(Membership.id)
        .where(Membership.event_id == event_id, Membership.role == "owner")
        .with_for_update()
    ).all()
    return len(owners)


def event_out(event: Event, role: str, members: int) -> EventOut:
    """An event as answered to someone with a role in it."""
    return EventOut(
        id=event.id,
        name=event.name,
        kind=event.kind,
        description=event.description,
        place=event.place,
        starts_at=event.starts_at.astimezone(UTC),
        ends_at=event.ends_at.astimezone(UTC),
        timezone=event.timezone,
        currency=event.currency,
        my_role=role,
        member_count=members,
        created_at=event.created_at,
    )


def seen_event(connection: Connection, principal: Principal, event_id: int) -> EventOut:
    """An event as the asker sees it, with their role and how many members it has, in one
    query (NotFound for those not in it; TripBot's own components see every event)."""
    events, memberships = Event.__table__, Membership.__table__
    counted = memberships.alias("counted")
    members = (
        select(func.count())
        .where(counted.c.event_id == events.c.id)
        .scalar_subquery()
        .label("member_count")
    )
    if principal.system:
        query = select(events, literal("system").label("my_role"), members).where(
            events.c.id == event_id
        )
    elif principal.user_id is not None:
        query = (
            select(events, memberships.c.role.label("my_role"), members)
            .join_from(memberships, events, memberships.c.event_id == events.c.id)
            .where(memberships.c.event_id == event_id, memberships.c.user_id == principal.user_id)
        )
    else:
        raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
    row = connection.execute(query).mappings().one_or_none()
    if row is None:
        raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
    return EventOut.model_validate(
        {
            **row,
            "starts_at": row["starts_at"].astimezone(UTC),
            "ends_at": row["ends_at"].astimezone(UTC),
        }
    )


def role_in(connection: Connection, event_id: int, user_id: int | None) -> str:
    """The asker's role in an event, in one query; NotFound when they are not a member."""
    memberships = Membership.__table__
    role = None
    if user_id is not None:
        role = connection.scalar(
            select(memberships.c.role).where(
                memberships.c.event_id == event_id, memberships.c.user_id == user_id
            )
        )
    if role is None:
        raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
    return str(role)


def visible_event(uow: UnitOfWork, principal: Principal, event_id: int) -> tuple[Event, str]:
    """An event and the asker's role in it; TripBot's own components see every event."""
    if principal.system:
        event = uow.session.get(Event, event_id)
        if event is None:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        return event, "system"
    found = membership(uow, event_id, principal.user_id)
    return found.event, found.role


# ---- invitations --------------------------------------------------------------------------


def unusable_reason(invitation: Invitation) -> Message | None:
    """Why an invitation no longer works, or None if it does."""
    return rules.unusable_reason(
        invitation.revoked_at,
        invitation.expires_at,
        invitation.uses,
        invitation.max_uses,
        utcnow(),
    )


def invitation_out(invitation: Invitation, event_name: str) -> InvitationOut:
    """An invitation as answered."""
    return InvitationOut(
        code=invitation.code,
        event_id=invitation.event_id,
        event_name=event_name,
        role=invitation.role,
        expires_at=invitation.expires_at,
        max_uses=invitation.max_uses,
        uses=invitation.uses,
        usable=unusable_reason(invitation) is None,
    )


def find_invitation(uow: UnitOfWork, code: str, *, for_update: bool = False) -> Invitation:
    """The invitation with a code, locked if asked; NotFound also for what cannot be a code."""
    invitation = None
    if rules.INVITATION_CODE.fullmatch(code):
        query = select(Invitation).where(Invitation.code == code)
        invitation = uow.session.scalar(query.with_for_update() if for_update else query)
    if invitation is None:
        raise NotFound(Message("there is no such invitation; check the link"))
    return invitation


def usable_invitation(uow: UnitOfWork, code: str) -> Invitation:
    """The invitation with a code if it still works, or Gone saying why not."""
    invitation = find_invitation(uow, code)
    reason = unusable_reason(invitation)
    if reason:
        raise Gone(reason)
    return invitation


def join(uow: UnitOfWork, invitation: Invitation, user_id: int) -> Membership:
    """Spend one use of an invitation on someone joining its event."""
    # A conditional update, so two people racing for the last use cannot both get in.
    taken = uow.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses)
        .values(uses=Invitation.uses + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone(Message("this invitation has already been used"))
    joined = Membership(event_id=invitation.event_id, user_id=user_id, role=invitation.role)
    uow.session.add(joined)
    uow.session.flush()
    changed(
        uow, "member.joined", invitation.event_id, {"user_id": user_id, "role": invitation.role}
    )
    return joined
