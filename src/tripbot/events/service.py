"""Use cases of the events service. Each runs in one unit of work and raises domain errors."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from tripbot.events import OPERATIONS
from tripbot.events.models import (
    ApiToken,
    Event,
    Invitation,
    Membership,
    TelegramCode,
    TelegramLink,
    User,
    outbox,
)
from tripbot.events.schemas import (
    MAX_TELEGRAM_USER_ID,
    ROLE_RANK,
    Credentials,
    EventCreate,
    EventOut,
    EventSummary,
    EventUpdate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MembershipOut,
    TelegramLinkCode,
    TelegramLinkCreate,
    TelegramLinkOut,
    TelegramStatus,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
    UserRegister,
    UserUpdate,
    check_span,
)
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import (
    Conflict,
    Gone,
    InvalidInput,
    Message,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import Principal
from tripbot.platform.logging import get_logger
from tripbot.platform.outbox import declare_feed, record_change
from tripbot.platform.password_rules import refuse_weak
from tripbot.platform.passwords import Passwords

TOKEN_PREFIX = "tb_"  # noqa: S105 - a marker, not a secret
INVITATION_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What an invitation code can look like (``secrets.token_urlsafe``)."""
TELEGRAM_CODE_LIFETIME = timedelta(minutes=10)
"""How long a Telegram link code works: long enough to open Telegram, short enough to leak."""
MAX_UPCOMING_EVENTS = 1000
"""Most events one ``upcoming_events`` call answers (the window is at most 31 days too)."""
_log = get_logger("events")


@dataclass(frozen=True)
class AccountPolicy:
    """How accounts are opened and protected on this instance."""

    registration: Literal["open", "invitation"] = "open"
    passwords: Passwords = field(default_factory=Passwords)


def _changed(uow: UnitOfWork, topic: str, event_id: int, payload: dict[str, object]) -> None:
    record_change(uow.session, outbox, topic, event_id, {"event_id": event_id, **payload})


# ---- users and credentials -------------------------------------------------------------


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotAuthenticated(Message("your account no longer exists"))
    return user


def _require_admin(uow: UnitOfWork, principal: Principal) -> User:
    user = _user(uow, principal.require_user())
    if user.role != "admin":
        raise PermissionDenied(Message("only an administrator of this TripBot may do this"))
    return user


def _is_first_account(uow: UnitOfWork) -> bool:
    if uow.session.get_bind().dialect.name == "postgresql":
        # Registrations take turns from here to commit, so two on an empty instance cannot
        # both see "no users yet" and both become admin.
        uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('tripbot.users'))"))
    return uow.session.scalar(select(func.count()).select_from(User)) == 0


def register(uow: UnitOfWork, policy: AccountPolicy, data: UserRegister) -> UserOut:
    """Open an account; the first one becomes the instance's admin."""
    refuse_weak(data.password)
    with uow:
        uow.lock_for_write()
        email = data.email.lower()
        invitation = None
        if data.invitation_code:
            invitation = _usable_invitation(uow, data.invitation_code)
        elif policy.registration == "invitation":
            raise PermissionDenied(
                Message("this TripBot accepts new accounts only through an invitation link")
            )
        if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(Message("an account with this email already exists"), field="email")
        first = _is_first_account(uow)
        user = User(
            email=email,
            display_name=data.display_name,
            password_hash=policy.passwords.hash(data.password),
            role="admin" if first else "member",
            language=data.language,
        )
        uow.session.add(user)
        try:
            uow.session.flush()
        except IntegrityError as error:
            raise Conflict(
                Message("an account with this email already exists"), field="email"
            ) from error
        if invitation is not None:
            _join(uow, invitation, user.id)
        uow.commit()
        return _user_out(user)


