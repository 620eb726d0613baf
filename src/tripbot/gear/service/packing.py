"""An event's packing list: what each participant brings and what the club lends,
with LighterPack's weights, and its CSV import and export in LighterPack's columns.

The gateway says the caller's role in the event: participants read, organizers edit. Everyone
ticks what they packed: each participant the lines each participant brings, for their own bag;
organizers also the lines the club lends, packed once for everyone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tripbot.gear import OPERATIONS, csvfiles, rules
from tripbot.gear.models import Item, PackingEntry, PackingTick, outbox
from tripbot.gear.schemas import (
    CategoryWeights,
    ImportResult,
    PackedChange,
    PackingEntryCreate,
    PackingEntryOut,
    PackingEntryUpdate,
    PackingListOut,
)
from tripbot.gear.service.items import CSV, CSV_RESPONSE
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import InvalidInput, Message, NotFound
from tripbot.platform.operations import Access, Call, Download, Upload
from tripbot.platform.outbox import record_change

MAX_ENTRIES = 2000
"""The most lines one packing list may have."""
LIST = "/events/<int:event_id>/packing-list"
LINE = f"{LIST}/<int:entry_id>"
LIST_CSV = f"{LIST}.csv"
PACKING: dict[str, Any] = {"access": Access.EVENT, "tag": "Packing lists"}
"""How every packing list operation is reached: by members of its event (at the same path on
the public API, not under /gear), grouped apart in the API's documentation."""


def _entry_out(entry: PackingEntry, packed: bool = False) -> PackingEntryOut:
    return PackingEntryOut(
        id=entry.id,
        event_id=entry.event_id,
        name=entry.name,
        category=entry.category,
        description=entry.description,
        quantity=entry.quantity,
        weight_grams=entry.weight_grams,
        total_grams=entry.weight_grams * entry.quantity,
        worn=entry.worn,
        consumable=entry.consumable,
        url=entry.url,
        price=entry.price,
        provided_by=entry.provided_by,
        item_id=entry.item_id,
        packed=packed,
    )


def _entries(uow: UnitOfWork, event_id: int) -> list[PackingEntry]:
    return list(
        uow.session.scalars(
            select(PackingEntry)
            .where(PackingEntry.event_id == event_id)
            .order_by(PackingEntry.category, PackingEntry.position, PackingEntry.id)
        )
    )


def _tickers(uow: UnitOfWork, event_id: int) -> dict[int, set[int]]:
    """Who ticked each line of an event's packing list, by line."""
    found: dict[int, set[int]] = {}
    for entry_id, user_id in uow.session.execute(
        select(PackingTick.entry_id, PackingTick.user_id)
        .join(PackingEntry, PackingEntry.id == PackingTick.entry_id)
        .where(PackingEntry.event_id == event_id)
    ):
        found.setdefault(entry_id, set()).add(user_id)
    return found


def _list_out(
    event_id: int,
    entries: list[PackingEntry],
    tickers: dict[int, set[int]],
    user_id: int | None,
) -> PackingListOut:
    categories: dict[str, list[PackingEntry]] = {}
    for entry in entries:
        categories.setdefault(entry.category, []).append(entry)
    packed = {e.id: rules.packed(e.provided_by, tickers.get(e.id, set()), user_id) for e in entries}
    return PackingListOut(
        event_id=event_id,
        entries=[_entry_out(entry, packed[entry.id]) for entry in entries],
        totals=rules.weights(entries),
        participant=rules.weights(e for e in entries if e.provided_by == "participant"),
        club=rules.weights(e for e in entries if e.provided_by == "club"),
        categories=[
            CategoryWeights(category=name, **rules.weights(lines).model_dump())
            for name, lines in categories.items()
        ],
        mine=rules.progress(packed[e.id] for e in entries if e.provided_by == "participant"),
        club_packed=rules.progress(packed[e.id] for e in entries if e.provided_by == "club"),
    )


def _changed(uow: UnitOfWork, event_id: int, action: str, by: int, **payload: Any) -> None:
    record_change(
        uow.session,
        outbox,
        "packing_list.changed",
        event_id,
        {"event_id": event_id, "action": action, "by": by, **payload},
    )


