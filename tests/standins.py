"""What service tests stand on: one service's own database, and a stand-in for the events
service at its client boundary (who is called what, which events exist, who has which role).

Each service's use cases are tested through its client over the in-process transport, as the
gateway and the bot call them, without building the rest of the system.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from tests.databases import (
    SERVICE_METADATA,
    create_postgres_database,
    drop_postgres_database,
    worker_id,
)
from tripbot.events.schemas import EventOut, GuestCreate, MemberOut, MembershipOut, UserOut
from tripbot.platform.client import LocalTransport, ServiceClient
from tripbot.platform.db import Database
from tripbot.platform.errors import Message, NotAuthenticated, NotFound, PermissionDenied
from tripbot.platform.identity import Principal
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.settings import Settings
from tripbot.system import DEFINITIONS, migrate

ClientT = TypeVar("ClientT", bound=ServiceClient)
CREATED = datetime(2027, 1, 1, tzinfo=UTC)


@dataclass
class Town:
    """What the events service would say: people, events and who has which role in each."""

    names: dict[int, str] = field(default_factory=dict)
    instance_roles: dict[int, str] = field(default_factory=dict)
    events: dict[int, EventOut] = field(default_factory=dict)
    roles: dict[tuple[int, int], str] = field(default_factory=dict)

    def person(self, user_id: int, name: str, instance_role: str = "member") -> Principal:
        """Someone who exists, as the principal of their calls."""
        self.names[user_id] = name
        self.instance_roles[user_id] = instance_role
        return Principal(user_id=user_id, instance_role=instance_role)

    def event(
        self,
        event_id: int,
        name: str = "Picos de Europa",
        *,
        starts_at: datetime = datetime(2027, 5, 1, 7, tzinfo=UTC),
        ends_at: datetime = datetime(2027, 5, 3, 18, tzinfo=UTC),
        timezone: str = "Europe/Madrid",
        currency: str = "EUR",
        kind: str = "excursion",
        **members: Principal,
    ) -> None:
        """An event and its members by role name (``owner=..., participant_2=...``)."""
        self.events[event_id] = EventOut(
            id=event_id,
            name=name,
            kind=kind,
            description="",
            place="",
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=timezone,
            currency=currency,
            my_role="system",
            member_count=0,
            created_at=CREATED,
        )
        for role, principal in members.items():
            self.join(event_id, principal, role.rstrip("_0123456789"))

    def join(self, event_id: int, principal: Principal, role: str = "participant") -> None:
        """Someone becomes a member of an event."""
        assert principal.user_id is not None
        self.roles[(event_id, principal.user_id)] = role

    def leave(self, event_id: int, principal: Principal) -> None:
        """Someone leaves an event."""
        assert principal.user_id is not None
        del self.roles[(event_id, principal.user_id)]

    def in_event(self, principal: Principal, event_id: int) -> Principal:
        """The principal with their role in an event, as the gateway puts it in the token."""
        role = self.roles.get((event_id, principal.user_id or 0))
        return replace(principal, event_id=event_id if role else None, event_role=role)

    def seen_by(self, principal: Principal) -> TownHall:
        """The events service as one caller sees it."""
        return TownHall(self, principal)


@dataclass
class TownHall:
    """The events service's client, as seen by one caller (what other services ask of it)."""

    town: Town
    principal: Principal

    def _role(self, event_id: int) -> str:
        role = self.town.roles.get((event_id, self.principal.user_id or 0))
        if self.principal.system:
            role = "system"
        if role is None or event_id not in self.town.events:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        return role

    def event(self, event_id: int) -> EventOut:
        """One event, with the caller's role."""
        role = self._role(event_id)
        count = sum(1 for (e, _u) in self.town.roles if e == event_id)
        return self.town.events[event_id].model_copy(
            update={"my_role": role, "member_count": count}
        )

    def members(self, event_id: int) -> list[MemberOut]:
        """An event's members."""
        self._role(event_id)
        return [
            MemberOut(user_id=u, display_name=self.town.names[u], role=r, joined_at=CREATED)
            for (e, u), r in sorted(self.town.roles.items())
            if e == event_id
        ]

    def add_guest(self, event_id: int, data: GuestCreate) -> MemberOut:
        """A person without an account added to an event by name (organizers)."""
        if self._role(event_id) not in ("owner", "organizer", "system"):
            raise PermissionDenied(Message("only an event organizer or above may add guests"))
        user_id = max(self.town.names, default=0) + 1
        self.town.names[user_id] = data.display_name
        self.town.roles[(event_id, user_id)] = "guest"
        return MemberOut(
            user_id=user_id, display_name=data.display_name, role="guest", joined_at=CREATED
        )

    def membership(self, event_id: int) -> MembershipOut:
        """The caller's role in an event."""
        role = self._role(event_id)
        return MembershipOut(event_id=event_id, user_id=self.principal.user_id or 0, role=role)

    def me(self) -> UserOut:
        """The caller's account."""
        user_id = self.principal.user_id
        if user_id is None or user_id not in self.town.names:
            raise NotAuthenticated(Message("log in first"))
        return UserOut(
            id=user_id,
            email=f"person{user_id}@club.example",
            display_name=self.town.names[user_id],
            role=self.town.instance_roles.get(user_id, "member"),
            language="es",
            created_at=CREATED,
        )

    def acting_for(self, principal: Principal) -> TownHall:
        """The same service seen by someone else."""
        return TownHall(self.town, principal)


def single_database(
    service: str,
    backend: str,
    made: dict[tuple[str, str], Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """The service's own migrated, empty database on a backend (and no other service's, so
    its tests neither wait for others to migrate nor see their state); ``made`` keeps them for
    the session."""
    if (service, backend) not in made:
        if backend == "postgresql":
            url = create_postgres_database(f"tripbot_test_{worker_id()}_{service}only")
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp(f'{service}-db') / f'{service}.db'}"
        created = Database(url)
        migrate(service, created)
        made[(service, backend)] = created
    found = made[(service, backend)]
    with found.engine.begin() as connection:
        for table in reversed(SERVICE_METADATA[service].sorted_tables):
            connection.execute(table.delete())
    return found


def drop_single_databases(made: dict[tuple[str, str], Database]) -> None:
    """Close the single-service databases of a session and drop the PostgreSQL ones."""
    for (service, backend), database in made.items():
        database.dispose()
        if backend == "postgresql":
            drop_postgres_database(f"tripbot_test_{worker_id()}_{service}only")


def local_runtime(
    service: str, database: Database, town: Town, settings: Settings
) -> ServiceRuntime:
    """A service's runtime on its database, the town standing in for the events service."""
    definition = DEFINITIONS[service]
    peers = {"events": town.seen_by} if "events" in definition.peers else {}
    return ServiceRuntime(service, settings, database, peers, definition.extras(settings))


def client_of(kind: type[ClientT], runtime: ServiceRuntime, principal: Principal) -> ClientT:
    """A service's client acting for a principal, calling its use cases in process."""
    return kind(LocalTransport(runtime), principal)
