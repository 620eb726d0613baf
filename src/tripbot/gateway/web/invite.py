"""Web pages: an invitation link, for the person who got it, to accept (after logging in);
invitations sent by email."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from pydantic import EmailStr, TypeAdapter, ValidationError

from tripbot.events.schemas import MembershipOut
from tripbot.gateway import auth, invite_mail
from tripbot.gateway.schemas import EmailInvitationRequest
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import message_for, role_label
from tripbot.platform.errors import Gone, NotFound, PermissionDenied
from tripbot.platform.web import current_settings

bp = Blueprint("invite", __name__)
forms.install(bp)


def _membership(event_id: int) -> MembershipOut | None:
    if auth.current_user() is None:
        return None
    try:
        return auth.events().membership(event_id)
    except NotFound:
        return None


@bp.get("/invite/<code>")
def show(code: str) -> ResponseReturnValue:
    """Which event an invitation is for, and the way in: accept, or log in or register first."""
    invitation = auth.events().preview_invitation(code)
    membership = _membership(invitation.event_id)
    page = render_template("invite/show.html", invitation=invitation, membership=membership)
    return page, 200 if invitation.usable or membership else 410


@bp.post("/invite/<code>")
@auth.login_required
def accept(code: str) -> ResponseReturnValue:
    """Join the event of an invitation, then open it."""
    try:
        membership = auth.events().accept_invitation(code)
    except Gone as error:
        flash(message_for(error), "error")
        return redirect(url_for("invite.show", code=code))
    flash(_("You joined the event as %(role)s.", role=role_label(membership.role)), "success")
    return redirect(url_for("events.show", event_id=membership.event_id))


@bp.app_context_processor
def _mail() -> dict[str, object]:
    return {
        "mail_enabled": current_settings().mail_enabled,
        "mail_language": str(get_locale() or "es"),
    }


_EMAIL = TypeAdapter(EmailStr)


def _is_email(text: str) -> bool:
    try:
        _EMAIL.validate_python(text)
    except ValidationError:
        return False
    return True


@bp.post("/events/<int:event_id>/invitations/email")
@auth.login_required
def invite_by_email(event_id: int) -> ResponseReturnValue:
    """Invite people by email (owners and organizers), each with a single-use link."""
    back = redirect(url_for("events.show", event_id=event_id, _anchor="invite-by-email"))
    emails = [e for e in re.split(r"[\s,;]+", request.form.get("emails", "")) if e]
    data = {**forms.filled(request.form, "role", "language"), "emails": emails}
    wrong = [email for email in emails if not _is_email(email)]
    if wrong:
        flash(_("These addresses are not valid: %(emails)s", emails=", ".join(wrong)), "error")
        return back
    result = forms.validate(EmailInvitationRequest, data)
    if isinstance(result, dict):  # none, or more than 50
        flash(next(iter(result.values())), "error")
        return back
    try:
        sent = invite_mail.invite_by_email(event_id, result)
    except PermissionDenied as error:
        flash(message_for(error), "error")
        return back
    flash(
        ngettext(
            "An invitation is on its way to %(emails)s.",
            "Invitations are on their way to %(emails)s.",
            len(sent),
            emails=", ".join(i.email for i in sent),
        ),
        "success",
    )
    return back
