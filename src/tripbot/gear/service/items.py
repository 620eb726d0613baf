"""Items: the club's gear and an event's, their stock and what is free day by day, their photos,
and the inventory as CSV."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from sqlalchemy import ColumnElement, func, or_, select

from tripbot.gear import OPERATIONS, csvfiles, rules, store
from tripbot.gear.models import ACTIVE, Item, Photo, Reservation, Unit
from tripbot.gear.schemas import (
    ITEM_DETAILS,
    Availability,
    ImportResult,
    ItemCreate,
    ItemOut,
    ItemQuery,
    ItemUpdate,
    ScopeQuery,
    WindowQuery,
)
from tripbot.gear.service import access
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message, NotFound, PayloadTooLarge
from tripbot.platform.operations import QUERY, Call, Download, Upload

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, Any] = {
    200: {"description": "A CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
PHOTO_RESPONSE: dict[int | str, Any] = {
    200: {"description": "The photo", "content": {"image/*": {"schema": {"type": "string"}}}},
    404: "No such item, or it has no photo",
}


@OPERATIONS.get("/items")
def items(call: Call, query: ItemQuery | None = None) -> list[ItemOut]:
    """The club's gear, or an event's, with free counts over a window of days.

    Without `event_id`, the club's gear; with it, that event's. `q` finds words in names and
    descriptions, `category` one category. With `available_from` and `available_to` (days,
    both included) each item tells how many are free on every day and the least of them;
    `min_free` keeps the items with at least that many free.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    query = query or ItemQuery()
    access.require_viewer(principal, club.people, query.event_id)
    manager = access.may_manage(principal, club.people, query.event_id)
    filters: list[ColumnElement[bool]] = [
        Item.event_id.is_(None) if query.event_id is None else Item.event_id == query.event_id
    ]
    if query.q:
        filters.append(
            or_(
                Item.name.icontains(query.q, autoescape=True),
                Item.description.icontains(query.q, autoescape=True),
            )
        )
    if query.category:
        filters.append(func.lower(Item.category) == query.category.strip().lower())
    first, last = query.available_from, query.available_to
    if first is not None and last is not None:
        rules.check_window(club.policy, first, last, "available_to")
    with uow:
        stocks = store.stocks(uow.session, *filters)
        if first is None or last is None:
            return [store.item_out(stock, manager) for stock in stocks]
        # Reservations of items not listed are skipped while counting; narrowing the query to
        # the listed items pays only when they are few.
        ids = [stock.id for stock in stocks]
        narrow = [Reservation.item_id.in_(ids)] if len(ids) <= store.NARROW_LISTS else []
        bookings = store.bookings(uow.session, first, last, *narrow)
    used = rules.used_by_day(ids, bookings, first, last, club.policy.today())
    free = rules.free_by_day([stock.capacity for stock in stocks], used)
    least = free.min(axis=1).tolist()
    items = []
    for stock, by_day, fewest in zip(stocks, free.tolist(), least, strict=True):
        if query.min_free is not None and fewest < query.min_free:
            continue
        window = Availability(
            available_from=first,
            available_to=last,
            capacity=stock.capacity,
            free=fewest,
            by_day=by_day,
        )
        items.append(store.item_out(stock, manager, window))
    return items


@OPERATIONS.get("/items/<int:item_id>")
def item(call: Call, item_id: int) -> ItemOut:
    """One item and its stock."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    event_id = store.item_scope(uow, item_id)
    access.require_viewer(principal, club.people, event_id)
    manager = access.may_manage(principal, club.people, event_id)
    with uow:
        return store.item_out(store.one_stock(uow.session, item_id), manager)


@OPERATIONS.get("/items/<int:item_id>/availability")
def availability(
    call: Call,
    item_id: int,
    window: WindowQuery,
) -> Availability:
    """How many of an item are free on each day of a window."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    event_id = store.item_scope(uow, item_id)
    access.require_viewer(principal, club.people, event_id)
    rules.check_window(club.policy, window.available_from, window.available_to, "available_to")
    with uow:
        item = store.find_item(uow.session, item_id)
        first, last = window.available_from, window.available_to
        return store.availability_of(uow.session, item, first, last, club.policy.today())


