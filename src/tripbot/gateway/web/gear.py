"""Web pages of gear: the inventory and what is free day by day, an item with its units,
availability chart, reservation form and history, one's reservations and loans, the keeper's
check-out/check-in desk, and an event's packing list with its weights."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import FileStorage

from tripbot.gateway import auth
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import INVALID, FormErrors, _, message_for
from tripbot.gateway.web.gear_people import borrower, holders, known_people
from tripbot.gear.client import Download, GearClient, Upload
from tripbot.gear.rules import EVENT_DELETED, NOT_ENOUGH_IN_SERVICE, UNIT_OUT_OF_SERVICE
from tripbot.gear.schemas import (
    BasketCreate,
    CheckIn,
    CheckOut,
    HistoryQuery,
    ItemCreate,
    ItemQuery,
    ItemUpdate,
    LoanOut,
    LoanQuery,
    PackingEntryCreate,
    ReservationCreate,
    ReservationQuery,
    UnitCreate,
    UnitUpdate,
    WindowQuery,
)
from tripbot.platform.errors import Conflict, DomainError, InvalidInput, NotFound, PayloadTooLarge
from tripbot.platform.uploads import allows_upload
from tripbot.platform.web import current_settings

bp = Blueprint("gear", __name__)
forms.install(bp)

AVAILABILITY_DAYS = 14
"""Days shown from today in the inventory's availability table."""
CHART_DAYS = 30
"""Days shown in an item's availability chart."""
ITEM_FIELDS = ("name", "category", "description", "weight_grams", "tracking", "quantity")
ENTRY_FIELDS = ("name", "category", "description", "quantity", "weight_grams", "provided_by")

CONDITION_LABELS: dict[str, LazyString] = {
    "new": _l("new"),
    "good": _l("good"),
    "worn": _l("worn"),
    "out_of_service": _l("out of service"),
}
STATUS_LABELS: dict[str, LazyString] = {
    "reserved": _l("reserved"),
    "out": _l("out"),
    "returned": _l("returned"),
    "cancelled": _l("cancelled"),
}
FLAG_LABELS: dict[str, LazyString] = {
    UNIT_OUT_OF_SERVICE: _l("The unit you reserved is out of service."),
    NOT_ENOUGH_IN_SERVICE: _l("Not enough of this item is in service for these days."),
    EVENT_DELETED: _l("Its event was deleted."),
    # History is never rewritten: its lines from before the codes keep the English words.
    "the unit you reserved is out of service": _l("The unit you reserved is out of service."),
    "not enough of this item is in service for these days": _l(
        "Not enough of this item is in service for these days."
    ),
}
"""Why a reservation cannot be served, by the code the gear service stores."""
ACTION_LABELS: dict[str, LazyString] = {
    "item.created": _l("added to the inventory"),
    "item.updated": _l("changed"),
    "item.retired": _l("retired"),
    "item.photo": _l("new photo"),
    "item.photo_removed": _l("photo removed"),
    "unit.added": _l("unit added"),
    "unit.updated": _l("unit changed"),
    "unit.retired": _l("unit retired"),
    "reservation.made": _l("reserved"),
    "reservation.cancelled": _l("reservation cancelled"),
    "reservation.claimed": _l("handed to whoever claimed the guest's place"),
    "reservation.flagged": _l("reservation flagged"),
    "reservation.unflagged": _l("reservation no longer flagged"),
    "loan.checked_out": _l("checked out"),
    "loan.checked_in": _l("checked in"),
}
PROVIDER_LABELS: dict[str, LazyString] = {
    "participant": _l("each participant"),
    "club": _l("the club lends it"),
}
TRACKING_LABELS: dict[str, LazyString] = {
    "quantity": _l("by quantity"),
    "units": _l("by units (each with its label)"),
}


def _label(labels: Mapping[str, LazyString], key: str | None) -> str:
    return "" if key is None else str(labels.get(key, key))


def _grams(grams: int) -> str:
    # In the reader's locale: "2,10 kg" in Spanish, "2.10 kg" in English.
    if grams >= 1000:
        return f"{format_decimal(grams / 1000, '#,##0.00')} kg"
    return f"{format_decimal(grams, '#,##0')} g"


