"""The permission matrix: every endpoint of the public REST API by every kind of caller.

Each row says, for one (method, rule) under ``/api/v1``, the status each actor gets (see
``ACTORS``: anonymous, someone outside the event, its participant, organizer and owner, the
club's gear keeper and an administrator, the last two not members of the event). Each cell is
its own test, in a fresh world (``permission_world.World``) and with a valid request, so that the
answer is decided by who asks.

The rows of the services' declared operations (``tripbot.gateway.api.DECLARED``) take their
endpoint from the declaration: ``DECLARED_ROWS`` holds, by ``service.operation``, only what a
declaration cannot say (who gets what, and how to make a valid request). A newly declared
operation without one fails the matrix with a cell naming it and saying what to add; a row must
also agree with what the operation's declared access settles (``ACCESS_SAYS``). ``MATRIX`` keeps
the rows of the gateway's own routes, and ``test_every_endpoint_has_exactly_one_row`` fails when
an endpoint has no row (a new one must say who may call it) or a row names an endpoint that is
gone.

``EVENT_GEAR`` runs the gear operations again on the event's own gear, which its organizers
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

from tests.builders import PASSWORD, event_payload, user_payload
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
from tripbot.gateway.api import DECLARED, PUBLIC_URL_PREFIX
from tripbot.platform.operations import Access, Operation
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
    operation: str = ""
    """The declared operation (``service.name``) the row's endpoint comes from, if any."""

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
    """A row of the matrix for a gateway route of its own; ``rule`` is relative to /api/v1."""
    assert len(outcomes) == len(ACTORS), (method, rule)
    return Row(method, f"/api/v1{rule}", outcomes, **call)


@dataclass(frozen=True)
class Expect:
    """What a declared operation's row cannot read from its declaration: the status each actor
    gets, and how to call it validly."""

    outcomes: tuple[Outcome, ...]
    json: Value | None = None
    params: Value | None = None
    files: Files | None = None
    ids: dict[str, str] = field(default_factory=dict)
    given: Callable[[World, str], None] | None = None


def expect(outcomes: tuple[Outcome, ...], **call: Any) -> Expect:
    """The hand-written part of a declared operation's row."""
    assert len(outcomes) == len(ACTORS), outcomes
    return Expect(outcomes, **call)


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
    row("POST", "/auth/token", everyone(201), json=lambda w: w.companion_credentials),
    row("GET", "/me", any_user(200)),
    # The world sends no email: asking for a reset link says so to everyone alike (with email,
    # everyone gets 202: tests/gateway/test_password_reset.py); an invitation code is no
    # reset link, so setting a password with it is not found for anyone.
    row("POST", "/auth/password-reset", everyone(403), json=_body({"email": "a@club.example"})),
    row(
        "POST",
        "/auth/password-reset/<token>",
        everyone(404),
        json=_body({"new_password": "mochila azul 2026"}),
        ids={"token": "code"},
    ),
    # A wrong current password: everyone logged in gets as far as the check (422), and the
    # world's passwords stay as they are for the other rows.
    row(
        "POST",
        "/me/password",
        any_user(422),
        json=_body({"current_password": "not my password", "new_password": "mochila azul 2026"}),
    ),
    row("POST", "/me/telegram/link-code", any_user(201)),
    row("GET", "/health", everyone(200)),
    row("GET", "/openapi.json", everyone(200)),
    row("GET", "/docs", everyone(200)),
    # ---- events, members, invitations ---------------------------------------------------
    row("GET", f"{EVENT}/overview", members(200)),
    row("POST", f"{EVENT}/invitations", organizers(201), json=_body({"role": "participant"})),
    row("GET", f"{EVENT}/invitations", organizers(200)),
    # The world sends no email, so every logged-in actor is told so (with email: organizers
    # 201, participants 403, outsiders 404, in tests/gateway/test_invite_by_email.py).
    row(
        "POST",
        f"{EVENT}/invitations/email",
        (401, 403, 403, 403, 403, 403, 403),
        json=_body({"emails": ["friend@club.example"]}),
    ),
    # ---- routes and excursion plans -----------------------------------------------------
    row("POST", "/routes", any_user(201), files=_new_route_file()),
    row("GET", "/routes/<route_id>/gpx", any_user(200)),
    row("GET", "/routes/<route_id>/geojson", any_user(200)),
    # ---- the agenda's calendar file ---------------------------------------------------
    row("GET", f"{EVENT}/agenda.ics", members(200)),
]

