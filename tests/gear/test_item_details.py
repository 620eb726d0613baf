"""An item's details are declared once (``ItemDetails``): each one is stored, answered, changed,
and travels through the inventory file in and out, whatever it is (both backends)."""

from __future__ import annotations

from typing import Any

from tests.gear.conftest import Clubhouse
from tripbot.gear import csvfiles, service
from tripbot.gear.schemas import (
    ITEM_DETAILS,
    ItemCreate,
    ItemDetails,
    ItemQuery,
    ItemUpdate,
    ScopeQuery,
)
from tripbot.platform.operations import Upload

EVENT = 10


def values(mark: str) -> dict[str, Any]:
    """A value for every detail, none of them its default: numbers and words marked ``mark``."""
    said: dict[str, Any] = {}
    for number, name in enumerate(ITEM_DETAILS, start=1):
        is_number = ItemDetails.model_fields[name].annotation is int
        said[name] = number * 100 + len(mark) if is_number else f"{mark} {name}"
    return said


def details(item: Any) -> dict[str, Any]:
    """An answer's details."""
    return {name: getattr(item, name) for name in ITEM_DETAILS}


def test_the_file_starts_with_the_details_in_their_order() -> None:
    assert csvfiles.INVENTORY_COLUMNS[: len(ITEM_DETAILS)] == ITEM_DETAILS
    assert csvfiles.ITEM_FIELDS.keys() >= set(ITEM_DETAILS)


def test_every_detail_is_stored_answered_changed_and_goes_through_the_file(
    house: Clubhouse,
) -> None:
    keeper = house.club(house.town.person(1, "Kim", "gear_keeper"))
    olga = house.town.person(2, "Olga")
    house.town.event(EVENT, "Picos de Europa", organizer=olga)
    first, second = values("first"), values("second one")
    made = service.items.create_item(keeper, ItemCreate(**first, quantity=3))
    assert details(made) == first
    assert details(service.items.item(keeper, made.id)) == first

    changed = service.items.update_item(keeper, made.id, ItemUpdate(**second))
    assert details(changed) == second
    listed = service.items.items(keeper, ItemQuery())
    assert [details(item) for item in listed] == [second]

    exported = service.items.export_items(keeper).content
    header = exported.decode().splitlines()[0].split(",")
    assert tuple(header[: len(ITEM_DETAILS)]) == ITEM_DETAILS
    organizer = house.club(olga)
    upload = Upload("inventory.csv", exported, "text/csv")
    imported = service.items.import_items(organizer, upload, ScopeQuery(event_id=EVENT))
    assert imported.created == 1
    [copy] = service.items.items(organizer, ItemQuery(event_id=EVENT))
    assert details(copy) == second


def test_a_file_without_the_details_that_have_a_default_still_imports(house: Clubhouse) -> None:
    keeper = house.club(house.town.person(1, "Kim", "gear_keeper"))
    required = [
        c for c in csvfiles.INVENTORY_COLUMNS if c not in csvfiles.OPTIONAL_INVENTORY_COLUMNS
    ]
    assert csvfiles.OPTIONAL_INVENTORY_COLUMNS == ("description", "weight_grams")
    cells = {"name": "Rope", "category": "Climbing", "tracking": "quantity", "quantity": "2"}
    text = ",".join(required) + "\r\n" + ",".join(cells.get(c, "") for c in required) + "\r\n"
    upload = Upload("old.csv", text.encode(), "text/csv")
    assert service.items.import_items(keeper, upload).created == 1
    [rope] = service.items.items(keeper, ItemQuery())
    assert (rope.name, rope.quantity, rope.description, rope.weight_grams) == ("Rope", 2, "", 0)
