"""Web pages: an event's money: entries with filters, the add/correct form with payers and splits,
receipts, balances with the settle-up suggestion, the report with its charts, the budget editor,
the audit trail, CSV import with its line report, and the exports."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from tripbot.events.schemas import EventOut, MemberOut
from tripbot.gateway import auth
from tripbot.gateway.web import forms, ledger_words
from tripbot.gateway.web.forms import FORM, INVALID, FormErrors, _
from tripbot.ledger.client import Download, LedgerClient
from tripbot.ledger.schemas import (
    KINDS,
    TREASURY,
    BudgetUpdate,
    DisputeIn,
    EntryCorrection,
    EntryCreate,
    EntryOut,
    EntryQuery,
    ExportQuery,
    ImportQuery,
    ImportReport,
    PageQuery,
    Resolution,
    Reversal,
    SettingsUpdate,
    SettlementRecord,
)
from tripbot.platform.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    Message,
    PayloadTooLarge,
    PermissionDenied,
)
from tripbot.platform.uploads import allows_upload, uploaded

bp = Blueprint("ledger", __name__)
forms.install(bp)

OUTFLOWS = ("purchase", "expense")
INFLOWS = ("sale", "investment", "donation", "sponsorship")
IN_KIND = ("donation", "sponsorship")
PAGE = 25

KIND_LABELS: dict[str, LazyString] = {
    "purchase": _l("Purchase"),
    "sale": _l("Sale"),
    "investment": _l("Investment"),
    "donation": _l("Donation"),
    "sponsorship": _l("Sponsorship"),
    "expense": _l("Shared expense"),
    "transfer": _l("Transfer"),
}
SPLIT_LABELS: dict[str, LazyString] = {
    "equal": _l("Equally"),
    "shares": _l("By shares"),
    "exact": _l("By exact amounts"),
    "percent": _l("By percentages"),
}
ACTION_LABELS: dict[str, LazyString] = {
    "entry.recorded": _l("recorded an entry"),
    "entry.corrected": _l("corrected an entry"),
    "entry.reversed": _l("reversed an entry"),
    "entry.disputed": _l("disputed an entry"),
    "entry.dispute_confirmed": _l("let a disputed entry stand"),
    "receipt.attached": _l("attached a receipt"),
    "budget.changed": _l("changed the budget"),
    "settings.changed": _l("changed who reads the report"),
    "settlement.recorded": _l("recorded a settle-up"),
    "entries.imported": _l("imported entries"),
    "person.claimed": _l("claimed their place in the event"),
}
FIELD_LABELS: dict[str, LazyString] = {
    "kind": _l("Kind"),
    "date": _l("Date"),
    "description": _l("Description"),
    "counterparty": _l("Counterparty"),
    "category": _l("Category"),
    "amount": _l("Amount"),
    "rate": _l("Rate"),
    "in_kind": _l("In kind"),
    "paid_by": _l("Paid by"),
    "received_by": _l("Collected by"),
    "split": _l("Split"),
    "state": _l("State"),
    "currency": _l("Currency"),
}


def _named(values: Mapping[str, Any], names: Mapping[int, str] | None) -> dict[str, Any]:
    """Values of a refusal with people's names where it lists their ids."""
    found = dict(values)
    ids = found.get("user_ids")
    if isinstance(ids, str) and names:
        listed = [int(i) for i in ids.replace(" ", "").split(",") if i.isdigit()]
        found["user_ids"] = ", ".join(names.get(i, f"#{i}") for i in listed)
    return found


def say(problem: Mapping[str, Any], names: Mapping[int, str] | None = None) -> str:
    """One problem of a ledger refusal (a field's) in the UI language, people named."""
    return forms.said_problem({**problem, "values": _named(problem.get("values") or {}, names)})