@OPERATIONS.get(LIST, public=LIST, **PACKING)
def packing_list(call: Call, event_id: int) -> PackingListOut:
    """An event's packing list with LighterPack's weights (members)."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "participant", Message("see the packing list"))
    with uow:
        entries = _entries(uow, event_id)
        return _list_out(event_id, entries, _tickers(uow, event_id), principal.user_id)


def _room_for(uow: UnitOfWork, event_id: int, more: int) -> int:
    """The next position in a list, if it has room for ``more`` lines."""
    count, last = uow.session.execute(
        select(func.count(), func.coalesce(func.max(PackingEntry.position), 0)).where(
            PackingEntry.event_id == event_id
        )
    ).one()
    if count + more > MAX_ENTRIES:
        raise InvalidInput(
            Message("a packing list holds at most {max_lines} lines; this one has {lines}"),
            max_lines=MAX_ENTRIES,
            lines=int(count),
        )
    return int(last) + 1


def _lent_item(uow: UnitOfWork, event_id: int, item_id: int) -> Item:
    item = uow.session.get(Item, item_id)
    if item is None or item.retired_at is not None or item.event_id not in (None, event_id):
        raise NotFound(Message("there is no item {item_id}"), field="item_id", item_id=item_id)
    return item


@OPERATIONS.post(LIST, public=LIST, status=201, **PACKING)
def add_entry(call: Call, event_id: int, data: PackingEntryCreate) -> PackingEntryOut:
    """Add a line: what each participant brings, or what the club lends (organizers)."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "organizer", Message("change the packing list"))
    actor = principal.require_user()
    with uow:
        uow.lock_for_write()
        values = data.model_dump()
        if data.item_id is not None:
            item = _lent_item(uow, event_id, data.item_id)
            values["name"] = data.name or item.name
            values["category"] = data.category or item.category
            if data.weight_grams is None:
                values["weight_grams"] = item.weight_grams
        values["weight_grams"] = values["weight_grams"] or 0
        entry = PackingEntry(event_id=event_id, position=_room_for(uow, event_id, 1), **values)
        uow.session.add(entry)
        uow.session.flush()
        _changed(uow, event_id, "added", actor, entry_id=entry.id, name=entry.name)
        uow.commit()
        return _entry_out(entry)


def _entry(uow: UnitOfWork, event_id: int, entry_id: int) -> PackingEntry:
    entry = uow.session.get(PackingEntry, entry_id)
    if entry is None or entry.event_id != event_id:
        raise NotFound(
            Message("the packing list of event {event_id} has no line {entry_id}"),
            event_id=event_id,
            entry_id=entry_id,
        )
    return entry


@OPERATIONS.patch(LINE, public=LINE, **PACKING)
def update_entry(
    call: Call,
    event_id: int,
    entry_id: int,
    data: PackingEntryUpdate,
) -> PackingEntryOut:
    """Change a line of the packing list (organizers)."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "organizer", Message("change the packing list"))
    actor = principal.require_user()
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.lock_for_write()
        entry = _entry(uow, event_id, entry_id)
        for name, value in changes.items():
            if value is None and name != "price":
                raise InvalidInput(Message("{field} cannot be empty"), field=name)
            setattr(entry, name, value)
        if entry.provided_by != "club" and entry.item_id is not None:
            entry.item_id = None  # what participants bring is never the club's gear
        _changed(uow, event_id, "updated", actor, entry_id=entry.id, name=entry.name)
        uow.commit()
        return _entry_out(entry)


@OPERATIONS.delete(LINE, public=LINE, status=204, **PACKING)
def remove_entry(call: Call, event_id: int, entry_id: int) -> None:
    """Remove a line from the packing list (organizers)."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "organizer", Message("change the packing list"))
    actor = principal.require_user()
    with uow:
        uow.lock_for_write()
        entry = _entry(uow, event_id, entry_id)
        _changed(uow, event_id, "removed", actor, entry_id=entry.id, name=entry.name)
        uow.session.execute(delete(PackingTick).where(PackingTick.entry_id == entry.id))
        uow.session.execute(delete(PackingEntry).where(PackingEntry.id == entry.id))
        uow.commit()


