"""People without accounts across the services (embedded, both databases): a guest pays and
shares in the ledger, holds gear reserved for them, is in charge of an activity, appears in
balances, the settle-up and every export; claiming their place keeps all of it, whether a new
account takes the guest's id or an existing account absorbs the guest (through the feed)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.builders import (
    PASSWORD,
    Person,
    a_guest_in,
    a_member,
    a_person,
    an_activity,
    an_event,
    an_expense,
)
from tests.gateway.test_web_pages import log_in
from tripbot.ledger.models import AuditRecord
from tripbot.platform.follow import FeedFollower
from tripbot.system import System, follower_of

FOLLOWING = ("ledger", "gear", "agenda")


def _follow(system: System) -> list[int]:
    events = system.clients.transports["events"]
    found = [follower_of(system.runtimes[name], events) for name in FOLLOWING]
    return [follower.run_once() for follower in found if follower]


def _get(http: httpx.Client, url: str, by: Person) -> Any:
    response = http.get(url, headers=by.headers)
    assert response.status_code == 200, response.text
    return response.json() if "json" in response.headers["content-type"] else response.text


def _balances(http: httpx.Client, event: dict[str, Any], by: Person) -> dict[int, str]:
    found = _get(http, f"/api/v1/events/{event['id']}/ledger/balances", by)
    return {m["user_id"]: m["balance"] for m in found["members"]}


def _a_guests_world(http: httpx.Client) -> tuple[Person, dict[str, Any], int, dict[str, Any]]:
    """An event whose guest Pepa paid a dinner for three, shares the fuel, holds a stove and
    leads the breakfast; what each service says about her."""
    owner = a_person(http, display_name="Olga")
    event = an_event(http, owner)
    marta = a_member(http, event, owner)
    pepa = a_guest_in(http, event, owner, "Pepa")
    among = [{"user_id": i} for i in (owner.id, marta.id, pepa)]
    dinner = an_expense(
        http,
        event,
        owner,
        description="cena",
        amount="30.00",
        paid_by=[{"party": pepa}],
        split={"among": among},
    )
    an_expense(http, event, owner, description="gasolina", amount="12.00", split={"among": among})
    stove = http.post(
        "/api/v1/gear/items",
        json={"name": "Hornillo", "category": "Cocina", "quantity": 2, "event_id": event["id"]},
        headers=owner.headers,
    )
    assert stove.status_code == 201, stove.text
    tomorrow = date.today() + timedelta(days=1)
    reserved = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": stove.json()["id"],
            "start_date": tomorrow.isoformat(),
            "end_date": (tomorrow + timedelta(days=1)).isoformat(),
            "event_id": event["id"],
            "user_id": pepa,
        },
        headers=owner.headers,
    )
    assert reserved.status_code == 201, reserved.text
    activity = an_activity(http, event, owner, people=[pepa])
    return (
        owner,
        event,
        pepa,
        {"dinner": dinner, "reservation": reserved.json(), "activity": activity},
    )


def test_a_guest_is_everywhere_a_member_is(system: System, http: httpx.Client) -> None:
    owner, event, pepa, made = _a_guests_world(http)
    assert made["reservation"]["user_id"] == pepa
    assert made["reservation"]["user_name"] == "Pepa"
    assert [p["user_id"] for p in made["activity"]["people"]] == [pepa]
    assert _balances(http, event, owner)[pepa] == "16.00"  # paid 30, shares 10 + 4
    plan = _get(http, f"/api/v1/events/{event['id']}/ledger/settlement", owner)
    assert {t["payee"]["party"] for t in plan["transfers"]} == {pepa}
    assert all(t["payee"]["name"] == "Pepa" for t in plan["transfers"])
    exported = _get(http, f"/api/v1/events/{event['id']}/ledger/export.json", owner)
    assert "Pepa" in json.dumps(exported)
    for spreadsheet in ("false", "true"):
        csv = _get(
            http, f"/api/v1/events/{event['id']}/ledger/export.csv?spreadsheet={spreadsheet}", owner
        )
        assert "Pepa" in csv
    # The guest's gear is the event's: its organizers see and cancel it.
    cancelled = http.post(
        f"/api/v1/gear/reservations/{made['reservation']['id']}/cancel", headers=owner.headers
    )
    assert cancelled.status_code == 200, cancelled.text


def test_an_existing_account_claiming_takes_over_the_guests_history(
    system: System, http: httpx.Client
) -> None:
    owner, event, pepa, made = _a_guests_world(http)
    before = _balances(http, event, owner)
    luis = a_person(http, display_name="Luis")
    assert _follow(system) == [0, 0, 0]
    link = http.post(
        f"/api/v1/events/{event['id']}/guests/{pepa}/claim-links", json={}, headers=owner.headers
    )
    assert link.status_code == 201, link.text
    claimed = http.post(f"/api/v1/claims/{link.json()['token']}/accept", headers=luis.headers)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["merged"] is True

    assert _follow(system) == [1, 1, 1]
    assert _follow(system) == [0, 0, 0]
    after = _balances(http, event, owner)
    assert pepa not in after
    assert after[luis.id] == before[pepa]
    mine = _get(http, f"/api/v1/events/{event['id']}/ledger/balances", luis)
    assert [m["balance"] for m in mine["members"] if m["user_id"] == luis.id] == ["16.00"]
    held = _get(http, f"/api/v1/gear/reservations/{made['reservation']['id']}", luis)
    assert (held["user_id"], held["user_name"]) == (luis.id, "Luis")
    activity = _get(http, f"/api/v1/events/{event['id']}/activities/{made['activity']['id']}", luis)
    assert [p["user_id"] for p in activity["people"]] == [luis.id]
    dinner = _get(http, f"/api/v1/events/{event['id']}/ledger/entries/{made['dinner']['id']}", luis)
    assert [(p["party"], p["name"]) for p in dinner["paid_by"]] == [(luis.id, "Luis")]
    assert luis.id in [s["user_id"] for s in dinner["split"]["among"]]
    trail = _audit(system, event["id"])
    assert trail == [
        {
            "guest_id": pepa,
            "user_id": luis.id,
            "guest_name": "Pepa",
            "display_name": "Luis",
            "merged": True,
        }
    ]
    # Handed over again (a follower that crashed before moving its cursor): nothing doubles.
    _replay(system)
    assert _balances(http, event, owner) == after
    assert len(_audit(system, event["id"])) == 1


def test_a_new_account_claiming_keeps_the_guests_id(system: System, http: httpx.Client) -> None:
    owner, event, pepa, made = _a_guests_world(http)
    before = _balances(http, event, owner)
    link = http.post(
        f"/api/v1/events/{event['id']}/guests/{pepa}/claim-links", json={}, headers=owner.headers
    )
    registered = http.post(
        f"/api/v1/claims/{link.json()['token']}/register",
        json={"email": "pepa@example.org", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    assert (registered.json()["user"]["id"], registered.json()["merged"]) == (pepa, False)
    token = http.post(
        "/api/v1/auth/token", json={"email": "pepa@example.org", "password": PASSWORD}
    )
    assert token.status_code == 201, token.text
    her = Person(
        id=pepa,
        email="pepa@example.org",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    assert _follow(system) == [1, 1, 1]  # read by all; only the ledger's audit trail says it
    assert _balances(http, event, owner) == before
    assert _get(http, f"/api/v1/events/{event['id']}", her)["my_role"] == "participant"
    held = _get(http, f"/api/v1/gear/reservations/{made['reservation']['id']}", her)
    assert held["user_id"] == pepa
    assert [a["merged"] for a in _audit(system, event["id"])] == [False]


def _audit(system: System, event_id: int) -> list[dict[str, object]]:
    with system.databases["ledger"].unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditRecord.summary).where(
                    AuditRecord.event_id == event_id, AuditRecord.action == "person.claimed"
                )
            )
        )


def _replay(system: System) -> None:
    """Hand every change of the feed over again, as after a crash before the cursor moved."""

    events = system.clients.transports["events"]
    for name in FOLLOWING:
        follower = follower_of(system.runtimes[name], events)
        assert isinstance(follower, FeedFollower)
        with system.databases[name].engine.begin() as connection:
            connection.execute(follower.cursors.delete())
        follower.run_once()


def test_the_audit_trail_page_says_who_the_guest_became(
    system: System, http: httpx.Client, client: FlaskClient
) -> None:
    owner, event, pepa, _made = _a_guests_world(http)
    luis = a_person(http, display_name="Luis")
    link = http.post(
        f"/api/v1/events/{event['id']}/guests/{pepa}/claim-links", json={}, headers=owner.headers
    )
    http.post(f"/api/v1/claims/{link.json()['token']}/accept", headers=luis.headers)
    _follow(system)
    log_in(client, owner.email)
    page = client.get(f"/events/{event['id']}/money/audit").text
    assert 'data-action="person.claimed"' in page
    assert "Pepa (sin cuenta) es ahora Luis: sus apuntes y su saldo pasan a esa cuenta." in page
