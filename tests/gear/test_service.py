"""The gear service's use cases on a real database (both backends): inventory, reservations
that never overbook, loans, flags to owners, overdue loans, history and CSV files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from tests.gear.conftest import TODAY, Clubhouse, day
from tripbot.gear import rules, service
from tripbot.gear.models import HistoryEntry, Item, Reservation, Unit, outbox
from tripbot.gear.schemas import (
    CheckIn,
    CheckOut,
    HistoryQuery,
    ItemCreate,
    ItemOut,
    ItemQuery,
    ItemUpdate,
    LoanQuery,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
    ScopeQuery,
    UnitCreate,
    UnitUpdate,
    WindowQuery,
)
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from tripbot.platform.identity import ANONYMOUS, SYSTEM, Principal
from tripbot.platform.operations import Upload

EVENT = 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass(frozen=True)
class Cast:
    """A gear keeper, two members, and an event with its organizer and a participant."""

    keeper: Principal
    ana: Principal
    bruno: Principal
    olga: Principal
    pablo: Principal


@pytest.fixture
def cast(house: Clubhouse) -> Cast:
    """Everyone, with event 10 (Picos de Europa) organized by Olga, Pablo participating."""
    town = house.town
    people = Cast(
        keeper=town.person(1, "Kim", "gear_keeper"),
        ana=town.person(2, "Ana"),
        bruno=town.person(3, "Bruno"),
        olga=town.person(4, "Olga"),
        pablo=town.person(5, "Pablo"),
    )
    town.event(EVENT, "Picos de Europa", organizer=people.olga, participant=people.pablo)
    return people


def photo_file(data: bytes) -> Upload:
    """A photo as someone sends it."""
    return Upload("photo", data, "image/png")


def csv_file(data: bytes) -> Upload:
    """A CSV file as someone sends it."""
    return Upload("inventory.csv", data, "text/csv")


def tents(house: Clubhouse, by: Principal, count: int = 3, **overrides: Any) -> ItemOut:
    """A tent tracked by units T1, T2, ..."""
    units = [UnitCreate(label=f"T{n}") for n in range(1, count + 1)]
    data = ItemCreate(
        **{"name": "Tent", "category": "Shelter", "weight_grams": 2100, "tracking": "units"}
        | {"units": units}
        | overrides
    )
    return service.items.create_item(house.club(by), data)


def carabiners(house: Clubhouse, by: Principal, quantity: int = 40) -> ItemOut:
    """Carabiners tracked by quantity."""
    data = ItemCreate(name="Carabiner", category="Climbing", weight_grams=50, quantity=quantity)
    return service.items.create_item(house.club(by), data)


def reserve(
    house: Clubhouse,
    by: Principal,
    item: ItemOut,
    quantity: int,
    first: int,
    last: int,
    **more: Any,
) -> ReservationOut:
    """Reserve ``quantity`` of an item from day ``first`` to day ``last`` (offsets from today)."""
    data = ReservationCreate(
        item_id=item.id, quantity=quantity, start_date=day(first), end_date=day(last), **more
    )
    return service.reservations.reserve(house.club(by), data)


def count(house: Clubhouse, model: type[object]) -> int:
    with house.database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def topics(house: Clubhouse) -> list[str]:
    with house.database.unit_of_work() as uow:
        return list(uow.session.scalars(select(outbox.c.topic).order_by(outbox.c.id)))


def payloads(house: Clubhouse, topic: str) -> list[dict[str, Any]]:
    with house.database.unit_of_work() as uow:
        query = select(outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
        return list(uow.session.scalars(query))


def free(house: Clubhouse, who: Principal, item: ItemOut, first: int, last: int) -> list[int]:
    window = WindowQuery(available_from=day(first), available_to=day(last))
    found = service.items.availability(house.club(who), item.id, window)
    return found.by_day


# ---- inventory -------------------------------------------------------------------------------


def test_keepers_stock_units_and_quantities(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 3)
    rope = carabiners(house, cast.keeper, 40)
    assert (tent.tracking, tent.quantity, tent.in_service, tent.on_loan) == ("units", 3, 3, 0)
    assert (rope.tracking, rope.quantity, rope.in_service) == ("quantity", 40, 40)
    units = service.units.units(house.club(cast.ana), tent.id)
    assert [(u.label, u.condition, u.on_loan) for u in units] == [
        ("T1", "good", False),
        ("T2", "good", False),
        ("T3", "good", False),
    ]
    listed = service.items.items(house.club(cast.ana), ItemQuery())
    assert [(i.name, i.can_manage) for i in listed] == [("Carabiner", False), ("Tent", False)]
    assert topics(house) == ["item.created", "item.created"]


def test_only_keepers_and_admins_manage_the_clubs_gear(house: Clubhouse, cast: Cast) -> None:
    with pytest.raises(PermissionDenied, match="only a gear keeper or an administrator"):
        carabiners(house, cast.ana)
    admin = house.town.person(9, "Root", "admin")
    assert carabiners(house, admin).can_manage
    with pytest.raises(NotAuthenticated):
        carabiners(house, ANONYMOUS)
    assert count(house, Item) == 1


def test_event_gear_is_managed_by_its_organizers_and_seen_by_its_members(
    house: Clubhouse, cast: Cast
) -> None:
    stove = ItemCreate(name="Stove", category="Kitchen", quantity=2, event_id=EVENT)
    made = service.items.create_item(house.club(cast.olga), stove)
    assert made.event_id == EVENT
    for who, error in ((cast.pablo, PermissionDenied), (cast.ana, NotFound)):
        with pytest.raises(error):
            service.items.create_item(house.club(who), stove)
    # A keeper is no organizer of the event: it is not theirs to manage.
    with pytest.raises(NotFound):
        service.items.create_item(house.club(cast.keeper), stove)
    seen = service.items.items(house.club(cast.pablo), ItemQuery(event_id=EVENT))
    assert [(i.name, i.can_manage) for i in seen] == [("Stove", False)]
    with pytest.raises(NotFound):
        service.items.item(house.club(cast.ana), made.id)
    assert service.items.items(house.club(cast.ana), ItemQuery()) == []


def test_items_are_found_by_words_and_category(house: Clubhouse, cast: Cast) -> None:
    tents(house, cast.keeper, description="Two-person 100% waterproof")
    carabiners(house, cast.keeper)

    def names(**query: Any) -> list[str]:
        club = house.club(cast.ana)
        return [i.name for i in service.items.items(club.acting_for(cast.ana), ItemQuery(**query))]

    assert names(q="tent") == ["Tent"]
    assert names(q="100%") == ["Tent"]
    assert names(q="%") == ["Tent"]  # the wildcard is a character, not a pattern
    assert names(category="climbing") == ["Carabiner"]
    assert names(q="nothing") == []


def test_changing_an_item_and_its_units(house: Clubhouse, cast: Cast) -> None:
    rope = carabiners(house, cast.keeper, 40)
    club = house.club(cast.keeper)
    changed = service.items.update_item(
        club.acting_for(cast.keeper), rope.id, ItemUpdate(quantity=30, out_of_service=2)
    )
    assert (changed.quantity, changed.in_service, changed.out_of_service) == (30, 28, 2)
    with pytest.raises(InvalidInput, match="more than the 30") as raised:
        service.items.update_item(
            club.acting_for(cast.keeper), rope.id, ItemUpdate(out_of_service=31)
        )
    assert raised.value.extensions["field"] == "out_of_service"
    tent = tents(house, cast.keeper, 1)
    with pytest.raises(InvalidInput, match="through its units"):
        service.items.update_item(club.acting_for(cast.keeper), tent.id, ItemUpdate(quantity=3))
    with pytest.raises(Conflict, match="already has a unit labelled 't1'"):
        service.units.add_unit(club.acting_for(cast.keeper), tent.id, UnitCreate(label="t1"))
    with pytest.raises(InvalidInput, match="tracked by quantity"):
        service.units.add_unit(club.acting_for(cast.keeper), rope.id, UnitCreate(label="X"))
    two = service.units.add_unit(club.acting_for(cast.keeper), tent.id, UnitCreate(label="T2"))
    worn = service.units.update_unit(
        club.acting_for(cast.keeper),
        tent.id,
        two.id,
        UnitUpdate(condition="worn", notes="zip sticks"),
    )
    assert (worn.condition, worn.notes) == ("worn", "zip sticks")
    with pytest.raises(NotFound):
        service.units.update_unit(
            club.acting_for(cast.keeper), rope.id, two.id, UnitUpdate(notes="x")
        )
    service.units.retire_unit(club.acting_for(cast.keeper), item_id=tent.id, unit_id=two.id)
    assert service.items.item(club.acting_for(cast.keeper), tent.id).quantity == 1


def test_a_retired_item_is_gone_but_not_while_reserved(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 1)
    club = house.club(cast.keeper)
    booked = reserve(house, cast.ana, tent, 1, 1, 2)
    with pytest.raises(Conflict, match="1 reservation"):
        service.items.retire_item(club.acting_for(cast.keeper), tent.id)
    service.reservations.cancel(house.club(cast.ana), booked.id)
    service.items.retire_item(club.acting_for(cast.keeper), tent.id)
    with pytest.raises(NotFound):
        service.items.item(club.acting_for(cast.keeper), tent.id)
    with pytest.raises(NotFound):
        reserve(house, cast.ana, tent, 1, 1, 2)
    history = service.units.history(club.acting_for(cast.keeper), tent.id)
    assert history[0].action == "item.retired"


def test_photos_are_sniffed_and_limited(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 1)
    club = house.club(cast.keeper)
    with pytest.raises(InvalidInput, match="PNG, JPEG or WebP"):
        service.items.set_photo(
            club.acting_for(cast.keeper), tent.id, photo_file(b"GIF89a" + b"\x00" * 10)
        )
    with pytest.raises(PayloadTooLarge):
        service.items.set_photo(
            club.acting_for(cast.keeper), tent.id, photo_file(PNG + b"\x00" * 2_000_000)
        )
    with pytest.raises(PermissionDenied):
        service.items.set_photo(house.club(cast.ana), tent.id, photo_file(PNG))
    assert service.items.set_photo(club.acting_for(cast.keeper), tent.id, photo_file(PNG)).has_photo
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 8
    service.items.set_photo(club.acting_for(cast.keeper), tent.id, photo_file(webp))
    found = service.items.photo(house.club(cast.ana), tent.id)
    assert (found.content_type, found.content) == ("image/webp", webp)
    service.items.delete_photo(club.acting_for(cast.keeper), tent.id)
    with pytest.raises(NotFound, match="no photo"):
        service.items.photo(house.club(cast.ana), tent.id)


# ---- reservations ------------------------------------------------------------------------------


def test_a_reservation_holds_gear_on_each_of_its_days(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 3)
    booked = reserve(house, cast.ana, tent, 2, 2, 4, note="for the weekend")
    assert (booked.status, booked.user_name, booked.flag, booked.note) == (
        "reserved",
        "Ana",
        None,
        "for the weekend",
    )
    assert free(house, cast.bruno, tent, 0, 6) == [3, 3, 1, 1, 1, 3, 3]
    assert payloads(house, "reservation.made")[0] | {"by": 2} == {
        "reservation_id": booked.id,
        "item_id": tent.id,
        "item_name": "Tent",
        "quantity": 2,
        "start_date": "2027-03-03",
        "end_date": "2027-03-05",
        "user_id": 2,
        "user_name": "Ana",
        "event_id": None,
        "event_name": "",
        "by": 2,
    }


def test_no_overbooking_the_409_says_what_is_free(house: Clubhouse, cast: Cast) -> None:
    rope = carabiners(house, cast.keeper, 10)
    reserve(house, cast.ana, rope, 6, 1, 3)
    reserve(house, cast.bruno, rope, 3, 3, 5)
    with pytest.raises(Conflict, match="only 1 of 'Carabiner' free") as raised:
        reserve(house, cast.pablo, rope, 2, 0, 4)
    assert raised.value.extensions["available"] == 1
    assert [d["free"] for d in raised.value.extensions["by_day"]] == [10, 4, 4, 1, 7]
    assert raised.value.extensions["by_day"][0]["day"] == TODAY.isoformat()
    assert count(house, Reservation) == 2
    assert reserve(house, cast.pablo, rope, 1, 0, 4).quantity == 1
    with pytest.raises(Conflict, match="only 0"):
        reserve(house, cast.pablo, rope, 1, 3, 3)


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        pytest.param(-1, 2, "start_date", "in the past", id="start-in-the-past"),
        pytest.param(0, 30, "end_date", "at most 30 days", id="31-days"),
    ],
)
def test_dates_a_reservation_cannot_have(
    house: Clubhouse, cast: Cast, first: int, last: int, field: str, message: str
) -> None:
    rope = carabiners(house, cast.keeper)
    with pytest.raises(InvalidInput, match=message) as raised:
        reserve(house, cast.ana, rope, 1, first, last)
    assert raised.value.extensions["field"] == field
    assert count(house, Reservation) == 0


def test_the_schema_refuses_what_can_never_be_a_reservation() -> None:
    base = {"item_id": 1, "start_date": day(1), "end_date": day(2)}
    for bad in (
        {"quantity": 0},
        {"quantity": -2},
        {"end_date": day(0)},
        {"unit_id": 1, "quantity": 2},
    ):
        with pytest.raises(ValueError, match=r"quantity|end_date|unit"):
            ReservationCreate(**(base | bad))


def test_a_specific_unit_is_reserved_once_and_never_out_of_service(
    house: Clubhouse, cast: Cast
) -> None:
    tent = tents(house, cast.keeper, 2)
    club = house.club(cast.keeper)
    one, two = service.units.units(club.acting_for(cast.keeper), tent.id)
    reserve(house, cast.ana, tent, 1, 1, 3, unit_id=one.id)
    with pytest.raises(Conflict, match="'T1' of Tent is already reserved"):
        reserve(house, cast.bruno, tent, 1, 3, 4, unit_id=one.id)
    service.units.update_unit(
        club.acting_for(cast.keeper), tent.id, two.id, UnitUpdate(condition="out_of_service")
    )
    with pytest.raises(Conflict, match="'T2' of Tent is out of service"):
        reserve(house, cast.bruno, tent, 1, 5, 6, unit_id=two.id)
    rope = carabiners(house, cast.keeper)
    with pytest.raises(InvalidInput, match="tracked by quantity"):
        reserve(house, cast.bruno, rope, 1, 5, 6, unit_id=two.id)
    assert count(house, Reservation) == 1


def test_organizers_reserve_for_their_event_and_members_only_for_themselves(
    house: Clubhouse, cast: Cast
) -> None:
    rope = carabiners(house, cast.keeper, 10)
    for_event = reserve(house, cast.olga, rope, 4, 1, 2, event_id=EVENT)
    assert (for_event.event_id, for_event.event_name, for_event.user_name) == (
        EVENT,
        "Picos de Europa",
        "Olga",
    )
    with pytest.raises(PermissionDenied, match="only an organizer of event 10"):
        reserve(house, cast.pablo, rope, 1, 1, 2, event_id=EVENT)
    with pytest.raises(NotFound):
        reserve(house, cast.ana, rope, 1, 1, 2, event_id=EVENT)
    seen = service.reservations.reservations(
        house.club(cast.pablo),
        ReservationQuery(scope="event", event_id=EVENT),
    )
    assert [r.id for r in seen] == [for_event.id]
    assert payloads(house, "reservation.made")[0]["event_name"] == "Picos de Europa"


def test_event_gear_is_reserved_by_the_events_members_only(house: Clubhouse, cast: Cast) -> None:
    stove = service.items.create_item(
        house.club(cast.olga),
        ItemCreate(name="Stove", category="Kitchen", quantity=2, event_id=EVENT),
    )
    assert reserve(house, cast.pablo, stove, 1, 1, 1).user_name == "Pablo"
    with pytest.raises(NotFound):
        reserve(house, cast.ana, stove, 1, 1, 1)


def test_who_sees_and_cancels_a_reservation(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 2)
    mine = reserve(house, cast.ana, tent, 1, 1, 2)
    for who in (cast.bruno, cast.pablo):
        with pytest.raises(NotFound):
            service.reservations.reservation(house.club(who), mine.id)
        with pytest.raises(NotFound):
            service.reservations.cancel(house.club(who), mine.id)
    assert service.reservations.reservation(house.club(cast.keeper), mine.id)
    cancelled = service.reservations.cancel(house.club(cast.ana), mine.id)
    assert (cancelled.status, cancelled.cancelled_at is not None) == ("cancelled", True)
    with pytest.raises(Conflict, match="is cancelled"):
        service.reservations.cancel(house.club(cast.ana), mine.id)
    assert free(house, cast.ana, tent, 1, 2) == [2, 2]
    by_keeper = reserve(house, cast.bruno, tent, 1, 1, 2)
    service.reservations.cancel(house.club(cast.keeper), by_keeper.id)
    event_booking = reserve(house, cast.olga, tent, 1, 1, 2, event_id=EVENT)
    with pytest.raises(PermissionDenied, match="only an organizer of event 10"):
        service.reservations.cancel(house.club(cast.pablo), event_booking.id)
    assert topics(house).count("reservation.cancelled") == 2


def test_lists_of_reservations_by_scope_and_status(house: Clubhouse, cast: Cast) -> None:
    rope = carabiners(house, cast.keeper)
    first = reserve(house, cast.ana, rope, 1, 1, 2)
    second = reserve(house, cast.ana, rope, 1, 0, 0)
    reserve(house, cast.bruno, rope, 1, 1, 1)
    service.reservations.cancel(house.club(cast.ana), first.id)

    def ids(who: Principal, **query: Any) -> list[int]:
        found = service.reservations.reservations(house.club(who), ReservationQuery(**query))
        return [r.id for r in found]

    assert ids(cast.ana) == [second.id]
    assert ids(cast.ana, status="any") == [second.id, first.id]
    assert ids(cast.ana, status="cancelled") == [first.id]
    assert len(ids(cast.keeper, scope="all")) == 2
    with pytest.raises(PermissionDenied):
        ids(cast.ana, scope="all")
    with pytest.raises(NotFound):
        ids(cast.ana, scope="event", event_id=EVENT)


def test_a_retried_reservation_is_made_once(house: Clubhouse, cast: Cast) -> None:
    rope = carabiners(house, cast.keeper)
    data = ReservationCreate(item_id=rope.id, quantity=2, start_date=day(1), end_date=day(1))
    club = house.club(cast.ana)
    once = service.reservations.reserve(club.acting_for(cast.ana), data, "retry-1")
    again = service.reservations.reserve(club.acting_for(cast.ana), data, "retry-1")
    assert once == again
    assert count(house, Reservation) == 1
    other = data.model_copy(update={"quantity": 3})
    with pytest.raises(InvalidInput, match="already used for a different request"):
        service.reservations.reserve(club.acting_for(cast.ana), other, "retry-1")


# ---- availability -------------------------------------------------------------------------------


def test_free_counts_over_a_window_for_every_item(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 2)
    rope = carabiners(house, cast.keeper, 5)
    reserve(house, cast.ana, tent, 2, 2, 3)
    reserve(house, cast.ana, rope, 1, 0, 9)
    club = house.club(cast.bruno)
    window = {"available_from": day(0), "available_to": day(4)}
    listed = service.items.items(club.acting_for(cast.bruno), ItemQuery(**window))
    found = {i.name: i.availability for i in listed}
    assert found["Tent"] is not None
    assert found["Carabiner"] is not None
    assert (found["Tent"].free, found["Tent"].by_day) == (0, [2, 2, 0, 0, 2])
    assert (found["Carabiner"].free, found["Carabiner"].capacity) == (4, 5)
    only = service.items.items(club.acting_for(cast.bruno), ItemQuery(**window, min_free=1))
    assert [i.name for i in only] == ["Carabiner"]
    with pytest.raises(InvalidInput, match="at most 30 days"):
        service.items.items(
            club.acting_for(cast.bruno),
            ItemQuery(available_from=day(0), available_to=day(30)),
        )


# ---- loans --------------------------------------------------------------------------------------


def test_a_reservation_goes_out_on_its_days_and_comes_back(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 3)
    club = house.club(cast.keeper)
    later = reserve(house, cast.ana, tent, 2, 1, 3)
    with pytest.raises(Conflict, match="starts on 2027-03-02"):
        service.loans.check_out(club.acting_for(cast.keeper), CheckOut(reservation_id=later.id))
    with pytest.raises(PermissionDenied):
        service.loans.check_out(house.club(cast.ana), CheckOut(reservation_id=later.id))
    tomorrow = house.on(day(1))
    loans = service.loans.check_out(tomorrow.club(cast.keeper), CheckOut(reservation_id=later.id))
    assert [(loan.unit_label, loan.user_name, loan.due_date) for loan in loans] == [
        ("T1", "Ana", day(3)),
        ("T2", "Ana", day(3)),
    ]
    with pytest.raises(Conflict, match="is out, not waiting"):
        service.loans.check_out(
            tomorrow.club(cast.keeper),
            CheckOut(reservation_id=later.id),
        )
    back = service.loans.check_in(
        tomorrow.club(cast.keeper),
        loans[0].id,
        CheckIn(condition="worn", note="muddy"),
    )
    assert (back.condition_in, back.note_in, back.returned_at is not None) == (
        "worn",
        "muddy",
        True,
    )
    with pytest.raises(Conflict, match=f"loan {loans[0].id} is not out"):
        service.loans.check_in(
            tomorrow.club(cast.keeper),
            loans[0].id,
            CheckIn(condition="good"),
        )
    with pytest.raises(InvalidInput, match="in what condition") as raised:
        service.loans.check_in(tomorrow.club(cast.keeper), loans[1].id, CheckIn())
    assert raised.value.extensions == {"field": "condition"}
    service.loans.check_in(
        tomorrow.club(cast.keeper),
        loans[1].id,
        CheckIn(condition="good"),
    )
    done = service.reservations.reservation(house.club(cast.ana), later.id)
    assert done.status == "returned"
    units = {u.label: u.condition for u in service.units.units(club.acting_for(cast.ana), tent.id)}
    assert units == {"T1": "worn", "T2": "good", "T3": "good"}
    assert topics(house).count("loan.checked_out") == 1
    assert topics(house).count("loan.checked_in") == 2
    # Back early: the rest of its days are free again.
    assert free(tomorrow, cast.ana, tent, 1, 3) == [3, 3, 3]


def test_the_best_free_units_go_out_and_chosen_ones_must_be_free(
    house: Clubhouse, cast: Cast
) -> None:
    tent = tents(house, cast.keeper, 0)
    club = house.club(cast.keeper)
    for label, condition in (("A", "worn"), ("B", "new"), ("C", "good"), ("D", "good")):
        service.units.add_unit(
            club.acting_for(cast.keeper), tent.id, UnitCreate(label=label, condition=condition)
        )
    units = {u.label: u.id for u in service.units.units(club.acting_for(cast.keeper), tent.id)}
    promised = reserve(house, cast.bruno, tent, 1, 0, 1, unit_id=units["B"])
    first = reserve(house, cast.ana, tent, 2, 0, 1)
    loans = service.loans.check_out(club.acting_for(cast.keeper), CheckOut(reservation_id=first.id))
    assert [loan.unit_label for loan in loans] == ["C", "D"]  # B is promised to Bruno
    third = reserve(house, cast.pablo, tent, 1, 0, 0)

    def hand(reservation: ReservationOut, *labels: str) -> list[str]:
        data = CheckOut(reservation_id=reservation.id, unit_ids=[units[label] for label in labels])
        return [
            loan.unit_label or ""
            for loan in service.loans.check_out(club.acting_for(cast.keeper), data)
        ]

    with pytest.raises(Conflict, match="'C' is already out on loan"):
        hand(third, "C")
    with pytest.raises(Conflict, match="'B' is reserved by someone else"):
        hand(third, "B")
    with pytest.raises(InvalidInput, match="give 1 unit"):
        hand(third, "A", "B")
    with pytest.raises(InvalidInput, match=f"is for unit {units['B']}"):
        hand(promised, "A")
    assert hand(third) == ["A"]
    assert hand(promised) == ["B"]


def test_free_gear_goes_out_on_the_spot_unless_it_is_reserved(house: Clubhouse, cast: Cast) -> None:
    rope = carabiners(house, cast.keeper, 10)
    club = house.club(cast.keeper)
    reserve(house, cast.ana, rope, 8, 0, 2)
    with pytest.raises(Conflict, match="only 2 of 'Carabiner' free"):
        service.loans.check_out(
            club.acting_for(cast.keeper),
            CheckOut(item_id=rope.id, quantity=3, end_date=day(1), user_id=3),
        )
    loans = service.loans.check_out(
        club.acting_for(cast.keeper),
        CheckOut(item_id=rope.id, quantity=2, end_date=day(1), user_id=3),
    )
    assert [(loan.quantity, loan.user_name, loan.unit_label) for loan in loans] == [
        (2, "Bruno", None)
    ]
    with pytest.raises(NotFound, match="no user 77"):
        service.loans.check_out(
            club.acting_for(cast.keeper),
            CheckOut(item_id=rope.id, quantity=1, end_date=day(9), user_id=77),
        )
    mine = service.loans.loans(house.club(cast.bruno), LoanQuery())
    assert [loan.quantity for loan in mine] == [2]


def test_quantity_back_broken_leaves_availability_and_flags_later_reservations(
    house: Clubhouse, cast: Cast
) -> None:
    rope = carabiners(house, cast.keeper, 10)
    club = house.club(cast.keeper)
    out = reserve(house, cast.ana, rope, 4, 0, 0)
    early = reserve(house, cast.bruno, rope, 5, 2, 3)
    late = reserve(house, cast.pablo, rope, 4, 3, 4)
    (loan,) = service.loans.check_out(club.acting_for(cast.keeper), CheckOut(reservation_id=out.id))
    with pytest.raises(InvalidInput, match="more than the 4 lent"):
        service.loans.check_in(club.acting_for(cast.keeper), loan.id, CheckIn(out_of_service=5))
    service.loans.check_in(
        club.acting_for(cast.keeper), loan.id, CheckIn(out_of_service=3, note="bent")
    )
    assert service.items.item(club.acting_for(cast.ana), rope.id).in_service == 7
    flags = {
        r.id: r.flag
        for r in service.reservations.reservations(
            club.acting_for(cast.keeper), ReservationQuery(scope="all")
        )
    }
    assert flags == {early.id: None, late.id: rules.NOT_ENOUGH_IN_SERVICE}
    affected = payloads(house, "reservation.affected")
    assert [(p["reservation_id"], p["user_id"], p["flag"]) for p in affected] == [
        (late.id, 5, rules.NOT_ENOUGH_IN_SERVICE)
    ]
    # Mended: the flag goes, and the owner is told again.
    service.items.update_item(club.acting_for(cast.keeper), rope.id, ItemUpdate(out_of_service=0))
    assert service.reservations.reservation(house.club(cast.pablo), late.id).flag is None
    assert [p["flag"] for p in payloads(house, "reservation.affected")] == [
        rules.NOT_ENOUGH_IN_SERVICE,
        None,
    ]


def test_a_unit_back_out_of_service_flags_the_reservations_it_served(
    house: Clubhouse, cast: Cast
) -> None:
    tent = tents(house, cast.keeper, 2)
    club = house.club(cast.keeper)
    t1, t2 = service.units.units(club.acting_for(cast.keeper), tent.id)
    now = reserve(house, cast.ana, tent, 1, 0, 0, unit_id=t1.id)
    mine = reserve(house, cast.bruno, tent, 1, 2, 3, unit_id=t1.id)
    other = reserve(house, cast.pablo, tent, 1, 2, 3)
    (loan,) = service.loans.check_out(club.acting_for(cast.keeper), CheckOut(reservation_id=now.id))
    service.loans.check_in(
        club.acting_for(cast.keeper), loan.id, CheckIn(condition="out_of_service")
    )
    assert free(house, cast.ana, tent, 1, 3) == [1, 0, 0]
    flags = {
        r.id: r.flag
        for r in service.reservations.reservations(
            club.acting_for(cast.keeper), ReservationQuery(scope="all")
        )
    }
    assert flags == {mine.id: rules.UNIT_OUT_OF_SERVICE, other.id: None}
    (told,) = payloads(house, "reservation.affected")
    assert (told["reservation_id"], told["user_name"], told["flag"]) == (
        mine.id,
        "Bruno",
        rules.UNIT_OUT_OF_SERVICE,
    )
    with pytest.raises(Conflict, match="out of service"):
        reserve(house, cast.ana, tent, 1, 5, 5, unit_id=t1.id)
    assert t2.condition == "good"


def test_overdue_loans_hold_their_gear_and_are_listed(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 1)
    club = house.club(cast.keeper)
    booked = reserve(house, cast.ana, tent, 1, 0, 1)
    (loan,) = service.loans.check_out(
        club.acting_for(cast.keeper), CheckOut(reservation_id=booked.id)
    )
    assert service.loans.overdue(house.club(SYSTEM)) == []
    later = house.on(day(4))
    (overdue,) = service.loans.overdue(later.club(SYSTEM))
    assert (overdue.id, overdue.overdue, overdue.days_overdue, overdue.user_name) == (
        loan.id,
        True,
        3,
        "Ana",
    )
    assert [x.id for x in service.loans.overdue(later.club(cast.keeper))] == [loan.id]
    assert [x.id for x in service.loans.overdue(later.club(cast.ana))] == [loan.id]
    assert service.loans.overdue(later.club(cast.bruno)) == []
    listed = service.loans.loans(later.club(cast.keeper), LoanQuery(scope="all", state="overdue"))
    assert [x.id for x in listed] == [loan.id]
    # Not back yet: not free today, though its reservation ended.
    assert free(later, cast.bruno, tent, 4, 5) == [0, 1]
    with pytest.raises(Conflict):
        reserve(later, cast.bruno, tent, 1, 4, 5)


# ---- history ------------------------------------------------------------------------------------


def test_each_unit_has_its_whole_history(house: Clubhouse, cast: Cast) -> None:
    tent = tents(house, cast.keeper, 2)
    club = house.club(cast.keeper)
    t1, _t2 = service.units.units(club.acting_for(cast.keeper), tent.id)
    booked = reserve(house, cast.ana, tent, 1, 0, 0, unit_id=t1.id)
    (loan,) = service.loans.check_out(
        club.acting_for(cast.keeper), CheckOut(reservation_id=booked.id, note="ok")
    )
    service.loans.check_in(
        club.acting_for(cast.keeper), loan.id, CheckIn(condition="worn", note="torn fly")
    )
    history = service.units.history(house.club(cast.bruno), tent.id, HistoryQuery(unit_id=t1.id))
    assert [(h.action, h.user_name, h.condition, h.note) for h in reversed(history)] == [
        ("unit.added", "", "good", "T1"),
        ("reservation.made", "Ana", None, "2027-03-01..2027-03-01"),
        ("loan.checked_out", "Ana", "good", "ok"),
        ("loan.checked_in", "Ana", "worn", "torn fly"),
    ]
    assert {h.unit_label for h in history} == {"T1"}
    whole = service.units.history(house.club(cast.bruno), tent.id)
    assert len(whole) == len(history) + 2  # the item's creation and the other unit


def test_history_rows_cannot_be_changed(house: Clubhouse, cast: Cast) -> None:
    tents(house, cast.keeper, 1)
    with house.database.unit_of_work() as uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(update(HistoryEntry).values(note="rewritten"))
    with house.database.unit_of_work() as uow:
        notes = uow.session.scalars(select(HistoryEntry.note)).all()
    assert "rewritten" not in notes


# ---- CSV ----------------------------------------------------------------------------------------

INVENTORY = (
    "name,category,description,weight_grams,tracking,quantity,unit_label,condition,notes\r\n"
    "Tent,Shelter,Two people,2100,units,,T1,new,\r\n"
    'Tent,Shelter,Two people,2100,units,,T2,worn,"zip, sticky"\r\n'
    "Carabiner,Climbing,,50,quantity,40,,,\r\n"
    "Helmet,Climbing,,350,units,,,,\r\n"
)


def test_the_inventory_goes_out_and_comes_in_as_csv(house: Clubhouse, cast: Cast) -> None:
    club = house.club(cast.keeper)
    result = service.items.import_items(club.acting_for(cast.keeper), csv_file(INVENTORY.encode()))
    assert result.created == 3
    items = {i.name: i for i in service.items.items(club.acting_for(cast.keeper), ItemQuery())}
    assert (items["Tent"].quantity, items["Carabiner"].quantity, items["Helmet"].quantity) == (
        2,
        40,
        0,
    )
    exported = service.items.export_items(house.club(cast.ana)).content.decode()
    assert exported.splitlines()[0] == INVENTORY.splitlines()[0]
    assert sorted(exported.splitlines()) == sorted(INVENTORY.splitlines())
    with pytest.raises(
        InvalidInput, match="line 2, column name: 'Carabiner' in 'Climbing' is already"
    ):
        service.items.import_items(club.acting_for(cast.keeper), csv_file(exported.encode()))
    assert topics(house) == ["inventory.imported"]


@pytest.mark.parametrize(
    ("content", "line", "column", "message"),
    [
        pytest.param(
            "name,category\r\nTent,Shelter\r\n", 1, None, "the columns must be", id="columns"
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,abc,quantity,2,,,\r\n",
            6,
            "weight_grams",
            "'abc' is not a whole number",
            id="weight",
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,quantity,0,,,\r\n",
            6,
            "quantity",
            "0 is below 1",
            id="zero",
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,quantity,-3,,,\r\n",
            6,
            "quantity",
            "-3 is below 1",
            id="negative",
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,quantity,,,,\r\n",
            6,
            "quantity",
            "missing",
            id="no-quantity",
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,loose,1,,,\r\n",
            6,
            "tracking",
            "neither units nor quantity",
            id="tracking",
        ),
        pytest.param(
            INVENTORY + "Tent,Shelter,,10,units,,T1,good,\r\n",
            6,
            "unit_label",
            "'T1' is already on line 2",
            id="label",
        ),
        pytest.param(
            INVENTORY + "Tent,Shelter,,10,units,,T9,broken,\r\n",
            6,
            "condition",
            "should be",
            id="condition",
        ),
        pytest.param(
            INVENTORY + ",Climbing,,10,quantity,1,,,\r\n", 6, "name", "missing", id="no-name"
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,quantity,1,,\r\n", 6, None, "8 cells", id="short-line"
        ),
        pytest.param(b"\xff\xfe".decode("latin-1") + INVENTORY, None, None, "UTF-8", id="not-utf8"),
    ],
)
def test_a_bad_inventory_file_names_its_line_and_stores_nothing(
    house: Clubhouse, cast: Cast, content: str, line: int | None, column: str | None, message: str
) -> None:
    data = content.encode("latin-1" if line is None else "utf-8")
    with pytest.raises(InvalidInput, match=message) as raised:
        service.items.import_items(house.club(cast.keeper), csv_file(data))
    assert raised.value.extensions.get("line") == line
    assert raised.value.extensions.get("column") == column
    assert count(house, Item) == 0
    assert count(house, Unit) == 0
    assert topics(house) == []


def test_spreadsheet_formulas_are_defused_in_exports(house: Clubhouse, cast: Cast) -> None:
    club = house.club(cast.keeper)
    service.items.create_item(
        club.acting_for(cast.keeper), ItemCreate(name="=HYPERLINK(1)", category="X", quantity=1)
    )
    exported = service.items.export_items(club.acting_for(cast.keeper)).content.decode()
    assert "'=HYPERLINK(1)" in exported
    event = house.club(cast.olga)
    service.items.import_items(
        event.acting_for(cast.olga), csv_file(exported.encode()), ScopeQuery(event_id=EVENT)
    )
    (item,) = service.items.items(event.acting_for(cast.olga), ItemQuery(event_id=EVENT))
    assert item.name == "=HYPERLINK(1)"
