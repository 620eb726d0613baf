"""Web pages of an event's packing list: what each participant brings and what the club lends,
its weights, lines added with just their name and ticked as packed where they stand.

Every form works as a plain form post. With JavaScript (static/js/packing.js) adding a line and
ticking one are sent in the background: the page asks for JSON (``Accept``) and gets back the
parts that changed, rendered here from the same templates, so the page never reloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import INVALID, FormErrors, _
from tripbot.gateway.web.gear import PROVIDER_LABELS, csv_response, failure, uploaded
from tripbot.gear.client import GearClient
from tripbot.gear.schemas import PackedChange, PackingEntryCreate, PackingListOut
from tripbot.platform.errors import InvalidInput, NotFound

bp = Blueprint("packing", __name__)
forms.install(bp)

ENTRY_FIELDS = ("name", "category", "description", "quantity", "weight_grams", "provided_by")
DETAIL_FIELDS = frozenset(ENTRY_FIELDS) - {"name"} | {"item_id"}
"""The fields folded under "More details": the form opens them when one has an error."""
NEW_LINE = {"quantity": "1", "provided_by": "participant"}


def _client(event_id: int) -> GearClient:
    return auth.services().gear(auth.event_principal(event_id))


def _wants_json() -> bool:
    """Whether the page's script sent the form and wants the changed parts back."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _parts(event: EventOut, listed: PackingListOut) -> dict[str, Any]:
    """What the templates of the list's parts are rendered from."""
    return {
        "event": event,
        "listed": listed,
        "chart": {
            "labels": [_("Base"), _("Worn"), _("Consumable")],
            "grams": [listed.totals.base, listed.totals.worn, listed.totals.consumable],
        },
        "organizer": forms.at_least(event.my_role, "organizer"),
    }


def _page(
    event_id: int, form: Mapping[str, str] | None = None, errors: FormErrors | None = None
) -> str:
    event = auth.events().event(event_id)
    parts = _parts(event, _client(event_id).packing_list(event_id))
    items = auth.services().gear(auth.principal()).items() if parts["organizer"] else []
    errors = errors or {}
    return render_template(
        "gear/packing.html",
        **parts,
        club_options=[("", _("None"))]
        + [(str(item.id), f"{item.name} ({item.category})") for item in items],
        providers=PROVIDER_LABELS,
        form=form or NEW_LINE,
        errors=errors,
        details_open=bool(DETAIL_FIELDS & set(errors)),
    )


def _changed_parts(event_id: int, message: str) -> ResponseReturnValue:
    """The list, its weights and its progress rendered anew, for the page's script."""
    event = auth.events().event(event_id)
    parts = _parts(event, _client(event_id).packing_list(event_id))
    return jsonify(
        message=message,
        lists=render_template("gear/_packing_lists.html", **parts),
        progress=render_template("gear/_packing_progress.html", **parts),
        chart=parts["chart"],
    )


@bp.get("/events/<int:event_id>/packing-list")
@auth.login_required
def packing_list(event_id: int) -> ResponseReturnValue:
    """An event's packing list: what each participant brings, what the club lends, weights."""
    return _page(event_id)


@bp.post("/events/<int:event_id>/packing-list")
@auth.login_required
def add_entry(event_id: int) -> ResponseReturnValue:
    """Add a line to an event's packing list (organizers); its name is enough."""
    data: dict[str, Any] = forms.filled(request.form, *ENTRY_FIELDS, "item_id")
    data["worn"] = "worn" in request.form
    data["consumable"] = "consumable" in request.form
    result = forms.validate(PackingEntryCreate, data)
    if isinstance(result, dict):
        if forms.FORM in result:
            result = {"name": result.pop(forms.FORM)} | result
        return _page(event_id, request.form, result), INVALID
    try:
        entry = _client(event_id).add_entry(event_id, result)
    except (InvalidInput, NotFound) as error:
        field = str(error.extensions.get("field") or forms.FORM)
        return _page(event_id, request.form, {field: failure(error)}), INVALID
    said = _("%(name)s is on the list.", name=entry.name)
    if _wants_json():
        return _changed_parts(event_id, said)
    flash(said, "success")
    return redirect(url_for("packing.packing_list", event_id=event_id, _anchor="add-entry"))


@bp.post("/events/<int:event_id>/packing-list/<int:entry_id>/packed")
@auth.login_required
def tick_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Tick a line as packed, or untick it: one's own bag, or (organizers) the club's gear."""
    packed = request.form.get("packed") == "1"
    entry = _client(event_id).tick_entry(event_id, entry_id, PackedChange(packed=packed))
    if packed:
        said = _("%(name)s is packed.", name=entry.name)
    else:
        said = _("%(name)s is no longer packed.", name=entry.name)
    if _wants_json():
        return _changed_parts(event_id, said)
    return redirect(url_for("packing.packing_list", event_id=event_id, _anchor=f"entry-{entry_id}"))


@bp.post("/events/<int:event_id>/packing-list/<int:entry_id>/remove")
@auth.login_required
def remove_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Remove a line from an event's packing list (organizers)."""
    _client(event_id).remove_entry(event_id, entry_id)
    flash(_("The line was removed."), "success")
    return redirect(url_for("packing.packing_list", event_id=event_id))


@bp.get("/events/<int:event_id>/packing-list.csv")
@auth.login_required
def export_packing_list(event_id: int) -> ResponseReturnValue:
    """An event's packing list as a LighterPack CSV file."""
    return csv_response(_client(event_id).export_packing_list(event_id))


@bp.post("/events/<int:event_id>/packing-list.csv")
@auth.login_required
def import_packing_list(event_id: int) -> ResponseReturnValue:
    """Add the lines of a LighterPack CSV file, all or none (organizers)."""
    upload = request.files.get("file")
    back = redirect(url_for("packing.packing_list", event_id=event_id))
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file first."), "error")
        return back
    try:
        result = _client(event_id).import_packing_list(event_id, uploaded(upload))
    except InvalidInput as error:
        flash(_("Nothing was imported. %(reason)s", reason=failure(error)), "error")
        return back
    flash(_("%(count)s lines were imported.", count=result.created), "success")
    return back
