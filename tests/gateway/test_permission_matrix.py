"""The permission matrix: every endpoint of the public REST API by every kind of caller.

``MATRIX`` declares, per (method, rule) under ``/api/v1``, the status each actor gets (see
``ACTORS``: anonymous, someone outside the event, its participant, organizer and owner, the
club's gear keeper and an administrator, the last two not members of the event). Each cell is
its own test, in a fresh world (``permission_world.World``) and with a valid request, so that the
answer is decided by who asks. ``test_every_endpoint_has_exactly_one_row`` fails when an endpoint
has no row (a new one must say who may call it) or a row names an endpoint that is gone.

``EVENT_GEAR`` runs the gear endpoints again on the event's own gear, which its organizers
manage and to which the club's keepers are outsiders.

The whole matrix runs on SQLite; on PostgreSQL one row per service runs with every actor
(``POSTGRES_ROWS``): permissions are decided in Python, the same on both engines, and a cell
costs about 0.35 s there (a world is a dozen writes), so the full matrix on PostgreSQL would
add five minutes for no new answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.builders import event_payload, user_payload
from tests.gateway.permission_world import (
    ACTORS,
    INVENTORY_CSV,
    LEDGER_CSV,
    LIGHTERPACK_CSV,
    PNG,
    World,
)
from tests.problems import assert_problem
from tests.routes.synthetic import small_gpx
from tripbot.system import System

Outcome = int | str
"""An exact status, or a class such as "2xx"."""
Value = Callable[[World], Any]
Files = dict[str, tuple[str, bytes | str, str]]

SLUGS = {401: "not-authenticated", 403: "permission-denied", 404: "not-found"}


@dataclass(frozen=True)
class Row:
    """One endpoint: the status each actor gets, and how to call it validly."""

    method: str
    rule: str
    outcomes: tuple[Outcome, ...]
    json: Value | None = None
    params: Value | None = None
    files: Files | None = None
    ids: dict[str, str] = field(default_factory=dict)
    given: Callable[[World, str], None] | None = None
    variant: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """The endpoint this row is about."""
        return (self.method, self.rule)

    def expected(self, actor: str) -> Outcome:
        """What an actor gets."""
        return self.outcomes[ACTORS.index(actor)]

    def path(self, world: World) -> str:
        """The rule with the world's ids in it."""
        return re.sub(r"<(\w+)>", lambda m: str(world.value(self.ids.get(m[1], m[1]))), self.rule)


def row(method: str, rule: str, outcomes: tuple[Outcome, ...], **call: Any) -> Row:
    """A row of the matrix; ``rule`` is relative to /api/v1."""
    assert len(outcomes) == len(ACTORS), (method, rule)
    return Row(method, f"/api/v1{rule}", outcomes, **call)


def event_gear(method: str, rule: str, outcomes: tuple[Outcome, ...], **call: Any) -> Row:
    """A row of ``EVENT_GEAR``: a gear endpoint again, on the event's own gear."""
    return row(method, rule, outcomes, variant="event gear", **call)


# Who gets what, in the order of ACTORS:
#   anonymous, non_member, participant, organizer, owner, gear_keeper, admin
def everyone(status: int) -> tuple[Outcome, ...]:
    """Anyone, logged in or not."""
    return (status,) * 7


def any_user(status: int) -> tuple[Outcome, ...]:
    """Anyone logged in."""
    return (401, status, status, status, status, status, status)


def members(status: int) -> tuple[Outcome, ...]:
    """The event's members; others do not learn it exists."""
    return (401, 404, status, status, status, 404, 404)


def organizers(status: int) -> tuple[Outcome, ...]:
    """The event's organizers and owners; its participants are refused."""
    return (401, 404, 403, status, status, 404, 404)


def owners(status: int) -> tuple[Outcome, ...]:
    """The event's owners."""
    return (401, 404, 403, 403, status, 404, 404)


