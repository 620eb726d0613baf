"""The public API of gear through the gateway: who may do what, what bad input gets back, and
that a refused request stores nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.builders import Cast, Person, a_cast_in, a_gear_keeper_in, a_person_in
from tests.problems import assert_problem, invalid_fields
from tripbot.gear.models import Item, Loan, PackingEntry, Reservation, Unit
from tripbot.system import System

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIGHTERPACK = (
    "Item Name,Category,desc,qty,weight,unit,url,price,worn,consumable\n"
    "Tent,Shelter,,1,1.2,kilogram,,,,\n"
    "Socks,Clothing,,2,60,gram,,,Worn,\n"
)


def today() -> date:
    """The club's today (Europe/Madrid, the default TRIPBOT_GEAR_TIMEZONE)."""
    return datetime.now(ZoneInfo("Europe/Madrid")).date()


def day(offset: int) -> str:
    """A day from the club's today, as the API writes it."""
    return (today() + timedelta(days=offset)).isoformat()


def count(system: System, model: type[object]) -> int:
    with system.databases["gear"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def keeper(system: System) -> Person:
    """The club's gear keeper."""
    return a_gear_keeper_in(system)


@pytest.fixture
def member(system: System) -> Person:
    """A member of the club, nothing more."""
    return a_person_in(system)


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def an_item(http: httpx.Client, by: Person, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Carabiner", "category": "Climbing", "weight_grams": 50, "quantity": 10}
    response = http.post("/api/v1/gear/items", json=body | overrides, headers=by.headers)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def a_tent(http: httpx.Client, by: Person, *labels: str) -> dict[str, Any]:
    units = [{"label": label} for label in labels or ("T1", "T2")]
    return an_item(
        http, by, name="Tent", category="Shelter", tracking="units", units=units, quantity=None
    )


def a_reservation(
    http: httpx.Client, by: Person, item: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    body = {"item_id": item["id"], "quantity": 1, "start_date": day(1), "end_date": day(2)}
    response = http.post("/api/v1/gear/reservations", json=body | overrides, headers=by.headers)
    assert response.status_code == 201, response.text
    reservation: dict[str, Any] = response.json()
    return reservation


# ---- who may --------------------------------------------------------------------------------

CSV_FILE = {"file": ("x.csv", "a,b\n", "text/csv")}
ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/v1/gear/items", {}),
    ("POST", "/api/v1/gear/items", {"json": {"name": "X", "category": "Y", "quantity": 1}}),
    ("GET", "/api/v1/gear/items.csv", {}),
    ("POST", "/api/v1/gear/items.csv", {"files": CSV_FILE}),
    ("GET", "/api/v1/gear/items/1", {}),
    ("PATCH", "/api/v1/gear/items/1", {"json": {}}),
    ("DELETE", "/api/v1/gear/items/1", {}),
    ("GET", "/api/v1/gear/items/1/photo", {}),
    ("PUT", "/api/v1/gear/items/1/photo", {"files": {"photo": ("p.png", PNG, "image/png")}}),
    ("DELETE", "/api/v1/gear/items/1/photo", {}),
    (
        "GET",
        "/api/v1/gear/items/1/availability",
        {"params": {"available_from": "2030-01-01", "available_to": "2030-01-02"}},
    ),
    ("GET", "/api/v1/gear/items/1/history", {}),
    ("GET", "/api/v1/gear/items/1/units", {}),
    ("POST", "/api/v1/gear/items/1/units", {"json": {"label": "A"}}),
    ("PATCH", "/api/v1/gear/items/1/units/1", {"json": {}}),
    ("DELETE", "/api/v1/gear/items/1/units/1", {}),
    (
        "POST",
        "/api/v1/gear/reservations",
        {"json": {"item_id": 1, "start_date": "2030-01-01", "end_date": "2030-01-01"}},
    ),
    ("GET", "/api/v1/gear/reservations", {}),
    ("GET", "/api/v1/gear/reservations/1", {}),
    ("POST", "/api/v1/gear/reservations/1/cancel", {}),
    ("POST", "/api/v1/gear/loans", {"json": {"reservation_id": 1}}),
    ("GET", "/api/v1/gear/loans", {}),
    ("GET", "/api/v1/gear/loans/overdue", {}),
    ("POST", "/api/v1/gear/loans/1/check-in", {"json": {}}),
    ("GET", "/api/v1/events/1/packing-list", {}),
    ("POST", "/api/v1/events/1/packing-list", {"json": {"name": "X"}}),
    ("PATCH", "/api/v1/events/1/packing-list/1", {"json": {}}),
    ("DELETE", "/api/v1/events/1/packing-list/1", {}),
    ("GET", "/api/v1/events/1/packing-list.csv", {}),
    ("POST", "/api/v1/events/1/packing-list.csv", {"files": CSV_FILE}),
]


@pytest.mark.parametrize(
    ("method", "path", "sent"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
def test_nobody_anonymous_gets_in(
    http: httpx.Client, method: str, path: str, sent: dict[str, Any]
) -> None:
    assert_problem(http.request(method, path, **sent), 401, "not-authenticated")


def test_only_keepers_and_admins_stock_the_clubs_gear(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    body = {"name": "Rope", "category": "Climbing", "quantity": 2}
    refused = http.post("/api/v1/gear/items", json=body, headers=member.headers)
    assert_problem(refused, 403, "permission-denied", "only a gear keeper or an administrator")
    assert count(system, Item) == 0
    assert an_item(http, keeper)["can_manage"] is True
    admin = a_gear_keeper_in(system, "admin")
    assert an_item(http, admin, name="Helmet")["can_manage"] is True
    listed = http.get("/api/v1/gear/items", headers=member.headers).json()
    assert [(i["name"], i["can_manage"]) for i in listed] == [
        ("Carabiner", False),
        ("Helmet", False),
    ]


def test_event_gear_belongs_to_its_organizers(http: httpx.Client, cast: Cast) -> None:
    event_id = cast.event["id"]
    stove = an_item(http, cast.organizer, name="Stove", category="Kitchen", event_id=event_id)
    assert stove["event_id"] == event_id
    assert_problem(
        http.post(
            "/api/v1/gear/items",
            json={"name": "X", "category": "Y", "quantity": 1, "event_id": event_id},
            headers=cast.participant.headers,
        ),
        403,
        "permission-denied",
        f"only an organizer of event {event_id}",
    )
    seen = http.get(
        "/api/v1/gear/items", params={"event_id": event_id}, headers=cast.participant.headers
    )
    assert [i["name"] for i in seen.json()] == ["Stove"]
    for path in (f"/api/v1/gear/items/{stove['id']}", "/api/v1/gear/items"):
        answer = http.get(path, params={"event_id": event_id}, headers=cast.outsider.headers)
        assert_problem(answer, 404, "not-found")
    booked = a_reservation(http, cast.participant, stove)
    assert booked["user_id"] == cast.participant.id
    outsider = http.post(
        "/api/v1/gear/reservations",
        json={"item_id": stove["id"], "start_date": day(1), "end_date": day(1)},
        headers=cast.outsider.headers,
    )
    assert_problem(outsider, 404, "not-found")


# ---- items: bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"quantity": 0}, "quantity", id="zero-quantity"),
        pytest.param({"quantity": -4}, "quantity", id="negative-quantity"),
        pytest.param({"quantity": None}, "_schema", id="no-quantity"),
        pytest.param({"weight_grams": -1}, "weight_grams", id="negative-weight"),
        pytest.param({"name": "  "}, "name", id="blank-name"),
        pytest.param({"name": "x" * 121}, "name", id="long-name"),
        pytest.param({"category": ""}, "category", id="no-category"),
        pytest.param({"tracking": "loose"}, "tracking", id="tracking"),
        pytest.param(
            {"tracking": "units", "quantity": None, "units": [{"label": "A"}, {"label": "a"}]},
            "_schema",
            id="same-labels",
        ),
        pytest.param(
            {
                "tracking": "units",
                "quantity": None,
                "units": [{"label": "A", "condition": "broken"}],
            },
            "units.0.condition",
            id="condition",
        ),
        pytest.param({"owner": 3}, "owner", id="unknown-field"),
    ],
)
def test_a_bad_item_is_refused_and_not_stored(
    system: System, http: httpx.Client, keeper: Person, body: dict[str, Any], field: str
) -> None:
    base = {"name": "Rope", "category": "Climbing", "quantity": 2}
    answer = http.post("/api/v1/gear/items", json=base | body, headers=keeper.headers)
    assert field in invalid_fields(assert_problem(answer, 422, "invalid-input"))
    assert count(system, Item) == 0


def test_changing_retiring_and_unknown_items(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    item = an_item(http, keeper)
    url = f"/api/v1/gear/items/{item['id']}"
    changed = http.patch(url, json={"quantity": 12, "out_of_service": 1}, headers=keeper.headers)
    assert (changed.json()["quantity"], changed.json()["in_service"]) == (12, 11)
    assert_problem(
        http.patch(url, json={"out_of_service": 13}, headers=keeper.headers),
        422,
        "invalid-input",
        "more than the 12",
    )
    assert_problem(
        http.patch(url, json={"quantity": 0}, headers=keeper.headers), 422, "invalid-input"
    )
    assert_problem(
        http.patch(url, json={"name": None}, headers=keeper.headers),
        422,
        "invalid-input",
        "name cannot be empty",
    )
    assert_problem(
        http.patch(url, json={"quantity": 3}, headers=member.headers), 403, "permission-denied"
    )
    assert_problem(http.delete(url, headers=member.headers), 403, "permission-denied")
    assert http.delete(url, headers=keeper.headers).status_code == 204
    assert_problem(http.get(url, headers=keeper.headers), 404, "not-found", f"no item {item['id']}")
    assert_problem(
        http.get("/api/v1/gear/items/99999999999", headers=keeper.headers), 404, "not-found"
    )
    history = http.get(f"{url}/history", headers=member.headers).json()
    assert [h["action"] for h in history] == ["item.retired", "item.updated", "item.created"]


# ---- availability --------------------------------------------------------------------------------


def test_free_counts_over_dates(http: httpx.Client, keeper: Person, member: Person) -> None:
    rope = an_item(http, keeper)
    tent = a_tent(http, keeper)
    a_reservation(http, member, tent, quantity=2, start_date=day(2), end_date=day(3))
    a_reservation(http, member, rope, quantity=3, start_date=day(1), end_date=day(1))
    window = {"available_from": day(1), "available_to": day(3)}
    listed = http.get("/api/v1/gear/items", params=window, headers=member.headers).json()
    found = {i["name"]: i["availability"] for i in listed}
    assert found["Tent"] == {
        "available_from": day(1),
        "available_to": day(3),
        "capacity": 2,
        "free": 0,
        "by_day": [2, 0, 0],
    }
    assert (found["Carabiner"]["free"], found["Carabiner"]["by_day"]) == (7, [7, 10, 10])
    only = http.get("/api/v1/gear/items", params=window | {"min_free": 1}, headers=member.headers)
    assert [i["name"] for i in only.json()] == ["Carabiner"]
    one = http.get(
        f"/api/v1/gear/items/{tent['id']}/availability", params=window, headers=member.headers
    )
    assert one.json()["by_day"] == [2, 0, 0]


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        pytest.param({"available_from": "2030-01-01"}, 422, "both available_from", id="one-date"),
        pytest.param(
            {"available_from": "2030-01-02", "available_to": "2030-01-01"},
            422,
            "not be before",
            id="backwards",
        ),
        pytest.param(
            {"available_from": "2030-01-01", "available_to": "2030-06-01"},
            422,
            "at most 90 days",
            id="too-long",
        ),
        pytest.param(
            {"available_from": "soon", "available_to": "2030-01-01"}, 422, None, id="not-a-date"
        ),
        pytest.param({"min_free": "-1"}, 422, None, id="negative-min-free"),
    ],
)
def test_bad_windows_are_refused(
    http: httpx.Client, member: Person, params: dict[str, str], status: int, detail: str | None
) -> None:
    answer = http.get("/api/v1/gear/items", params=params, headers=member.headers)
    assert_problem(answer, status, "invalid-input", detail)


# ---- reservations --------------------------------------------------------------------------------


def test_the_last_units_go_to_one_and_the_409_says_what_is_left(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    tent = a_tent(http, keeper, "T1", "T2", "T3")
    a_reservation(http, member, tent, quantity=2, start_date=day(2), end_date=day(3))
    body = {"item_id": tent["id"], "quantity": 2, "start_date": day(1), "end_date": day(3)}
    answer = http.post("/api/v1/gear/reservations", json=body, headers=keeper.headers)
    problem = assert_problem(answer, 409, "conflict", "only 1 of 'Tent' free on every day")
    assert problem["available"] == 1
    assert problem["by_day"] == [
        {"day": day(1), "free": 3},
        {"day": day(2), "free": 1},
        {"day": day(3), "free": 1},
    ]
    assert count(system, Reservation) == 1


def test_a_basket_is_reserved_for_the_event_at_once_or_not_at_all(
    system: System, http: httpx.Client, keeper: Person, cast: Cast
) -> None:
    tent, helmet = a_tent(http, keeper, "T1"), an_item(http, keeper, name="Helmet", quantity=2)
    event_id = cast.event["id"]
    body = {"start_date": day(3), "end_date": day(4), "event_id": event_id}
    lines = [{"item_id": tent["id"]}, {"item_id": helmet["id"], "quantity": 3}]
    refused = http.post(
        "/api/v1/gear/reservations/basket",
        json=body | {"lines": lines},
        headers=cast.organizer.headers | {"Accept-Language": "es"},
    )
    problem = assert_problem(refused, 409, "conflict", "solo hay 2 de 'Helmet' libres")
    assert problem["item_id"] == helmet["id"]
    assert count(system, Reservation) == 0
    lines[1]["quantity"] = 2
    made = http.post(
        "/api/v1/gear/reservations/basket",
        json=body | {"lines": lines},
        headers=cast.organizer.headers,
    )
    assert made.status_code == 201, made.text
    assert [(r["item_name"], r["quantity"], r["event_id"]) for r in made.json()] == [
        ("Tent", 1, event_id),
        ("Helmet", 2, event_id),
    ]
    empty = http.post(
        "/api/v1/gear/reservations/basket",
        json=body | {"lines": []},
        headers=cast.organizer.headers,
    )
    assert_problem(empty, 422, "invalid-input")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"quantity": 0}, "quantity", id="zero"),
        pytest.param({"quantity": -1}, "quantity", id="negative"),
        pytest.param({"end_date": "1999-01-01"}, "_schema", id="end-before-start"),
        pytest.param({"start_date": "tomorrow"}, "start_date", id="not-a-date"),
        pytest.param({"item_id": 0}, "item_id", id="item-zero"),
        pytest.param({"unit_id": 1, "quantity": 2}, "_schema", id="unit-with-quantity"),
        pytest.param({"price": 3}, "price", id="unknown-field"),
    ],
)
def test_a_bad_reservation_is_refused(
    system: System,
    http: httpx.Client,
    keeper: Person,
    member: Person,
    body: dict[str, Any],
    field: str,
) -> None:
    rope = an_item(http, keeper)
    base = {"item_id": rope["id"], "start_date": day(1), "end_date": day(2)}
    answer = http.post("/api/v1/gear/reservations", json=base | body, headers=member.headers)
    assert field in invalid_fields(assert_problem(answer, 422, "invalid-input"))
    assert count(system, Reservation) == 0