def authenticate(uow: UnitOfWork, policy: AccountPolicy, credentials: Credentials) -> UserOut:
    """Check a password. Unknown emails cost one hash too, so timing tells nobody who has an
    account; guessing is slowed by the gateway's rate limits, never by locking the account."""
    with uow:
        user = uow.session.scalar(select(User).where(User.email == credentials.email.lower()))
        # Hash first, whatever was found: an unknown email checks against the dummy hash.
        matches = policy.passwords.verify(
            user.password_hash if user else None, credentials.password
        )
        if user is None or not matches:
            raise NotAuthenticated(Message("wrong email or password"))
        found = _user_out(user)
        if policy.passwords.needs_rehash(user.password_hash):
            # Hashed before writing, and written in a transaction of its own: SQLite's write
            # lock is never held through a hash, which would stall every other writer.
            upgraded = policy.passwords.hash(credentials.password)
            uow.session.rollback()
            uow.lock_for_write()
            uow.session.execute(
                update(User).where(User.id == found.id).values(password_hash=upgraded)
            )
            uow.commit()
        return found


def get_me(uow: UnitOfWork, principal: Principal) -> UserOut:
    """The account of the person asking."""
    with uow:
        return _user_out(_user(uow, principal.require_user()))


def find_user(uow: UnitOfWork, principal: Principal, email: str) -> UserOut:
    """The account with an email, for TripBot's own tools (the system principal only)."""
    principal.require_system()
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise NotFound(Message("there is no account with the email {email}"), email=email)
        return _user_out(user)


def update_me(uow: UnitOfWork, principal: Principal, data: UserUpdate) -> UserOut:
    """Change one's own display name or language."""
    with uow:
        uow.lock_for_write()
        user = _user(uow, principal.require_user())
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
            setattr(user, name, value)
        uow.commit()
        return _user_out(user)


def list_users(uow: UnitOfWork, principal: Principal) -> list[UserOut]:
    """Every account of the instance (admins only)."""
    with uow:
        _require_admin(uow, principal)
        return [_user_out(u) for u in uow.session.scalars(select(User).order_by(User.id))]


def _admin_count(uow: UnitOfWork) -> int:
    # Locks the admins' rows on PostgreSQL so two demotions cannot both see two admins.
    admins = uow.session.scalars(
        select(User.id).where(User.role == "admin").with_for_update()
    ).all()
    return len(admins)


def change_user_role(uow: UnitOfWork, principal: Principal, user_id: int, role: str) -> UserOut:
    """Give someone another instance role; the instance always keeps an admin."""
    with uow:
        uow.lock_for_write()
        _require_admin(uow, principal)
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(Message("there is no user {user_id}"), user_id=user_id)
        if user.role == "admin" and role != "admin" and _admin_count(uow) == 1:
            raise Conflict(Message("this TripBot must keep at least one administrator"))
        user.role = role
        uow.commit()
        return _user_out(user)


def _token_hash(token: str) -> str:
    # Tokens are 256-bit random: a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(uow: UnitOfWork, principal: Principal, data: TokenCreate) -> TokenCreated:
    """A new personal API token; its secret is returned once and stored only hashed."""
    with uow:
        uow.lock_for_write()
        user = _user(uow, principal.require_user())
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = None
        if data.expires_in_days is not None:
            expires_at = utcnow() + timedelta(days=data.expires_in_days)
        token = ApiToken(
            user_id=user.id,
            name=data.name,
            prefix=secret[:10],
            token_hash=_token_hash(secret),
            expires_at=expires_at,
        )
        uow.session.add(token)
        uow.commit()
        return TokenCreated(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=None,
            expires_at=token.expires_at,
            token=secret,
        )


def list_tokens(uow: UnitOfWork, principal: Principal) -> list[TokenOut]:
    """One's own tokens that are not revoked."""
    with uow:
        rows = uow.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == principal.require_user(), ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
        return [TokenOut.model_validate(t, from_attributes=True) for t in rows]


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: int) -> None:
    """Revoke one of one's own tokens."""
    with uow:
        uow.lock_for_write()
        token = uow.session.get(ApiToken, token_id)
        if token is None or token.user_id != principal.require_user() or token.revoked_at:
            raise NotFound(Message("you have no token {token_id}"), token_id=token_id)
        token.revoked_at = utcnow()
        uow.commit()