for _name, _function in (
    ("condition_label", lambda key: _label(CONDITION_LABELS, key)),
    ("status_label", lambda key: _label(STATUS_LABELS, key)),
    ("flag_label", lambda key: _label(FLAG_LABELS, key)),
    ("action_label", lambda key: _label(ACTION_LABELS, key)),
    ("provider_label", lambda key: _label(PROVIDER_LABELS, key)),
    ("grams", _grams),
    ("short_day", lambda value: format_date(value, "EEE d MMM")),
    ("long_day", lambda value: format_date(value, "long")),
):
    bp.add_app_template_filter(_function, f"gear_{_name}")


def csv_response(answer: Download) -> Response:
    """A CSV download, named as the gear service named it."""
    return Response(
        answer.content,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{answer.filename}"'},
    )


def _uploaded(upload: FileStorage) -> Upload:
    """A file sent with a form, as the gear service takes it."""
    return Upload(
        upload.filename or "", upload.read(), upload.mimetype or "application/octet-stream"
    )


def _gear() -> GearClient:
    return auth.services().gear(auth.principal())


def _today() -> date:
    """The club's today: reservations are made of its days."""
    return datetime.now(ZoneInfo(current_settings().gear_timezone)).date()


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def _failure(error: DomainError) -> str:
    """What a refusal means, in the UI language, with the numbers it carries."""
    line = error.extensions.get("line")
    if isinstance(error, InvalidInput) and line is not None:
        column = error.extensions.get("column")
        if column:
            where = _("Line %(line)s, column %(column)s", line=line, column=column)
        else:
            where = _("Line %(line)s", line=line)
        return f"{where}: {error.detail.split(': ', 1)[-1]}"
    available = error.extensions.get("available")
    if isinstance(error, Conflict) and available is not None:
        return _("Not enough is free: only %(free)s on every day of those dates.", free=available)
    # The service's own words say exactly what is wrong; the UI's say it in the UI language.
    return f"{message_for(error)} ({error.detail})"


# ---- the inventory ----------------------------------------------------------------------------


@bp.get("/gear")
@auth.login_required
def index() -> ResponseReturnValue:
    """The club's gear with what is free each day of the chosen dates."""
    today, event_id = _today(), request.args.get("event", type=int)
    # Seen for an event, the table shows the event's days.
    start, end = (today, None) if event_id is None else _event_days(event_id, today)
    first = _day(request.args.get("from"), start)
    last = _day(request.args.get("to"), end or first + timedelta(days=AVAILABILITY_DAYS - 1))
    if last < first or (last - first).days >= current_settings().gear_max_reservation_days:
        last = first + timedelta(days=AVAILABILITY_DAYS - 1)
    query = ItemQuery(
        q=request.args.get("q", "").strip()[:100] or None,
        category=request.args.get("category", "").strip()[:60] or None,
        available_from=first,
        available_to=last,
    )
    items = _gear().items(query)
    everything = items if not (query.q or query.category) else _gear().items()
    return render_template(
        "gear/index.html",
        items=items,
        categories=sorted({item.category for item in everything}),
        days=[first + timedelta(days=n) for n in range((last - first).days + 1)],
        query=query,
        keeper=auth.principal().instance_role in ("admin", "gear_keeper"),
        event_id=event_id,
    )


def _item_form(
    template: str, form: Mapping[str, str], errors: FormErrors, **context: object
) -> str:
    return render_template(template, form=form, errors=errors, trackings=TRACKING_LABELS, **context)


def _labels(text: str) -> list[dict[str, str]]:
    return [
        {"label": label.strip()} for label in text.replace("\n", ",").split(",") if label.strip()
    ]


@bp.route("/gear/new", methods=["GET", "POST"])
@auth.login_required
def create() -> ResponseReturnValue:
    """Add gear to the club's inventory (gear keepers)."""
    if request.method == "GET":
        return _item_form("gear/new.html", {"tracking": "quantity", "quantity": "1"}, {})
    data: dict[str, Any] = forms.filled(request.form, *ITEM_FIELDS)
    if data.get("tracking") == "units":
        data.pop("quantity", None)
        data["units"] = _labels(request.form.get("units", ""))
    result = forms.validate(ItemCreate, data)
    if isinstance(result, dict):
        return _item_form("gear/new.html", request.form, result), INVALID
    item = _gear().create_item(result)
    flash(_("%(name)s is in the inventory.", name=item.name), "success")
    return redirect(url_for("gear.item", item_id=item.id))