def test_reservations_the_club_cannot_take(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    tent = a_tent(http, keeper, "T1")
    (unit,) = http.get(f"/api/v1/gear/items/{tent['id']}/units", headers=member.headers).json()
    broken = http.patch(
        f"/api/v1/gear/items/{tent['id']}/units/{unit['id']}",
        json={"condition": "out_of_service"},
        headers=keeper.headers,
    )
    assert broken.json()["condition"] == "out_of_service"

    def attempt(**body: Any) -> httpx.Response:
        base = {"item_id": tent["id"], "start_date": day(1), "end_date": day(1)}
        return http.post("/api/v1/gear/reservations", json=base | body, headers=member.headers)

    assert_problem(attempt(unit_id=unit["id"]), 409, "conflict", "'T1' of Tent is out of service")
    assert_problem(attempt(start_date=day(-1)), 422, "invalid-input", "is in the past")
    assert_problem(attempt(end_date=day(91)), 422, "invalid-input", "at most 90 days")
    assert_problem(attempt(item_id=123456), 404, "not-found", "no item 123456")
    assert_problem(attempt(event_id=987654), 404, "not-found", "no event 987654")
    assert count(system, Reservation) == 0


def test_reserving_for_an_event_takes_its_organizer(
    http: httpx.Client, keeper: Person, cast: Cast
) -> None:
    rope = an_item(http, keeper)
    event_id = cast.event["id"]
    made = a_reservation(http, cast.organizer, rope, quantity=4, event_id=event_id)
    assert (made["event_id"], made["event_name"]) == (event_id, cast.event["name"])
    refused = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": rope["id"],
            "start_date": day(1),
            "end_date": day(1),
            "event_id": event_id,
        },
        headers=cast.participant.headers,
    )
    assert_problem(refused, 403, "permission-denied", f"only an organizer of event {event_id}")
    listed = http.get(
        "/api/v1/gear/reservations",
        params={"scope": "event", "event_id": event_id},
        headers=cast.participant.headers,
    )
    assert [r["id"] for r in listed.json()] == [made["id"]]
    hidden = http.get(
        "/api/v1/gear/reservations",
        params={"scope": "event", "event_id": event_id},
        headers=cast.outsider.headers,
    )
    assert_problem(hidden, 404, "not-found")
    assert_problem(
        http.get(
            "/api/v1/gear/reservations", params={"scope": "event"}, headers=cast.participant.headers
        ),
        422,
        "invalid-input",
    )