SPLITWISE_CSV = (
    b"Date,Description,Category,Cost,Currency,Ana,Bruno\n"
    b"2027-05-01,Pan,General,4.00,EUR,2.00,-2.00\n"
)
"""Another app's export (Splitwise's layout), for the import that reads it."""

DECLARED_ROWS: dict[str, Expect] = {
    # ---- accounts and administration (the events service) --------------------------------
    "events.register": expect(everyone(201), json=lambda _w: user_payload()),
    "events.update_me": expect(any_user(200), json=_body({"display_name": "Nombre nuevo"})),
    "events.tokens": expect(any_user(200)),
    "events.revoke_token": expect((401, 404, 404, 404, 204, 404, 404)),
    "events.telegram_status": expect(any_user(200)),
    "events.unlink_telegram": expect(any_user(204)),
    "events.users": expect(admins(200)),
    "events.change_user_role": expect(admins(200), json=_body({"role": "gear_keeper"})),
    # ---- events, members, invitations ---------------------------------------------------
    "events.create_event": expect(any_user(201), json=lambda _w: event_payload()),
    "events.events": expect(any_user(200)),
    "events.event": expect(members(200)),
    "events.update_event": expect(organizers(200), json=_body({"description": "Caín - Poncebos"})),
    "events.delete_event": expect(owners(204)),
    "events.members": expect(members(200)),
    "events.change_member_role": expect(organizers(200), json=_body({"role": "organizer"})),
    "events.remove_member": expect(organizers(204)),
    "events.add_guest": expect(organizers(201), json=_body({"display_name": "Pepa Guía"})),
    "events.create_claim_link": expect(organizers(201), json=_body({})),
    "events.preview_claim": expect(everyone(200)),
    # Anyone logged in takes the guest's place (the owner, a member already, keeps their role).
    "events.accept_claim": expect(any_user(200)),
    "events.register_claim": expect(
        everyone(201), json=lambda _w: {"email": "pepa@example.org", "password": PASSWORD}
    ),
    "events.revoke_invitation": expect(organizers(204)),
    "events.preview_invitation": expect(everyone(200)),
    "events.accept_invitation": expect(any_user(200)),
    # ---- routes and excursion plans -----------------------------------------------------
    "routes.search_routes": expect(any_user(200)),
    "routes.get_route": expect(any_user(200)),
    # The route's author is nobody here: it is in the excursion's plan, which gives its
    # organizers no right over it; only an administrator may change it.
    "routes.update_route": expect(
        (401, 403, 403, 403, 403, 403, 200), json=_body({"region": "Picos"})
    ),
    # The spare route's author is the event's owner, and it is in no plan.
    "routes.delete_route": expect(
        (401, 403, 403, 403, 204, 403, 204), ids={"route_id": "spare_route_id"}
    ),
    "routes.route_profile": expect(any_user(200)),
    "routes.get_plan": expect(members(200)),
    "routes.set_plan": expect(organizers(200), json=lambda w: {"route_ids": [w.route_id]}),
    # ---- the club's gear ----------------------------------------------------------------
    "gear.items": expect(any_user(200)),
    "gear.create_item": expect(
        keepers(201), json=_body({"name": "Cuerda", "category": "Climbing", "quantity": 2})
    ),
    "gear.export_items": expect(any_user(200)),
    "gear.import_items": expect(
        keepers(201), files={"file": ("inventory.csv", INVENTORY_CSV, "text/csv")}
    ),
    "gear.item": expect(any_user(200)),
    "gear.update_item": expect(keepers(200), json=_body({"description": "Dos plazas"})),
    "gear.retire_item": expect(keepers(204), ids={"item_id": "spare_item_id"}),
    "gear.photo": expect(any_user(200)),
    "gear.set_photo": expect(keepers(200), files={"photo": ("tent.png", PNG, "image/png")}),
    "gear.delete_photo": expect(keepers(204)),
    "gear.availability": expect(any_user(200), params=lambda w: w.availability_query),
    "gear.history": expect(any_user(200)),
    "gear.units": expect(any_user(200)),
    "gear.add_unit": expect(keepers(201), json=_body({"label": "T3"})),
    "gear.update_unit": expect(keepers(200), json=_body({"notes": "costura"})),
    "gear.retire_unit": expect(keepers(204)),
    # The stove reservation is the event's, made by its organizer, on the club's gear.
    "gear.reserve": expect((401, 404, 403, 201, 201, 404, 404), json=lambda w: w.reservation_body),
    "gear.reservations": expect(
        members(200), params=lambda w: {"scope": "event", "event_id": w.event_id}
    ),
    "gear.reserve_basket": expect(
        (401, 404, 403, 201, 201, 404, 404),
        json=lambda w: {
            **{k: v for k, v in w.reservation_body.items() if k != "item_id"},
            "lines": [{"item_id": w.reservation_body["item_id"]}],
        },
    ),
    "gear.reservation": expect((401, 404, 200, 200, 200, 200, 200)),
    "gear.cancel": expect((401, 404, 403, 200, 200, 200, 200)),
    "gear.check_out": expect(keepers(201), json=lambda w: {"reservation_id": w.reservation_id}),
    "gear.loans": expect(keepers(200), params=_body({"scope": "all"})),
    "gear.overdue": expect(any_user(200)),
    "gear.check_in": expect(keepers(200), json=_body({"note": "seco"})),
    # ---- packing lists ------------------------------------------------------------------
    "gear.packing_list": expect(members(200)),
    "gear.add_entry": expect(organizers(201), json=_body({"name": "Cantimplora"})),
    "gear.update_entry": expect(organizers(200), json=_body({"quantity": 2}), ids=PACKING_ENTRY),
    "gear.remove_entry": expect(organizers(204), ids=PACKING_ENTRY),
    # A line each participant brings: every member ticks it for their own bag.
    "gear.tick_entry": expect(members(200), json=_body({"packed": True}), ids=PACKING_ENTRY),
    "gear.export_packing_list": expect(members(200)),
    "gear.import_packing_list": expect(
        organizers(201), files={"file": ("pack.csv", LIGHTERPACK_CSV, "text/csv")}
    ),
    # ---- the ledger (the report is the organizers' unless they share it) ----------------
    "ledger.record_entry": expect(members(201), json=_body({"description": "pan", "amount": "5"})),
    "ledger.entries": expect(members(200)),
    # The entry is the organizer's expense, split among every member.
    "ledger.entry": expect(members(200), ids=LEDGER_ENTRY),
    "ledger.correct_entry": expect(
        organizers(200), json=_body({"description": "gasoil"}), ids=LEDGER_ENTRY
    ),
    # The organizer paid it and shared it among every member: the others it charges dispute it.
    "ledger.dispute_entry": expect(
        (401, 404, 201, 403, 201, 404, 404), json=_body({"reason": "no fui"}), ids=LEDGER_ENTRY
    ),
    "ledger.confirm_entry": expect(
        organizers(200),
        json=_body({"reason": "sí fue"}),
        ids=LEDGER_ENTRY,
        given=_with_open_dispute,
    ),
    "ledger.reverse_entry": expect(
        organizers(200), json=_body({"reason": "duplicada"}), ids=LEDGER_ENTRY
    ),
    "ledger.attach_receipt": expect(organizers(201), files=PNG_FILE, ids=LEDGER_ENTRY),
    "ledger.receipt": expect(members(200), ids=LEDGER_ENTRY),
    "ledger.budget": expect(organizers(200)),
    "ledger.set_budget": expect(
        organizers(200), json=_body({"lines": [{"kind": "expense", "planned": "50"}]})
    ),
    "ledger.settings": expect(members(200)),
    "ledger.change_settings": expect(organizers(200), json=_body({"visibility": "members"})),
    "ledger.report": expect(organizers(200)),
    "ledger.report_totals": expect(organizers(200)),
    "ledger.open_positions": expect(any_user(200)),
    "ledger.balances": expect(members(200)),
    "ledger.settlement": expect(members(200)),
    "ledger.settle_up": expect(organizers(201), json=_body({}), given=_with_ledger_entry),
    # Any member records a payment they made (here to the treasury, whom nobody is).
    "ledger.record_payment": expect(members(201), json=_body({"to": "treasury", "amount": "5"})),
    "ledger.audit": expect(organizers(200)),
    "ledger.export_json": expect(organizers(200)),
    "ledger.export_csv": expect(organizers(200)),
    "ledger.import_csv": expect(
        organizers(201), files={"file": ("ledger.csv", LEDGER_CSV, "text/csv")}
    ),
    # A look at another app's export (the default, dry_run): nothing is stored.
    "ledger.import_from_app": expect(
        organizers(200), files={"file": ("splitwise.csv", SPLITWISE_CSV, "text/csv")}
    ),
    "ledger.export_ihatemoney": expect(organizers(200)),
    # ---- the agenda ---------------------------------------------------------------------
    "agenda.list_places": expect(members(200)),
    "agenda.add_place": expect(organizers(201), json=_body({"name": "Collado"})),
    "agenda.change_place": expect(organizers(200), json=_body({"capacity": 20})),
    "agenda.remove_place": expect(organizers(204)),
    "agenda.list_activities": expect(members(200)),
    "agenda.add_activity": expect(organizers(201), json=lambda w: w.activity_body),
    "agenda.get_activity": expect(members(200)),
    "agenda.change_activity": expect(organizers(200), json=_body({"title": "Otro"})),
    "agenda.cancel_activity": expect(organizers(200)),
    "agenda.remove_activity": expect(organizers(204)),
    "agenda.find_conflicts": expect(members(200)),
    "agenda.now_and_next": expect(members(200)),
    "agenda.schedule_export": expect(members(200)),
    "agenda.feed_token": expect(members(200), given=_with_feed_token),
    "agenda.issue_feed_token": expect(members(201)),
    "agenda.revoke_feed_token": expect(members(204), given=_with_feed_token),
}
"""The rows of the declared operations, by ``service.operation``: their endpoints come from the
declarations (``tripbot.gateway.api.DECLARED``), so a newly declared operation has a row here or
the matrix fails naming it."""

