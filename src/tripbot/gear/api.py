"""HTTP interface of the gear service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiflask import APIBlueprint, APIFlask
from flask import Response, current_app, request

from tripbot.events.client import EventsClient
from tripbot.gear import OPERATIONS, packing, service
from tripbot.gear.models import feed_cursors
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
from tripbot.gear.service import Club, GearPolicy, Seat
from tripbot.platform.client import ServiceClient, Transport, peer
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import Message, NotAuthenticated, NotFound, PayloadTooLarge
from tripbot.platform.follow import FeedFollower
from tripbot.platform.idempotency import IDEMPOTENCY_HEADER
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    create_legacy_service_app,
    current_database,
    current_principal,
    list_of,
)

bp = APIBlueprint("gear", __name__, tag="Gear")
NO_CONTENT = ("", 204)
CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, str | dict[str, dict[str, Any]]]] = {
    200: {"description": "A CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
PHOTO_RESPONSE: dict[int | str, dict[str, str | dict[str, dict[str, Any]]]] = {
    200: {"description": "The photo", "content": {"image/*": {"schema": {"type": "string"}}}}
}


class EventsPeople:
    """The events service, asked for names and event roles as the caller (answers are kept
    for the request: a use case may ask twice)."""

    def __init__(self, client: EventsClient) -> None:
        self._client = client
        self._seats: dict[int, Seat] = {}

    def my_name(self) -> str:
        """The caller's display name."""
        return self._client.me().display_name

    def name_of(self, user_id: int) -> str:
        """Someone's display name, asked as them (the gear service may sign for anyone)."""
        try:
            return self._client.acting_for(Principal(user_id=user_id)).me().display_name
        except NotAuthenticated:
            raise NotFound(
                Message("there is no user {user_id}"), field="user_id", user_id=user_id
            ) from None

    def seat(self, event_id: int) -> Seat:
        """The caller's place in an event; NotFound if they are not a member."""
        if event_id not in self._seats:
            event = self._client.event(event_id)
            self._seats[event_id] = Seat(event.id, event.name, event.my_role)
        return self._seats[event_id]


def _uow() -> UnitOfWork:
    return current_database().unit_of_work()


def _policy() -> GearPolicy:
    policy: GearPolicy = current_app.extensions["tripbot.gear_policy"]
    return policy


def _club() -> Club:
    return Club(_policy(), EventsPeople(peer(EventsClient, "events")))