def keepers(status: int) -> tuple[Outcome, ...]:
    """The club's gear keepers and administrators."""
    return (401, 403, 403, 403, 403, status, status)


def admins(status: int) -> tuple[Outcome, ...]:
    """Administrators."""
    return (401, 403, 403, 403, 403, 403, status)


def _body(value: Any) -> Value:
    return lambda _world: value


def _new_route_file() -> Files:
    return {"file": ("route.gpx", small_gpx("Vega de Ario"), "application/gpx+xml")}


EVENT = "/events/<event_id>"
LEDGER = f"{EVENT}/ledger"
ITEM = "/gear/items/<item_id>"
LEDGER_ENTRY = {"entry_id": "ledger_entry_id"}
PACKING_ENTRY = {"entry_id": "packing_entry_id"}
PNG_FILE: Files = {"file": ("ticket.png", PNG, "image/png")}


def _with_feed_token(world: World, actor: str) -> None:
    world.feed_token_of(actor)


def _with_ledger_entry(world: World, _actor: str) -> None:
    world.value("ledger_entry_id")


def _with_open_dispute(world: World, _actor: str) -> None:
    world.open_dispute()


MATRIX: list[Row] = [
    # ---- accounts, administration, operations -------------------------------------------
    row("POST", "/auth/register", everyone(201), json=lambda _w: user_payload()),
    row("POST", "/auth/token", everyone(201), json=lambda w: w.companion_credentials),
    row("GET", "/me", any_user(200)),
    row("PATCH", "/me", any_user(200), json=_body({"display_name": "Nombre nuevo"})),
    row("GET", "/me/tokens", any_user(200)),
    # A wrong current password: everyone logged in gets as far as the check (422), and the
    # world's passwords stay as they are for the other rows.
    row(
        "POST",
        "/me/password",
        any_user(422),
        json=_body({"current_password": "not my password", "new_password": "mochila azul 2026"}),
    ),
    row("DELETE", "/me/tokens/<token_id>", (401, 404, 404, 404, 204, 404, 404)),
    row("POST", "/me/telegram/link-code", any_user(201)),
    row("GET", "/me/telegram", any_user(200)),
    row("DELETE", "/me/telegram", any_user(204)),
    row("GET", "/users", admins(200)),
    row("PATCH", "/users/<user_id>", admins(200), json=_body({"role": "gear_keeper"})),
    row("GET", "/health", everyone(200)),
    row("GET", "/openapi.json", everyone(200)),
    row("GET", "/docs", everyone(200)),
    # ---- events, members, invitations ---------------------------------------------------
    row("POST", "/events", any_user(201), json=lambda _w: event_payload()),
    row("GET", "/events", any_user(200)),
    row("GET", EVENT, members(200)),
    row("PATCH", EVENT, organizers(200), json=_body({"description": "Caín - Poncebos"})),
    row("DELETE", EVENT, owners(204)),
    row("GET", f"{EVENT}/overview", members(200)),
    row("GET", f"{EVENT}/members", members(200)),
    row("PATCH", f"{EVENT}/members/<user_id>", organizers(200), json=_body({"role": "organizer"})),
    row("DELETE", f"{EVENT}/members/<user_id>", organizers(204)),
    row("POST", f"{EVENT}/invitations", organizers(201), json=_body({"role": "participant"})),
    row("GET", f"{EVENT}/invitations", organizers(200)),
    row("DELETE", f"{EVENT}/invitations/<code>", organizers(204)),
    row("GET", "/invitations/<code>", everyone(200)),
    row("POST", "/invitations/<code>/accept", any_user(200)),
    # ---- routes and excursion plans -----------------------------------------------------
    row("POST", "/routes", any_user(201), files=_new_route_file()),
    row("GET", "/routes", any_user(200)),
    row("GET", "/routes/<route_id>", any_user(200)),
    # The route's author is nobody here: it is in the excursion's plan, which gives its
    # organizers no right over it; only an administrator may change it.
    row(
        "PATCH",
        "/routes/<route_id>",
        (401, 403, 403, 403, 403, 403, 200),
        json=_body({"region": "Picos"}),
    ),
    # The spare route's author is the event's owner, and it is in no plan.
    row(
        "DELETE",
        "/routes/<route_id>",
        (401, 403, 403, 403, 204, 403, 204),
        ids={"route_id": "spare_route_id"},
    ),
    row("GET", "/routes/<route_id>/gpx", any_user(200)),
    row("GET", "/routes/<route_id>/geojson", any_user(200)),
    row("GET", "/routes/<route_id>/profile", any_user(200)),
    row("GET", f"{EVENT}/plan", members(200)),
    row("PUT", f"{EVENT}/plan", organizers(200), json=lambda w: {"route_ids": [w.route_id]}),
    # ---- the club's gear ----------------------------------------------------------------
    row("GET", "/gear/items", any_user(200)),
    row(
        "POST",
        "/gear/items",
        keepers(201),
        json=_body({"name": "Cuerda", "category": "Climbing", "quantity": 2}),
    ),
    row("GET", "/gear/items.csv", any_user(200)),
    row(
        "POST",
        "/gear/items.csv",
        keepers(201),
        files={"file": ("inventory.csv", INVENTORY_CSV, "text/csv")},
    ),
    row("GET", ITEM, any_user(200)),
    row("PATCH", ITEM, keepers(200), json=_body({"description": "Dos plazas"})),
    row("DELETE", ITEM, keepers(204), ids={"item_id": "spare_item_id"}),
    row("GET", f"{ITEM}/photo", any_user(200)),
    row("PUT", f"{ITEM}/photo", keepers(200), files={"photo": ("tent.png", PNG, "image/png")}),
    row("DELETE", f"{ITEM}/photo", keepers(204)),
    row("GET", f"{ITEM}/availability", any_user(200), params=lambda w: w.availability_query),
    row("GET", f"{ITEM}/history", any_user(200)),
    row("GET", f"{ITEM}/units", any_user(200)),
    row("POST", f"{ITEM}/units", keepers(201), json=_body({"label": "T3"})),
    row("PATCH", f"{ITEM}/units/<unit_id>", keepers(200), json=_body({"notes": "costura"})),
    row("DELETE", f"{ITEM}/units/<unit_id>", keepers(204)),
    # The stove reservation is the event's, made by its organizer, on the club's gear.
    row(
        "POST",
        "/gear/reservations",
        (401, 404, 403, 201, 201, 404, 404),
        json=lambda w: w.reservation_body,
    ),
    row(
        "POST",
        "/gear/reservations/basket",
        (401, 404, 403, 201, 201, 404, 404),
        json=lambda w: {
            **{k: v for k, v in w.reservation_body.items() if k != "item_id"},
            "lines": [{"item_id": w.reservation_body["item_id"]}],
        },
    ),
    row(
        "GET",
        "/gear/reservations",
        members(200),
        params=lambda w: {"scope": "event", "event_id": w.event_id},
    ),
    row("GET", "/gear/reservations/<reservation_id>", (401, 404, 200, 200, 200, 200, 200)),
    row("POST", "/gear/reservations/<reservation_id>/cancel", (401, 404, 403, 200, 200, 200, 200)),
    row("POST", "/gear/loans", keepers(201), json=lambda w: {"reservation_id": w.reservation_id}),
    row("GET", "/gear/loans", keepers(200), params=_body({"scope": "all"})),
    row("GET", "/gear/loans/overdue", any_user(200)),
    row("POST", "/gear/loans/<loan_id>/check-in", keepers(200), json=_body({"note": "seco"})),
    # ---- packing lists ------------------------------------------------------------------
    row("GET", f"{EVENT}/packing-list", members(200)),
    row("POST", f"{EVENT}/packing-list", organizers(201), json=_body({"name": "Cantimplora"})),
    row(
        "PATCH",
        f"{EVENT}/packing-list/<entry_id>",
        organizers(200),
        json=_body({"quantity": 2}),
        ids=PACKING_ENTRY,
    ),
    row("DELETE", f"{EVENT}/packing-list/<entry_id>", organizers(204), ids=PACKING_ENTRY),
    row("GET", f"{EVENT}/packing-list.csv", members(200)),
    row(
        "POST",
        f"{EVENT}/packing-list.csv",
        organizers(201),
        files={"file": ("pack.csv", LIGHTERPACK_CSV, "text/csv")},
    ),
    # ---- the ledger (the report is the organizers' unless they share it) ----------------
    row(
        "POST", f"{LEDGER}/entries", members(201), json=_body({"description": "pan", "amount": "5"})
    ),
    row("GET", f"{LEDGER}/entries", members(200)),
    # The entry is the organizer's expense, split among every member.
    row("GET", f"{LEDGER}/entries/<entry_id>", members(200), ids=LEDGER_ENTRY),
    row(
        "PATCH",
        f"{LEDGER}/entries/<entry_id>",
        organizers(200),
        json=_body({"description": "gasoil"}),
        ids=LEDGER_ENTRY,
    ),
    # The organizer paid it and shared it among every member: the others it charges dispute it.
    row(
        "POST",
        f"{LEDGER}/entries/<entry_id>/dispute",
        (401, 404, 201, 403, 201, 404, 404),
        json=_body({"reason": "no fui"}),
        ids=LEDGER_ENTRY,
    ),
    row(
        "POST",
        f"{LEDGER}/entries/<entry_id>/confirm",
        organizers(200),
        json=_body({"reason": "sí fue"}),
        ids=LEDGER_ENTRY,
        given=_with_open_dispute,
    ),
    row(
        "POST",
        f"{LEDGER}/entries/<entry_id>/reverse",
        organizers(200),
        json=_body({"reason": "duplicada"}),
        ids=LEDGER_ENTRY,
    ),
    row(
        "POST",
        f"{LEDGER}/entries/<entry_id>/receipts",
        organizers(201),
        files=PNG_FILE,
        ids=LEDGER_ENTRY,
    ),
    row(
        "GET",
        f"{LEDGER}/entries/<entry_id>/receipts/<receipt_id>",
        members(200),
        ids=LEDGER_ENTRY,
    ),
    row("GET", f"{LEDGER}/budget", organizers(200)),
    row(
        "PUT",
        f"{LEDGER}/budget",
        organizers(200),
        json=_body({"lines": [{"kind": "expense", "planned": "50"}]}),
    ),
    row("GET", f"{LEDGER}/settings", members(200)),
    row("PATCH", f"{LEDGER}/settings", organizers(200), json=_body({"visibility": "members"})),
    row("GET", f"{LEDGER}/report", organizers(200)),
    row("GET", f"{LEDGER}/report/totals", organizers(200)),
    row("GET", "/ledger/positions", any_user(200)),
    row("GET", f"{LEDGER}/balances", members(200)),
    row("GET", f"{LEDGER}/settlement", members(200)),
    row("POST", f"{LEDGER}/settlement", organizers(201), json=_body({}), given=_with_ledger_entry),
    row("GET", f"{LEDGER}/audit", organizers(200)),
    row("GET", f"{LEDGER}/export.json", organizers(200)),
    row("GET", f"{LEDGER}/export.csv", organizers(200)),
    row(
        "POST",
        f"{LEDGER}/import",
        organizers(201),
        files={"file": ("ledger.csv", LEDGER_CSV, "text/csv")},
    ),
    # ---- the agenda ---------------------------------------------------------------------
    row("GET", f"{EVENT}/places", members(200)),
    row("POST", f"{EVENT}/places", organizers(201), json=_body({"name": "Collado"})),
    row("PATCH", f"{EVENT}/places/<place_id>", organizers(200), json=_body({"capacity": 20})),
    row("DELETE", f"{EVENT}/places/<place_id>", organizers(204)),
    row("GET", f"{EVENT}/activities", members(200)),
    row("POST", f"{EVENT}/activities", organizers(201), json=lambda w: w.activity_body),
    row("GET", f"{EVENT}/activities/<activity_id>", members(200)),
    row(
        "PATCH", f"{EVENT}/activities/<activity_id>", organizers(200), json=_body({"title": "Otro"})
    ),
    row("POST", f"{EVENT}/activities/<activity_id>/cancel", organizers(200)),
    row("DELETE", f"{EVENT}/activities/<activity_id>", organizers(204)),
    row("GET", f"{EVENT}/agenda/conflicts", members(200)),
    row("GET", f"{EVENT}/agenda/now", members(200)),
    row("GET", f"{EVENT}/agenda.json", members(200)),
    row("GET", f"{EVENT}/agenda.ics", members(200)),
    row("GET", f"{EVENT}/agenda/feed-token", members(200), given=_with_feed_token),
    row("POST", f"{EVENT}/agenda/feed-token", members(201)),
    row("DELETE", f"{EVENT}/agenda/feed-token", members(204), given=_with_feed_token),
]