EVENT_GEAR_ITEM = {"item_id": "event_item_id", "unit_id": "event_unit_id"}

EVENT_GEAR: dict[str, Expect] = {
    "gear.items": expect(members(200), params=lambda w: {"event_id": w.event_id}),
    "gear.create_item": expect(
        organizers(201),
        json=lambda w: {
            "name": "Cuerda",
            "category": "Climbing",
            "quantity": 2,
            "event_id": w.event_id,
        },
    ),
    "gear.export_items": expect(members(200), params=lambda w: {"event_id": w.event_id}),
    "gear.import_items": expect(
        organizers(201),
        params=lambda w: {"event_id": w.event_id},
        files={"file": ("inventory.csv", INVENTORY_CSV, "text/csv")},
    ),
    "gear.item": expect(members(200), ids=EVENT_GEAR_ITEM),
    "gear.update_item": expect(
        organizers(200), json=_body({"description": "x"}), ids=EVENT_GEAR_ITEM
    ),
    "gear.retire_item": expect(organizers(204), ids={"item_id": "event_spare_item_id"}),
    "gear.photo": expect(members(200), ids=EVENT_GEAR_ITEM),
    "gear.set_photo": expect(
        organizers(200), files={"photo": ("tent.png", PNG, "image/png")}, ids=EVENT_GEAR_ITEM
    ),
    "gear.delete_photo": expect(organizers(204), ids=EVENT_GEAR_ITEM),
    "gear.availability": expect(
        members(200), params=lambda w: w.availability_query, ids=EVENT_GEAR_ITEM
    ),
    "gear.history": expect(members(200), ids=EVENT_GEAR_ITEM),
    "gear.units": expect(members(200), ids=EVENT_GEAR_ITEM),
    "gear.add_unit": expect(organizers(201), json=_body({"label": "E3"}), ids=EVENT_GEAR_ITEM),
    "gear.update_unit": expect(organizers(200), json=_body({"notes": "x"}), ids=EVENT_GEAR_ITEM),
    "gear.retire_unit": expect(organizers(204), ids=EVENT_GEAR_ITEM),
    # Any member reserves the event's gear for themselves.
    "gear.reserve": expect(
        members(201),
        json=lambda w: {
            "item_id": w.event_stove_id,
            "start_date": w.reservation_body["start_date"],
            "end_date": w.reservation_body["end_date"],
        },
    ),
    # The participant's own reservation of an event stove.
    "gear.reservation": expect(members(200), ids={"reservation_id": "event_reservation_id"}),
    "gear.cancel": expect(members(200), ids={"reservation_id": "event_reservation_id"}),
    "gear.check_out": expect(
        organizers(201), json=lambda w: {"reservation_id": w.event_reservation_id}
    ),
    "gear.loans": expect(members(200), params=lambda w: {"scope": "event", "event_id": w.event_id}),
    "gear.check_in": expect(
        organizers(200), json=_body({"note": "seco"}), ids={"loan_id": "event_loan_id"}
    ),
}
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


