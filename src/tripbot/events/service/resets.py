"""Password resets by email: a link valid 30 minutes, used once, that sets a new password and
ends every web session of the account."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tripbot.events import OPERATIONS, rules
from tripbot.events.models import PasswordReset, User, WebSession, mail_outbox
from tripbot.events.schemas import PasswordResetFinish, PasswordResetStart
from tripbot.events.service.accounts import mail_domain, policy_of
from tripbot.platform.db import utcnow
from tripbot.platform.errors import Gone, Message, NotFound
from tripbot.platform.mail import Mail, enqueue
from tripbot.platform.operations import Access, Call
from tripbot.platform.password_rules import refuse_weak

RESET_LIFETIME = timedelta(minutes=30)
"""How long a password reset link works."""
MAILS_PER_HOUR = 5
"""Reset mails one account gets in an hour at most: asking from many addresses (each within
the gateway's limits) cannot fill someone's inbox. Beyond it the answer is the same, and no mail
goes."""


@OPERATIONS.post("/password-resets", status=204, access=Access.ANYONE, public=False)
def request_password_reset(call: Call, data: PasswordResetStart) -> None:
    """Queue the mail with a password reset link if the email has an account; the same answer,
    and the same work, when it has none."""
    # Not public as it is: the gateway makes the link's secret and words the mail.
    domain = mail_domain(policy_of(call))
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user = uow.session.scalar(select(User).where(User.email == data.email.lower()))
        now = utcnow()
        uow.session.add(
            PasswordReset(
                token_hash=rules.secret_hash(data.token),
                user_id=user.id if user else None,
                created_at=now,
                expires_at=now + RESET_LIFETIME,
            )
        )
        if user is not None and _recent_requests(uow.session, user.id, now) <= MAILS_PER_HOUR:
            mail = Mail(user.email, data.mail.subject, data.mail.text, data.mail.html, "reset")
            enqueue(uow.session, mail_outbox, mail, domain)
        uow.commit()


def _recent_requests(session: Session, user_id: int, now: datetime) -> int:
    """Reset links asked for an account in the last hour (this one included)."""
    since = now - timedelta(hours=1)
    found = session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.created_at > since)
    )
    return int(found or 0)


@OPERATIONS.post("/password-resets/finish", status=204, access=Access.ANYONE, public=False)
def reset_password(call: Call, data: PasswordResetFinish) -> None:
    """Set a new password with a reset link's secret; the link is spent and every web session
    of the account ends."""
    policy = policy_of(call)
    refuse_weak(data.new_password, field="new_password")
    # Hashed before the write lock is taken, which SQLite would hold through the hash.
    new_hash = policy.passwords.hash(data.new_password)
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        now = utcnow()
        found = uow.session.scalar(
            select(PasswordReset).where(
                PasswordReset.token_hash == rules.secret_hash(data.token),
                PasswordReset.user_id.is_not(None),
            )
        )
        if found is None or found.user_id is None:
            raise NotFound(Message("this password reset link is not known; ask for a new one"))
        # Spent in one conditional update, so two tabs racing with one link cannot both win.
        spent = uow.session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.id == found.id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            raise Gone(
                Message(
                    "this password reset link has expired or was already used; ask for a new one"
                )
            )
        user_id = found.user_id
        uow.session.execute(update(User).where(User.id == user_id).values(password_hash=new_hash))
        # Whoever held a session (or the old password) is out; the account's other links too.
        uow.session.execute(delete(WebSession).where(WebSession.user_id == user_id))
        uow.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        uow.commit()