TOKEN_USE_PRECISION = timedelta(minutes=1)
"""How stale a token's ``last_used_at`` may get: recording each use would make every API call a
write (one at a time on SQLite), and a full or read-only disk would then refuse every call."""


def resolve_token(uow: UnitOfWork, secret: str) -> UserOut:
    """The account a bearer token belongs to, or NotAuthenticated."""
    with uow:
        token = uow.session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == _token_hash(secret), ApiToken.revoked_at.is_(None)
            )
        )
        if token is None:
            raise NotAuthenticated(Message("the API token is unknown or revoked"))
        if token.expires_at is not None and token.expires_at <= utcnow():
            raise NotAuthenticated(Message("the API token has expired"))
        user = _user_out(_user(uow, token.user_id))
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION:
            try:
                uow.session.execute(
                    update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                )
                uow.commit()
            except OperationalError as error:
                # Bookkeeping only: a busy, full or read-only database must not lock people out.
                _log.warning("token use not recorded", error=str(error.orig))
        return user


# ---- events and memberships ---------------------------------------------------------------


def _membership(uow: UnitOfWork, event_id: int, user_id: int | None) -> Membership:
    """The asker's membership; events of others are not found, so they cannot be enumerated."""
    membership = None
    if user_id is not None:
        membership = uow.session.scalar(
            select(Membership).where(Membership.event_id == event_id, Membership.user_id == user_id)
        )
    if membership is None:
        raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
    return membership


def _require_rank(membership: Membership, role: str, refusal: Message) -> None:
    if ROLE_RANK[membership.role] < ROLE_RANK[role]:
        raise PermissionDenied(refusal)


def _member_count(uow: UnitOfWork, event_id: int) -> int:
    return (
        uow.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.event_id == event_id)
        )
        or 0
    )


def _event_out(event: Event, role: str, member_count: int) -> EventOut:
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
        member_count=member_count,
        created_at=event.created_at,
    )


def create_event(uow: UnitOfWork, principal: Principal, data: EventCreate) -> EventOut:
    """Create an event; its creator is its owner."""
    with uow:
        uow.lock_for_write()
        user = _user(uow, principal.require_user())
        event = Event(**data.model_dump(), created_by=user.id)
        uow.session.add(event)
        uow.session.flush()
        uow.session.add(Membership(event_id=event.id, user_id=user.id, role="owner"))
        uow.commit()
        return _event_out(event, "owner", 1)


def list_events(uow: UnitOfWork, principal: Principal) -> list[EventOut]:
    """The events the asker belongs to, soonest first."""
    with uow:
        user_id = principal.require_user()
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
        return [_event_out(event, role, n) for event, role, n in rows]


def _visible_event(uow: UnitOfWork, principal: Principal, event_id: int) -> tuple[Event, str]:
    """An event and the asker's role in it; TripBot's own components see every event."""
    if principal.system:
        event = uow.session.get(Event, event_id)
        if event is None:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        return event, "system"
    membership = _membership(uow, event_id, principal.user_id)
    return membership.event, membership.role


def get_event(uow: UnitOfWork, principal: Principal, event_id: int) -> EventOut:
    """One event, for its members (and TripBot's own components, as role "system")."""
    with uow:
        event, role = _visible_event(uow, principal, event_id)
        return _event_out(event, role, _member_count(uow, event_id))


def update_event(
    uow: UnitOfWork, principal: Principal, event_id: int, data: EventUpdate
) -> EventOut:
    """Change an event (owners and organizers)."""
    with uow:
        uow.lock_for_write()
        membership = _membership(uow, event_id, principal.user_id)
        _require_rank(
            membership,
            "organizer",
            Message("only an event organizer or above may change the event"),
        )
        event = membership.event
        changes = data.model_dump(exclude_unset=True)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
            setattr(event, name, value)
        check_span(event.starts_at, event.ends_at)
        _changed(uow, "event.updated", event_id, {"changed": sorted(changes)})
        uow.commit()
        return _event_out(event, membership.role, _member_count(uow, event_id))