# ---- the declared operations' rows -------------------------------------------------------

ACCESS_SAYS: dict[Access, dict[str, Outcome]] = {
    Access.USER: {"anonymous": 401},
    # The world's gear keeper and administrator are not members of its event either.
    Access.EVENT: {"anonymous": 401, "non_member": 404, "gear_keeper": 404, "admin": 404},
}
"""What an operation's declared access settles before its use case runs; ``Access.ANYONE``
settles that nobody is refused for not being logged in."""

SUGGESTION = {Access.ANYONE: "everyone", Access.USER: "any_user", Access.EVENT: "members"}


def declared_operations() -> dict[str, Operation[Any, Any]]:
    """Every operation the gateway serves publicly from a declaration, by ``service.name``."""
    return {
        f"{operation.service}.{operation.name}": operation
        for client in DECLARED
        for operation in client.operations
        if operation.public_path is not None
    }


def _plain(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)


def _declared_row(
    name: str, operation: Operation[Any, Any], hand: Expect, variant: str = ""
) -> Row:
    rule = PUBLIC_URL_PREFIX + _plain(operation.public_path or "")
    return Row(
        operation.method,
        rule,
        hand.outcomes,
        json=hand.json,
        params=hand.params,
        files=hand.files,
        ids=hand.ids,
        given=hand.given,
        variant=variant,
        operation=name,
    )


