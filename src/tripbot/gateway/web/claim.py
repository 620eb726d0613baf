"""Web pages: a guest's claim link, for the person it was made for, to take their place with
their own account (logged in) or with a new one made on the spot."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from tripbot.events.schemas import ClaimOut, ClaimRegister
from tripbot.gateway import auth
from tripbot.gateway.i18n import select_language
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import FORM, INVALID, FormErrors, invalid_input_errors, message_for
from tripbot.platform.errors import Conflict, Gone, InvalidInput

bp = Blueprint("claim", __name__)
forms.install(bp)


def _page(
    token: str, form: Mapping[str, str], errors: FormErrors, status: int = 200
) -> tuple[str, int]:
    """The claim page (410 once the link no longer works), with the new-account form."""
    try:
        claim = auth.events().preview_claim(token)
    except Gone as error:
        gone = render_template("claim/show.html", claim=None, gone=message_for(error), token=token)
        return gone, 410
    shown = form or {"display_name": claim.guest_name, "language": select_language()}
    page = render_template(
        "claim/show.html",
        claim=claim,
        gone=None,
        token=token,
        form=shown,
        errors=errors,
        language_labels=forms.LANGUAGE_LABELS,
    )
    return page, status


@bp.get("/claim/<token>")
def show(token: str) -> ResponseReturnValue:
    """Whose place in which event the link offers, and the ways to take it."""
    return _page(token, {}, {})


def _done(claimed: ClaimOut) -> ResponseReturnValue:
    flash(_("The place is yours: what was recorded for you in this event is now yours."), "success")
    return redirect(url_for("events.show", event_id=claimed.event_id))


@bp.post("/claim/<token>")
@auth.login_required
def accept(token: str) -> ResponseReturnValue:
    """Take the guest's place with the account one is logged in with."""
    try:
        claimed = auth.events().accept_claim(token)
    except (Gone, Conflict) as error:
        flash(message_for(error), "error")
        return redirect(url_for("claim.show", token=token))
    return _done(claimed)


@bp.post("/claim/<token>/register")
def register(token: str) -> ResponseReturnValue:
    """Take the guest's place with a new account, then be logged in with it."""
    data: dict[str, object] = {**forms.filled(request.form, "email", "display_name", "language")}
    data["password"] = request.form.get("password", "")
    result = forms.validate(ClaimRegister, data)
    if isinstance(result, dict):
        return _page(token, request.form, result, INVALID)
    try:
        claimed = auth.events().register_claim(token, result)
    except (Conflict, InvalidInput) as error:  # a taken email, a weak password
        return _page(token, request.form, invalid_input_errors(error), INVALID)
    except Gone as error:
        return _page(token, request.form, {FORM: message_for(error)}, 410)
    auth.log_in(claimed.user)
    return _done(claimed)
