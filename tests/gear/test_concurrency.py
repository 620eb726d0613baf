"""Twenty people racing for the last units, on both databases, each through its own connection:
exactly as many win as there are units free, the others get a 409, and no day is overbooked.

The race is made to happen: a seam inside ``reserve`` waits, after counting what is free,
until every thread has counted. With the item locked the others wait for the lock instead, so
the barrier times out and they go one at a time; without the lock they all count the same
free units and the last test shows what follows.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from tests.gear.conftest import Clubhouse, day
from tripbot.gear import service, store
from tripbot.gear.models import Reservation
from tripbot.gear.schemas import ItemCreate, ItemOut, ReservationCreate, UnitCreate
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import Conflict
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call

T = TypeVar("T")
RACERS = 20
RACE_WAIT = 0.5
"""Seconds a thread waits at the seam for the others before going on alone."""


def _after(barrier: threading.Barrier, function: Callable[..., T]) -> Callable[..., T]:
    def wrapped(*args: Any, **kwargs: Any) -> T:
        result = function(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(RACE_WAIT)
        return result

    return wrapped


@pytest.fixture
def racers(house: Clubhouse) -> Iterator[list[tuple[Principal, Database]]]:
    """Twenty members, each with a database connection of their own."""
    people = [
        (house.town.person(100 + n, f"Racer {n}"), Database(house.database.url))
        for n in range(RACERS)
    ]
    yield people
    for _, database in people:
        database.dispose()


@pytest.fixture
def keeper(house: Clubhouse) -> Principal:
    """The gear keeper."""
    return house.town.person(1, "Kim", "gear_keeper")


def _race(calls: list[Callable[[], object]]) -> list[object]:
    def attempt(call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception as error:  # the test inspects what each thread got
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def _reserve(
    house: Clubhouse, who: Principal, database: Database, data: ReservationCreate
) -> Callable[[], object]:
    call = Call(who, replace(house.runtime, database=database))  # each racer its own connection
    return lambda: service.reservations.reserve(call, data)


def _held_by_day(house: Clubhouse, item_id: int, first: int, last: int) -> list[int]:
    """Independently of the service: how much active reservations hold on each day."""
    with house.database.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Reservation.start_date, Reservation.end_date, Reservation.quantity).where(
                Reservation.item_id == item_id, Reservation.status.in_(("reserved", "out"))
            )
        ).all()
    return [
        sum(quantity for start, end, quantity in rows if start <= day(n) <= end)
        for n in range(first, last + 1)
    ]


def _seam(monkeypatch: pytest.MonkeyPatch) -> None:
    seam = _after(threading.Barrier(RACERS), service.reservations.short_of)
    monkeypatch.setattr(service.reservations, "short_of", seam)


def _carabiners(house: Clubhouse, keeper: Principal, quantity: int) -> ItemOut:
    data = ItemCreate(name="Carabiner", category="Climbing", quantity=quantity)
    return service.items.create_item(house.club(keeper), data)


def test_twenty_racing_for_the_last_five_units_five_win(
    house: Clubhouse,
    keeper: Principal,
    racers: list[tuple[Principal, Database]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rope = _carabiners(house, keeper, 12)
    service.reservations.reserve(
        house.club(keeper),
        ReservationCreate(item_id=rope.id, quantity=7, start_date=day(1), end_date=day(4)),
    )
    _seam(monkeypatch)
    data = ReservationCreate(item_id=rope.id, quantity=1, start_date=day(2), end_date=day(3))
    results = _race([_reserve(house, who, database, data) for who, database in racers])
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(refused)) == (5, RACERS - 5), results
    assert all(r.extensions["available"] == 0 for r in refused)
    assert max(_held_by_day(house, rope.id, 0, 5)) == 12


def test_overlapping_ranges_racing_never_overbook_a_day(
    house: Clubhouse,
    keeper: Principal,
    racers: list[tuple[Principal, Database]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rope = _carabiners(house, keeper, 10)
    _seam(monkeypatch)
    calls = [
        _reserve(
            house,
            who,
            database,
            ReservationCreate(
                item_id=rope.id, quantity=1 + n % 3, start_date=day(n % 4), end_date=day(n % 4 + 2)
            ),
        )
        for n, (who, database) in enumerate(racers)
    ]
    results = _race(calls)
    assert all(isinstance(r, Conflict) or not isinstance(r, Exception) for r in results), results
    held = _held_by_day(house, rope.id, 0, 6)
    assert max(held) <= 10, held
    assert sum(not isinstance(r, Exception) for r in results) >= 3  # any three fit


def test_one_specific_unit_goes_to_one_racer(
    house: Clubhouse,
    keeper: Principal,
    racers: list[tuple[Principal, Database]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = ItemCreate(
        name="Tent",
        category="Shelter",
        tracking="units",
        units=[UnitCreate(label="T1"), UnitCreate(label="T2")],
    )
    tent = service.items.create_item(house.club(keeper), data)
    (t1, _t2) = service.units.units(house.club(keeper), tent.id)
    monkeypatch.setattr(
        service.reservations,
        "unit_is_free",
        _after(threading.Barrier(RACERS), service.reservations.unit_is_free),
    )
    wanted = ReservationCreate(item_id=tent.id, unit_id=t1.id, start_date=day(1), end_date=day(1))
    results = _race([_reserve(house, who, database, wanted) for who, database in racers])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == RACERS - 1


def test_without_the_lock_the_race_goes_wrong(
    house: Clubhouse,
    keeper: Principal,
    racers: list[tuple[Principal, Database]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Proof that the races above are real: take the lock away and they no longer end well
    (PostgreSQL overbooks; SQLite fails the writers that read before the first one wrote)."""
    rope = _carabiners(house, keeper, 5)
    real_item = store.find_item
    monkeypatch.setattr(UnitOfWork, "lock_for_write", lambda self: None)
    monkeypatch.setattr(
        store,
        "find_item",
        lambda session, item_id, **kw: real_item(
            session, item_id, retired=kw.get("retired", False)
        ),
    )
    _seam(monkeypatch)
    data = ReservationCreate(item_id=rope.id, quantity=1, start_date=day(1), end_date=day(1))
    results = _race([_reserve(house, who, database, data) for who, database in racers])
    won = sum(not isinstance(r, Exception) for r in results)
    refused = sum(isinstance(r, Conflict) for r in results)
    assert (won, refused) != (5, RACERS - 5)
    assert won > 5 or refused + won < RACERS
