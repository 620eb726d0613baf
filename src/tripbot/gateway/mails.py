"""The gateway words TripBot's mails, in the reader's language, from templates: each mail is a
plain text (``mail/<name>.txt``) and an HTML body (``mail/<name>.html``) of the same words."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from tripbot.events.schemas import MailDraft
from tripbot.platform.errors import Message, PermissionDenied
from tripbot.platform.web import current_settings


def require_mail() -> None:
    """PermissionDenied where this TripBot sends no email (TRIPBOT_SMTP_URL is not set)."""
    if not current_settings().mail_enabled:
        # Refused (403), not unavailable (503): asking again will not help until it is set up.
        raise PermissionDenied(
            Message("this TripBot does not send email; ask its administrator to set it up")
        )


def public_link(path: str) -> str:
    """An absolute link to a page of this TripBot, for a mail."""
    return f"{current_settings().public_url.rstrip('/')}{path}"


def word(name: str, language: str, **values: Any) -> MailDraft:
    """The mail ``name`` in ``language``, its subject from the template's ``subject`` value."""
    with force_locale(language):
        # One line: a name with a line break must not end the Subject header early.
        subject = " ".join(_subject(name, **values).split())
        text = render_template(f"mail/{name}.txt", subject=subject, **values)
        html = render_template(f"mail/{name}.html", subject=subject, language=language, **values)
    return MailDraft(subject=subject, text=text, html=html)


def _subject(name: str, **values: Any) -> str:
    subjects = {
        "password_reset": lambda: _("Set a new password for TripBot"),
        "invitation": lambda: _(
            "%(inviter)s invites you to %(event)s",
            inviter=values["inviter"],
            event=values["event"].name,
        ),
    }
    return str(subjects[name]())