EVENT_GEAR_ITEM = {"item_id": "event_item_id", "unit_id": "event_unit_id"}

EVENT_GEAR: list[Row] = [
    event_gear("GET", "/gear/items", members(200), params=lambda w: {"event_id": w.event_id}),
    event_gear(
        "POST",
        "/gear/items",
        organizers(201),
        json=lambda w: {
            "name": "Cuerda",
            "category": "Climbing",
            "quantity": 2,
            "event_id": w.event_id,
        },
    ),
    event_gear("GET", "/gear/items.csv", members(200), params=lambda w: {"event_id": w.event_id}),
    event_gear(
        "POST",
        "/gear/items.csv",
        organizers(201),
        params=lambda w: {"event_id": w.event_id},
        files={"file": ("inventory.csv", INVENTORY_CSV, "text/csv")},
    ),
    event_gear("GET", ITEM, members(200), ids=EVENT_GEAR_ITEM),
    event_gear(
        "PATCH", ITEM, organizers(200), json=_body({"description": "x"}), ids=EVENT_GEAR_ITEM
    ),
    event_gear("DELETE", ITEM, organizers(204), ids={"item_id": "event_spare_item_id"}),
    event_gear("GET", f"{ITEM}/photo", members(200), ids=EVENT_GEAR_ITEM),
    event_gear(
        "PUT",
        f"{ITEM}/photo",
        organizers(200),
        files={"photo": ("tent.png", PNG, "image/png")},
        ids=EVENT_GEAR_ITEM,
    ),
    event_gear("DELETE", f"{ITEM}/photo", organizers(204), ids=EVENT_GEAR_ITEM),
    event_gear(
        "GET",
        f"{ITEM}/availability",
        members(200),
        params=lambda w: w.availability_query,
        ids=EVENT_GEAR_ITEM,
    ),
    event_gear("GET", f"{ITEM}/history", members(200), ids=EVENT_GEAR_ITEM),
    event_gear("GET", f"{ITEM}/units", members(200), ids=EVENT_GEAR_ITEM),
    event_gear(
        "POST", f"{ITEM}/units", organizers(201), json=_body({"label": "E3"}), ids=EVENT_GEAR_ITEM
    ),
    event_gear(
        "PATCH",
        f"{ITEM}/units/<unit_id>",
        organizers(200),
        json=_body({"notes": "x"}),
        ids=EVENT_GEAR_ITEM,
    ),
    event_gear("DELETE", f"{ITEM}/units/<unit_id>", organizers(204), ids=EVENT_GEAR_ITEM),
    # Any member reserves the event's gear for themselves.
    event_gear(
        "POST",
        "/gear/reservations",
        members(201),
        json=lambda w: {
            "item_id": w.event_stove_id,
            "start_date": w.reservation_body["start_date"],
            "end_date": w.reservation_body["end_date"],
        },
    ),
    # The participant's own reservation of an event stove.
    event_gear(
        "GET",
        "/gear/reservations/<reservation_id>",
        members(200),
        ids={"reservation_id": "event_reservation_id"},
    ),
    event_gear(
        "POST",
        "/gear/reservations/<reservation_id>/cancel",
        members(200),
        ids={"reservation_id": "event_reservation_id"},
    ),
    event_gear(
        "POST",
        "/gear/loans",
        organizers(201),
        json=lambda w: {"reservation_id": w.event_reservation_id},
    ),
    event_gear(
        "GET",
        "/gear/loans",
        members(200),
        params=lambda w: {"scope": "event", "event_id": w.event_id},
    ),
    event_gear(
        "POST",
        "/gear/loans/<loan_id>/check-in",
        organizers(200),
        json=_body({"note": "seco"}),
        ids={"loan_id": "event_loan_id"},
    ),
]
"""The gear endpoints again on the event's own gear: its organizers manage it, its members
see it, and the club's keepers and admins are outsiders to it."""

