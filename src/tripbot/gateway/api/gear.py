"""The public REST API of gear: inventory, reservations, loans and packing lists."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import UploadFile
from flask import Response, request
from pydantic import BaseModel, ConfigDict

from tripbot.gateway import auth
from tripbot.gear.client import GearClient
from tripbot.gear.schemas import (
    Availability,
    CheckIn,
    CheckOut,
    HistoryOut,
    HistoryQuery,
    ImportResult,
    ItemCreate,
    ItemOut,
    ItemQuery,
    ItemUpdate,
    LoanOut,
    LoanQuery,
    PackingEntryCreate,
    PackingEntryOut,
    PackingEntryUpdate,
    PackingListOut,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
    ScopeQuery,
    UnitCreate,
    UnitOut,
    UnitUpdate,
    WindowQuery,
)
from tripbot.platform.idempotency import IDEMPOTENCY_HEADER
from tripbot.platform.uploads import allows_upload
from tripbot.platform.web import list_of

bp = APIBlueprint("api_gear", __name__, url_prefix="/api/v1", tag="Gear")
NO_CONTENT = ("", 204)
ITEM = "/gear/items/<int:item_id>"
PACKING = "/events/<int:event_id>/packing-list"
"""Room for the multipart envelope around an uploaded photo."""
CSV_RESPONSE: dict[int | str, Any] = {
    200: {"description": "A CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
PHOTO_RESPONSE: dict[int | str, Any] = {
    200: {"description": "The photo", "content": {"image/*": {"schema": {"type": "string"}}}},
    404: "No such item, or it has no photo",
}


class CsvUpload(BaseModel):
    """A CSV file sent as multipart/form-data."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile


class PhotoUpload(BaseModel):
    """A PNG, JPEG or WebP photo sent as multipart/form-data."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    photo: UploadFile


def _gear() -> GearClient:
    """The gear service, acting for the logged-in person."""
    auth.require_user()
    return auth.services().gear(auth.principal())


def _packing(event_id: int) -> GearClient:
    """The gear service, acting for the logged-in person with their role in the event."""
    auth.require_user()
    return auth.services().gear(auth.event_principal(event_id))


def csv_response(text: str, filename: str) -> Response:
    """A CSV download."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---- inventory -------------------------------------------------------------------------------


@bp.get("/gear/items")
@bp.input(ItemQuery, location="query", arg_name="query")
@bp.output(list_of(ItemOut))
def items(query: ItemQuery) -> list[ItemOut]:
    """The club's gear, or an event's, with free counts over a window of days.

    Without `event_id`, the club's gear; with it, that event's. `q` finds words in names and
    descriptions, `category` one category. With `available_from` and `available_to` (days,
    both included) each item tells how many are free on every day and the least of them;
    `min_free` keeps the items with at least that many free.
    """
    return _gear().items(query)


@bp.post("/gear/items")
@bp.input(ItemCreate, arg_name="data")
@bp.output(ItemOut, status_code=201)
def create_item(data: ItemCreate) -> ItemOut:
    """Add gear: a quantity, or units with their labels.

    Gear keepers and administrators add the club's gear; an event's organizers add its gear
    (`event_id`).
    """
    return _gear().create_item(data)


@bp.get("/gear/items.csv")
@bp.input(ScopeQuery, location="query", arg_name="query")
@bp.doc(responses=CSV_RESPONSE)
def export_items(query: ScopeQuery) -> Response:
    """The inventory as CSV.

    Columns: name, category, description, weight_grams, tracking, quantity, unit_label,
    condition, notes; a line per quantity item, a line per unit.
    """
    return csv_response(_gear().export_items(query.event_id), "inventory.csv")


@bp.post("/gear/items.csv")
@bp.input(ScopeQuery, location="query", arg_name="query")
@bp.input(CsvUpload, location="files", arg_name="upload")
@bp.output(ImportResult, status_code=201)
def import_items(query: ScopeQuery, upload: CsvUpload) -> ImportResult:
    """Import an inventory CSV, all or none.

    A bad line answers 422 with its `line` and `column`, and nothing of the file is stored;
    an item already in the inventory (same name and category) is such a bad line.
    """
    return _gear().import_items(upload.file.read(), query.event_id)


@bp.get(ITEM)
@bp.output(ItemOut)
def item(item_id: int) -> ItemOut:
    """One item and its stock."""
    return _gear().item(item_id)


@bp.patch(ITEM)
@bp.input(ItemUpdate, arg_name="data")
@bp.output(ItemOut)
def update_item(item_id: int, data: ItemUpdate) -> ItemOut:
    """Change an item; a smaller stock flags the reservations it can no longer serve."""
    return _gear().update_item(item_id, data)


