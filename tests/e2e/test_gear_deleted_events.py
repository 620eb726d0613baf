"""A deleted event frees its gear: gear follows the events service's feed (both databases)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import Person, a_gear_keeper_in, a_member, a_person, an_event
from tripbot.platform.follow import FeedFollower
from tripbot.system import System, follower_of

DAY = "2027-05-01"


def _follower(system: System) -> FeedFollower:
    follower = follower_of(system.runtimes["gear"], system.clients.transports["events"])
    assert follower is not None
    return follower


def _reserve(http: httpx.Client, who: Person, item_id: int, quantity: int, **extra: Any) -> int:
    made = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": item_id,
            "quantity": quantity,
            "start_date": DAY,
            "end_date": DAY,
            **extra,
        },
        headers=who.headers,
    )
    assert made.status_code == 201, made.text
    reservation_id: int = made.json()["id"]
    return reservation_id


def _free(http: httpx.Client, keeper: Person, item_id: int) -> int:
    window = http.get(
        f"/api/v1/gear/items/{item_id}/availability",
        params={"available_from": DAY, "available_to": DAY},
        headers=keeper.headers,
    )
    assert window.status_code == 200, window.text
    free: int = window.json()["free"]
    return free


def test_deleting_an_event_cancels_its_reservations_once(
    system: System, http: httpx.Client
) -> None:
    owner = a_person(http)
    keeper = a_gear_keeper_in(system)
    event = an_event(http, owner)
    member = a_member(http, event, owner)
    item = http.post(
        "/api/v1/gear/items",
        json={"name": "Frontal", "category": "luz", "quantity": 4},
        headers=keeper.headers,
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    for_event = _reserve(http, owner, item_id, 3, event_id=event["id"])
    personal = _reserve(http, member, item_id, 1)
    follower = _follower(system)
    assert follower.run_once() == 0
    assert _free(http, keeper, item_id) == 0

    assert http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
    assert follower.run_once() == 1
    cancelled = http.get(f"/api/v1/gear/reservations/{for_event}", headers=keeper.headers).json()
    assert (cancelled["status"], cancelled["flag"]) == ("cancelled", "event_deleted")
    mine = http.get(f"/api/v1/gear/reservations/{personal}", headers=member.headers).json()
    assert mine["status"] == "reserved"
    assert _free(http, keeper, item_id) == 3
    assert follower.run_once() == 0  # nothing new in the feed
    assert follower.position() > 0


def test_the_use_case_twice_cancels_nothing_more(system: System, http: httpx.Client) -> None:
    from tripbot.gear import service
    from tripbot.gear.rules import GearPolicy
    from tripbot.gear.service.access import POLICY

    owner = a_person(http)
    keeper = a_gear_keeper_in(system)
    event = an_event(http, owner)
    item = http.post(
        "/api/v1/gear/items",
        json={"name": "Casco", "category": "seguridad", "quantity": 2},
        headers=keeper.headers,
    )
    item_id = item.json()["id"]
    _reserve(http, owner, item_id, 2, event_id=event["id"])
    policy = system.runtimes["gear"].extras[POLICY]
    assert isinstance(policy, GearPolicy)
    database = system.databases["gear"]
    assert service.reservations.forget_event(database.unit_of_work(), policy, event["id"]) == 1
    assert service.reservations.forget_event(database.unit_of_work(), policy, event["id"]) == 0
    history = http.get(f"/api/v1/gear/items/{item_id}/history", headers=keeper.headers).json()
    assert [h["action"] for h in history].count("reservation.cancelled") == 1


def test_my_reservations_page_shows_the_note_and_why_it_was_cancelled(
    system: System, http: httpx.Client
) -> None:
    from tests.gateway.test_gear_web import logged_in

    owner = a_person(http)
    keeper = a_gear_keeper_in(system)
    event = an_event(http, owner)
    item = http.post(
        "/api/v1/gear/items",
        json={"name": "Cuerda", "category": "escalada", "quantity": 2},
        headers=keeper.headers,
    )
    _reserve(http, owner, item.json()["id"], 1, event_id=event["id"], note="para el rápel <b>")
    assert http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
    _follower(system).run_once()
    client = logged_in(system.gateway.test_client(), owner)
    page = client.get("/gear/mine", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "para el rápel &lt;b&gt;" in page
    assert "Su evento se ha borrado." in page
    assert "event_deleted" not in page  # the stored code is never shown
    with system.gateway.test_request_context(headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        from tripbot.gateway.web.gear import FLAG_LABELS

        with force_locale("en"):
            assert str(FLAG_LABELS["event_deleted"]) == "Its event was deleted."
        with force_locale("es"):
            assert str(FLAG_LABELS["event_deleted"]) == "Su evento se ha borrado."