def _item_page(
    item_id: int,
    *,
    reserve_form: Mapping[str, str] | None = None,
    reserve_errors: FormErrors | None = None,
) -> str:
    client = _gear()
    item = client.item(item_id)
    today = _today()
    window = WindowQuery(available_from=today, available_to=today + timedelta(days=CHART_DAYS - 1))
    availability = client.availability(item_id, window)
    unit_id = request.args.get("unit", type=int)
    units = client.units(item_id) if item.tracking == "units" else []
    event_options = [("", _("Myself"))] + [
        (str(event.id), event.name)
        for event in auth.events().events()
        if forms.at_least(event.my_role, "organizer") and item.event_id in (None, event.id)
    ]
    chosen = (reserve_form or {}).get("event_id") or request.args.get("event", "")
    organized = chosen in {value for value, _name in event_options[1:]}
    holder_options = holders(int(chosen)) if organized else []
    unit_options = [("", _("Any unit"))] + [
        (str(unit.id), unit.label) for unit in units if unit.condition != "out_of_service"
    ]
    chart = {
        "labels": [str(format_date(today + timedelta(days=n), "d MMM")) for n in range(CHART_DAYS)],
        "free": availability.by_day,
        "capacity": availability.capacity,
        "label": _("Free"),
    }
    return render_template(
        "gear/item.html",
        item=item,
        units=units,
        history=client.history(item_id, HistoryQuery(unit_id=unit_id)),
        unit_id=unit_id,
        chart=chart,
        event_options=event_options,
        holder_options=holder_options,
        unit_options=unit_options,
        club_timezone=current_settings().gear_timezone,
        conditions=CONDITION_LABELS,
        reserve_form=reserve_form or _reserve_defaults(today),
        reserve_errors=reserve_errors or {},
        today=today,
    )


def _reserve_defaults(today: date) -> dict[str, str]:
    """One item's reservation form: for the event it was opened from, over its days."""
    event_id = request.args.get("event", type=int)
    first, last = _event_days(event_id, today)
    return {
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "quantity": "1",
        "event_id": str(event_id or ""),
    }


@bp.get("/gear/items/<int:item_id>")
@auth.login_required
def item(item_id: int) -> ResponseReturnValue:
    """An item: its photo, units, availability chart, reservation form and history."""
    return _item_page(item_id)


@bp.route("/gear/items/<int:item_id>/edit", methods=["GET", "POST"])
@auth.login_required
def edit(item_id: int) -> ResponseReturnValue:
    """Change an item (its keepers)."""
    item = _gear().item(item_id)
    if request.method == "GET":
        form = {name: str(getattr(item, name)) for name in ITEM_FIELDS}
        form["out_of_service"] = str(item.out_of_service)
        return _item_form("gear/edit.html", form, {}, item=item)
    names = ["name", "category", "description", "weight_grams"]
    if item.tracking == "quantity":
        names += ["quantity", "out_of_service"]
    data = {name: request.form.get(name, "").strip() for name in names}
    result = forms.validate(ItemUpdate, data)
    if isinstance(result, dict):
        return _item_form("gear/edit.html", request.form, result, item=item), INVALID
    try:
        _gear().update_item(item_id, result)
    except InvalidInput as error:
        errors = {str(error.extensions.get("field") or forms.FORM): _failure(error)}
        return _item_form("gear/edit.html", request.form, errors, item=item), INVALID
    flash(_("The item was saved."), "success")
    return redirect(url_for("gear.item", item_id=item_id))


@bp.post("/gear/items/<int:item_id>/retire")
@auth.login_required
def retire(item_id: int) -> ResponseReturnValue:
    """Retire an item (its keepers); not while it is reserved or out."""
    try:
        _gear().retire_item(item_id)
    except Conflict as error:
        flash(_failure(error), "error")
        return redirect(url_for("gear.item", item_id=item_id))
    flash(_("The item was retired; its history stays."), "success")
    return redirect(url_for("gear.index"))