def delete_event(uow: UnitOfWork, principal: Principal, event_id: int) -> None:
    """Delete an event and its memberships (owners only)."""
    with uow:
        uow.lock_for_write()
        membership = _membership(uow, event_id, principal.user_id)
        _require_rank(
            membership, "owner", Message("only an event owner or above may delete the event")
        )
        _changed(uow, "event.deleted", event_id, {"name": membership.event.name})
        uow.session.delete(membership.event)
        uow.commit()


def list_members(uow: UnitOfWork, principal: Principal, event_id: int) -> list[MemberOut]:
    """The members of an event, owners first (for its members and TripBot's components)."""
    with uow:
        _visible_event(uow, principal, event_id)
        rows = uow.session.execute(
            select(Membership, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.event_id == event_id)
            .order_by(Membership.joined_at, Membership.id)
        )
        members = [
            MemberOut(
                user_id=m.user_id,
                display_name=name,
                role=m.role,
                joined_at=m.joined_at,
            )
            for m, name in rows
        ]
        return sorted(members, key=lambda m: -ROLE_RANK[m.role])


def get_membership(uow: UnitOfWork, principal: Principal, event_id: int) -> MembershipOut:
    """The asker's role in an event (what other services are told), or NotFound."""
    with uow:
        membership = _membership(uow, event_id, principal.user_id)
        return MembershipOut(
            event_id=event_id,
            user_id=membership.user_id,
            role=membership.role,
        )


def _owner_count(uow: UnitOfWork, event_id: int) -> int:
    # Locks the owners' rows on PostgreSQL so two demotions cannot both see two owners.
    owners = uow.session.scalars(
        select(Membership.id)
        .where(Membership.event_id == event_id, Membership.role == "owner")
        .with_for_update()
    ).all()
    return len(owners)


