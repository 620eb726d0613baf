"""Accounts: opening one, checking a password, one's own account, and the instance's roles."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tripbot.events import OPERATIONS, store
from tripbot.events.models import User
from tripbot.events.schemas import (
    Credentials,
    UserLookup,
    UserOut,
    UserRegister,
    UserRoleChange,
    UserUpdate,
)
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import SYSTEM
from tripbot.platform.operations import Access, Call, ServiceRuntime
from tripbot.platform.password_rules import refuse_weak
from tripbot.platform.passwords import Passwords

ACCOUNT_POLICY = "account_policy"
"""The runtime extra that holds the instance's :class:`AccountPolicy`."""


@dataclass(frozen=True)
class AccountPolicy:
    """How accounts are opened and protected on this instance."""

    registration: Literal["open", "invitation"] = "open"
    passwords: Passwords = field(default_factory=Passwords)


def policy_of(call: Call) -> AccountPolicy:
    """The instance's account policy, built from its settings."""
    return call.extra(AccountPolicy, ACCOUNT_POLICY)  # noqa: S610 - not Django's extra()


def operator_call(runtime: ServiceRuntime) -> Call:
    """A call as the server's operator (the command line): accounts open even where
    registration is by invitation only."""
    policy = replace(policy_of(Call(SYSTEM, runtime)), registration="open")
    return Call(SYSTEM, replace(runtime, extras={**runtime.extras, ACCOUNT_POLICY: policy}))


@OPERATIONS.post("/users", status=201, access=Access.ANYONE, public="/auth/register", tag="Account")
def register(call: Call, data: UserRegister) -> UserOut:
    """Open an account (with an invitation code when registration is by invitation)."""
    # The first account becomes the instance's admin.
    policy = policy_of(call)
    refuse_weak(data.password)
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        email = data.email.lower()
        invitation = None
        if data.invitation_code:
            invitation = store.usable_invitation(uow, data.invitation_code)
        elif policy.registration == "invitation":
            raise PermissionDenied(
                Message("this TripBot accepts new accounts only through an invitation link")
            )
        if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(Message("an account with this email already exists"), field="email")
        first = store.is_first_account(uow)
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
            store.join(uow, invitation, user.id)
        uow.commit()
        return store.user_out(user)


def owner_of(uow: UnitOfWork, policy: AccountPolicy, data: Credentials) -> User:
    """The account an email and password belong to, or NotAuthenticated, the same for an
    unknown email as for a wrong password."""
    user = uow.session.scalar(
        select(User).where(User.email == data.email.lower(), User.guest_event_id.is_(None))
    )
    # Hash first, whatever was found: an unknown email checks against the dummy hash.
    matches = policy.passwords.verify(user.password_hash if user else None, data.password)
    if user is None or not matches:
        raise NotAuthenticated(Message("wrong email or password"))
    return user


@OPERATIONS.post("/auth/login", access=Access.ANYONE, public=False)
def authenticate(call: Call, data: Credentials) -> UserOut:
    """Check an email and password."""
    # Unknown emails cost one hash too, so timing tells nobody who has an account; guessing is
    # slowed by the gateway's rate limits, never by locking the account.
    policy = policy_of(call)
    with call.unit_of_work() as uow:
        user = owner_of(uow, policy, data)
        found = store.user_out(user)
        if policy.passwords.needs_rehash(user.password_hash):
            # Hashed before writing, and written in a transaction of its own: SQLite's write
            # lock is never held through a hash, which would stall every other writer.
            upgraded = policy.passwords.hash(data.password)
            uow.session.rollback()
            uow.lock_for_write()
            uow.session.execute(
                update(User).where(User.id == found.id).values(password_hash=upgraded)
            )
            uow.commit()
        return found


@OPERATIONS.get("/users/me", public=False)
def me(call: Call) -> UserOut:
    """The account of the person asking."""
    # Not public: the gateway answers /me with the person it has already resolved.
    with call.unit_of_work() as uow:
        return store.user_out(store.user(uow, call.principal.require_user()))


@OPERATIONS.get("/users/lookup", access=Access.SYSTEM)
def user_by_email(call: Call, query: UserLookup) -> UserOut:
    """The account with an email, for TripBot's own tools (the system principal only)."""
    call.principal.require_system()
    email = str(query.email)
    with call.unit_of_work() as uow:
        user = uow.session.scalar(
            select(User).where(User.email == email.lower(), User.guest_event_id.is_(None))
        )
        if user is None:
            raise NotFound(Message("there is no account with the email {email}"), email=email)
        return store.user_out(user)


@OPERATIONS.patch("/users/me", public="/me", tag="Account")
def update_me(call: Call, data: UserUpdate) -> UserOut:
    """Change your display name or language."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user = store.user(uow, call.principal.require_user())
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
            setattr(user, name, value)
        uow.commit()
        return store.user_out(user)


@OPERATIONS.get("/users", tag="Administration")
def users(call: Call) -> list[UserOut]:
    """Every account of this TripBot (administrators)."""
    with call.unit_of_work() as uow:
        store.require_admin(uow, call.principal)
        # Guests are people of one event, not accounts: they are listed on its page.
        accounts = select(User).where(User.guest_event_id.is_(None)).order_by(User.id)
        return [store.user_out(u) for u in uow.session.scalars(accounts)]


@OPERATIONS.patch("/users/<int:user_id>", tag="Administration")
def change_user_role(call: Call, user_id: int, data: UserRoleChange) -> UserOut:
    """Make someone admin, gear keeper or member (administrators)."""
    # The instance always keeps an admin.
    role = data.role
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        store.require_admin(uow, call.principal)
        user = uow.session.get(User, user_id)
        if user is None or user.is_guest:
            raise NotFound(Message("there is no user {user_id}"), user_id=user_id)
        if user.role == "admin" and role != "admin" and store.admin_count(uow) == 1:
            raise Conflict(Message("this TripBot must keep at least one administrator"))
        user.role = role
        uow.commit()
        return store.user_out(user)


def assign_role(uow: UnitOfWork, user_id: int, role: str) -> UserOut:
    """Give an account an instance role as the server's operator (the command line)."""
    with uow:
        uow.lock_for_write()
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(Message("there is no user {user_id}"), user_id=user_id)
        user.role = role
        uow.commit()
        return store.user_out(user)
