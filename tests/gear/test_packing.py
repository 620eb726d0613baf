"""An event's packing list on a real database (both backends): lines, LighterPack's weights,
who may change it, and its LighterPack CSV going out and coming in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.gear.conftest import Clubhouse
from tripbot.gear import rules, service
from tripbot.gear.models import PackingEntry, outbox
from tripbot.gear.schemas import ItemCreate, PackingEntryCreate, PackingEntryUpdate, Weights
from tripbot.gear.service import packing
from tripbot.platform.errors import InvalidInput, NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Upload

EVENT = 10
ORGANIZER = Principal(user_id=4, event_id=EVENT, event_role="organizer")
PARTICIPANT = Principal(user_id=5, event_id=EVENT, event_role="participant")
OUTSIDER = Principal(user_id=6)
LIGHTERPACK = (
    "Item Name,Category,desc,qty,weight,unit,url,price,worn,consumable\n"
    'Tent,Shelter,"Two people, light",1,1.2,kilogram,https://example.com/tent,250,,\n'
    "Socks,Clothing,,2,2,ounce,,,Worn,\n"
    "Boots,Clothing,,1,1,pound,,,Worn,\n"
    "Dinner,Food,,3,150,gram,,4.5,,Consumable\n"
)


def csv_file(data: bytes) -> Upload:
    """A LighterPack CSV file as someone sends it."""
    return Upload("packing.csv", data, "text/csv")


def add(house: Clubhouse, **fields: Any) -> Any:
    return packing.add_entry(house.club(ORGANIZER), EVENT, PackingEntryCreate(**fields))


def lines(house: Clubhouse) -> int:
    with house.database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(PackingEntry)) or 0


def test_lighterpack_weights_count_a_worn_line_once(house: Clubhouse) -> None:
    add(house, name="Backpack", category="Pack", weight_grams=1200)
    add(house, name="Socks", category="Clothing", quantity=3, weight_grams=60, worn=True)
    add(house, name="Bars", category="Food", quantity=4, weight_grams=50, consumable=True)
    add(house, name="Rope", category="Climbing", weight_grams=3000, provided_by="club")
    listed = packing.packing_list(house.club(PARTICIPANT), EVENT)
    # Total counts every piece; worn counts one pair of socks; the spares are base weight.
    assert listed.totals == Weights(total=4580, worn=60, consumable=200, base=4320)
    assert listed.club == Weights(total=3000, worn=0, consumable=0, base=3000)
    assert listed.participant.total == 1580
    assert {c.category: c.base for c in listed.categories} == {
        "Climbing": 3000,
        "Clothing": 120,
        "Food": 0,
        "Pack": 1200,
    }
    assert [e.total_grams for e in listed.entries if e.name == "Socks"] == [180]


def test_a_line_both_worn_and_consumable_counts_as_consumable() -> None:
    entry = PackingEntryCreate(
        name="Water", quantity=2, weight_grams=500, worn=True, consumable=True
    )
    as_line = rules.weights([_as_entry(entry)])
    assert as_line == Weights(total=1000, worn=0, consumable=1000, base=0)


def _as_entry(data: PackingEntryCreate) -> PackingEntry:
    return PackingEntry(**data.model_dump())


def test_organizers_edit_participants_read_outsiders_see_nothing(house: Clubhouse) -> None:
    entry = add(house, name="Headlamp", weight_grams=80)
    with pytest.raises(PermissionDenied, match="only an event organizer or above"):
        packing.add_entry(house.club(PARTICIPANT), EVENT, PackingEntryCreate(name="Map"))
    with pytest.raises(PermissionDenied):
        packing.update_entry(
            house.club(PARTICIPANT), EVENT, entry.id, PackingEntryUpdate(quantity=2)
        )
    with pytest.raises(PermissionDenied):
        packing.remove_entry(house.club(PARTICIPANT), EVENT, entry.id)
    with pytest.raises(PermissionDenied):
        packing.import_packing_list(house.club(PARTICIPANT), EVENT, csv_file(LIGHTERPACK.encode()))
    for call in (
        lambda: packing.packing_list(house.club(OUTSIDER), EVENT),
        lambda: packing.export_packing_list(house.club(OUTSIDER), EVENT),
    ):
        with pytest.raises(NotFound):
            call()
    assert [e.name for e in packing.packing_list(house.club(PARTICIPANT), EVENT).entries] == [
        "Headlamp"
    ]


def test_changing_and_removing_lines(house: Clubhouse) -> None:
    entry = add(house, name="Headlamp", weight_grams=80, price=Decimal("19.90"))
    changed = packing.update_entry(
        house.club(ORGANIZER), EVENT, entry.id, PackingEntryUpdate(quantity=2, price=None)
    )
    assert (changed.quantity, changed.total_grams, changed.price) == (2, 160, None)
    with pytest.raises(InvalidInput, match="name cannot be empty"):
        packing.update_entry(house.club(ORGANIZER), EVENT, entry.id, PackingEntryUpdate(name=None))
    other_event = Principal(user_id=4, event_id=11, event_role="organizer")
    with pytest.raises(NotFound, match="has no line"):
        packing.remove_entry(house.club(other_event), 11, entry.id)
    packing.remove_entry(house.club(ORGANIZER), EVENT, entry.id)
    assert lines(house) == 0
    with house.database.unit_of_work() as uow:
        actions = [p["action"] for p in uow.session.scalars(select(outbox.c.payload))]
    assert actions == ["added", "updated", "removed"]


def test_the_club_lends_one_of_its_items(house: Clubhouse) -> None:
    keeper = house.town.person(1, "Kim", "gear_keeper")
    stove = service.items.create_item(
        house.club(keeper),
        ItemCreate(name="Stove", category="Kitchen", weight_grams=340, quantity=3),
    )
    lent = add(house, item_id=stove.id, provided_by="club")
    assert (lent.name, lent.category, lent.weight_grams, lent.item_id) == (
        "Stove",
        "Kitchen",
        340,
        stove.id,
    )
    with pytest.raises(NotFound, match="no item 999"):
        add(house, item_id=999, provided_by="club")
    with pytest.raises(ValueError, match="provided_by=club"):
        PackingEntryCreate(item_id=stove.id)


def test_the_list_goes_out_and_comes_in_as_lighterpack_csv(house: Clubhouse) -> None:
    assert (
        packing.import_packing_list(
            house.club(ORGANIZER), EVENT, csv_file(LIGHTERPACK.encode())
        ).created
        == 4
    )
    listed = packing.packing_list(house.club(PARTICIPANT), EVENT)
    grams = {e.name: e.weight_grams for e in listed.entries}
    assert grams == {"Tent": 1200, "Socks": 57, "Boots": 454, "Dinner": 150}
    assert listed.totals == Weights(total=2218, worn=511, consumable=450, base=1257)
    exported = packing.export_packing_list(house.club(PARTICIPANT), EVENT).content.decode()
    assert exported.splitlines()[0] == LIGHTERPACK.splitlines()[0]
    assert (
        'Tent,Shelter,"Two people, light",1,1200,gram,https://example.com/tent,250.00,,' in exported
    )
    assert "Socks,Clothing,,2,57,gram,,,Worn," in exported
    other = Principal(user_id=4, event_id=11, event_role="organizer")
    packing.import_packing_list(house.club(other), 11, csv_file(exported.encode()))
    again = packing.packing_list(house.club(other), 11)
    assert again.totals == listed.totals


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        pytest.param("Map,Nav,,0,10,gram,,,,", "qty", "0 is below 1", id="zero-quantity"),
        pytest.param("Map,Nav,,-1,10,gram,,,,", "qty", "-1 is below 1", id="negative-quantity"),
        pytest.param("Map,Nav,,two,10,gram,,,,", "qty", "'two' is not a whole number", id="qty"),
        pytest.param("Map,Nav,,1,heavy,gram,,,,", "weight", "'heavy' is not a number", id="weight"),
        pytest.param("Map,Nav,,1,-5,gram,,,,", "weight", "zero or more", id="negative-weight"),
        pytest.param("Map,Nav,,1,10,stone,,,,", "unit", "not a weight unit", id="unit"),
        pytest.param("Map,Nav,,1,10,gram,,free,,", "price", "not a number", id="price"),
        pytest.param("Map,Nav,,1,10,gram,,,maybe,", "worn", "neither yes nor empty", id="worn"),
        pytest.param(",Nav,,1,10,gram,,,,", "Item Name", "the name is missing", id="no-name"),
        pytest.param("Map,Nav,,1,10,gram,,,", None, "9 cells where the header has 10", id="short"),
    ],
)
def test_a_bad_lighterpack_line_is_named_and_nothing_is_stored(
    house: Clubhouse, line: str, column: str | None, message: str
) -> None:
    content = LIGHTERPACK + line + "\n"
    with pytest.raises(InvalidInput, match=message) as raised:
        packing.import_packing_list(house.club(ORGANIZER), EVENT, csv_file(content.encode()))
    assert (raised.value.extensions["line"], raised.value.extensions["column"]) == (6, column)
    assert raised.value.detail.startswith("line 6")
    assert lines(house) == 0


@pytest.mark.parametrize(
    "header",
    [
        "Item Name,Category,desc,qty,weight,unit,url,price,worn",
        "Item Name,Category,desc,qty,weight,unit,url,price,worn,consumable,image",
        "name,category,description,weight_grams,tracking,quantity,unit_label,condition,notes",
    ],
)
def test_a_file_with_other_columns_is_refused(house: Clubhouse, header: str) -> None:
    with pytest.raises(InvalidInput, match="line 1: the columns must be Item Name,Category"):
        packing.import_packing_list(
            house.club(ORGANIZER), EVENT, csv_file((header + "\nMap\n").encode())
        )
    with pytest.raises(InvalidInput, match="the file is empty"):
        packing.import_packing_list(house.club(ORGANIZER), EVENT, csv_file(b""))
    assert lines(house) == 0