def _csv(text: str, filename: str) -> Response:
    return Response(
        text, mimetype=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# ---- inventory -------------------------------------------------------------------------------


@bp.get("/items")
@bp.input(ItemQuery, location="query", arg_name="query")
@bp.output(list_of(ItemOut))
def items(query: ItemQuery) -> list[ItemOut]:
    """The club's gear or an event's, with free counts over a window of days."""
    return service.list_items(_uow(), current_principal(), _club(), query)


@bp.post("/items")
@bp.input(ItemCreate, arg_name="data")
@bp.output(ItemOut, status_code=201)
def create_item(data: ItemCreate) -> ItemOut:
    """Add gear (keepers for the club, organizers for an event)."""
    return service.create_item(_uow(), current_principal(), _club(), data)


@bp.get("/items.csv")
@bp.input(ScopeQuery, location="query", arg_name="query")
@bp.doc(responses=CSV_RESPONSE)
def export_items(query: ScopeQuery) -> Response:
    """The inventory as CSV."""
    text = service.export_inventory(_uow(), current_principal(), _club(), query.event_id)
    return _csv(text, "inventory.csv")


@bp.post("/items.csv")
@bp.input(ScopeQuery, location="query", arg_name="query")
@bp.output(ImportResult, status_code=201)
def import_items(query: ScopeQuery) -> ImportResult:
    """Add the items of an inventory CSV (the request body), all or none."""
    data = request.get_data(cache=False)
    return service.import_inventory(_uow(), current_principal(), _club(), query.event_id, data)


@bp.get("/items/<int:item_id>")
@bp.output(ItemOut)
def item(item_id: int) -> ItemOut:
    """One item and its stock."""
    return service.get_item(_uow(), current_principal(), _club(), item_id)


@bp.patch("/items/<int:item_id>")
@bp.input(ItemUpdate, arg_name="data")
@bp.output(ItemOut)
def update_item(item_id: int, data: ItemUpdate) -> ItemOut:
    """Change an item."""
    return service.update_item(_uow(), current_principal(), _club(), item_id, data)


@bp.delete("/items/<int:item_id>")
@bp.output({}, status_code=204)
def retire_item(item_id: int) -> tuple[str, int]:
    """Retire an item (its history stays)."""
    service.retire_item(_uow(), current_principal(), _club(), item_id)
    return NO_CONTENT


@bp.get("/items/<int:item_id>/photo")
@bp.doc(responses=PHOTO_RESPONSE)
def photo(item_id: int) -> Response:
    """An item's photo."""
    content_type, data = service.get_photo(_uow(), current_principal(), _club(), item_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=60"})


@bp.put("/items/<int:item_id>/photo")
@bp.output(ItemOut)
def set_photo(item_id: int) -> ItemOut:
    """Give an item a photo: the request body is a PNG, JPEG or WebP image."""
    limit = _policy().max_photo_bytes
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(
            Message("the photo is larger than {max_bytes} bytes"), max_bytes=limit
        )
    request.max_content_length = limit
    data = request.get_data(cache=False)
    return service.set_photo(_uow(), current_principal(), _club(), item_id, data)


@bp.delete("/items/<int:item_id>/photo")
@bp.output({}, status_code=204)
def delete_photo(item_id: int) -> tuple[str, int]:
    """Remove an item's photo."""
    service.delete_photo(_uow(), current_principal(), _club(), item_id)
    return NO_CONTENT


@bp.get("/items/<int:item_id>/availability")
@bp.input(WindowQuery, location="query", arg_name="window")
@bp.output(Availability)
def availability(item_id: int, window: WindowQuery) -> Availability:
    """What is free of an item, day by day."""
    return service.item_availability(_uow(), current_principal(), _club(), item_id, window)


@bp.get("/items/<int:item_id>/history")
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(list_of(HistoryOut))
def history(item_id: int, query: HistoryQuery) -> list[HistoryOut]:
    """What happened to an item or one of its units, newest first."""
    return service.item_history(_uow(), current_principal(), _club(), item_id, query.unit_id)


@bp.get("/items/<int:item_id>/units")
@bp.output(list_of(UnitOut))
def units(item_id: int) -> list[UnitOut]:
    """An item's units."""
    return service.list_units(_uow(), current_principal(), _club(), item_id)


@bp.post("/items/<int:item_id>/units")
@bp.input(UnitCreate, arg_name="data")
@bp.output(UnitOut, status_code=201)
def add_unit(item_id: int, data: UnitCreate) -> UnitOut:
    """Add a unit to an item tracked by units."""
    return service.add_unit(_uow(), current_principal(), _club(), item_id, data)


@bp.patch("/items/<int:item_id>/units/<int:unit_id>")
@bp.input(UnitUpdate, arg_name="data")
@bp.output(UnitOut)
def update_unit(item_id: int, unit_id: int, data: UnitUpdate) -> UnitOut:
    """Relabel a unit or change its condition."""
    principal = current_principal()
    return service.update_unit(_uow(), principal, _club(), data, item_id=item_id, unit_id=unit_id)


@bp.delete("/items/<int:item_id>/units/<int:unit_id>")
@bp.output({}, status_code=204)
def retire_unit(item_id: int, unit_id: int) -> tuple[str, int]:
    """Retire a unit for good."""
    service.retire_unit(_uow(), current_principal(), _club(), item_id=item_id, unit_id=unit_id)
    return NO_CONTENT


# ---- reservations and loans ------------------------------------------------------------------


@bp.post("/reservations")
@bp.input(ReservationCreate, arg_name="data")
@bp.output(ReservationOut, status_code=201)
def reserve(data: ReservationCreate) -> ReservationOut:
    """Book gear for a range of days (409 with what is free if not enough is)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    return service.reserve(_uow(), current_principal(), _club(), data, key)


@bp.get("/reservations")
@bp.input(ReservationQuery, location="query", arg_name="query")
@bp.output(list_of(ReservationOut))
def reservations(query: ReservationQuery) -> list[ReservationOut]:
    """Reservations: one's own, an event's, or the club's (keepers)."""
    return service.list_reservations(_uow(), current_principal(), _club(), query)


@bp.get("/reservations/<int:reservation_id>")
@bp.output(ReservationOut)
def reservation(reservation_id: int) -> ReservationOut:
    """One reservation."""
    return service.get_reservation(_uow(), current_principal(), _club(), reservation_id)


@bp.post("/reservations/<int:reservation_id>/cancel")
@bp.output(ReservationOut)
def cancel(reservation_id: int) -> ReservationOut:
    """Cancel a reservation not yet checked out."""
    return service.cancel_reservation(_uow(), current_principal(), _club(), reservation_id)


@bp.post("/loans")
@bp.input(CheckOut, arg_name="data")
@bp.output(list_of(LoanOut), status_code=201)
def check_out(data: CheckOut) -> list[LoanOut]:
    """Hand gear out: a reservation's, or free gear on the spot."""
    return service.check_out(_uow(), current_principal(), _club(), data)


@bp.get("/loans")
@bp.input(LoanQuery, location="query", arg_name="query")
@bp.output(list_of(LoanOut))
def loans(query: LoanQuery) -> list[LoanOut]:
    """Loans: one's own, an event's, or the club's (keepers)."""
    return service.list_loans(_uow(), current_principal(), _club(), query)


@bp.get("/loans/overdue")
@bp.output(list_of(LoanOut))
def overdue() -> list[LoanOut]:
    """Loans past their last day (all for the bot, the club's for keepers, one's own)."""
    return service.overdue_loans(_uow(), current_principal(), _club())


@bp.post("/loans/<int:loan_id>/check-in")
@bp.input(CheckIn, arg_name="data")
@bp.output(LoanOut)
def check_in(loan_id: int, data: CheckIn) -> LoanOut:
    """Take gear back and record its condition."""
    return service.check_in(_uow(), current_principal(), _club(), loan_id, data)


# ---- packing lists ---------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/packing-list")
@bp.output(PackingListOut)
def packing_list(event_id: int) -> PackingListOut:
    """An event's packing list with its weights."""
    return packing.packing_list(_uow(), current_principal(), event_id)


@bp.post("/events/<int:event_id>/packing-list")
@bp.input(PackingEntryCreate, arg_name="data")
@bp.output(PackingEntryOut, status_code=201)
def add_entry(event_id: int, data: PackingEntryCreate) -> PackingEntryOut:
    """Add a line to an event's packing list."""
    return packing.add_entry(_uow(), current_principal(), event_id, data)


@bp.patch("/events/<int:event_id>/packing-list/<int:entry_id>")
@bp.input(PackingEntryUpdate, arg_name="data")
@bp.output(PackingEntryOut)
def update_entry(event_id: int, entry_id: int, data: PackingEntryUpdate) -> PackingEntryOut:
    """Change a line of an event's packing list."""
    return packing.update_entry(_uow(), current_principal(), event_id, entry_id, data)


@bp.delete("/events/<int:event_id>/packing-list/<int:entry_id>")
@bp.output({}, status_code=204)
def remove_entry(event_id: int, entry_id: int) -> tuple[str, int]:
    """Remove a line from an event's packing list."""
    packing.remove_entry(_uow(), current_principal(), event_id, entry_id)
    return NO_CONTENT


@bp.get("/events/<int:event_id>/packing-list.csv")
@bp.doc(responses=CSV_RESPONSE)
def export_packing_list(event_id: int) -> Response:
    """An event's packing list in LighterPack's CSV columns."""
    text = packing.export_csv(_uow(), current_principal(), event_id)
    return _csv(text, f"packing-list-{event_id}.csv")


@bp.post("/events/<int:event_id>/packing-list.csv")
@bp.output(ImportResult, status_code=201)
def import_packing_list(event_id: int) -> ImportResult:
    """Add the lines of a LighterPack CSV (the request body), all or none."""
    data = request.get_data(cache=False)
    return packing.import_csv(_uow(), current_principal(), event_id, data)


def create_app(settings: Settings, database: Database, peers: Mapping[str, Transport]) -> APIFlask:
    """The gear service application; it reaches the events service through ``peers``."""
    app = create_legacy_service_app("gear", settings, database, [bp], peers, operations=OPERATIONS)
    app.extensions["tripbot.gear_policy"] = gear_policy(settings)
    return app


def gear_policy(settings: Settings) -> GearPolicy:
    """The club's gear rules, from the settings."""
    return GearPolicy(
        max_reservation_days=settings.gear_max_reservation_days,
        max_photo_bytes=settings.gear_max_photo_bytes,
        timezone=settings.gear_timezone,
    )


def deleted_events_follower(
    settings: Settings, database: Database, events: ServiceClient
) -> FeedFollower:
    """Follows the events service's feed: a deleted event's reservations are cancelled."""
    policy = gear_policy(settings)

    def forget(entry: FeedEntry) -> None:
        if entry.event_id is not None:
            service.forget_event(database.unit_of_work(), policy, entry.event_id)

    return FeedFollower(events, database, feed_cursors, {"event.deleted"}, forget, reader="gear")