POSTGRES_ROWS = {
    ("DELETE", "/api/v1/events/<event_id>"),
    ("PATCH", "/api/v1/routes/<route_id>"),
    ("POST", "/api/v1/gear/reservations/<reservation_id>/cancel"),
    ("PATCH", "/api/v1/events/<event_id>/ledger/entries/<entry_id>"),
    ("POST", "/api/v1/events/<event_id>/activities"),
}
"""One row per service that also runs, with every actor, on PostgreSQL."""


def _cells() -> list[Any]:
    cells = []
    for backend in ("sqlite", "postgresql"):
        marks = [pytest.mark.postgres] if backend == "postgresql" else []
        for entry in MATRIX + EVENT_GEAR:
            if backend == "postgresql" and (entry.variant or entry.key not in POSTGRES_ROWS):
                continue
            for actor in ACTORS:
                variant = f"{entry.variant}: " if entry.variant else ""
                name = f"{backend}-{variant}{entry.method} {entry.rule}-{actor}"
                cells.append(pytest.param(backend, entry, actor, id=name, marks=marks))
    return cells


def _matches(status: int, expected: Outcome) -> bool:
    if isinstance(expected, int):
        return status == expected
    return str(status)[0] == expected[0]


@pytest.mark.parametrize(("backend", "entry", "actor"), _cells(), indirect=["backend"])
def test_permission(system: System, http: httpx.Client, entry: Row, actor: str) -> None:
    world = World(system, http)
    if entry.given is not None:
        entry.given(world, actor)
    path = entry.path(world)
    answer = http.request(
        entry.method,
        path,
        headers=world.headers(actor),
        json=entry.json(world) if entry.json else None,
        params=entry.params(world) if entry.params else None,
        files=entry.files,
    )
    expected = entry.expected(actor)
    assert _matches(answer.status_code, expected), (
        f"{entry.method} {path} as {actor}: expected {expected}, got {answer.status_code}: "
        f"{answer.text[:400]}"
    )
    if answer.status_code in SLUGS:
        assert_problem(answer, answer.status_code, SLUGS[answer.status_code])


def _endpoints(system: System) -> set[tuple[str, str]]:
    found = set()
    for rule in system.gateway.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        plain = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, plain))
    return found


def test_every_endpoint_has_exactly_one_row(system: System) -> None:
    keys = [entry.key for entry in MATRIX]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert not twice, f"endpoints with more than one row: {twice}"
    endpoints = _endpoints(system)
    missing = sorted(endpoints - set(keys))
    assert not missing, f"endpoints without a row in MATRIX (say who may call them): {missing}"
    gone = sorted(set(keys) - endpoints)
    assert not gone, f"rows in MATRIX for endpoints that no longer exist: {gone}"
    assert set(keys) >= POSTGRES_ROWS, sorted(POSTGRES_ROWS - set(keys))
    assert {entry.key for entry in EVENT_GEAR} <= endpoints
