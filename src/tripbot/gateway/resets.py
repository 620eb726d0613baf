"""Password resets as the gateway does them for the API and the web alike: it makes the link's
secret and words the mail, and the events service queues the mail if the email has an account."""

from __future__ import annotations

import secrets

from flask_babel import get_locale
from flask_babel import gettext as _

from tripbot.events.schemas import PasswordResetFinish, PasswordResetStart
from tripbot.events.service.resets import RESET_LIFETIME
from tripbot.gateway import auth, mails


def accepted() -> str:
    """What every request for a link is answered, in the asker's language."""
    return str(
        _(
            "If an account has that email, a link to set a new password is on its way. It works "
            "once, for 30 minutes."
        )
    )


def ask(email: str) -> None:
    """Send a reset link to ``email`` if it has an account; the same work and answer if not."""
    mails.require_mail()
    token = secrets.token_urlsafe(32)
    # Worded whether or not the account exists (the same work either way), in the asker's
    # language: the one of the page they asked from.
    mail = mails.word(
        "password_reset",
        str(get_locale() or "es"),
        email=email,
        link=mails.public_link(f"/password-reset/{token}"),
        minutes=int(RESET_LIFETIME.total_seconds() // 60),
    )
    auth.events().request_password_reset(PasswordResetStart(email=email, token=token, mail=mail))


def finish(token: str, new_password: str) -> None:
    """Set the new password with a link's secret; every web session of the account ends."""
    auth.events().reset_password(PasswordResetFinish(token=token, new_password=new_password))
