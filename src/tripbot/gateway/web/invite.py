"""Web pages: an invitation link, for the person who got it, to accept (after logging in)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from tripbot.events.schemas import MembershipOut
from tripbot.gateway import auth
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import message_for, role_label
from tripbot.platform.errors import Gone, NotFound

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