def said(error: DomainError, names: Mapping[int, str] | None = None) -> str:
    """A ledger refusal in the UI language, people named."""
    if error.message is not None and "user_ids" in error.extensions:
        named = _named(error.extensions, names)
        return forms.sentence(
            forms.said_problem({"message_id": str(error.message), "values": named})
        )
    return forms.message_for(error)


def _client(event_id: int) -> LedgerClient:
    return auth.services().ledger(auth.event_principal(event_id))


ledger_words.install(
    bp,
    {"kind": KIND_LABELS, "split": SPLIT_LABELS, "action": ACTION_LABELS, "field": FIELD_LABELS},
)


def _decimal_input(text: str) -> str:
    """What someone typed as an amount, in the API's form: "23,50" and "23.50" are the same."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return text


def _today(event: EventOut) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(event.timezone)).date().isoformat()


def _party_value(key: str) -> int | str | None:
    if key == TREASURY:
        return TREASURY
    return int(key) if key.isdigit() else None


def _side(form: MultiDict[str, str], name: str) -> list[dict[str, Any]]:
    parties = []
    for key in form.getlist(name):
        party = _party_value(key)
        if party is None:
            continue
        amount = _decimal_input(form.get(f"{name}_amount_{key}", ""))
        parties.append({"party": party, **({"amount": amount} if amount else {})})
    return parties


def _split(form: MultiDict[str, str]) -> dict[str, Any]:
    method = form.get("split_method", "equal")
    among = []
    for key in form.getlist("share"):
        if not key.isdigit():
            continue
        value = _decimal_input(form.get(f"share_value_{key}", ""))
        part: dict[str, Any] = {"user_id": int(key)}
        if method != "equal" and value:
            part["value"] = value
        among.append(part)
    return {"method": method, "among": among}


def _entry_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The add/correct form as the API's entry: only the sections its kind uses."""
    kind = form.get("kind", "expense")
    in_kind = kind in IN_KIND and form.get("in_kind") == "on"
    body: dict[str, Any] = {
        "kind": kind,
        "description": form.get("description", ""),
        "amount": _decimal_input(form.get("amount", "")),
        "counterparty": form.get("counterparty", ""),
        "category": form.get("category", ""),
        "in_kind": in_kind,
    }
    given = {
        "date": form.get("date", "").strip(),
        "currency": form.get("currency", "").strip().upper(),
        "rate": _decimal_input(form.get("rate", "")),
    }
    body.update({name: value for name, value in given.items() if value})
    if not in_kind:
        if kind in OUTFLOWS or kind == "transfer":
            body["paid_by"] = _side(form, "payer")
        if kind in INFLOWS or kind == "transfer":
            body["received_by"] = _side(form, "receiver")
    if kind == "expense" or (kind == "purchase" and form.get("split_on") == "on"):
        body["split"] = _split(form)
    return body


def _form_errors(error: InvalidInput, names: Mapping[int, str]) -> FormErrors:
    """The ledger's problems on the form's sections, in the UI language."""
    errors: FormErrors = {}
    for problem in error.extensions.get("errors") or []:
        section = str(problem.get("field", "")).split(".", 1)[0] or FORM
        errors.setdefault(section, say(problem, names))
    if not errors:
        errors[str(error.extensions.get("field") or FORM)] = said(error, names)
    return errors


def _validation_errors(error: ValidationError, names: Mapping[int, str]) -> FormErrors:
    errors: FormErrors = {}
    for detail in error.errors():
        section = str(detail["loc"][0]) if detail["loc"] else FORM
        if section in ("description",) and detail["type"] in ("string_too_short", "missing"):
            errors.setdefault(section, _("This field is required."))
        elif section == "currency":
            errors.setdefault(section, _("Use a three-letter currency code such as EUR."))
        elif section == "date":
            errors.setdefault(section, _("Enter a date."))
        elif section == "split" and detail["type"] == "too_short":
            errors.setdefault(section, _("Someone must bear a part of the cost."))
        else:
            errors.setdefault(section, forms.schema_message(detail))
    return errors