@bp.post("/gear/items/<int:item_id>/reserve")
@auth.login_required
def reserve(item_id: int) -> ResponseReturnValue:
    """Reserve an item for a range of days, for oneself or an event one organizes."""
    data: dict[str, Any] = forms.filled(
        request.form, "quantity", "start_date", "end_date", "unit_id", "event_id", "user_id", "note"
    )
    data["item_id"] = item_id
    result = forms.validate(ReservationCreate, data)
    if isinstance(result, dict):
        if forms.FORM in result:
            result = {"end_date": _("The end must not be before the start.")} | result
            result.pop(forms.FORM)
        if "user_id" in result:  # someone else, but for no event: the choice of event is wrong
            result.setdefault("event_id", result.pop("user_id"))
        return _item_page(item_id, reserve_form=request.form, reserve_errors=result), INVALID
    try:
        made = _gear().reserve(result)
    except (Conflict, InvalidInput) as error:
        field = str(error.extensions.get("field") or forms.FORM)
        return _item_page(
            item_id, reserve_form=request.form, reserve_errors={field: _failure(error)}
        ), INVALID
    flash(
        _(
            "Reserved: %(quantity)s of %(name)s from %(first)s to %(last)s.",
            quantity=made.quantity,
            name=made.item_name,
            first=format_date(made.start_date, "long"),
            last=format_date(made.end_date, "long"),
        ),
        "success",
    )
    return redirect(url_for("gear.mine"))


# ---- a basket: several items at once ----------------------------------------------------


def _event_days(event_id: int | None, today: date) -> tuple[date, date]:
    """The event's days in the club's time zone (from today if it has begun), or today."""
    if event_id is None:
        return today, today
    event = auth.events().event(event_id)
    zone = ZoneInfo(current_settings().gear_timezone)
    first, last = event.starts_at.astimezone(zone).date(), event.ends_at.astimezone(zone).date()
    return max(first, today), max(last, today)


def _basket_page(form: Mapping[str, Any] | None = None, error: str | None = None) -> str:
    today = _today()
    event_id = request.values.get("event_id", type=int) or request.args.get("event", type=int)
    first, last = _event_days(event_id, today)
    first = _day((form or request.args).get("start_date"), first)
    last = _day((form or request.args).get("end_date"), last)
    window = (first, last) if first <= last else (first, first)
    items = _gear().items(ItemQuery(available_from=window[0], available_to=window[1]))
    organized = [e for e in auth.events().events() if forms.at_least(e.my_role, "organizer")]
    return render_template(
        "gear/basket.html",
        items=[item for item in items if item.event_id in (None, event_id)],
        event_options=[("", _("Myself"))] + [(str(e.id), e.name) for e in organized],
        event_id=event_id,
        form=form
        or {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "event_id": str(event_id or ""),
        },
        picked=set(request.form.getlist("pick")),
        error=error,
        today=today,
    )


@bp.get("/gear/basket")
@auth.login_required
def basket() -> ResponseReturnValue:
    """Several items ticked with their quantities, over the event's days by default."""
    return _basket_page()


@bp.post("/gear/basket")
@auth.login_required
def reserve_basket() -> ResponseReturnValue:
    """Reserve every ticked item in one step: all of them, or none."""
    data: dict[str, Any] = forms.filled(request.form, "start_date", "end_date", "event_id")
    data["lines"] = [
        {"item_id": picked, "quantity": request.form.get(f"quantity-{picked}", "1").strip() or "1"}
        for picked in request.form.getlist("pick")
    ]
    if not data["lines"]:
        return _basket_page(request.form, _("Tick at least one item.")), INVALID
    result = forms.validate(BasketCreate, data)
    if isinstance(result, dict):
        if forms.FORM in result:
            result[forms.FORM] = _("The end must not be before the start.")
        return _basket_page(request.form, "; ".join(result.values())), INVALID
    try:
        made = _gear().reserve_basket(result)
    except (Conflict, InvalidInput, NotFound) as error:
        names = {item.id: item.name for item in _gear().items()}
        name = names.get(int(error.extensions.get("item_id") or 0))
        said = message_for(error)
        # Most refusals name the item already; the others are told which one it was.
        named = said if not name or name in said else f"{name}: {said}"
        return _basket_page(request.form, named), INVALID
    flash(
        _(
            "Reserved from %(first)s to %(last)s: %(what)s.",
            first=format_date(result.start_date, "long"),
            last=format_date(result.end_date, "long"),
            what=", ".join(f"{r.item_name} \u00d7 {r.quantity}" for r in made),
        ),
        "success",
    )
    if result.event_id is not None:
        return redirect(url_for("events.show", event_id=result.event_id))
    return redirect(url_for("gear.mine"))