def test_cancelling_and_seeing_reservations(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    rope = an_item(http, keeper)
    mine = a_reservation(http, member, rope)
    other = a_person_in(system)
    url = f"/api/v1/gear/reservations/{mine['id']}"
    assert_problem(http.get(url, headers=other.headers), 404, "not-found")
    assert_problem(http.post(f"{url}/cancel", headers=other.headers), 404, "not-found")
    assert http.get(url, headers=keeper.headers).json()["id"] == mine["id"]
    assert [
        r["id"] for r in http.get("/api/v1/gear/reservations", headers=member.headers).json()
    ] == [mine["id"]]
    assert http.get("/api/v1/gear/reservations", headers=other.headers).json() == []
    assert_problem(
        http.get("/api/v1/gear/reservations", params={"scope": "all"}, headers=member.headers),
        403,
        "permission-denied",
    )
    assert (
        len(
            http.get(
                "/api/v1/gear/reservations", params={"scope": "all"}, headers=keeper.headers
            ).json()
        )
        == 1
    )
    cancelled = http.post(f"{url}/cancel", headers=member.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(
        http.post(f"{url}/cancel", headers=member.headers), 409, "conflict", "is cancelled"
    )
    assert_problem(
        http.post("/api/v1/gear/reservations/424242/cancel", headers=member.headers),
        404,
        "not-found",
    )


def test_a_retried_reservation_with_the_same_key_is_made_once(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    rope = an_item(http, keeper)
    body = {"item_id": rope["id"], "quantity": 2, "start_date": day(1), "end_date": day(1)}
    headers = member.headers | {"Idempotency-Key": "bot-update-77"}
    first = http.post("/api/v1/gear/reservations", json=body, headers=headers)
    again = http.post("/api/v1/gear/reservations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert count(system, Reservation) == 1


# ---- loans ---------------------------------------------------------------------------------------


def test_check_out_check_in_and_the_reservation_flagged_by_a_broken_unit(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    tent = a_tent(http, keeper, "T1", "T2")
    now = a_reservation(http, member, tent, start_date=day(0), end_date=day(0))
    later = a_reservation(http, member, tent, quantity=2, start_date=day(3), end_date=day(4))
    refused = http.post(
        "/api/v1/gear/loans", json={"reservation_id": now["id"]}, headers=member.headers
    )
    assert_problem(refused, 403, "permission-denied")
    early = http.post(
        "/api/v1/gear/loans", json={"reservation_id": later["id"]}, headers=keeper.headers
    )
    assert_problem(early, 409, "conflict", f"starts on {day(3)}")
    out = http.post(
        "/api/v1/gear/loans",
        json={"reservation_id": now["id"], "note": "dry"},
        headers=keeper.headers,
    )
    assert out.status_code == 201, out.text
    (loan,) = out.json()
    assert (loan["unit_label"], loan["user_id"], loan["due_date"], loan["overdue"]) == (
        "T1",
        member.id,
        day(0),
        False,
    )
    mine = http.get("/api/v1/gear/loans", headers=member.headers).json()
    assert [x["id"] for x in mine] == [loan["id"]]
    check_in = f"/api/v1/gear/loans/{loan['id']}/check-in"
    assert_problem(
        http.post(check_in, json={"condition": "ruined"}, headers=keeper.headers),
        422,
        "invalid-input",
    )
    assert_problem(
        http.post(check_in, json={}, headers=keeper.headers),
        422,
        "invalid-input",
        "in what condition",
    )
    assert_problem(
        http.post(check_in, json={"condition": "good"}, headers=member.headers),
        403,
        "permission-denied",
    )
    back = http.post(
        check_in,
        json={"condition": "out_of_service", "note": "pole snapped"},
        headers=keeper.headers,
    )
    assert back.json()["condition_in"] == "out_of_service"
    assert_problem(
        http.post(check_in, json={"condition": "good"}, headers=keeper.headers),
        409,
        "conflict",
        "is not out",
    )
    assert_problem(
        http.post(
            "/api/v1/gear/loans/999999/check-in", json={"condition": "good"}, headers=keeper.headers
        ),
        404,
        "not-found",
    )
    flagged = http.get(f"/api/v1/gear/reservations/{later['id']}", headers=member.headers).json()
    assert flagged["flag"] == "not_enough_in_service"
    history = http.get(
        f"/api/v1/gear/items/{tent['id']}/history",
        params={"unit_id": loan["unit_id"]},
        headers=member.headers,
    )
    assert [h["action"] for h in history.json()][:2] == ["loan.checked_in", "loan.checked_out"]
    assert count(system, Loan) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "_schema", id="nothing"),
        pytest.param({"reservation_id": 1, "item_id": 1}, "_schema", id="both"),
        pytest.param({"item_id": 1}, "_schema", id="no-end-date"),
        pytest.param(
            {"item_id": 1, "end_date": "2030-01-01", "quantity": 0}, "quantity", id="zero"
        ),
        pytest.param({"reservation_id": 1, "unit_ids": [2, 2]}, "_schema", id="same-unit-twice"),
    ],
)
def test_a_bad_check_out_is_refused(
    system: System, http: httpx.Client, keeper: Person, body: dict[str, Any], field: str
) -> None:
    answer = http.post("/api/v1/gear/loans", json=body, headers=keeper.headers)
    assert field in invalid_fields(assert_problem(answer, 422, "invalid-input"))
    assert count(system, Loan) == 0


def test_walk_up_loans_and_the_overdue_list(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    rope = an_item(http, keeper)
    body = {"item_id": rope["id"], "quantity": 3, "end_date": day(1), "user_id": member.id}
    out = http.post("/api/v1/gear/loans", json=body, headers=keeper.headers)
    assert out.status_code == 201, out.text
    (loan,) = out.json()
    assert (loan["quantity"], loan["unit_label"]) == (3, None)
    yesterday = http.post(
        "/api/v1/gear/loans", json=body | {"end_date": day(-1)}, headers=keeper.headers
    )
    assert_problem(yesterday, 422, "invalid-input", "is before the first day")
    nobody = http.post("/api/v1/gear/loans", json=body | {"user_id": 99999}, headers=keeper.headers)
    assert_problem(nobody, 404, "not-found", "no user 99999")
    assert http.get("/api/v1/gear/loans/overdue", headers=keeper.headers).json() == []
    past = today() - timedelta(days=2)
    with system.databases["gear"].unit_of_work() as uow:
        uow.session.execute(update(Reservation).values(start_date=past, end_date=past))
        uow.session.execute(update(Loan).values(due_date=past))
        uow.commit()
    (late,) = http.get("/api/v1/gear/loans/overdue", headers=keeper.headers).json()
    assert (late["id"], late["overdue"], late["days_overdue"]) == (loan["id"], True, 2)
    assert [
        x["id"] for x in http.get("/api/v1/gear/loans/overdue", headers=member.headers).json()
    ] == [loan["id"]]
    assert http.get("/api/v1/gear/loans/overdue", headers=a_person_in(system).headers).json() == []
    listed = http.get(
        "/api/v1/gear/loans", params={"scope": "all", "state": "overdue"}, headers=keeper.headers
    )
    assert [x["id"] for x in listed.json()] == [loan["id"]]
    back = http.post(
        f"/api/v1/gear/loans/{loan['id']}/check-in",
        json={"out_of_service": 1},
        headers=keeper.headers,
    )
    assert back.json()["out_of_service"] == 1
    assert (
        http.get(f"/api/v1/gear/items/{rope['id']}", headers=member.headers).json()["in_service"]
        == 9
    )


# ---- units ---------------------------------------------------------------------------------------


def test_units_are_added_relabelled_and_retired(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    tent = a_tent(http, keeper, "T1")
    units = f"/api/v1/gear/items/{tent['id']}/units"
    added = http.post(units, json={"label": "T2", "condition": "new"}, headers=keeper.headers)
    assert added.status_code == 201
    assert_problem(
        http.post(units, json={"label": "t2"}, headers=keeper.headers),
        409,
        "conflict",
        "already has a unit labelled",
    )
    assert_problem(
        http.post(units, json={"label": "T3"}, headers=member.headers), 403, "permission-denied"
    )
    assert_problem(
        http.post(units, json={"label": ""}, headers=keeper.headers), 422, "invalid-input"
    )
    unit_url = f"{units}/{added.json()['id']}"
    assert (
        http.patch(unit_url, json={"label": "T2b"}, headers=keeper.headers).json()["label"] == "T2b"
    )
    assert_problem(
        http.patch(unit_url, json={"condition": "meh"}, headers=keeper.headers),
        422,
        "invalid-input",
    )
    assert http.delete(unit_url, headers=keeper.headers).status_code == 204
    assert_problem(http.delete(unit_url, headers=keeper.headers), 404, "not-found")
    assert [u["label"] for u in http.get(units, headers=member.headers).json()] == ["T1"]
    assert count(system, Unit) == 2  # the retired unit stays, for its history


# ---- photos --------------------------------------------------------------------------------------


def test_photos_up_to_their_own_limit(http: httpx.Client, keeper: Person, member: Person) -> None:
    rope = an_item(http, keeper)
    url = f"/api/v1/gear/items/{rope['id']}/photo"
    assert_problem(http.get(url, headers=member.headers), 404, "not-found", "has no photo")
    big = PNG + b"\x00" * 1_500_000  # over the general 1 MiB body limit, under the photo limit
    uploaded = http.put(
        url, files={"photo": ("rope.png", big, "image/png")}, headers=keeper.headers
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["has_photo"] is True
    shown = http.get(url, headers=member.headers)
    assert (shown.headers["Content-Type"], shown.content) == ("image/png", big)
    not_image = http.put(
        url, files={"photo": ("a.gif", b"GIF89a....", "image/gif")}, headers=keeper.headers
    )
    assert_problem(not_image, 422, "invalid-input", "PNG, JPEG or WebP")
    huge = http.put(
        url,
        files={"photo": ("x.png", PNG + b"\x00" * 2_100_000, "image/png")},
        headers=keeper.headers,
    )
    assert_problem(huge, 413, "payload-too-large")
    assert_problem(
        http.put(url, files={"photo": ("x.png", PNG, "image/png")}, headers=member.headers),
        403,
        "permission-denied",
    )
    assert_problem(http.put(url, headers=keeper.headers), 422, "invalid-input")
    assert http.delete(url, headers=keeper.headers).status_code == 204
    assert_problem(http.get(url, headers=member.headers), 404, "not-found")


# ---- CSV -----------------------------------------------------------------------------------------

INVENTORY = (
    "name,category,description,weight_grams,tracking,quantity,unit_label,condition,notes\n"
    "Tent,Shelter,,2100,units,,T1,good,\n"
    "Tent,Shelter,,2100,units,,T2,worn,\n"
    "Carabiner,Climbing,,50,quantity,40,,,\n"
)


def test_the_inventory_as_csv(
    system: System, http: httpx.Client, keeper: Person, member: Person
) -> None:
    refused = http.post(
        "/api/v1/gear/items.csv",
        files={"file": ("i.csv", INVENTORY, "text/csv")},
        headers=member.headers,
    )
    assert_problem(refused, 403, "permission-denied")
    imported = http.post(
        "/api/v1/gear/items.csv",
        files={"file": ("i.csv", INVENTORY, "text/csv")},
        headers=keeper.headers,
    )
    assert (imported.status_code, imported.json()) == (201, {"created": 2})
    exported = http.get("/api/v1/gear/items.csv", headers=member.headers)
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    assert sorted(exported.text.splitlines()) == sorted(INVENTORY.splitlines())


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        pytest.param("name,weight\nTent,1\n", 1, None, id="wrong-columns"),
        pytest.param(
            INVENTORY + "Rope,Climbing,,12.5,quantity,2,,,\n", 5, "weight_grams", id="bad-weight"
        ),
        pytest.param(
            INVENTORY + "Rope,Climbing,,10,quantity,0,,,\n", 5, "quantity", id="zero-quantity"
        ),
    ],
)
def test_a_bad_inventory_csv_names_the_line_and_stores_nothing(
    system: System, http: httpx.Client, keeper: Person, content: str, line: int, column: str | None
) -> None:
    answer = http.post(
        "/api/v1/gear/items.csv",
        files={"file": ("i.csv", content, "text/csv")},
        headers=keeper.headers,
    )
    problem = assert_problem(answer, 422, "invalid-input", f"line {line}")
    assert (problem["line"], problem["column"]) == (line, column)
    assert count(system, Item) == 0
    missing = http.post("/api/v1/gear/items.csv", headers=keeper.headers)
    assert_problem(missing, 422, "invalid-input")


# ---- packing lists ----------------------------------------------------------------------------


def test_the_packing_list_of_an_event(system: System, http: httpx.Client, cast: Cast) -> None:
    url = f"/api/v1/events/{cast.event['id']}/packing-list"
    entry = {
        "name": "Socks",
        "category": "Clothing",
        "quantity": 2,
        "weight_grams": 60,
        "worn": True,
    }
    added = http.post(url, json=entry, headers=cast.organizer.headers)
    assert added.status_code == 201, added.text
    assert_problem(
        http.post(url, json=entry, headers=cast.participant.headers), 403, "permission-denied"
    )
    assert_problem(http.get(url, headers=cast.outsider.headers), 404, "not-found")
    listed = http.get(url, headers=cast.participant.headers).json()
    assert listed["totals"] == {"total": 120, "base": 60, "worn": 60, "consumable": 0}
    line = f"{url}/{added.json()['id']}"
    assert (
        http.patch(line, json={"quantity": 3}, headers=cast.owner.headers).json()["total_grams"]
        == 180
    )
    assert_problem(
        http.patch(line, json={"quantity": 0}, headers=cast.owner.headers), 422, "invalid-input"
    )
    assert_problem(http.delete(line, headers=cast.participant.headers), 403, "permission-denied")
    assert http.delete(line, headers=cast.organizer.headers).status_code == 204
    assert_problem(http.delete(line, headers=cast.organizer.headers), 404, "not-found")
    for body in (
        {"name": "X", "quantity": -1},
        {"name": "X", "weight_grams": -5},
        {"quantity": 1},
        {"name": "X", "item_id": 3},
    ):
        assert_problem(
            http.post(url, json=body, headers=cast.organizer.headers), 422, "invalid-input"
        )
    assert count(system, PackingEntry) == 0


def test_the_packing_list_as_lighterpack_csv(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    url = f"/api/v1/events/{cast.event['id']}/packing-list.csv"
    files = {"file": ("list.csv", LIGHTERPACK, "text/csv")}
    assert_problem(
        http.post(url, files=files, headers=cast.participant.headers), 403, "permission-denied"
    )
    assert http.post(url, files=files, headers=cast.organizer.headers).json() == {"created": 2}
    exported = http.get(url, headers=cast.participant.headers)
    assert exported.text.splitlines() == [
        "Item Name,Category,desc,qty,weight,unit,url,price,worn,consumable",
        "Socks,Clothing,,2,60,gram,,,Worn,",
        "Tent,Shelter,,1,1200,gram,,,,",
    ]
    bad = http.post(
        url,
        files={"file": ("x.csv", LIGHTERPACK + "Map,Nav,,1,ten,gram,,,,\n", "text/csv")},
        headers=cast.organizer.headers,
    )
    problem = assert_problem(bad, 422, "invalid-input", "line 4, column weight")
    assert (problem["line"], problem["column"]) == (4, "weight")
    assert count(system, PackingEntry) == 2


def test_every_gear_endpoint_is_in_the_openapi_document(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
    }
    for method, path, _ in ENDPOINTS:
        templated = (
            path.replace("/items/1", "/items/{item_id}")
            .replace("/units/1", "/units/{unit_id}")
            .replace("/reservations/1", "/reservations/{reservation_id}")
            .replace("/loans/1", "/loans/{loan_id}")
            .replace("/events/1", "/events/{event_id}")
            .replace("/packing-list/1", "/packing-list/{entry_id}")
        )
        assert (method, templated) in documented
    assert "ReservationCreate" in spec["components"]["schemas"]