def change_member_role(
    uow: UnitOfWork, principal: Principal, event_id: int, user_id: int, role: str
) -> MemberOut:
    """Give a member another role. Organizers manage participants and organizers;
    only owners grant or take ownership; an event always keeps an owner."""
    with uow:
        uow.lock_for_write()
        actor = _membership(uow, event_id, principal.user_id)
        _require_rank(
            actor, "organizer", Message("only an event organizer or above may change roles")
        )
        target = uow.session.scalar(
            select(Membership).where(Membership.event_id == event_id, Membership.user_id == user_id)
        )
        if target is None:
            raise NotFound(Message("user {user_id} is not a member of this event"), user_id=user_id)
        if "owner" in (role, target.role) and actor.role != "owner":
            raise PermissionDenied(Message("only an owner may grant or take away ownership"))
        if target.role == "owner" and role != "owner" and _owner_count(uow, event_id) == 1:
            raise Conflict(
                Message("an event must keep at least one owner; name another owner first")
            )
        _changed(
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


def remove_member(uow: UnitOfWork, principal: Principal, event_id: int, user_id: int) -> None:
    """Leave an event, or remove someone from it (organizers; owners only by owners)."""
    with uow:
        uow.lock_for_write()
        actor = _membership(uow, event_id, principal.user_id)
        if user_id == actor.user_id:
            target = actor
        else:
            _require_rank(
                actor, "organizer", Message("only an event organizer or above may remove members")
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
        if target.role == "owner" and _owner_count(uow, event_id) == 1:
            raise Conflict(
                Message("an event must keep at least one owner; name another owner first")
            )
        topic = "member.left" if target is actor else "member.removed"
        _changed(uow, topic, event_id, {"user_id": target.user_id})
        uow.session.delete(target)
        uow.commit()


# ---- invitations ---------------------------------------------------------------------------


def _invitation_out(invitation: Invitation, event_name: str) -> InvitationOut:
    return InvitationOut(
        code=invitation.code,
        event_id=invitation.event_id,
        event_name=event_name,
        role=invitation.role,
        expires_at=invitation.expires_at,
        max_uses=invitation.max_uses,
        uses=invitation.uses,
        usable=_unusable_reason(invitation) is None,
    )


def _unusable_reason(invitation: Invitation) -> Message | None:
    if invitation.revoked_at is not None:
        return Message("this invitation was revoked")
    if invitation.expires_at <= utcnow():
        return Message("this invitation has expired")
    if invitation.uses >= invitation.max_uses:
        return Message("this invitation has already been used")
    return None


def _find_invitation(uow: UnitOfWork, code: str, *, for_update: bool = False) -> Invitation:
    """The invitation with a code, locked if asked; NotFound also for what cannot be a code."""
    invitation = None
    if INVITATION_CODE.fullmatch(code):
        query = select(Invitation).where(Invitation.code == code)
        invitation = uow.session.scalar(query.with_for_update() if for_update else query)
    if invitation is None:
        raise NotFound(Message("there is no such invitation; check the link"))
    return invitation


def _usable_invitation(uow: UnitOfWork, code: str) -> Invitation:
    invitation = _find_invitation(uow, code)
    reason = _unusable_reason(invitation)
    if reason:
        raise Gone(reason)
    return invitation


def _join(uow: UnitOfWork, invitation: Invitation, user_id: int) -> Membership:
    # A conditional update, so two people racing for the last use cannot both get in.
    taken = uow.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses)
        .values(uses=Invitation.uses + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone(Message("this invitation has already been used"))
    membership = Membership(event_id=invitation.event_id, user_id=user_id, role=invitation.role)
    uow.session.add(membership)
    uow.session.flush()
    _changed(
        uow, "member.joined", invitation.event_id, {"user_id": user_id, "role": invitation.role}
    )
    return membership


def create_invitation(
    uow: UnitOfWork, principal: Principal, event_id: int, data: InvitationCreate
) -> InvitationOut:
    """A new invitation link (owners and organizers)."""
    with uow:
        uow.lock_for_write()
        actor = _membership(uow, event_id, principal.user_id)
        _require_rank(
            actor, "organizer", Message("only an event organizer or above may invite people")
        )
        invitation = Invitation(
            code=secrets.token_urlsafe(18),
            event_id=event_id,
            role=data.role,
            created_by=actor.user_id,
            expires_at=utcnow() + timedelta(hours=data.expires_in_hours),
            max_uses=data.max_uses,
            uses=0,
        )
        uow.session.add(invitation)
        uow.commit()
        return _invitation_out(invitation, actor.event.name)


def list_invitations(uow: UnitOfWork, principal: Principal, event_id: int) -> list[InvitationOut]:
    """An event's invitations, newest first (owners and organizers)."""
    with uow:
        actor = _membership(uow, event_id, principal.user_id)
        _require_rank(
            actor, "organizer", Message("only an event organizer or above may see invitations")
        )
        rows = uow.session.scalars(
            select(Invitation).where(Invitation.event_id == event_id).order_by(Invitation.id.desc())
        )
        return [_invitation_out(i, actor.event.name) for i in rows]


def revoke_invitation(uow: UnitOfWork, principal: Principal, event_id: int, code: str) -> None:
    """Stop an invitation link from working (owners and organizers)."""
    with uow:
        uow.lock_for_write()
        actor = _membership(uow, event_id, principal.user_id)
        _require_rank(
            actor, "organizer", Message("only an event organizer or above may revoke invitations")
        )
        invitation = _find_invitation(uow, code)
        if invitation.event_id != event_id:
            raise NotFound(Message("there is no such invitation; check the link"))
        invitation.revoked_at = invitation.revoked_at or utcnow()
        uow.commit()


def preview_invitation(uow: UnitOfWork, code: str) -> InvitationOut:
    """What an invitation leads to, for the person about to accept it."""
    with uow:
        invitation = _find_invitation(uow, code)
        event = uow.session.get(Event, invitation.event_id)
        return _invitation_out(invitation, event.name if event else "")


def accept_invitation(uow: UnitOfWork, principal: Principal, code: str) -> MembershipOut:
    """Join the event an invitation is for; accepting again changes nothing."""
    with uow:
        uow.lock_for_write()
        user_id = principal.require_user()
        # Locked: the same person accepting twice at once finds their first membership.
        invitation = _find_invitation(uow, code, for_update=True)
        existing = uow.session.scalar(
            select(Membership).where(
                Membership.event_id == invitation.event_id, Membership.user_id == user_id
            )
        )
        if existing is None:
            existing = _join(uow, _usable_invitation(uow, code), user_id)
        uow.commit()
        return MembershipOut(
            event_id=existing.event_id,
            user_id=user_id,
            role=existing.role,
        )


def assign_role(uow: UnitOfWork, user_id: int, role: str) -> UserOut:
    """Give an account an instance role as the server's operator (the command line)."""
    with uow:
        uow.lock_for_write()
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(Message("there is no user {user_id}"), user_id=user_id)
        user.role = role
        uow.commit()
        return _user_out(user)


def add_member(
    uow: UnitOfWork, principal: Principal, event_id: int, user_id: int
) -> tuple[MembershipOut, bool]:
    """Add someone to an event as a participant (system only); True if they were not in it."""
    # A member already in the event keeps their role: /join must never demote an organizer.
    principal.require_system()
    with uow:
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
            return MembershipOut(event_id=event_id, user_id=user_id, role=existing.role), False
        uow.session.add(Membership(event_id=event_id, user_id=user_id, role="participant"))
        _changed(uow, "member.joined", event_id, {"user_id": user_id, "role": "participant"})
        uow.commit()
        return MembershipOut(event_id=event_id, user_id=user_id, role="participant"), True


def upcoming_events(
    uow: UnitOfWork, principal: Principal, starts_after: datetime, starts_before: datetime
) -> list[EventSummary]:
    """Events starting in ``[starts_after, starts_before)``, soonest first (system only)."""
    principal.require_system()
    with uow:
        rows = uow.session.scalars(
            select(Event)
            .where(Event.starts_at >= starts_after, Event.starts_at < starts_before)
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


# ---- Telegram links ------------------------------------------------------------------------


def _code_hash(code: str) -> str:
    # Codes are 128-bit random and live ten minutes: a fast hash allows the indexed lookup.
    return hashlib.sha256(code.encode()).hexdigest()


def _link_out(link: TelegramLink, user: User) -> TelegramLinkOut:
    return TelegramLinkOut(
        user=_user_out(user), telegram_user_id=link.telegram_user_id, linked_at=link.linked_at
    )


def create_telegram_link_code(uow: UnitOfWork, principal: Principal) -> TelegramLinkCode:
    """A one-time code to send the bot as ``/start <code>``; older unused codes stop working."""
    with uow:
        uow.lock_for_write()
        user = _user(uow, principal.require_user())
        now = utcnow()
        mine = TelegramCode.user_id == user.id
        uow.session.execute(
            delete(TelegramCode).where(
                mine, or_(TelegramCode.used_at.is_not(None), TelegramCode.expires_at <= now)
            )
        )
        # Superseded codes are kept, expired, so the bot can say why they no longer work.
        uow.session.execute(update(TelegramCode).where(mine).values(expires_at=now))
        code = secrets.token_urlsafe(16)
        expires_at = now + TELEGRAM_CODE_LIFETIME
        uow.session.add(
            TelegramCode(
                code_hash=_code_hash(code), user_id=user.id, created_at=now, expires_at=expires_at
            )
        )
        uow.commit()
        return TelegramLinkCode(code=code, expires_at=expires_at)


def telegram_status(uow: UnitOfWork, principal: Principal) -> TelegramStatus:
    """Whether the asker's account is linked to a Telegram account, and since when."""
    with uow:
        link = uow.session.scalar(
            select(TelegramLink).where(TelegramLink.user_id == principal.require_user())
        )
        if link is None:
            return TelegramStatus(linked=False)
        return TelegramStatus(
            linked=True, linked_at=link.linked_at, telegram_user_id=link.telegram_user_id
        )


def unlink_telegram(uow: UnitOfWork, principal: Principal) -> None:
    """Unlink the asker's Telegram account; unlinking when not linked changes nothing."""
    with uow:
        uow.lock_for_write()
        user_id = principal.require_user()
        uow.session.execute(delete(TelegramLink).where(TelegramLink.user_id == user_id))
        uow.commit()


def _spend_code(uow: UnitOfWork, code: str) -> TelegramCode:
    """Mark a live code used, or say why it cannot be; two racing /start cannot both spend it."""
    now = utcnow()
    code_hash = _code_hash(code)
    spent = uow.session.execute(
        update(TelegramCode)
        .where(
            TelegramCode.code_hash == code_hash,
            TelegramCode.used_at.is_(None),
            TelegramCode.expires_at > now,
        )
        .values(used_at=now)
    )
    found = uow.session.scalar(select(TelegramCode).where(TelegramCode.code_hash == code_hash))
    if found is None:
        raise NotFound(
            Message("this link code is unknown; press Link Telegram on the web to get one"),
            field="code",
        )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        if found.used_at is not None:
            raise Gone(
                Message("this link code was already used; press Link Telegram again on the web"),
                field="code",
            )
        raise Gone(
            Message("this link code has expired; press Link Telegram again on the web"),
            field="code",
        )
    return found


def link_telegram(
    uow: UnitOfWork, principal: Principal, data: TelegramLinkCreate
) -> TelegramLinkOut:
    """Link the Telegram account that sent a live code to the code's owner (system only)."""
    # The Telegram account leaves any other TripBot account and the owner's earlier Telegram
    # account is replaced: whoever sent the code proved they hold both.
    principal.require_system()
    with uow:
        uow.lock_for_write()
        if uow.session.get_bind().dialect.name == "postgresql":
            # Links change one at a time, so two moving the same accounts cannot collide.
            uow.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('tripbot.telegram_links'))")
            )
        code = _spend_code(uow, data.code)
        user = _user(uow, code.user_id)
        uow.session.execute(
            delete(TelegramLink).where(
                or_(
                    TelegramLink.user_id == user.id,
                    TelegramLink.telegram_user_id == data.telegram_user_id,
                )
            )
        )
        link = TelegramLink(
            user_id=user.id, telegram_user_id=data.telegram_user_id, linked_at=utcnow()
        )
        uow.session.add(link)
        uow.commit()
        return _link_out(link, user)


def telegram_user(uow: UnitOfWork, principal: Principal, telegram_user_id: int) -> TelegramLinkOut:
    """The account a Telegram user is linked to (system only), or NotFound."""
    principal.require_system()
    if not 0 < telegram_user_id < MAX_TELEGRAM_USER_ID:
        # Checked before the query: PostgreSQL's bigint would fail on a larger number.
        raise NotFound(
            Message("Telegram user {telegram_user_id} is not linked to a TripBot account"),
            telegram_user_id=str(telegram_user_id),
        )
    with uow:
        row = uow.session.execute(
            select(TelegramLink, User)
            .join(User, User.id == TelegramLink.user_id)
            .where(TelegramLink.telegram_user_id == telegram_user_id)
        ).first()
        if row is None:
            raise NotFound(
                Message("Telegram user {telegram_user_id} is not linked to a TripBot account"),
                telegram_user_id=str(telegram_user_id),
            )
        return _link_out(*row)


def telegram_links(uow: UnitOfWork, principal: Principal, event_id: int) -> list[TelegramLinkOut]:
    """The linked Telegram accounts of an event's members, to notify them (system only)."""
    principal.require_system()
    with uow:
        if uow.session.get(Event, event_id) is None:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        rows = uow.session.execute(
            select(TelegramLink, User)
            .join(User, User.id == TelegramLink.user_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.event_id == event_id)
            .order_by(User.id)
        )
        return [_link_out(link, user) for link, user in rows]


feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""
