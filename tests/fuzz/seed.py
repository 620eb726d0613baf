"""The rows the fuzzer aims at: one of everything around one event, made through the public API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.builders import (
    PASSWORD,
    Person,
    a_gear_keeper_in,
    a_member,
    a_route,
    an_activity,
    an_event,
    an_expense,
    an_invitation,
)
from tripbot.system import System

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class Seed:
    """An administrator who owns an event holding a row of every kind, and the rows' ids."""

    owner: Person
    event_id: int
    ids: dict[str, int | str]
    packing_entry_id: int

    def path_parameters(self, path: str, names: list[str]) -> dict[str, int | str]:
        """Seeded values for an operation's path parameters (``entry_id`` depends on the path)."""
        ids = dict(self.ids)
        if "packing-list" in path:
            ids["entry_id"] = self.packing_entry_id
        return {name: ids[name] for name in names if name in ids}


def _created(response: httpx.Response) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


def seed(system: System, http: httpx.Client) -> Seed:
    """Make the rows; the owner is an administrator, so the club's gear is theirs to manage too."""
    owner = a_gear_keeper_in(system, role="admin")
    event = an_event(http, owner)
    event_id = event["id"]
    member = a_member(http, event, owner)
    invitation = an_invitation(http, event, owner)
    spare_token = _created(
        http.post("/api/v1/auth/token", json={"email": owner.email, "password": PASSWORD})
    )
    route = a_route(http, owner)
    url = f"/api/v1/events/{event_id}"
    tent = _created(
        http.post(
            "/api/v1/gear/items",
            json={
                "name": "Tent",
                "category": "Shelter",
                "tracking": "units",
                "units": [{"label": "T1"}, {"label": "T2"}],
            },
            headers=owner.headers,
        )
    )
    units = http.get(f"/api/v1/gear/items/{tent['id']}/units", headers=owner.headers)
    today = datetime.now(ZoneInfo(system.settings.gear_timezone)).date().isoformat()
    window = {"item_id": tent["id"], "quantity": 1, "start_date": today, "end_date": today}
    reservations = [
        _created(http.post("/api/v1/gear/reservations", json=window, headers=owner.headers))
        for _ in range(2)
    ]
    (loan,) = _created(
        http.post(
            "/api/v1/gear/loans",
            json={"reservation_id": reservations[1]["id"]},
            headers=owner.headers,
        )
    )
    packing = _created(
        http.post(f"{url}/packing-list", json={"name": "Socks"}, headers=owner.headers)
    )
    entry = an_expense(http, event, owner)
    receipt = _created(
        http.post(
            f"{url}/ledger/entries/{entry['id']}/receipts",
            files={"file": ("ticket.png", PNG, "image/png")},
            headers=owner.headers,
        )
    )
    place = _created(http.post(f"{url}/places", json={"name": "Refugio"}, headers=owner.headers))
    activity = an_activity(http, event, owner, place_id=place["id"])
    return Seed(
        owner=owner,
        event_id=event_id,
        ids={
            "event_id": event_id,
            "user_id": member.id,
            "code": invitation["code"],
            "token_id": spare_token["id"],
            "route_id": route["id"],
            "item_id": tent["id"],
            "unit_id": units.json()[0]["id"],
            "reservation_id": reservations[0]["id"],
            "loan_id": loan["id"],
            "entry_id": entry["id"],
            "receipt_id": receipt["id"],
            "place_id": place["id"],
            "activity_id": activity["id"],
        },
        packing_entry_id=packing["id"],
    )
