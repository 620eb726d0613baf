# ruff: noqa: F811  (the cast fixture is shared with test_service)
"""A basket: several items reserved over the same days in one step, all or nothing (both
databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.gear.conftest import Clubhouse, day
from tests.gear.test_service import EVENT, Cast, cast, tents  # noqa: F401 (fixture)
from tripbot.gear import service
from tripbot.gear.models import HistoryEntry, Reservation, outbox
from tripbot.gear.schemas import BasketCreate, BasketLine, ItemCreate, ItemOut
from tripbot.platform.errors import Conflict, NotFound, PermissionDenied


def helmets(house: Clubhouse, cast: Cast, quantity: int = 2) -> ItemOut:
    """Helmets tracked by quantity."""
    data = ItemCreate(name="Helmet", category="Climbing", weight_grams=350, quantity=quantity)
    return service.items.create_item(house.club(cast.keeper), data)


def basket(*lines: tuple[int, int], event_id: int | None = EVENT) -> BasketCreate:
    """A basket for the event, next week."""
    return BasketCreate(
        start_date=day(7),
        end_date=day(9),
        event_id=event_id,
        lines=[BasketLine(item_id=item_id, quantity=quantity) for item_id, quantity in lines],
    )


def written(house: Clubhouse) -> tuple[int, int, int]:
    """How many reservations, history rows and outbox rows the gear database holds."""
    with house.database.engine.connect() as connection:
        return (
            connection.scalar(select(func.count()).select_from(Reservation.__table__)) or 0,
            connection.scalar(select(func.count()).select_from(HistoryEntry.__table__)) or 0,
            connection.scalar(select(func.count()).select_from(outbox)) or 0,
        )


def test_a_tent_and_two_helmets_are_reserved_for_the_event_in_one_step(
    house: Clubhouse, cast: Cast
) -> None:
    tent, helmet = tents(house, cast.keeper), helmets(house, cast)
    made = house.gear(cast.olga).reserve_basket(basket((tent.id, 1), (helmet.id, 2)))
    assert [(r.item_name, r.quantity) for r in made] == [("Tent", 1), ("Helmet", 2)]
    assert {(r.event_id, r.event_name, r.start_date, r.end_date) for r in made} == {
        (EVENT, "Picos de Europa", day(7), day(9))
    }


def test_a_line_that_cannot_be_served_refuses_the_whole_basket(
    house: Clubhouse, cast: Cast
) -> None:
    tent, helmet = tents(house, cast.keeper), helmets(house, cast, quantity=2)
    before = written(house)
    with pytest.raises(Conflict) as refused:
        house.gear(cast.olga).reserve_basket(basket((tent.id, 1), (helmet.id, 3)))
    assert refused.value.extensions["item_id"] == helmet.id
    assert "Helmet" in refused.value.detail
    assert refused.value.extensions["available"] == 2
    assert written(house) == before  # nothing half-written: no reservation, history or change
    assert house.gear(cast.olga).reserve_basket(basket((tent.id, 1), (helmet.id, 2)))


def test_two_lines_of_one_item_count_together(house: Clubhouse, cast: Cast) -> None:
    helmet = helmets(house, cast, quantity=3)
    with pytest.raises(Conflict) as refused:
        house.gear(cast.olga).reserve_basket(basket((helmet.id, 2), (helmet.id, 2)))
    assert refused.value.extensions["available"] == 1
    assert written(house)[0] == 0


def test_a_missing_item_is_named(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper)
    with pytest.raises(NotFound) as refused:
        house.gear(cast.olga).reserve_basket(basket((tent.id, 1), (9999, 1)))
    assert refused.value.extensions["item_id"] == 9999
    assert written(house)[0] == 0


def test_only_organizers_reserve_for_the_event(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper)
    with pytest.raises(PermissionDenied):
        house.gear(cast.pablo).reserve_basket(basket((tent.id, 1)))
    mine = house.gear(cast.pablo).reserve_basket(basket((tent.id, 1), event_id=None))
    assert [(r.user_name, r.event_id) for r in mine] == [("Pablo", None)]


def test_a_retried_basket_is_made_once(house: Clubhouse, cast: Cast) -> None:
    helmet = helmets(house, cast, quantity=4)
    asked = basket((helmet.id, 2))
    first = service.reservations.reserve_basket(house.club(cast.olga), asked, key="k-1")
    again = service.reservations.reserve_basket(house.club(cast.olga), asked, key="k-1")
    assert [r.id for r in again] == [r.id for r in first]
    assert written(house)[0] == 1
