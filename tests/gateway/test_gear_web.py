"""Web pages of gear: the inventory and its day-by-day table, an item, reserving, one's
reservations, the keeper's desk, and an event's packing list."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.builders import (
    PASSWORD,
    Person,
    a_cast_in,
    a_gear_keeper_in,
    a_guest_in,
    a_person_in,
    an_event,
)
from tests.gateway.test_web_pages import CSRF, log_in, submit
from tripbot.gear.models import Item, PackingEntry, Reservation
from tripbot.system import System

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def day(offset: int) -> str:
    return (datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=offset)).isoformat()


def count(system: System, model: type[object]) -> int:
    with system.databases["gear"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def logged_in(client: FlaskClient, person: Person) -> FlaskClient:
    log_in(client, person.email)
    return client


def other_client(client: FlaskClient) -> FlaskClient:
    app: Any = client.application
    second: FlaskClient = app.test_client()
    return second


def an_item(http: httpx.Client, keeper: Person, **body: Any) -> dict[str, Any]:
    base = {
        "name": "Tent",
        "category": "Shelter",
        "tracking": "units",
        "units": [{"label": "T1"}, {"label": "T2"}],
    }
    answer = http.post("/api/v1/gear/items", json=base | body, headers=keeper.headers)
    assert answer.status_code == 201, answer.text
    item: dict[str, Any] = answer.json()
    return item


def test_the_inventory_shows_what_is_free_each_day(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    keeper = a_gear_keeper_in(system)
    tent = an_item(http, keeper)
    member = a_person_in(system)
    http.post(
        "/api/v1/gear/reservations",
        json={"item_id": tent["id"], "quantity": 2, "start_date": day(1), "end_date": day(1)},
        headers=member.headers,
    )
    assert client.get("/gear").status_code == 302  # to the login page
    page = logged_in(client, member).get("/gear").text
    cells = re.findall(r'<td class="heat-cell heat-(\w+)"[^>]*>(\d+)<', page)
    assert [int(n) for _, n in cells[:3]] == [2, 0, 2]
    assert [level for level, _ in cells[:3]] == ["ok", "none", "ok"]
    assert 'id="new-item"' not in page  # members do not stock the inventory
    assert 'id="new-item"' in logged_in(other_client(client), keeper).get("/gear").text
    found = client.get("/gear", query_string={"q": "nothing"}).text
    assert "heat-table" not in found


def test_a_keeper_adds_an_item_with_units_and_bad_forms_say_why(
    client: FlaskClient, system: System
) -> None:
    keeper = a_gear_keeper_in(system)
    logged_in(client, keeper)
    bad = submit(
        client,
        "/gear/new",
        {"name": "", "category": "Shelter", "tracking": "quantity", "quantity": "0"},
    )
    assert bad.status_code == 422
    assert "field-error" in bad.text
    assert count(system, Item) == 0
    made = submit(
        client,
        "/gear/new",
        {
            "name": "Tent",
            "category": "Shelter",
            "tracking": "units",
            "units": "T1, T2,T3",
            "weight_grams": "2100",
        },
    )
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).text
    assert (
        re.findall(r'class="unit" data-unit-id="\d+" data-condition="(\w+)"', page) == ["good"] * 3
    )
    assert 'id="availability-chart"' in page
    chart = json.loads(re.search(r'id="availability-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert (chart["capacity"], len(chart["free"])) == (3, 30)
    member = logged_in(other_client(client), a_person_in(system))
    assert (
        submit(member, "/gear/new", {"name": "X", "category": "Y", "quantity": "1"}).status_code
        == 403
    )


def test_reserving_from_the_item_page(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    tent = an_item(http, a_gear_keeper_in(system))
    member = a_person_in(system)
    logged_in(client, member)
    url = f"/gear/items/{tent['id']}/reserve"
    made = submit(client, url, {"start_date": day(2), "end_date": day(3), "quantity": "2"})
    assert made.status_code == 302
    assert made.headers["Location"].endswith("/gear/mine")
    mine = client.get("/gear/mine").text
    assert "Tent" in mine
    assert 'data-status="reserved"' in mine
    full = submit(client, url, {"start_date": day(3), "end_date": day(3), "quantity": "1"})
    assert full.status_code == 422
    assert "solo 0" in full.text  # the 409 told in Spanish, with what is free
    backwards = submit(client, url, {"start_date": day(3), "end_date": day(1), "quantity": "1"})
    assert backwards.status_code == 422
    assert count(system, Reservation) == 1
    (reservation_id,) = re.findall(r'data-reservation-id="(\d+)"', mine)
    cancelled = submit(client, f"/gear/reservations/{reservation_id}/cancel", {})
    assert cancelled.status_code == 302
    assert 'data-status="reserved"' not in client.get("/gear/mine").text


def test_the_keepers_desk_hands_out_and_takes_back(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    keeper = a_gear_keeper_in(system)
    tent = an_item(http, keeper)
    member = a_person_in(system)
    booked = http.post(
        "/api/v1/gear/reservations",
        json={"item_id": tent["id"], "start_date": day(0), "end_date": day(1)},
        headers=member.headers,
    ).json()
    assert logged_in(other_client(client), member).get("/gear/desk").status_code == 403
    logged_in(client, keeper)
    desk = client.get("/gear/desk").text
    assert f'data-reservation-id="{booked["id"]}"' in desk
    out = submit(
        client, "/gear/desk/check-out", {"reservation_id": str(booked["id"])}, page="/gear/desk"
    )
    assert out.status_code == 302
    desk = client.get("/gear/desk").text
    (loan_id,) = re.findall(r'class="inline-form check-in-form" data-loan-id="(\d+)"', desk)
    back = submit(
        client,
        f"/gear/loans/{loan_id}/check-in",
        {"condition": "worn", "note": "muddy"},
        page="/gear/desk",
    )
    assert back.status_code == 302
    assert "muddy" in client.get(f"/gear/items/{tent['id']}").text  # in the history
    again = submit(
        client, f"/gear/loans/{loan_id}/check-in", {"condition": "good"}, page="/gear/desk"
    )
    assert again.status_code == 302
    assert "flash-error" in client.get("/gear/desk").text
    walk_up = submit(
        client,
        "/gear/desk/check-out",
        {"item_id": str(tent["id"]), "quantity": "3", "end_date": day(1)},
        page="/gear/desk",
    )
    assert walk_up.status_code == 422  # only two tents
    # The borrower is found by name, among the people the keeper knows (here, by a reservation).
    name = "Person " + member.email.removeprefix("person").split("@")[0]
    assert f'<option value="{name}">' in client.get("/gear/desk").text
    lent = submit(
        client,
        "/gear/desk/check-out",
        {"item_id": str(tent["id"]), "end_date": day(1), "borrower": name},
        page="/gear/desk",
    )
    assert lent.status_code == 302
    assert name in client.get("/gear/desk").text
    stranger = submit(
        client,
        "/gear/desk/check-out",
        {"item_id": str(tent["id"]), "end_date": day(1), "borrower": "Nadie Conocido"},
        page="/gear/desk",
    )
    assert stranger.status_code == 422
    assert "Nadie Conocido" in stranger.text


def test_photos_and_csv_from_the_browser(http: httpx.Client, system: System) -> None:
    keeper = a_gear_keeper_in(system)
    tent = an_item(http, keeper)
    # httpx builds multipart bodies in memory (Flask's test client spools big ones to a file).
    browser = httpx.Client(transport=httpx.WSGITransport(app=system.gateway), base_url="http://web")
    with browser:
        token = CSRF.search(browser.get("/login").text).group(1)  # type: ignore[union-attr]
        browser.post(
            "/login", data={"email": keeper.email, "password": PASSWORD, "csrf_token": token}
        )
        token = CSRF.search(browser.get("/gear").text).group(1)  # type: ignore[union-attr]
        big = PNG + b"\x00" * 1_300_000  # over the 1 MiB general limit, under the photo limit
        uploaded = browser.post(
            f"/gear/items/{tent['id']}/photo",
            data={"csrf_token": token},
            files={"photo": ("tent.png", big, "image/png")},
        )
        assert uploaded.status_code == 302, uploaded.text
        assert browser.get(f"/gear/items/{tent['id']}/photo").content == big
        csv_text = browser.get("/gear/inventory.csv").text
        assert csv_text.startswith("name,category,description,weight_grams,tracking")
        bad = browser.post(
            "/gear/inventory.csv",
            data={"csrf_token": token},
            files={"file": ("i.csv", b"name\nx\n", "text/csv")},
        )
        assert bad.status_code == 302
        assert "Línea 1" in browser.get("/gear").text
    assert count(system, Item) == 1


def test_the_packing_list_page(client: FlaskClient, http: httpx.Client, system: System) -> None:
    cast = a_cast_in(system)
    event_id = cast.event["id"]
    url = f"/events/{event_id}/packing-list"
    logged_in(client, cast.organizer)
    assert f'href="{url}"' in client.get(f"/events/{event_id}").text
    added = submit(
        client,
        url,
        {
            "name": "Socks",
            "category": "Clothing",
            "quantity": "2",
            "weight_grams": "60",
            "worn": "1",
            "provided_by": "participant",
        },
    )
    assert added.status_code == 302
    bad = submit(client, url, {"name": "Rope", "quantity": "0", "provided_by": "participant"})
    assert bad.status_code == 422
    assert count(system, PackingEntry) == 1
    page = client.get(url).text
    data = json.loads(re.search(r'id="weight-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert data["grams"] == [60, 60, 0]
    assert 'id="entry-form"' in page
    participant = logged_in(other_client(client), cast.participant).get(url).text
    assert 'id="weight-chart"' in participant
    assert 'id="entry-form"' not in participant
    assert logged_in(other_client(client), cast.outsider).get(url).status_code == 404
    exported = client.get(f"{url}.csv")
    assert exported.text.splitlines()[1] == "Socks,Clothing,,2,60,gram,,,Worn,"


def test_a_keeper_edits_an_item_and_its_units(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    keeper = a_gear_keeper_in(system)
    tent = an_item(http, keeper)
    rope = an_item(
        http, keeper, name="Rope", category="Climbing", tracking="quantity", units=[], quantity=4
    )
    logged_in(client, keeper)
    form = client.get(f"/gear/items/{rope['id']}/edit").text
    assert 'name="out_of_service"' in form
    assert 'value="4"' in form
    bad = submit(
        client,
        f"/gear/items/{rope['id']}/edit",
        {
            "name": "Rope",
            "category": "Climbing",
            "weight_grams": "0",
            "quantity": "4",
            "out_of_service": "5",
        },
    )
    assert bad.status_code == 422
    saved = submit(
        client,
        f"/gear/items/{rope['id']}/edit",
        {
            "name": "Rope 9 mm",
            "category": "Climbing",
            "description": "60 m",
            "weight_grams": "3800",
            "quantity": "5",
            "out_of_service": "1",
        },
    )
    assert saved.status_code == 302
    item = http.get(f"/api/v1/gear/items/{rope['id']}", headers=keeper.headers).json()
    assert (item["name"], item["in_service"], item["weight_grams"]) == ("Rope 9 mm", 4, 3800)
    units = http.get(f"/api/v1/gear/items/{tent['id']}/units", headers=keeper.headers).json()
    url = f"/gear/items/{tent['id']}/units"
    assert (
        submit(
            client, f"{url}/{units[0]['id']}", {"condition": "out_of_service", "notes": "torn"}
        ).status_code
        == 302
    )
    assert submit(client, url, {"label": "T3", "condition": "new"}).status_code == 302
    assert submit(client, url, {"label": "t3"}).status_code == 302  # refused: told in a flash
    assert submit(client, f"{url}/{units[1]['id']}/retire", {}).status_code == 302
    page = client.get(f"/gear/items/{tent['id']}").text
    assert re.findall(r'class="unit" data-unit-id="\d+" data-condition="(\w+)"', page) == [
        "out_of_service",
        "new",
    ]
    assert "flash-error" not in page  # the flash was shown on the previous page
    retired = submit(client, f"/gear/items/{rope['id']}/retire", {})
    assert retired.headers["Location"].endswith("/gear")


def test_an_administrator_names_a_gear_keeper_from_the_web(
    client: FlaskClient, system: System
) -> None:
    admin = a_gear_keeper_in(system, role="admin")
    member = a_person_in(system)
    assert logged_in(other_client(client), member).get("/account/people").status_code == 403
    logged_in(client, admin)
    assert 'id="people-tab"' in client.get("/account").text
    page = client.get("/account/people").text
    assert f'id="role-{member.id}"' in page
    made = submit(
        client, f"/account/people/{member.id}/role", {"role": "gear_keeper"}, page="/account/people"
    )
    assert made.status_code == 302
    assert "Encargado del material" in client.get("/account/people").text
    keeper = logged_in(other_client(client), member)
    assert keeper.get("/gear/desk").status_code == 200
    assert 'id="people-tab"' not in keeper.get("/account").text


def test_an_organizer_reserves_the_events_gear_for_a_guest(
    client: FlaskClient, http: httpx.Client, system: System
) -> None:
    owner = a_person_in(system)
    event = an_event(http, owner)
    pepa = a_guest_in(http, event, owner, "Pepa")
    stove = an_item(http, a_gear_keeper_in(system), name="Hornillo")
    logged_in(client, owner)
    page = client.get(f"/gear/items/{stove['id']}?event={event['id']}").text
    assert f'<option value="{pepa}">Pepa · sin cuenta</option>' in page
    url = f"/gear/items/{stove['id']}/reserve"
    asked = {
        "start_date": day(2),
        "end_date": day(2),
        "quantity": "1",
        "event_id": str(event["id"]),
    }
    made = submit(client, url, asked | {"user_id": str(pepa)})
    assert made.status_code == 302, made.text
    held = http.get(f"/api/v1/events/{event['id']}/members", headers=owner.headers)
    assert held.status_code == 200
    with system.databases["gear"].unit_of_work() as uow:
        reservation = uow.session.scalars(select(Reservation)).one()
        assert (reservation.user_id, reservation.user_name) == (pepa, "Pepa")
        assert (reservation.event_id, reservation.created_by) == (event["id"], owner.id)
    # Someone else only for an event: without it, the field says why.
    refused = submit(client, url, {**asked, "event_id": "", "user_id": str(pepa)})
    assert refused.status_code == 422
    assert "Solo se reserva material para otra persona dentro de un evento" in refused.text