@OPERATIONS.put(f"{LINE}/packed", public=f"{LINE}/packed", **PACKING)
def tick_entry(call: Call, event_id: int, entry_id: int, data: PackedChange) -> PackingEntryOut:
    """Tick a line as packed, or untick it: members tick a line each participant brings for
    their own bag; a line the club lends is packed once, for everyone, by an organizer."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "participant", Message("see the packing list"))
    user_id = principal.require_user()
    with uow:
        uow.lock_for_write()
        entry = _entry(uow, event_id, entry_id)
        club = entry.provided_by == "club"
        if club:
            principal.require_event_role(event_id, "organizer", Message("pack what the club lends"))
        # A tick is nobody else's news: it goes in no feed and leaves the list's history alone.
        if not data.packed:
            mine = PackingTick.user_id == user_id
            uow.session.execute(
                delete(PackingTick).where(
                    PackingTick.entry_id == entry.id, *(() if club else (mine,))
                )
            )
        else:
            dialect = uow.session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            uow.session.execute(
                insert(PackingTick)
                .values(entry_id=entry.id, user_id=user_id, ticked_at=utcnow())
                .on_conflict_do_nothing(index_elements=["entry_id", "user_id"])
            )
        uow.commit()
        return _entry_out(entry, data.packed)


def _price(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


@OPERATIONS.get(
    LIST_CSV,
    public=LIST_CSV,
    produces="text/csv",
    responses=CSV_RESPONSE,
    **PACKING,
)
def export_packing_list(call: Call, event_id: int) -> Download:
    """The packing list as a LighterPack CSV (weights in grams)."""
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "participant", Message("see the packing list"))
    with uow:
        rows = [
            (
                entry.name,
                entry.category,
                entry.description,
                entry.quantity,
                entry.weight_grams,
                "gram",
                entry.url,
                _price(entry.price),
                "Worn" if entry.worn else "",
                "Consumable" if entry.consumable else "",
            )
            for entry in _entries(uow, event_id)
        ]
    text = csvfiles.write_csv(csvfiles.LIGHTERPACK_COLUMNS, rows)
    return Download(text.encode(), CSV, f"packing-list-{event_id}.csv")


LIGHTERPACK_FIELDS = {
    "name": "Item Name",
    "category": "Category",
    "description": "desc",
    "quantity": "qty",
    "weight_grams": "weight",
    "url": "url",
    "price": "price",
}


def _read_lighterpack(data: bytes) -> list[PackingEntryCreate]:
    entries = []
    for row in csvfiles.read_rows(data, csvfiles.LIGHTERPACK_COLUMNS):
        if not row.cells["Item Name"].strip():
            raise row.error(
                "Item Name", Message("line {line}, column {column}: the name is missing")
            )
        quantity = csvfiles.whole_number(row, "qty", minimum=1)
        if quantity is None:
            raise row.error("qty", Message("line {line}, column {column}: the quantity is missing"))
        price = csvfiles.decimal(row, "price")
        entries.append(
            csvfiles.validated(
                row,
                PackingEntryCreate,
                LIGHTERPACK_FIELDS,
                name=row.cells["Item Name"],
                category=row.cells["Category"].strip(),
                description=row.cells["desc"].strip(),
                quantity=quantity,
                weight_grams=csvfiles.grams(row, "weight", "unit"),
                url=row.cells["url"].strip(),
                price=None if price is None else price.quantize(Decimal("0.01")),
                worn=csvfiles.flag(row, "worn"),
                consumable=csvfiles.flag(row, "consumable"),
            )
        )
    return entries


@OPERATIONS.post(LIST_CSV, public=LIST_CSV, status=201, **PACKING)
def import_packing_list(call: Call, event_id: int, file: Upload) -> ImportResult:
    """Import a LighterPack CSV into the packing list, all or none (organizers).

    Columns: Item Name, Category, desc, qty, weight, unit, url, price, worn, consumable. A bad
    line answers 422 with its `line` and `column`, and nothing is stored.
    """
    uow, principal = call.unit_of_work(), call.principal
    principal.require_event_role(event_id, "organizer", Message("change the packing list"))
    actor = principal.require_user()
    entries = _read_lighterpack(file.content)
    with uow:
        uow.lock_for_write()
        position = _room_for(uow, event_id, len(entries))
        uow.session.add_all(
            PackingEntry(event_id=event_id, position=position + n, **entry.model_dump())
            for n, entry in enumerate(entries)
        )
        _changed(uow, event_id, "imported", actor, lines=len(entries))
        uow.commit()
    return ImportResult(created=len(entries))