@bp.post("/gear/items/<int:item_id>/units")
@auth.login_required
def add_unit(item_id: int) -> ResponseReturnValue:
    """Add a unit to an item (its keepers)."""
    result = forms.validate(UnitCreate, forms.filled(request.form, "label", "condition", "notes"))
    if isinstance(result, dict):
        flash(_("Give the unit a label of at most 60 characters."), "error")
    else:
        try:
            _gear().add_unit(item_id, result)
        except (InvalidInput, Conflict) as error:
            flash(_failure(error), "error")
        else:
            flash(_("The unit was added."), "success")
    return redirect(url_for("gear.item", item_id=item_id, _anchor="units"))


@bp.post("/gear/items/<int:item_id>/units/<int:unit_id>")
@auth.login_required
def update_unit(item_id: int, unit_id: int) -> ResponseReturnValue:
    """Change a unit's condition or notes (its keepers)."""
    data = {"condition": request.form.get("condition", ""), "notes": request.form.get("notes", "")}
    result = forms.validate(UnitUpdate, data)
    if isinstance(result, dict):
        flash(next(iter(result.values())), "error")
    else:
        unit = _gear().update_unit(item_id, unit_id, result)
        flash(
            _(
                "%(label)s is now %(condition)s.",
                label=unit.label,
                condition=_label(CONDITION_LABELS, unit.condition),
            ),
            "success",
        )
    return redirect(url_for("gear.item", item_id=item_id, _anchor="units"))


@bp.post("/gear/items/<int:item_id>/units/<int:unit_id>/retire")
@auth.login_required
def retire_unit(item_id: int, unit_id: int) -> ResponseReturnValue:
    """Retire a unit for good (its keepers)."""
    try:
        _gear().retire_unit(item_id, unit_id)
    except Conflict as error:
        flash(_failure(error), "error")
    else:
        flash(_("The unit was retired."), "success")
    return redirect(url_for("gear.item", item_id=item_id, _anchor="units"))


@bp.get("/gear/items/<int:item_id>/photo")
@auth.login_required
def photo(item_id: int) -> ResponseReturnValue:
    """An item's photo."""
    found = _gear().photo(item_id)
    return Response(
        found.content,
        mimetype=found.content_type,
        headers={"Cache-Control": found.cache_control or "private, max-age=60"},
    )


@bp.post("/gear/items/<int:item_id>/photo")
@allows_upload("gear_max_photo_bytes")
@auth.login_required
def upload_photo(item_id: int) -> ResponseReturnValue:
    """Give an item a photo (its keepers)."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        flash(_("Choose a photo first."), "error")
        return redirect(url_for("gear.item", item_id=item_id))
    try:
        _gear().set_photo(item_id, _uploaded(upload))
    except (InvalidInput, PayloadTooLarge):
        flash(
            _(
                "The photo must be a PNG, JPEG or WebP image of at most %(size)s MB.",
                size=current_settings().gear_max_photo_bytes // 1_000_000,
            ),
            "error",
        )
    else:
        flash(_("The photo was saved."), "success")
    return redirect(url_for("gear.item", item_id=item_id))


# ---- CSV --------------------------------------------------------------------------------------


@bp.get("/gear/inventory.csv")
@auth.login_required
def export_csv() -> ResponseReturnValue:
    """The inventory as a CSV file."""
    return csv_response(_gear().export_items())


@bp.post("/gear/inventory.csv")
@auth.login_required
def import_csv() -> ResponseReturnValue:
    """Add the items of a CSV file, all or none (gear keepers)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file first."), "error")
        return redirect(url_for("gear.index"))
    try:
        result = _gear().import_items(_uploaded(upload))
    except InvalidInput as error:
        flash(_("Nothing was imported. %(reason)s", reason=_failure(error)), "error")
        return redirect(url_for("gear.index"))
    flash(_("%(count)s items were imported.", count=result.created), "success")
    return redirect(url_for("gear.index"))


