"""Web pages: "I paid Jorge" — a payment someone made to a member or to the treasury, recorded
in one step from the event page or the money page (each suggested payment has its button), or
on its own page to pay anyone any amount."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import FORM, INVALID, FormErrors, _
from tripbot.gateway.web.ledger import decimal_input, form_errors, said
from tripbot.ledger.schemas import PaymentCreate
from tripbot.platform.errors import InvalidInput, PermissionDenied

bp = Blueprint("payments", __name__)
forms.install(bp)

BACK = {"event": "events.show", "money": "ledger.money"}
"""Where a payment form sent from another page goes back to when it is recorded."""


@bp.app_template_filter("plain_amount")
def plain_amount(text: str) -> str:
    """An amount to prefill a field with, in the reader's way but with no grouping (``16,70``),
    so the field reads back as the same number."""
    try:
        value = abs(Decimal(text))
    except (InvalidOperation, ValueError):
        return text
    return str(format_decimal(value, "0.00"))


def _page(event: EventOut, form: MultiDict[str, str], errors: FormErrors) -> str:
    me = auth.require_user().id
    client = auth.services().ledger(auth.event_principal(event.id))
    settlement = client.settlement(event.id)
    return render_template(
        "ledger/pay.html",
        event=event,
        form=form,
        errors=errors,
        people=[m for m in auth.events().members(event.id) if m.user_id != me],
        mine=[t for t in settlement.transfers if t.payer.party == me],
        keeper=settlement.treasury_keeper,
        currency=settlement.currency,
        settings=client.settings(event.id),
    )


def _body(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"to": form.get("to", ""), "amount": decimal_input(form.get("amount", ""))}


@bp.route("/events/<int:event_id>/money/pay", methods=["GET", "POST"])
@auth.login_required
def pay(event_id: int) -> ResponseReturnValue:
    """Record a payment you made (to whom, how much); from another page it goes back there."""
    event = auth.events().event(event_id)
    if request.method == "GET":
        wanted = {k: request.args.get(k, "") for k in ("to", "amount")}
        return _page(event, MultiDict(wanted), {})
    try:
        data = PaymentCreate.model_validate(_body(request.form))
    except ValidationError as error:
        errors: FormErrors = {}
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else FORM
            message = _("Choose whom you paid.") if field == "to" else forms.schema_message(detail)
            errors.setdefault(field, message)
        return _page(event, request.form, errors), INVALID
    client = auth.services().ledger(auth.event_principal(event_id))
    try:
        client.record_payment(event_id, data)
    except InvalidInput as error:
        names = {m.user_id: m.display_name for m in auth.events().members(event_id)}
        found = form_errors(error, names)
        errors = {"to" if k == "received_by" else k: v for k, v in found.items()}
        return _page(event, request.form, errors), INVALID
    except PermissionDenied as error:
        return _page(event, request.form, {FORM: said(error)}), 403
    flash(_("Your payment was recorded."), "success")
    endpoint = BACK.get(request.form.get("back", ""), "ledger.money")
    anchor = "glance-money" if endpoint == "events.show" else "settle-up"
    return redirect(url_for(endpoint, event_id=event_id, _anchor=anchor))
