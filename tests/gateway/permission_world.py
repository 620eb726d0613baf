"""The world a permission-matrix cell runs in: one event with people of every kind around it,
and, built only when a cell asks for them, a route, gear, a ledger entry, agenda items..."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.builders import (
    PASSWORD,
    Person,
    activity_payload,
    an_activity,
    an_expense,
    event_payload,
    events_call,
    user_payload,
)
from tests.routes.synthetic import small_gpx
from tripbot.events import service
from tripbot.events.schemas import (
    ClaimLinkCreate,
    EventCreate,
    GuestCreate,
    InvitationCreate,
    TokenCreate,
    UserRegister,
)
from tripbot.platform.identity import Principal
from tripbot.platform.passwords import Passwords
from tripbot.system import System

ACTORS = ("anonymous", "non_member", "participant", "organizer", "owner", "gear_keeper", "admin")
"""Who knocks: nobody, someone outside the event, its three roles, the club's gear keeper (not
a member of the event) and an administrator (not a member either)."""
MEMBERS = ("participant", "organizer", "owner")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
INVENTORY_CSV = (
    "name,category,description,weight_grams,tracking,quantity,unit_label,condition,notes\n"
    "Carabiner,Climbing,,50,quantity,40,,,\n"
)
LIGHTERPACK_CSV = (
    "Item Name,Category,desc,qty,weight,unit,url,price,worn,consumable\n"
    "Socks,Clothing,,2,60,gram,,,Worn,\n"
)
LEDGER_CSV = "description,amount,kind\nBread,3.50,purchase\n"
_POLICY = service.AccountPolicy(passwords=Passwords("fast"))


def club_today() -> date:
    """Today in the club's time zone (the test settings keep the default, Europe/Madrid)."""
    return datetime.now(ZoneInfo("Europe/Madrid")).date()


def club_day(offset: int) -> str:
    """A day from the club's today, as the API writes it."""
    return (club_today() + timedelta(days=offset)).isoformat()


@dataclass(frozen=True)
class Account:
    """Someone in the world, with the id of the API token their headers carry."""

    id: int
    email: str
    token_id: int
    headers: dict[str, str]