# ---- reservations and loans -------------------------------------------------------------------


@bp.get("/gear/mine")
@auth.login_required
def mine() -> ResponseReturnValue:
    """One's reservations and the gear one has out."""
    client = _gear()
    return render_template(
        "gear/mine.html",
        reservations=client.reservations(ReservationQuery(scope="mine", status="active")),
        past=client.reservations(ReservationQuery(scope="mine", status="any"))[-20:],
        loans=client.loans(LoanQuery(scope="mine", state="out")),
    )


@bp.post("/gear/reservations/<int:reservation_id>/cancel")
@auth.login_required
def cancel(reservation_id: int) -> ResponseReturnValue:
    """Cancel a reservation not yet checked out."""
    try:
        _gear().cancel(reservation_id)
    except Conflict as error:
        flash(_failure(error), "error")
    else:
        flash(_("The reservation was cancelled."), "success")
    return redirect(forms.safe_next(request.form.get("next"), url_for("gear.mine")))


def _desk_page(errors: FormErrors | None = None, form: Mapping[str, str] | None = None) -> str:
    client = _gear()
    today = _today()
    waiting = [
        r
        for r in client.reservations(ReservationQuery(scope="all", status="reserved"))
        if r.start_date <= today <= r.end_date
    ]
    out: list[LoanOut] = client.loans(LoanQuery(scope="all", state="out"))
    return render_template(
        "gear/desk.html",
        waiting=waiting,
        overdue=[loan for loan in out if loan.overdue],
        out=[loan for loan in out if not loan.overdue],
        item_options=[(str(item.id), f"{item.name} ({item.category})") for item in client.items()],
        people=list(known_people(client)),
        conditions=CONDITION_LABELS,
        errors=errors or {},
        form=form or {"quantity": "1", "end_date": today.isoformat()},
    )


@bp.get("/gear/desk")
@auth.login_required
def desk() -> ResponseReturnValue:
    """The keeper's desk: what goes out today, what is out, what is overdue."""
    return _desk_page()


@bp.post("/gear/desk/check-out")
@auth.login_required
def check_out() -> ResponseReturnValue:
    """Hand out a reservation, or free gear on the spot (gear keepers)."""
    data: dict[str, Any] = forms.filled(
        request.form, "reservation_id", "item_id", "quantity", "end_date", "note"
    )
    typed = request.form.get("borrower", "").strip()
    if typed:
        data["user_id"] = borrower(typed, known_people(_gear()))
        if data["user_id"] is None:
            unknown = _(
                "No one called %(name)s is known here; choose a name from the list.", name=typed
            )
            return _desk_page({"borrower": unknown}, request.form), INVALID
    result = forms.validate(CheckOut, data)
    if isinstance(result, dict):
        return _desk_page(result, request.form), INVALID
    try:
        loans = _gear().check_out(result)
    except (Conflict, InvalidInput, NotFound) as error:
        if result.reservation_id is not None:
            flash(_failure(error), "error")
            return redirect(url_for("gear.desk"))
        field = str(error.extensions.get("field") or forms.FORM)
        return _desk_page({field: _failure(error)}, request.form), INVALID
    labels = ", ".join(loan.unit_label or str(loan.quantity) for loan in loans)
    flash(
        _(
            "Checked out to %(name)s: %(what)s.",
            name=loans[0].user_name,
            what=f"{loans[0].item_name} ({labels})",
        ),
        "success",
    )
    return redirect(url_for("gear.desk"))


@bp.post("/gear/loans/<int:loan_id>/check-in")
@auth.login_required
def check_in(loan_id: int) -> ResponseReturnValue:
    """Take gear back with its condition (gear keepers)."""
    data: dict[str, Any] = forms.filled(request.form, "condition", "out_of_service", "note")
    result = forms.validate(CheckIn, data)
    if isinstance(result, dict):
        flash(next(iter(result.values())), "error")
        return redirect(url_for("gear.desk"))
    try:
        loan = _gear().check_in(loan_id, result)
    except (Conflict, InvalidInput) as error:
        flash(_failure(error), "error")
        return redirect(url_for("gear.desk"))
    flash(_("%(item)s is back from %(name)s.", item=loan.item_name, name=loan.user_name), "success")
    return redirect(url_for("gear.desk"))


