"""Web sessions and passwords: a session is a row, so logging out ends it for whoever holds a
copy of the cookie, and a password change ends every other one."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import User, WebSession
from tripbot.events.schemas import (
    PasswordChange,
    SessionSecret,
    SessionStart,
    SessionStarted,
    UserOut,
)
from tripbot.events.service.accounts import policy_of
from tripbot.platform.db import utcnow
from tripbot.platform.errors import InvalidInput, Message, NotAuthenticated
from tripbot.platform.operations import Access, Call
from tripbot.platform.password_rules import refuse_weak

SESSION_PREFIX = "ws_"


@OPERATIONS.post("/sessions", status=201, public=False)
def start_session(call: Call, data: SessionStart) -> SessionStarted:
    """A new web session for the asker (the gateway, once the password was checked)."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user = store.user(uow, call.principal.require_user())
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + timedelta(days=data.lifetime_days)
        uow.session.add(
            WebSession(
                user_id=user.id,
                secret_hash=rules.secret_hash(secret),
                created_at=now,
                expires_at=expires_at,
            )
        )
        uow.commit()
        return SessionStarted(secret=secret, expires_at=expires_at)


@OPERATIONS.post("/sessions/resolve", access=Access.ANYONE, public=False)
def resolve_session(call: Call, data: SessionSecret) -> UserOut:
    """The account of a live web session, or NotAuthenticated (ended, expired or unknown)."""
    with call.unit_of_work() as uow:
        found = uow.session.scalar(
            select(WebSession).where(
                WebSession.secret_hash == rules.secret_hash(data.secret),
                WebSession.expires_at > utcnow(),
            )
        )
        if found is None:
            raise NotAuthenticated(Message("your session has ended; log in again"))
        return store.user_out(store.user(uow, found.user_id))


@OPERATIONS.post("/sessions/end", access=Access.ANYONE, public=False)
def end_session(call: Call, data: SessionSecret) -> None:
    """Log one web session out (nothing to do if it has already ended)."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        uow.session.execute(
            delete(WebSession).where(WebSession.secret_hash == rules.secret_hash(data.secret))
        )
        uow.commit()


@OPERATIONS.delete("/sessions", public=False)
def end_sessions(call: Call) -> None:
    """Log every web session of the asker out ("log out everywhere")."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        uow.session.execute(
            delete(WebSession).where(WebSession.user_id == call.principal.require_user())
        )
        uow.commit()


@OPERATIONS.post("/users/me/password", public=False)
def change_password(call: Call, data: PasswordChange) -> None:
    """Change the asker's password, the current one required; their other web sessions end."""
    # Not public as it is: the gateway's POST /me/password is rate-limited and keeps this session.
    policy = policy_of(call)
    refuse_weak(data.new_password, field="new_password")
    user_id = call.principal.require_user()
    with call.unit_of_work() as uow:
        user = store.user(uow, user_id)
        if not policy.passwords.verify(user.password_hash, data.current_password):
            raise InvalidInput(
                Message("the current password is not right"), field="current_password"
            )
        # Hashed before the write lock is taken, which SQLite would hold through the hash.
        new_hash = policy.passwords.hash(data.new_password)
        uow.session.rollback()
        uow.lock_for_write()
        uow.session.execute(update(User).where(User.id == user_id).values(password_hash=new_hash))
        others = delete(WebSession).where(WebSession.user_id == user_id)
        if data.keep_session:
            others = others.where(WebSession.secret_hash != rules.secret_hash(data.keep_session))
        uow.session.execute(others)
        uow.commit()