@bp.delete(ITEM)
@bp.output({}, status_code=204)
def retire_item(item_id: int) -> tuple[str, int]:
    """Retire an item (not while it is reserved or out); its history stays."""
    _gear().retire_item(item_id)
    return NO_CONTENT


@bp.get(f"{ITEM}/photo")
@bp.doc(responses=PHOTO_RESPONSE)
def photo(item_id: int) -> Response:
    """An item's photo."""
    content_type, data = _gear().photo(item_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=60"})


@bp.put(f"{ITEM}/photo")
@allows_upload("gear_max_photo_bytes")
@bp.input(PhotoUpload, location="files", arg_name="upload")
@bp.output(ItemOut)
def set_photo(item_id: int, upload: PhotoUpload) -> ItemOut:
    """Give an item a photo (PNG, JPEG or WebP, up to TRIPBOT_GEAR_MAX_PHOTO_BYTES)."""
    data = upload.photo.read()
    return _gear().set_photo(item_id, data, upload.photo.mimetype or "application/octet-stream")


@bp.delete(f"{ITEM}/photo")
@bp.output({}, status_code=204)
def delete_photo(item_id: int) -> tuple[str, int]:
    """Remove an item's photo."""
    _gear().delete_photo(item_id)
    return NO_CONTENT


@bp.get(f"{ITEM}/availability")
@bp.input(WindowQuery, location="query", arg_name="window")
@bp.output(Availability)
def availability(item_id: int, window: WindowQuery) -> Availability:
    """How many of an item are free on each day of a window."""
    return _gear().availability(item_id, window)


@bp.get(f"{ITEM}/history")
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(list_of(HistoryOut))
def history(item_id: int, query: HistoryQuery) -> list[HistoryOut]:
    """The history of an item, or of one unit.

    Who reserved, took and returned it, in what condition and when; newest first. With
    `unit_id`, one unit's. History is never rewritten.
    """
    return _gear().history(item_id, query.unit_id)


@bp.get(f"{ITEM}/units")
@bp.output(list_of(UnitOut))
def units(item_id: int) -> list[UnitOut]:
    """An item's units, their condition and whether they are out."""
    return _gear().units(item_id)


@bp.post(f"{ITEM}/units")
@bp.input(UnitCreate, arg_name="data")
@bp.output(UnitOut, status_code=201)
def add_unit(item_id: int, data: UnitCreate) -> UnitOut:
    """Add a unit to an item tracked by units."""
    return _gear().add_unit(item_id, data)


@bp.patch(f"{ITEM}/units/<int:unit_id>")
@bp.input(UnitUpdate, arg_name="data")
@bp.output(UnitOut)
def update_unit(item_id: int, unit_id: int, data: UnitUpdate) -> UnitOut:
    """Relabel a unit or change its condition.

    Out of service, it leaves future availability, and the reservations it can no longer
    serve are flagged to their owners.
    """
    return _gear().update_unit(item_id, unit_id, data)


@bp.delete(f"{ITEM}/units/<int:unit_id>")
@bp.output({}, status_code=204)
def retire_unit(item_id: int, unit_id: int) -> tuple[str, int]:
    """Retire a unit for good (not while it is out)."""
    _gear().retire_unit(item_id, unit_id)
    return NO_CONTENT


# ---- reservations and loans ------------------------------------------------------------------


@bp.post("/gear/reservations")
@bp.input(ReservationCreate, arg_name="data")
@bp.output(ReservationOut, status_code=201)
@bp.doc(responses={409: "Not enough is free: `available` is the least free on any day"})
def reserve(data: ReservationCreate) -> ReservationOut:
    """Reserve gear for a range of days.

    Whole days, both included, in the club's time zone; for yourself, or for an event you
    organize (`event_id`); a specific unit (`unit_id`) or any `quantity`. It succeeds only if
    enough is free on every day; otherwise 409 with `available` (the least free on any day)
    and `by_day`. Send an `Idempotency-Key` header to retry safely.
    """
    return _gear().reserve(data, request.headers.get(IDEMPOTENCY_HEADER))


@bp.get("/gear/reservations")
@bp.input(ReservationQuery, location="query", arg_name="query")
@bp.output(list_of(ReservationOut))
def reservations(query: ReservationQuery) -> list[ReservationOut]:
    """Reservations: yours, an event's, or the club's.

    `scope=mine` (yours), `scope=event&event_id=` (an event's, for its members) or
    `scope=all` (all of the club's gear, gear keepers). A `flag` says why a reservation can
    no longer be served as booked.
    """
    return _gear().reservations(query)


@bp.get("/gear/reservations/<int:reservation_id>")
@bp.output(ReservationOut)
def reservation(reservation_id: int) -> ReservationOut:
    """One reservation."""
    return _gear().reservation(reservation_id)


@bp.post("/gear/reservations/<int:reservation_id>/cancel")
@bp.output(ReservationOut)
def cancel(reservation_id: int) -> ReservationOut:
    """Cancel a reservation not yet checked out.

    Its owner, the gear's keepers, and the organizers of the event it is for may.
    """
    return _gear().cancel(reservation_id)


@bp.post("/gear/loans")
@bp.input(CheckOut, arg_name="data")
@bp.output(list_of(LoanOut), status_code=201)
def check_out(data: CheckOut) -> list[LoanOut]:
    """Check gear out.

    A reservation (`reservation_id`) on one of its days, or free gear on the spot (`item_id`,
    `quantity`, `end_date`, `user_id`). Gear keepers for the club's gear; organizers for an
    event's.
    """
    return _gear().check_out(data)


@bp.get("/gear/loans")
@bp.input(LoanQuery, location="query", arg_name="query")
@bp.output(list_of(LoanOut))
def loans(query: LoanQuery) -> list[LoanOut]:
    """Loans out, overdue or returned: yours, an event's, or the club's (gear keepers)."""
    return _gear().loans(query)


@bp.get("/gear/loans/overdue")
@bp.output(list_of(LoanOut))
def overdue() -> list[LoanOut]:
    """Loans past their last day: the club's for gear keepers, your own for everyone."""
    return _gear().overdue()


@bp.post("/gear/loans/<int:loan_id>/check-in")
@bp.input(CheckIn, arg_name="data")
@bp.output(LoanOut)
def check_in(loan_id: int, data: CheckIn) -> LoanOut:
    """Check gear back in with its condition (409 if it is not out)."""
    return _gear().check_in(loan_id, data)


# ---- packing lists ---------------------------------------------------------------------------


@bp.get(PACKING)
@bp.output(PackingListOut)
@bp.doc(tags=["Packing lists"])
def packing_list(event_id: int) -> PackingListOut:
    """An event's packing list with LighterPack's weights (members)."""
    return _packing(event_id).packing_list(event_id)


@bp.post(PACKING)
@bp.input(PackingEntryCreate, arg_name="data")
@bp.output(PackingEntryOut, status_code=201)
@bp.doc(tags=["Packing lists"])
def add_entry(event_id: int, data: PackingEntryCreate) -> PackingEntryOut:
    """Add a line: what each participant brings, or what the club lends (organizers)."""
    return _packing(event_id).add_entry(event_id, data)


@bp.patch(f"{PACKING}/<int:entry_id>")
@bp.input(PackingEntryUpdate, arg_name="data")
@bp.output(PackingEntryOut)
@bp.doc(tags=["Packing lists"])
def update_entry(event_id: int, entry_id: int, data: PackingEntryUpdate) -> PackingEntryOut:
    """Change a line of the packing list (organizers)."""
    return _packing(event_id).update_entry(event_id, entry_id, data)


@bp.delete(f"{PACKING}/<int:entry_id>")
@bp.output({}, status_code=204)
@bp.doc(tags=["Packing lists"])
def remove_entry(event_id: int, entry_id: int) -> tuple[str, int]:
    """Remove a line from the packing list (organizers)."""
    _packing(event_id).remove_entry(event_id, entry_id)
    return NO_CONTENT


@bp.get(f"{PACKING}.csv")
@bp.doc(tags=["Packing lists"], responses=CSV_RESPONSE)
def export_packing_list(event_id: int) -> Response:
    """The packing list as a LighterPack CSV (weights in grams)."""
    text = _packing(event_id).export_packing_list(event_id)
    return csv_response(text, f"packing-list-{event_id}.csv")


@bp.post(f"{PACKING}.csv")
@bp.input(CsvUpload, location="files", arg_name="upload")
@bp.output(ImportResult, status_code=201)
@bp.doc(tags=["Packing lists"])
def import_packing_list(event_id: int, upload: CsvUpload) -> ImportResult:
    """Import a LighterPack CSV into the packing list, all or none (organizers).

    Columns: Item Name, Category, desc, qty, weight, unit, url, price, worn, consumable. A bad
    line answers 422 with its `line` and `column`, and nothing is stored.
    """
    return _packing(event_id).import_packing_list(event_id, upload.file.read())