# ---- packing lists ------------------------------------------------------------------------------


def _packing_page(
    event_id: int, form: Mapping[str, str] | None = None, errors: FormErrors | None = None
) -> str:
    event = auth.events().event(event_id)
    client = auth.services().gear(auth.event_principal(event_id))
    listed = client.packing_list(event_id)
    chart = {
        "labels": [_("Base"), _("Worn"), _("Consumable")],
        "grams": [listed.totals.base, listed.totals.worn, listed.totals.consumable],
    }
    return render_template(
        "gear/packing.html",
        event=event,
        listed=listed,
        chart=chart,
        club_options=[("", _("None"))]
        + [
            (str(item.id), f"{item.name} ({item.category})")
            for item in (_gear().items() if forms.at_least(event.my_role, "organizer") else [])
        ],
        providers=PROVIDER_LABELS,
        form=form or {"quantity": "1", "provided_by": "participant"},
        errors=errors or {},
    )


@bp.get("/events/<int:event_id>/packing-list")
@auth.login_required
def packing_list(event_id: int) -> ResponseReturnValue:
    """An event's packing list: what each participant brings, what the club lends, weights."""
    return _packing_page(event_id)


@bp.post("/events/<int:event_id>/packing-list")
@auth.login_required
def add_entry(event_id: int) -> ResponseReturnValue:
    """Add a line to an event's packing list (organizers)."""
    data: dict[str, Any] = forms.filled(request.form, *ENTRY_FIELDS, "item_id")
    data["worn"] = "worn" in request.form
    data["consumable"] = "consumable" in request.form
    result = forms.validate(PackingEntryCreate, data)
    if isinstance(result, dict):
        if forms.FORM in result:
            result = {"name": result.pop(forms.FORM)} | result
        return _packing_page(event_id, request.form, result), INVALID
    client = auth.services().gear(auth.event_principal(event_id))
    try:
        entry = client.add_entry(event_id, result)
    except (InvalidInput, NotFound) as error:
        field = str(error.extensions.get("field") or forms.FORM)
        return _packing_page(event_id, request.form, {field: _failure(error)}), INVALID
    flash(_("%(name)s is on the list.", name=entry.name), "success")
    return redirect(url_for("gear.packing_list", event_id=event_id))


@bp.post("/events/<int:event_id>/packing-list/<int:entry_id>/remove")
@auth.login_required
def remove_entry(event_id: int, entry_id: int) -> ResponseReturnValue:
    """Remove a line from an event's packing list (organizers)."""
    auth.services().gear(auth.event_principal(event_id)).remove_entry(event_id, entry_id)
    flash(_("The line was removed."), "success")
    return redirect(url_for("gear.packing_list", event_id=event_id))


@bp.get("/events/<int:event_id>/packing-list.csv")
@auth.login_required
def export_packing_list(event_id: int) -> ResponseReturnValue:
    """An event's packing list as a LighterPack CSV file."""
    answer = auth.services().gear(auth.event_principal(event_id)).export_packing_list(event_id)
    return csv_response(answer)


@bp.post("/events/<int:event_id>/packing-list.csv")
@auth.login_required
def import_packing_list(event_id: int) -> ResponseReturnValue:
    """Add the lines of a LighterPack CSV file, all or none (organizers)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file first."), "error")
        return redirect(url_for("gear.packing_list", event_id=event_id))
    client = auth.services().gear(auth.event_principal(event_id))
    try:
        result = client.import_packing_list(event_id, _uploaded(upload))
    except InvalidInput as error:
        flash(_("Nothing was imported. %(reason)s", reason=_failure(error)), "error")
        return redirect(url_for("gear.packing_list", event_id=event_id))
    flash(_("%(count)s lines were imported.", count=result.created), "success")
    return redirect(url_for("gear.packing_list", event_id=event_id))