@OPERATIONS.post("/items", status=201)
def create_item(call: Call, data: ItemCreate) -> ItemOut:
    """Add gear: a quantity, or units with their labels.

    Gear keepers and administrators add the club's gear; an event's organizers add its gear
    (`event_id`).
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, data.event_id, "add gear")
    with uow:
        uow.lock_for_write()
        item = add_item(uow, principal.require_user(), data)
        uow.commit()
        return store.item_out(store.one_stock(uow.session, item.id), True)


def add_item(uow: UnitOfWork, actor: int, data: ItemCreate, *, announce: bool = True) -> Item:
    """Store a new item with its units and its first history line."""
    item = Item(
        event_id=data.event_id,
        **data.model_dump(include=set(ITEM_DETAILS)),
        tracking=data.tracking,
        quantity=data.quantity or 0,
        out_of_service=0,
        created_by=actor,
    )
    uow.session.add(item)
    uow.session.flush()
    store.log(uow, item.id, "item.created", actor, quantity=data.quantity, note=item.name)
    for unit_data in data.units:
        store.new_unit(uow, item, unit_data, actor)
    if announce:
        store.changed(
            uow,
            "item.created",
            item.event_id,
            {"item_id": item.id, "name": item.name, "category": item.category, "by": actor},
        )
    return item


@OPERATIONS.get("/items.csv", produces="text/csv", responses=CSV_RESPONSE)
def export_items(call: Call, query: ScopeQuery | None = None) -> Download:
    """The inventory as CSV.

    Columns: name, category, description, weight_grams, tracking, quantity, unit_label,
    condition, notes; a line per quantity item, a line per unit.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    event_id = (query or ScopeQuery()).event_id
    access.require_viewer(principal, club.people, event_id)
    scope = Item.event_id.is_(None) if event_id is None else Item.event_id == event_id
    with uow:
        items = uow.session.scalars(
            select(Item).where(Item.retired_at.is_(None), scope).order_by(Item.category, Item.name)
        ).all()
        units: dict[int, list[Unit]] = defaultdict(list)
        for unit in uow.session.scalars(
            select(Unit)
            .join(Item, Item.id == Unit.item_id)
            .where(Item.retired_at.is_(None), Unit.retired_at.is_(None), scope)
            .order_by(Unit.label)
        ):
            units[unit.item_id].append(unit)
        rows: list[tuple[object, ...]] = []
        for item in items:
            common = (*(getattr(item, name) for name in ITEM_DETAILS), item.tracking)
            if item.tracking == "quantity":
                rows.append((*common, item.quantity, "", "", ""))
                continue
            rows.extend((*common, "", u.label, u.condition, u.notes) for u in units[item.id])
            if not units[item.id]:
                rows.append((*common, "", "", "", ""))
    text = csvfiles.write_csv(csvfiles.INVENTORY_COLUMNS, rows)
    return Download(text.encode(), CSV, "inventory.csv")


@OPERATIONS.post("/items.csv", status=201)
def import_items(
    call: Call, file: Upload, query: Annotated[ScopeQuery | None, QUERY] = None
) -> ImportResult:
    """Import an inventory CSV, all or none.

    A bad line answers 422 with its `line` and `column`, and nothing of the file is stored;
    an item already in the inventory (same name and category) is such a bad line.
    """
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    event_id = (query or ScopeQuery()).event_id
    access.require_manager(principal, club.people, event_id, "add gear")
    actor = principal.require_user()
    items = csvfiles.read_inventory(file.content, event_id)
    scope = Item.event_id.is_(None) if event_id is None else Item.event_id == event_id
    with uow:
        uow.lock_for_write()
        existing = {
            (name.casefold(), category.casefold())
            for name, category in uow.session.execute(
                select(Item.name, Item.category).where(Item.retired_at.is_(None), scope)
            )
        }
        for line, item in items:
            if (item.name.casefold(), item.category.casefold()) in existing:
                raise InvalidInput(
                    Message(
                        "line {line}, column {column}: {name} in {category} is already "
                        "in the inventory"
                    ),
                    line=line,
                    column="name",
                    name=repr(item.name),
                    category=repr(item.category),
                )
        for _line, item in items:
            add_item(uow, actor, item, announce=False)
        store.changed(uow, "inventory.imported", event_id, {"items": len(items), "by": actor})
        uow.commit()
    return ImportResult(created=len(items))