def _names(members: list[MemberOut]) -> dict[int, str]:
    return {m.user_id: m.display_name for m in members}


# ---- the money page --------------------------------------------------------------------------


def _query() -> tuple[EntryQuery, dict[str, str]]:
    """The entry filters in the address, as the API's query (anything invalid is left out)."""
    wanted = {k: v.strip() for k, v in request.args.items() if v.strip()}
    wanted.pop("page", None)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    for name in list(wanted):
        try:
            EntryQuery.model_validate({name: wanted[name]})
        except ValidationError:
            wanted.pop(name)
    query = EntryQuery.model_validate({**wanted, "limit": PAGE, "offset": (number - 1) * PAGE})
    return query, wanted


def _chart_balances(members: list[Any]) -> list[dict[str, Any]]:
    return [{"name": m.name, "balance": float(Decimal(m.balance))} for m in members]


@bp.get("/events/<int:event_id>/money")
@auth.login_required
def money(event_id: int) -> ResponseReturnValue:
    """An event's money: balances, settle-up, and the entries with filters."""
    event = auth.events().event(event_id)
    client = _client(event_id)
    query, filters = _query()
    page = client.entries(event_id, query)
    balances = client.balances(event_id)
    members = auth.events().members(event_id)
    settlement = client.settlement(event_id)
    shown = [
        {"payer": t.payer.party, "payee": t.payee.party, "amount": t.amount}
        for t in settlement.transfers
    ]
    return render_template(
        "ledger/money.html",
        event=event,
        organizer=forms.at_least(event.my_role, "organizer"),
        settings=client.settings(event_id),
        balances=balances,
        settlement=settlement,
        transfers_json=json.dumps(shown),
        page=page,
        filters=filters,
        current_page=query.offset // PAGE + 1,
        pages=max(1, -(-page.total // PAGE)),
        members=members,
        kinds=[(k, str(KIND_LABELS[k])) for k in KINDS],
        chart={
            "balances": _chart_balances(balances.members),
            "currency": balances.currency,
            "label": _("Balance"),
        },
        me=auth.require_user(),
    )


# ---- adding and correcting -------------------------------------------------------------------


def _new_form(event: EventOut, members: list[MemberOut], me: int) -> MultiDict[str, str]:
    form: MultiDict[str, str] = MultiDict(
        {"kind": "expense", "date": _today(event), "split_method": "equal", "payer": str(me)}
    )
    for member in members:
        form.add("share", str(member.user_id))
    return form


def _entry_form(entry: EntryOut) -> MultiDict[str, str]:
    form: MultiDict[str, str] = MultiDict(
        {
            "kind": entry.kind,
            "description": entry.description,
            "amount": entry.amount,
            "currency": entry.currency,
            "rate": entry.rate or "",
            "date": entry.date.isoformat(),
            "counterparty": entry.counterparty,
            "category": entry.category,
            "split_method": entry.split.method if entry.split else "equal",
        }
    )
    if entry.in_kind:
        form["in_kind"] = "on"
    for name, side in (("payer", entry.paid_by), ("receiver", entry.received_by)):
        for party in side:
            form.add(name, str(party.party))
            if len(side) > 1:
                form[f"{name}_amount_{party.party}"] = party.amount
    if entry.split:
        form["split_on"] = "on"
        for part in entry.split.among:
            form.add("share", str(part.user_id))
            if part.value is not None:
                form[f"share_value_{part.user_id}"] = part.value
    return form


def _form_page(
    template: str,
    event: EventOut,
    form: MultiDict[str, str],
    errors: FormErrors,
    **context: Any,
) -> str:
    members = auth.events().members(event.id)
    settings = _client(event.id).settings(event.id)
    return render_template(
        template,
        event=event,
        form=form,
        errors=errors,
        members=members,
        settings=settings,
        organizer=forms.at_least(event.my_role, "organizer"),
        kinds=[
            (k, str(KIND_LABELS[k]))
            for k in KINDS
            if forms.at_least(event.my_role, "organizer") or k == "expense"
        ],
        methods=[(m, str(label)) for m, label in SPLIT_LABELS.items()],
        chosen=lambda name: set(form.getlist(name)),
        **context,
    )


def _receipt_upload(event_id: int, entry_id: int) -> None:
    file = request.files.get("receipt")
    if file is None or not file.filename:
        return
    try:
        _client(event_id).attach_receipt(event_id, entry_id, uploaded(file))
    except (InvalidInput, PayloadTooLarge, PermissionDenied) as error:
        flash(_("The entry was saved, but not its receipt: %(why)s", why=said(error)), "error")


@bp.route("/events/<int:event_id>/money/new", methods=["GET", "POST"])
@allows_upload("ledger_max_receipt_bytes")
@auth.login_required
def new_entry(event_id: int) -> ResponseReturnValue:
    """Add an entry: who paid or collected, and how a shared cost splits; with a receipt."""
    event = auth.events().event(event_id)
    me = auth.require_user().id
    if request.method == "GET":
        members = auth.events().members(event_id)
        return _form_page("ledger/new.html", event, _new_form(event, members, me), {})
    names = _names(auth.events().members(event_id))
    try:
        data = EntryCreate.model_validate(_entry_body(request.form))
    except ValidationError as error:
        errors = _validation_errors(error, names)
        return _form_page("ledger/new.html", event, request.form, errors), INVALID
    try:
        entry = _client(event_id).record_entry(event_id, data)
    except InvalidInput as error:
        errors = _form_errors(error, names)
        return _form_page("ledger/new.html", event, request.form, errors), INVALID
    except PermissionDenied as error:
        return _form_page("ledger/new.html", event, request.form, {FORM: said(error)}), 403
    _receipt_upload(event_id, entry.id)
    flash(_("The entry was recorded."), "success")
    return redirect(url_for("ledger.money", event_id=event_id))


@bp.get("/events/<int:event_id>/money/entries/<int:entry_id>")
@auth.login_required
def entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """An entry: its details, payers and split, receipts, history and double entry."""
    event = auth.events().event(event_id)
    detail = _client(event_id).entry(event_id, entry_id)
    me = auth.require_user().id
    organizer = forms.at_least(event.my_role, "organizer")
    leg_names = {p.party: p.name for p in (*detail.paid_by, *detail.received_by)}
    leg_names.update({s.user_id: s.name for s in (detail.split.among if detail.split else [])})
    return render_template(
        "ledger/entry.html",
        event=event,
        entry=detail,
        leg_names=leg_names,
        editable=detail.state == "active" and (organizer or detail.created_by == me),
        organizer=organizer,
        may_dispute=detail.state == "active"
        and detail.created_by != me
        and any(s.user_id == me for s in (detail.split.among if detail.split else []))
        and not any(d.raised_by == me and d.outcome is None for d in detail.disputes),
    )


@bp.route("/events/<int:event_id>/money/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@allows_upload("ledger_max_receipt_bytes")
@auth.login_required
def edit_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Correct an entry: a new revision, with the reason for it."""
    event = auth.events().event(event_id)
    current = _client(event_id).entry(event_id, entry_id)
    if request.method == "GET":
        return _form_page("ledger/edit.html", event, _entry_form(current), {}, entry=current)
    names = _names(auth.events().members(event_id))
    body = _entry_body(request.form)
    for name in ("paid_by", "received_by", "split", "rate", "currency", "date"):
        body.setdefault(name, None)
    if current.code is not None and body.get("description") == current.description:
        del body["description"]  # left as shown, a settle-up stays one, said in each language
    body["reason"] = request.form.get("reason", "")
    try:
        data = EntryCorrection.model_validate(body)
    except ValidationError as error:
        errors = _validation_errors(error, names)
        return _form_page("ledger/edit.html", event, request.form, errors, entry=current), INVALID
    try:
        _client(event_id).correct_entry(event_id, entry_id, data)
    except InvalidInput as error:
        errors = _form_errors(error, names)
        return _form_page("ledger/edit.html", event, request.form, errors, entry=current), INVALID
    except (Conflict, PermissionDenied) as error:
        flash(said(error), "error")
        return redirect(url_for("ledger.entry", event_id=event_id, entry_id=entry_id))
    _receipt_upload(event_id, entry_id)
    flash(_("The entry was corrected; its history keeps what it said before."), "success")
    return redirect(url_for("ledger.entry", event_id=event_id, entry_id=entry_id))


@bp.post("/events/<int:event_id>/money/entries/<int:entry_id>/reverse")
@auth.login_required
def reverse_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Reverse an entry (its history stays)."""
    reason = request.form.get("reason", "").strip()[:200]
    return _then_back(
        event_id,
        entry_id,
        lambda: _client(event_id).reverse_entry(event_id, entry_id, Reversal(reason=reason)),
        _("The entry was reversed."),
    )


@bp.post("/events/<int:event_id>/money/entries/<int:entry_id>/dispute")
@auth.login_required
def dispute_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Say an entry that charges you is wrong: the organizers are told."""
    reason = request.form.get("reason", "").strip()[:200]
    return _then_back(
        event_id,
        entry_id,
        lambda: _client(event_id).dispute_entry(event_id, entry_id, DisputeIn(reason=reason)),
        _("The organizers were told that you dispute this entry."),
    )


@bp.post("/events/<int:event_id>/money/entries/<int:entry_id>/confirm")
@auth.login_required
def confirm_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Let a disputed entry stand (organizers)."""
    reason = request.form.get("reason", "").strip()[:200]
    return _then_back(
        event_id,
        entry_id,
        lambda: _client(event_id).confirm_entry(event_id, entry_id, Resolution(reason=reason)),
        _("The entry stands; who disputed it is told."),
    )


def _then_back(
    event_id: int, entry_id: int, action: Callable[[], object], done: str
) -> ResponseReturnValue:
    """Do a one-button action on an entry, say how it went, and show the entry again."""
    try:
        action()
    except (Conflict, PermissionDenied) as error:
        flash(said(error), "error")
    except ValidationError:
        flash(_("Say why, in a few words."), "error")
    else:
        flash(done, "success")
    return redirect(url_for("ledger.entry", event_id=event_id, entry_id=entry_id))


@bp.post("/events/<int:event_id>/money/entries/<int:entry_id>/receipts")
@allows_upload("ledger_max_receipt_bytes")
@auth.login_required
def attach_receipt(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Attach a receipt to an entry."""
    if not request.files.get("receipt"):
        flash(_("Choose a receipt file first."), "error")
    else:
        before = len(_client(event_id).entry(event_id, entry_id).receipts)
        _receipt_upload(event_id, entry_id)
        if len(_client(event_id).entry(event_id, entry_id).receipts) > before:
            flash(_("The receipt was attached."), "success")
    return redirect(url_for("ledger.entry", event_id=event_id, entry_id=entry_id))


def _download(file: Download) -> Response:
    response = Response(file.content, content_type=file.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=file.filename)
    return response


@bp.get("/events/<int:event_id>/money/entries/<int:entry_id>/receipts/<int:receipt_id>")
@auth.login_required
def receipt(event_id: int, entry_id: int, receipt_id: int) -> ResponseReturnValue:
    """Download a receipt."""
    return _download(_client(event_id).receipt(event_id, entry_id, receipt_id))


# ---- settle-up ----------------------------------------------------------------------------------


@bp.post("/events/<int:event_id>/money/settle")
@auth.login_required
def settle(event_id: int) -> ResponseReturnValue:
    """Record the suggested transfers the organizer saw."""
    try:
        shown = json.loads(request.form.get("transfers", "null"))
        data = SettlementRecord.model_validate({"transfers": shown})
    except (ValueError, ValidationError, RecursionError):  # a forged field nested too deeply
        flash(_("The settle-up could not be read; look at it again."), "error")
        return redirect(url_for("ledger.money", event_id=event_id, _anchor="settle-up"))
    try:
        done = _client(event_id).settle_up(event_id, data)
    except Conflict as error:
        flash(said(error), "error")
    else:
        flash(
            _("%(count)s transfers were recorded; everyone is settled.", count=len(done.entry_ids)),
            "success",
        )
    return redirect(url_for("ledger.money", event_id=event_id, _anchor="settle-up"))


@bp.post("/events/<int:event_id>/money/settings")
@auth.login_required
def change_settings(event_id: int) -> ResponseReturnValue:
    """Share the report with every member, or keep it to the organizers."""
    visibility = request.form.get("visibility", "")
    try:
        data = SettingsUpdate.model_validate({"visibility": visibility})
    except ValidationError:
        flash(_("Choose who may read the report."), "error")
    else:
        _client(event_id).change_settings(event_id, data)
        flash(_("Saved who may read the report."), "success")
    return redirect(url_for("ledger.money", event_id=event_id))


# ---- report, budget, audit -----------------------------------------------------------------------


@bp.get("/events/<int:event_id>/money/report")
@auth.login_required
def report(event_id: int) -> ResponseReturnValue:
    """The report: totals, budget vs actual and cash over time as charts, cash by holder."""
    event = auth.events().event(event_id)
    found = _client(event_id).report(event_id)

    def number(text: str | None) -> float | None:
        return None if text is None else float(Decimal(text))

    chart = {
        "currency": found.currency,
        "categories": [
            {
                "label": " · ".join(filter(None, [str(KIND_LABELS[c.kind]), c.category])),
                "planned": number(c.planned),
                "actual": number(c.actual),
            }
            for c in found.categories
            if c.kind != "transfer"
        ],
        "days": [
            {
                "date": ledger_words.day(p.date),
                "cash": number(p.cash),
                "income": number(p.income),
                "costs": number(p.costs),
            }
            for p in found.over_time
        ],
        "labels": {
            "planned": _("Planned"),
            "actual": _("Actual"),
            "cash": _("Cash"),
            "income": _("Income"),
            "costs": _("Costs"),
        },
    }
    return render_template("ledger/report.html", event=event, report=found, chart=chart)


def _budget_page(
    event: EventOut, rows: list[dict[str, str]], errors: dict[int, str], general: str = ""
) -> str:
    return render_template(
        "ledger/budget.html",
        event=event,
        rows=rows,
        errors=errors,
        general=general,
        budget_kinds=[(k, str(KIND_LABELS[k])) for k in KINDS if k != "transfer"],
        currency=_client(event.id).settings(event.id).currency,
        organizer=forms.at_least(event.my_role, "organizer"),
    )


@bp.route("/events/<int:event_id>/money/budget", methods=["GET", "POST"])
@auth.login_required
def budget(event_id: int) -> ResponseReturnValue:
    """The budget editor: the amount planned per kind and category."""
    event = auth.events().event(event_id)
    if request.method == "GET":
        current = _client(event_id).budget(event_id)
        rows = [line.model_dump() for line in current.lines]
        return _budget_page(
            event, rows + [{"kind": "purchase", "category": "", "planned": ""}] * 3, {}
        )
    rows = [
        {"kind": k, "category": c.strip(), "planned": _decimal_input(p)}
        for k, c, p in zip(
            request.form.getlist("kind"),
            request.form.getlist("category"),
            request.form.getlist("planned"),
            strict=False,
        )
    ]
    kept = [row for row in rows if row["planned"] or row["category"]]
    try:
        data = BudgetUpdate.model_validate({"lines": kept})
        _client(event_id).set_budget(event_id, data)
    except ValidationError as error:
        errors = {
            int(d["loc"][1]): forms.schema_message(d)
            for d in error.errors()
            if len(d["loc"]) > 1 and isinstance(d["loc"][1], int)
        }
        return _budget_page(event, kept, errors, _("Some lines are not valid.")), INVALID
    except InvalidInput as error:
        errors = {}
        for problem in error.extensions.get("errors") or []:
            parts = str(problem.get("field", "")).split(".")
            if len(parts) > 1 and parts[1].isdigit():
                errors.setdefault(int(parts[1]), say(problem))
        return _budget_page(event, kept, errors, _("Some lines are not valid.")), INVALID
    flash(_("The budget was saved."), "success")
    return redirect(url_for("ledger.report", event_id=event_id))


@bp.get("/events/<int:event_id>/money/audit")
@auth.login_required
def audit(event_id: int) -> ResponseReturnValue:
    """The audit trail: everything done to the ledger, newest first."""
    event = auth.events().event(event_id)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    trail = _client(event_id).audit(event_id, PageQuery(limit=50, offset=(number - 1) * 50))
    return render_template(
        "ledger/audit.html",
        event=event,
        trail=trail,
        # The book's currency (the event's when its first entry was recorded, and then kept).
        trail_currency=_client(event_id).settings(event_id).currency,
        current_page=number,
        pages=max(1, -(-trail.total // 50)),
    )


# ---- import and export ---------------------------------------------------------------------------


def _import_page(
    event: EventOut,
    report: ImportReport | None = None,
    problems: list[dict[str, Any]] | None = None,
    general: str = "",
) -> str:
    names = _names(auth.events().members(event.id))
    translated = [
        {**line, "errors": [{**e, "message": say(e, names)} for e in line["errors"]]}
        for line in problems or []
    ]
    return render_template(
        "ledger/import.html",
        event=event,
        report=report,
        problems=translated,
        general=general,
    )


@bp.route("/events/<int:event_id>/money/import", methods=["GET", "POST"])
@allows_upload("ledger_max_receipt_bytes")
@auth.login_required
def import_entries(event_id: int) -> ResponseReturnValue:
    """Import a spreadsheet's CSV: check it line by line, then import it (organizers)."""
    event = auth.events().event(event_id)
    if not forms.at_least(event.my_role, "organizer"):
        raise PermissionDenied(Message("only an event organizer or above may import entries"))
    if request.method == "GET":
        return _import_page(event)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _import_page(event, general=_("Choose a CSV file first.")), INVALID
    dry_run = request.form.get("action") != "import"
    try:
        found = _client(event_id).import_csv(event_id, uploaded(file), ImportQuery(dry_run=dry_run))
    except InvalidInput as error:
        lines = error.extensions.get("lines") or []
        return _import_page(
            event, problems=lines, general=said(error) if not lines else ""
        ), INVALID
    if dry_run:
        return _import_page(event, report=found)
    flash(_("%(count)s entries were imported.", count=found.created), "success")
    return redirect(url_for("ledger.money", event_id=event_id))


@bp.get("/events/<int:event_id>/money/export.csv")
@auth.login_required
def export_csv(event_id: int) -> ResponseReturnValue:
    """The active entries as CSV (``?spreadsheet=1``: as a spreadsheet in the UI language
    opens it)."""
    spreadsheet = ExportQuery(spreadsheet=request.args.get("spreadsheet") == "1")
    return _download(_client(event_id).export_csv(event_id, spreadsheet))


@bp.get("/events/<int:event_id>/money/export.json")
@auth.login_required
def export_json(event_id: int) -> ResponseReturnValue:
    """Everything in the ledger as JSON."""
    exported = _client(event_id).export_json(event_id)
    response = Response(exported.model_dump_json(indent=2), content_type="application/json")
    response.headers.set("Content-Disposition", "attachment", filename=f"ledger-{event_id}.json")
    return response
