"""People without accounts end to end, through the public API only: a guest pays, shares,
holds event gear and leads an activity; an existing account claims the place, and once the
services have read the feed every trace of the guest is that person's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from tests.builders import Person, a_guest_in, a_member, a_person, an_activity, an_event, an_expense


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _balances(http: httpx.Client, event_id: int, by: Person) -> dict[int, str]:
    found = _ok(http.get(f"/api/v1/events/{event_id}/ledger/balances", headers=by.headers))
    return {m["user_id"]: m["balance"] for m in found["members"]}


def run_guest_scenario(http: httpx.Client, settle: Callable[[Callable[[], bool]], None]) -> None:
    """The scenario; ``settle(done)`` returns once ``done()`` holds: at once in process after
    the followers ran, or after a wait in the distributed mode, where they run on their own."""
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
    stove = _ok(
        http.post(
            "/api/v1/gear/items",
            json={"name": "Hornillo", "category": "Cocina", "quantity": 1, "event_id": event["id"]},
            headers=owner.headers,
        ),
        201,
    )
    day = date.today() + timedelta(days=1)
    reservation = _ok(
        http.post(
            "/api/v1/gear/reservations",
            json={
                "item_id": stove["id"],
                "start_date": day.isoformat(),
                "end_date": day.isoformat(),
                "event_id": event["id"],
                "user_id": pepa,
            },
            headers=owner.headers,
        ),
        201,
    )
    activity = an_activity(http, event, owner, people=[pepa])
    assert _balances(http, event["id"], owner)[pepa] == "20.00"

    luis = a_person(http, display_name="Luis")
    link = _ok(
        http.post(
            f"/api/v1/events/{event['id']}/guests/{pepa}/claim-links",
            json={},
            headers=owner.headers,
        ),
        201,
    )
    preview = _ok(http.get(f"/api/v1/claims/{link['token']}"))
    assert (preview["guest_name"], preview["event_name"]) == ("Pepa", event["name"])
    claimed = _ok(http.post(f"/api/v1/claims/{link['token']}/accept", headers=luis.headers))
    assert (claimed["merged"], claimed["user"]["id"]) == (True, luis.id)
    assert _ok(http.get(f"/api/v1/events/{event['id']}", headers=luis.headers))["my_role"] == (
        "participant"
    )

    def moved() -> bool:
        held = _ok(http.get(f"/api/v1/gear/reservations/{reservation['id']}", headers=luis.headers))
        led = _ok(
            http.get(
                f"/api/v1/events/{event['id']}/activities/{activity['id']}",
                headers=luis.headers,
            )
        )
        return (
            _balances(http, event["id"], owner).get(luis.id) == "20.00"
            and held["user_id"] == luis.id
            and [p["user_id"] for p in led["people"]] == [luis.id]
        )

    settle(moved)
    assert pepa not in _balances(http, event["id"], owner)
    entry = _ok(
        http.get(
            f"/api/v1/events/{event['id']}/ledger/entries/{dinner['id']}", headers=luis.headers
        )
    )
    assert [p["party"] for p in entry["paid_by"]] == [luis.id]
    trail = _ok(http.get(f"/api/v1/events/{event['id']}/ledger/audit", headers=owner.headers))
    claims = [a for a in trail["items"] if a["action"] == "person.claimed"]
    assert [(a["summary"]["guest_name"], a["summary"]["display_name"]) for a in claims] == [
        ("Pepa", "Luis")
    ]
