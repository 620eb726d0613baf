"""Web pages: switching from another app in one import. The organizer chooses the other app's
export; the page shows what would happen (who is who, each line, everyone's balance before and
after beside the app's own) and asks for the weights the file does not say; nothing is stored
until they press *Import*. Leaving is a link on the money pages: the ledger as ihatemoney imports
it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tripbot.events.schemas import EventOut
from tripbot.gateway import auth
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import INVALID, _
from tripbot.gateway.web.ledger import said, say
from tripbot.ledger.client import LedgerClient
from tripbot.ledger.formats import FORMATS
from tripbot.ledger.schemas import AppImportQuery, AppImportReport
from tripbot.platform.errors import InvalidInput, Message, PermissionDenied
from tripbot.platform.operations import Upload
from tripbot.platform.uploads import allows_upload, uploaded

bp = Blueprint("ledger_switch", __name__)
forms.install(bp)


def _client(event_id: int) -> LedgerClient:
    return auth.services().ledger(auth.event_principal(event_id))


def _page(
    event: EventOut,
    report: AppImportReport | None = None,
    general: str = "",
    upload: Upload | None = None,
) -> str:
    problems: dict[int, list[str]] = {}
    for line in report.lines if report else []:
        problems[line.line] = [say(p.model_dump()) for p in line.problems]
    return render_template(
        "ledger/switch.html",
        event=event,
        report=report,
        problems=problems,
        general=general,
        apps=list(FORMATS.values()),
        content=base64.b64encode(upload.content).decode() if upload else "",
        filename=upload.filename if upload else "",
    )


def _weights(form: Any) -> str:
    """The weights typed on the preview, as the import reads them (``Pablo=2; Ana=1``)."""
    written = []
    for key, value in form.items():
        if key.startswith("weight-") and value.strip():
            name = form.get(f"name-{key.removeprefix('weight-')}", "")
            written.append(f"{name}={value.strip()}")
    return "; ".join(written)


def _upload() -> Upload | None:
    """The file chosen now, or the one the preview carried along."""
    file = request.files.get("file")
    if file is not None and file.filename:
        return uploaded(file)
    try:
        content = base64.b64decode(request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    return Upload(request.form.get("filename", "export"), content) if content else None


@bp.route("/events/<int:event_id>/money/switch", methods=["GET", "POST"])
@allows_upload("ledger_max_receipt_bytes")
@auth.login_required
def switch(event_id: int) -> ResponseReturnValue:
    """Bring another app's export in: look at what it does first, then import it (organizers)."""
    event = auth.events().event(event_id)
    if not forms.at_least(event.my_role, "organizer"):
        raise PermissionDenied(Message("only an event organizer or above may import entries"))
    if request.method == "GET":
        return _page(event)
    upload = _upload()
    if upload is None:
        return _page(event, general=_("Choose the other app's export first.")), INVALID
    dry_run = request.form.get("action") != "import"
    query = AppImportQuery(dry_run=dry_run, weights=_weights(request.form))
    try:
        report = _client(event_id).import_from_app(event_id, upload, query)
    except InvalidInput as error:
        return _page(event, general=said(error), upload=upload if dry_run else None), INVALID
    if dry_run:
        return _page(event, report=report, upload=upload)
    flash(
        _(
            "%(count)s entries were imported from %(app)s.",
            count=report.created,
            app=report.format_name,
        ),
        "success",
    )
    return redirect(url_for("ledger.money", event_id=event_id))


@bp.get("/events/<int:event_id>/money/export-ihatemoney.json")
@auth.login_required
def export_ihatemoney(event_id: int) -> ResponseReturnValue:
    """The ledger as a file ihatemoney imports."""
    file = _client(event_id).export_ihatemoney(event_id)
    response = Response(file.content, content_type=file.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=file.filename)
    return response