@dataclass(frozen=True)
class Missing:
    """A declared operation nobody said who may call: its cell fails, naming it."""

    name: str
    operation: Operation[Any, Any]

    @property
    def message(self) -> str:
        """What is missing and what to add."""
        op = self.operation
        start = f"{SUGGESTION[op.access]}({op.status})"
        endpoint = f"{op.method} {PUBLIC_URL_PREFIX}{op.public_path}"
        return (
            f"{self.name} ({endpoint}, Access.{op.access.name})"
            " has no row in the permission matrix: add to DECLARED_ROWS in "
            f'tests/gateway/test_permission_matrix.py `"{self.name}": expect({start}, ...)` '
            f"with the status each of {', '.join(ACTORS)} gets (a tuple in that order, or "
            "everyone/any_user/members/organizers/owners/keepers/admins) and the json=, "
            "params=, files=, ids= or given= a valid request needs."
        )


def _declared() -> tuple[list[Row], list[Missing]]:
    operations = declared_operations()
    rows, missing = [], []
    for name, operation in operations.items():
        if name in DECLARED_ROWS:
            rows.append(_declared_row(name, operation, DECLARED_ROWS[name]))
        else:
            missing.append(Missing(name, operation))
    for name, hand in EVENT_GEAR.items():
        if name in operations:
            rows.append(_declared_row(name, operations[name], hand, variant="event gear"))
    return rows, missing