@OPERATIONS.patch("/items/<int:item_id>")
def update_item(
    call: Call,
    item_id: int,
    data: ItemUpdate,
) -> ItemOut:
    """Change an item; a smaller stock flags the reservations it can no longer serve."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    actor = principal.require_user()
    changes = data.model_dump(exclude_unset=True)
    with uow:
        item = store.locked_item(uow, item_id)
        for name, value in changes.items():
            if value is None:
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
        stock_fields = {"quantity", "out_of_service"} & changes.keys()
        if stock_fields and item.tracking != "quantity":
            name = sorted(stock_fields)[0]
            raise InvalidInput(
                Message("{field}: an item tracked by units changes through its units"), field=name
            )
        for name, value in changes.items():
            setattr(item, name, value)
        if item.out_of_service > item.quantity:
            raise InvalidInput(
                Message(
                    "out_of_service: {out_of_service} out of service is more than the "
                    "{quantity} there are"
                ),
                field="out_of_service",
                out_of_service=item.out_of_service,
                quantity=item.quantity,
            )
        store.log(
            uow,
            item.id,
            "item.updated",
            actor,
            quantity=item.quantity,
            note=", ".join(sorted(changes)),
        )
        store.changed(
            uow,
            "item.updated",
            item.event_id,
            {"item_id": item.id, "name": item.name, "changed": sorted(changes), "by": actor},
        )
        if stock_fields:
            store.reconcile(uow, item, actor, club.policy.today())
        uow.commit()
        return store.item_out(store.one_stock(uow.session, item.id), True)


@OPERATIONS.delete("/items/<int:item_id>", status=204)
def retire_item(call: Call, item_id: int) -> None:
    """Retire an item (not while it is reserved or out); its history stays."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "retire gear")
    actor = principal.require_user()
    with uow:
        item = store.locked_item(uow, item_id)
        active = uow.session.scalar(
            select(func.count()).where(
                Reservation.item_id == item.id, Reservation.status.in_(ACTIVE)
            )
        )
        if active:
            raise Conflict(
                Message(
                    "{item_name} has {active} reservation(s) or loan(s) in course; "
                    "cancel them or check the gear in first"
                ),
                item_name=item.name,
                active=int(active),
            )
        item.retired_at = utcnow()
        store.log(uow, item.id, "item.retired", actor, note=item.name)
        store.changed(
            uow, "item.retired", item.event_id, {"item_id": item.id, "name": item.name, "by": actor}
        )
        uow.commit()


@OPERATIONS.put("/items/<int:item_id>/photo", upload_limit="gear_max_photo_bytes")
def set_photo(call: Call, item_id: int, photo: Upload) -> ItemOut:
    """Give an item a photo (PNG, JPEG or WebP, up to TRIPBOT_GEAR_MAX_PHOTO_BYTES)."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    data = photo.content
    if len(data) > club.policy.max_photo_bytes:
        raise PayloadTooLarge(
            Message("the photo is {size} bytes; the largest accepted is {max_bytes}"),
            size=len(data),
            max_bytes=club.policy.max_photo_bytes,
        )
    content_type = rules.photo_type(data)
    with uow:
        item = store.locked_item(uow, item_id)
        kept = uow.session.get(Photo, item.id)
        if kept is None:
            uow.session.add(Photo(item_id=item.id, content_type=content_type, data=data))
        else:
            kept.content_type, kept.data, kept.updated_at = content_type, data, utcnow()
        store.log(uow, item.id, "item.photo", principal.require_user(), note=content_type)
        uow.commit()
        return store.item_out(store.one_stock(uow.session, item.id), True)


@OPERATIONS.get("/items/<int:item_id>/photo", produces="image/*", responses=PHOTO_RESPONSE)
def photo(call: Call, item_id: int) -> Download:
    """An item's photo."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_viewer(principal, club.people, store.item_scope(uow, item_id))
    with uow:
        kept = uow.session.get(Photo, item_id)
        if kept is None:
            raise NotFound(Message("item {item_id} has no photo"), item_id=item_id)
        return Download(kept.data, kept.content_type, cache_control="private, max-age=60")


@OPERATIONS.delete("/items/<int:item_id>/photo", status=204)
def delete_photo(call: Call, item_id: int) -> None:
    """Remove an item's photo."""
    uow, principal, club = call.unit_of_work(), call.principal, access.club_of(call)
    access.require_manager(principal, club.people, store.item_scope(uow, item_id), "change gear")
    with uow:
        item = store.locked_item(uow, item_id)
        kept = uow.session.get(Photo, item.id)
        if kept is None:
            raise NotFound(Message("item {item_id} has no photo"), item_id=item_id)
        uow.session.delete(kept)
        store.log(uow, item.id, "item.photo_removed", principal.require_user())
        uow.commit()
