"""Invitations by email, as the gateway does them for the API and the web alike: a single-use
link for each address, worded in the inviter's chosen language, queued by the events service
with the invitations (all or none).

A guest's claim link (a person without an account, issue 19) is meant to go out the same way:
``mails.word("invitation", ...)`` with the claim link instead of ``/invite/<code>``, queued by
the use case that makes the claim link.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import get_locale

from tripbot.events.schemas import EmailInvitee, InvitationsByEmail
from tripbot.gateway import auth, mails
from tripbot.gateway.schemas import EmailedInvitation, EmailInvitationRequest
from tripbot.platform.db import utcnow


def invite_by_email(event_id: int, request: EmailInvitationRequest) -> list[EmailedInvitation]:
    """Invite each address of ``request`` to the event by mail; the invitations made."""
    mails.require_mail()
    inviter = auth.require_user()
    client = auth.events()
    event = client.event(event_id)  # a stranger's event is not found before anything is worded
    language = request.language or str(get_locale() or "es")
    emails = list(dict.fromkeys(str(email).lower() for email in request.emails))
    until = utcnow() + timedelta(hours=request.expires_in_hours)
    invitees = []
    for email in emails:
        code = secrets.token_urlsafe(18)
        mail = mails.word(
            "invitation",
            language,
            inviter=inviter.display_name,
            event=event,
            role=request.role,
            until=until,
            link=mails.public_link(f"/invite/{code}"),
        )
        invitees.append(EmailInvitee(email=email, code=code, mail=mail))
    made = client.invite_by_email(
        event_id,
        InvitationsByEmail(
            role=request.role, expires_in_hours=request.expires_in_hours, invitees=invitees
        ),
    )
    return [
        EmailedInvitation(
            **invitation.model_dump(),
            url=mails.public_link(f"/invite/{invitation.code}"),
            email=email,
        )
        for invitation, email in zip(made, emails, strict=True)
    ]