DECLARED_MATRIX, MISSING = _declared()
"""The declared operations' rows (with ``EVENT_GEAR``), and the operations without one."""


def all_rows() -> list[Row]:
    """Every row of the matrix: the gateway's own routes and the declared operations."""
    return MATRIX + DECLARED_MATRIX


def _cells() -> list[Any]:
    cells: list[Any] = [
        pytest.param("sqlite", missing, "-", id=f"sqlite-no row for {missing.name}")
        for missing in MISSING
    ]
    for backend in ("sqlite", "postgresql"):
        marks = [pytest.mark.postgres] if backend == "postgresql" else []
        for entry in all_rows():
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
def test_permission(system: System, http: httpx.Client, entry: Row | Missing, actor: str) -> None:
    if isinstance(entry, Missing):
        pytest.fail(entry.message)
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
        if not rule.rule.startswith(f"{PUBLIC_URL_PREFIX}/"):
            continue
        plain = _plain(rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, plain))
    return found


def test_every_declared_operation_has_a_row() -> None:
    missing = "\n".join(entry.message for entry in MISSING)
    assert not missing, missing
    operations = declared_operations()
    gone = sorted(set(DECLARED_ROWS) - set(operations))
    assert not gone, f"rows in DECLARED_ROWS for operations no longer declared: {gone}"
    gone = sorted(set(EVENT_GEAR) - set(operations))
    assert not gone, f"rows in EVENT_GEAR for operations no longer declared: {gone}"
    gear = sorted(name for name in EVENT_GEAR if not name.startswith("gear."))
    assert not gear, f"EVENT_GEAR rows that are not the gear service's: {gear}"


def test_rows_agree_with_the_declared_access() -> None:
    operations = declared_operations()
    wrong = []
    for entry in DECLARED_MATRIX:
        access = operations[entry.operation].access
        for actor, settled in ACCESS_SAYS.get(access, {}).items():
            if entry.expected(actor) != settled:
                wrong.append(
                    f"{entry.operation} (Access.{access.name}): {actor} must get {settled}, "
                    f"the row says {entry.expected(actor)}"
                )
        if access is Access.ANYONE:
            wrong += [
                f"{entry.operation} (anyone): {actor} is not refused for not being logged in"
                for actor in ACTORS
                if entry.expected(actor) == 401
            ]
    assert not wrong, "rows that contradict their operation's declared access:\n" + "\n".join(wrong)


def test_every_endpoint_has_exactly_one_row(system: System) -> None:
    keys = [entry.key for entry in all_rows() if not entry.variant]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    declared = {entry.key: entry.operation for entry in DECLARED_MATRIX if not entry.variant}
    moved = sorted(f"{key} is {declared[key]}" for key in twice if key in declared)
    assert not moved, (
        f"rows in MATRIX for declared operations (move them to DECLARED_ROWS): {moved}"
    )
    assert not twice, f"endpoints with more than one row: {twice}"
    endpoints = _endpoints(system)
    unlisted = sorted(entry.name for entry in MISSING)
    assert not unlisted, f"declared operations without a row in DECLARED_ROWS: {unlisted}"
    missing = sorted(endpoints - set(keys))
    assert not missing, f"endpoints without a row in MATRIX (say who may call them): {missing}"
    gone = sorted(set(keys) - endpoints)
    assert not gone, f"rows in MATRIX for endpoints that no longer exist: {gone}"
    assert set(keys) >= POSTGRES_ROWS, sorted(POSTGRES_ROWS - set(keys))
    assert {entry.key for entry in DECLARED_MATRIX if entry.variant} <= endpoints