class World:
    """People and an event made straight in the events service; everything else made through
    the public API on first use, so that a cell pays only for what it touches."""

    def __init__(self, system: System, http: httpx.Client) -> None:
        self._system = system
        self._http = http
        self._events = system.databases["events"]
        self.people: dict[str, Account] = {}
        # The first account becomes the administrator: make it first, on purpose.
        for kind in ("admin", "owner", "organizer", "participant", "non_member", "gear_keeper"):
            self.people[kind] = self._person()
        service.accounts.assign_role(
            self._events.unit_of_work(), self.people["gear_keeper"].id, "gear_keeper"
        )
        owner = Principal(user_id=self.people["owner"].id)
        event = service.events.create_event(
            events_call(self._events, owner), EventCreate(**event_payload())
        )
        self.event_id = event.id
        for kind in ("organizer", "participant"):
            self._join(kind, kind)

    # ---- people --------------------------------------------------------------------------

    def _person(self) -> Account:
        body = user_payload()
        user = service.accounts.register(
            events_call(self._events, policy=_POLICY), UserRegister(**body)
        )
        token = service.tokens.create_token(
            events_call(self._events),
            TokenCreate(email=user.email, password=body["password"]),
        )
        return Account(user.id, user.email, token.id, {"Authorization": f"Bearer {token.token}"})

    def _join(self, kind: str, role: str) -> None:
        owner = Principal(user_id=self.people["owner"].id)
        data = InvitationCreate(role=role)
        code = service.invitations.create_invitation(
            events_call(self._events, owner), self.event_id, data
        ).code
        joiner = Principal(user_id=self.people[kind].id)
        service.invitations.accept_invitation(events_call(self._events, joiner), code)

    def headers(self, actor: str) -> dict[str, str]:
        """The Authorization header of an actor (none for the anonymous one)."""
        if actor == "anonymous":
            return {}
        return self.people[actor].headers

    def person(self, kind: str) -> Person:
        """One of the world's people, as the shared builders take them."""
        found = self.people[kind]
        return Person(id=found.id, email=found.email, headers=found.headers)

    def _made(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    @cached_property
    def companion(self) -> Account:
        """A second participant: the member whose role is changed or who is removed."""
        self.people["companion"] = self._person()
        self._join("companion", "participant")
        return self.people["companion"]

    @property
    def companion_credentials(self) -> dict[str, str]:
        """The companion's email and password, to ask for a token with."""
        return {"email": self.companion.email, "password": PASSWORD}

    @property
    def user_id(self) -> int:
        """The user a members' or administrators' cell acts on: the companion."""
        return self.companion.id

    @property
    def token_id(self) -> int:
        """A token of the event's owner: theirs to revoke, nobody else's."""
        return self.people["owner"].token_id

    @cached_property
    def code(self) -> str:
        """An open invitation to the event."""
        owner = Principal(user_id=self.people["owner"].id)
        data = InvitationCreate(role="participant", max_uses=10)
        return service.invitations.create_invitation(
            events_call(self._events, owner), self.event_id, data
        ).code

    @cached_property
    def guest_id(self) -> int:
        """A person without an account in the event."""
        owner = Principal(user_id=self.people["owner"].id)
        return service.guests.add_guest(
            events_call(self._events, owner), self.event_id, GuestCreate(display_name="Pepa")
        ).user_id

    @cached_property
    def token(self) -> str:
        """A claim link's token for the world's guest."""
        owner = Principal(user_id=self.people["owner"].id)
        return service.claims.create_claim_link(
            events_call(self._events, owner), self.event_id, self.guest_id, ClaimLinkCreate()
        ).token

    # ---- routes --------------------------------------------------------------------------

    def _route(self, by: str, name: str) -> int:
        content = small_gpx(name, description=f"{name} {by}")
        response = self._http.post(
            "/api/v1/routes",
            files={"file": ("route.gpx", content, "application/gpx+xml")},
            headers=self.headers(by),
        )
        route: int = self._made(response)["id"]
        return route

    @cached_property
    def route_id(self) -> int:
        """A route someone outside the event added, in the excursion's plan."""
        self.people["author"] = self._person()
        route = self._route("author", "Ruta del Cares")
        self._made(
            self._http.put(
                f"/api/v1/events/{self.event_id}/plan",
                json={"route_ids": [route]},
                headers=self.headers("owner"),
            )
        )
        return route

    @cached_property
    def spare_route_id(self) -> int:
        """A route the event's owner added, in no plan: only they (or an admin) delete it."""
        return self._route("owner", "Ruta de repuesto")

    # ---- gear ----------------------------------------------------------------------------

    def _item(self, **body: Any) -> int:
        response = self._http.post(
            "/api/v1/gear/items",
            json={"category": "Camp", **body},
            headers=self.headers("gear_keeper"),
        )
        item: int = self._made(response)["id"]
        return item

    @cached_property
    def item_id(self) -> int:
        """The club's tent, with two units (T1, T2) and a photo."""
        item = self._item(name="Tienda", tracking="units", units=[{"label": "T1"}, {"label": "T2"}])
        self._made(
            self._http.put(
                f"/api/v1/gear/items/{item}/photo",
                files={"photo": ("tent.png", PNG, "image/png")},
                headers=self.headers("gear_keeper"),
            )
        )
        return item

    @cached_property
    def unit_id(self) -> int:
        """The tent's unit T2."""
        units = self._http.get(
            f"/api/v1/gear/items/{self.item_id}/units", headers=self.headers("gear_keeper")
        )
        unit: int = next(u["id"] for u in units.json() if u["label"] == "T2")
        return unit

    @cached_property
    def spare_item_id(self) -> int:
        """A club item nobody reserved: one that can be retired."""
        return self._item(name="Esterilla", quantity=3)

    @cached_property
    def stove_id(self) -> int:
        """The club's stoves, five of them: what is reserved and lent."""
        return self._item(name="Hornillo", quantity=5)

    @cached_property
    def reservation_id(self) -> int:
        """A stove the event's organizer reserved for the event, from today for three days."""
        body = {
            "item_id": self.stove_id,
            "start_date": club_day(0),
            "end_date": club_day(2),
            "event_id": self.event_id,
        }
        response = self._http.post(
            "/api/v1/gear/reservations", json=body, headers=self.headers("organizer")
        )
        reservation: int = self._made(response)["id"]
        return reservation

    @cached_property
    def loan_id(self) -> int:
        """A stove the gear keeper lent the participant on the spot until tomorrow."""
        body = {
            "item_id": self.stove_id,
            "end_date": club_day(1),
            "user_id": self.people["participant"].id,
        }
        response = self._http.post(
            "/api/v1/gear/loans", json=body, headers=self.headers("gear_keeper")
        )
        assert response.status_code == 201, response.text
        loan: int = response.json()[0]["id"]
        return loan

    # ---- the event's own gear (its organizers manage it) ---------------------------------

    def _event_item(self, **body: Any) -> int:
        response = self._http.post(
            "/api/v1/gear/items",
            json={"category": "Camp", "event_id": self.event_id, **body},
            headers=self.headers("organizer"),
        )
        item: int = self._made(response)["id"]
        return item

    @cached_property
    def event_item_id(self) -> int:
        """The event's own tent, with two units (E1, E2) and a photo."""
        item = self._event_item(
            name="Tienda del grupo", tracking="units", units=[{"label": "E1"}, {"label": "E2"}]
        )
        self._made(
            self._http.put(
                f"/api/v1/gear/items/{item}/photo",
                files={"photo": ("tent.png", PNG, "image/png")},
                headers=self.headers("organizer"),
            )
        )
        return item

    @cached_property
    def event_unit_id(self) -> int:
        """The event tent's unit E2."""
        units = self._http.get(
            f"/api/v1/gear/items/{self.event_item_id}/units", headers=self.headers("organizer")
        )
        unit: int = next(u["id"] for u in units.json() if u["label"] == "E2")
        return unit

    @cached_property
    def event_spare_item_id(self) -> int:
        """An item of the event nobody reserved."""
        return self._event_item(name="Bidón", quantity=2)

    @cached_property
    def event_stove_id(self) -> int:
        """The event's own stoves, three of them."""
        return self._event_item(name="Hornillo del grupo", quantity=3)

    @cached_property
    def event_reservation_id(self) -> int:
        """An event stove the participant reserved for themselves, from today for two days."""
        body = {"item_id": self.event_stove_id, "start_date": club_day(0), "end_date": club_day(1)}
        response = self._http.post(
            "/api/v1/gear/reservations", json=body, headers=self.headers("participant")
        )
        reservation: int = self._made(response)["id"]
        return reservation

    @cached_property
    def event_loan_id(self) -> int:
        """An event stove the organizer lent the participant on the spot until tomorrow."""
        body = {
            "item_id": self.event_stove_id,
            "end_date": club_day(1),
            "user_id": self.people["participant"].id,
        }
        response = self._http.post(
            "/api/v1/gear/loans", json=body, headers=self.headers("organizer")
        )
        assert response.status_code == 201, response.text
        loan: int = response.json()[0]["id"]
        return loan

    @property
    def reservation_body(self) -> dict[str, Any]:
        """A new reservation of a stove for the event, next week."""
        return {
            "item_id": self.stove_id,
            "start_date": club_day(7),
            "end_date": club_day(8),
            "event_id": self.event_id,
        }

    @property
    def availability_query(self) -> dict[str, str]:
        """A window of a week from today."""
        return {"available_from": club_day(0), "available_to": club_day(6)}

    @cached_property
    def packing_entry_id(self) -> int:
        """A line of the event's packing list."""
        response = self._http.post(
            f"/api/v1/events/{self.event_id}/packing-list",
            json={"name": "Frontal"},
            headers=self.headers("organizer"),
        )
        entry: int = self._made(response)["id"]
        return entry

    # ---- ledger --------------------------------------------------------------------------

    @cached_property
    def ledger_entry_id(self) -> int:
        """A shared expense the organizer paid, split among every member."""
        event = {"id": self.event_id}
        entry: int = an_expense(self._http, event, self.person("organizer"))["id"]
        return entry

    def open_dispute(self) -> None:
        """The participant disputes the ledger entry (once open, it stays open)."""
        url = f"/api/v1/events/{self.event_id}/ledger/entries/{self.ledger_entry_id}/dispute"
        answer = self._http.post(url, json={"reason": "no"}, headers=self.headers("participant"))
        assert answer.status_code in (201, 409), answer.text

    @cached_property
    def receipt_id(self) -> int:
        """The organizer's receipt of their expense."""
        response = self._http.post(
            f"/api/v1/events/{self.event_id}/ledger/entries/{self.ledger_entry_id}/receipts",
            files={"file": ("ticket.png", PNG, "image/png")},
            headers=self.headers("organizer"),
        )
        receipt: int = self._made(response)["id"]
        return receipt

    # ---- agenda --------------------------------------------------------------------------

    @cached_property
    def place_id(self) -> int:
        """A place of the event no activity uses."""
        response = self._http.post(
            f"/api/v1/events/{self.event_id}/places",
            json={"name": "Refugio"},
            headers=self.headers("organizer"),
        )
        place: int = self._made(response)["id"]
        return place

    @cached_property
    def activity_id(self) -> int:
        """An activity on the event's agenda."""
        event = {"id": self.event_id}
        activity: int = an_activity(self._http, event, self.person("organizer"))["id"]
        return activity

    @property
    def activity_body(self) -> dict[str, Any]:
        """A new activity within the event."""
        return activity_payload(title="Comida en Caín")

    def feed_token_of(self, actor: str) -> None:
        """Give a member their calendar feed token (others have none to make)."""
        if actor in MEMBERS:
            self._made(
                self._http.post(
                    f"/api/v1/events/{self.event_id}/agenda/feed-token",
                    headers=self.headers(actor),
                )
            )

    # ---- paths ---------------------------------------------------------------------------

    def value(self, name: str) -> Any:
        """A path parameter or body value the world knows by name."""
        return getattr(self, name)
