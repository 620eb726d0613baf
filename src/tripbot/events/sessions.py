"""Use cases of web sessions and passwords: a session is a row, so logging out ends it for
whoever holds a copy of the cookie, and a password change ends every other one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from tripbot.events.models import User, WebSession
from tripbot.events.schemas import (
    PasswordChange,
    SessionStart,
    SessionStarted,
    UserOut,
)
from tripbot.events.service import AccountPolicy, _user, _user_out
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import InvalidInput, Message, NotAuthenticated
from tripbot.platform.identity import Principal
from tripbot.platform.password_rules import refuse_weak

SESSION_PREFIX = "ws_"


def _secret_hash(secret: str) -> str:
    # Secrets are 256-bit random: a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(uow: UnitOfWork, principal: Principal, data: SessionStart) -> SessionStarted:
    """A new web session for the principal (who has just proved their password)."""
    with uow:
        uow.lock_for_write()
        user = _user(uow, principal.require_user())
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + timedelta(days=data.lifetime_days)
        uow.session.add(
            WebSession(
                user_id=user.id,
                secret_hash=_secret_hash(secret),
                created_at=now,
                expires_at=expires_at,
            )
        )
        uow.commit()
        return SessionStarted(secret=secret, expires_at=expires_at)


def resolve_session(uow: UnitOfWork, secret: str) -> UserOut:
    """The account of a live web session, or NotAuthenticated (ended, expired or unknown)."""
    with uow:
        found = uow.session.scalar(
            select(WebSession).where(
                WebSession.secret_hash == _secret_hash(secret), WebSession.expires_at > utcnow()
            )
        )
        if found is None:
            raise NotAuthenticated(Message("your session has ended; log in again"))
        return _user_out(_user(uow, found.user_id))


def end_session(uow: UnitOfWork, secret: str) -> None:
    """Log one web session out (nothing to do if it has already ended)."""
    with uow:
        uow.lock_for_write()
        uow.session.execute(
            delete(WebSession).where(WebSession.secret_hash == _secret_hash(secret))
        )
        uow.commit()


def end_sessions(uow: UnitOfWork, principal: Principal) -> int:
    """Log every web session of the principal out ("log out everywhere"); how many ended."""
    with uow:
        uow.lock_for_write()
        ended = uow.session.execute(
            delete(WebSession).where(WebSession.user_id == principal.require_user())
        )
        uow.commit()
        return int(ended.rowcount or 0)  # type: ignore[attr-defined]


def change_password(
    uow: UnitOfWork, policy: AccountPolicy, principal: Principal, data: PasswordChange
) -> None:
    """Change one's password, the current one required; every other web session ends."""
    refuse_weak(data.new_password, field="new_password")
    user_id = principal.require_user()
    with uow:
        user = _user(uow, user_id)
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
            others = others.where(WebSession.secret_hash != _secret_hash(data.keep_session))
        uow.session.execute(others)
        uow.commit()
