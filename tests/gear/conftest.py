"""Fixtures of the gear service tests: its database on both backends, a fixed club day, and
a small stand-in for the events service (who is called what, who is in which event)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tripbot.gear.models import metadata
from tripbot.gear.service import Club, GearPolicy, Seat
from tripbot.platform.db import Database
from tripbot.platform.errors import NotFound
from tripbot.platform.identity import Principal
from tripbot.system import migrate

GEAR_ONLY = f"tripbot_test_{worker_id()}_gearonly"
TODAY = date(2027, 3, 1)
"""The club's today in these tests (a Monday)."""
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # 10:30 in Madrid, the club's zone


def day(offset: int) -> date:
    """A day counted from the club's today."""
    return TODAY + timedelta(days=offset)


@dataclass
class Town:
    """What the events service would say: names, events and roles."""

    names: dict[int, str] = field(default_factory=dict)
    events: dict[int, str] = field(default_factory=dict)
    roles: dict[tuple[int, int], str] = field(default_factory=dict)

    def person(self, user_id: int, name: str, instance_role: str = "member") -> Principal:
        """Someone who exists, as the principal of their calls."""
        self.names[user_id] = name
        return Principal(user_id=user_id, instance_role=instance_role)

    def event(self, event_id: int, name: str, **members: Principal) -> None:
        """An event and its members by role name (``organizer=..., participant=...``)."""
        self.events[event_id] = name
        for role, principal in members.items():
            assert principal.user_id is not None
            self.roles[(event_id, principal.user_id)] = role.rstrip("_0123456789")


@dataclass
class TownPeople:
    """The events service as seen by one caller."""

    town: Town
    user_id: int | None

    def my_name(self) -> str:
        """The caller's name."""
        assert self.user_id is not None
        return self.town.names[self.user_id]

    def name_of(self, user_id: int) -> str:
        """Someone's name."""
        if user_id not in self.town.names:
            raise NotFound(f"there is no user {user_id}", field="user_id")
        return self.town.names[user_id]

    def seat(self, event_id: int) -> Seat:
        """The caller's place in an event."""
        role = self.town.roles.get((event_id, self.user_id or 0))
        if role is None:
            raise NotFound(f"there is no event {event_id}")
        return Seat(event_id, self.town.events[event_id], role)


@dataclass
class Clubhouse:
    """The gear service's database, its rules on a fixed day, and the people around it."""

    database: Database
    town: Town
    policy: GearPolicy

    def club(self, principal: Principal) -> Club:
        """What a use case needs for a call made by ``principal``."""
        return Club(self.policy, TownPeople(self.town, principal.user_id))

    def on(self, today: date) -> Clubhouse:
        """The same club on another day."""
        moment = datetime.combine(today, NOW.timetz())
        return Clubhouse(
            self.database, self.town, GearPolicy(max_reservation_days=30, clock=lambda: moment)
        )


@pytest.fixture(scope="session")
def _gear_databases() -> Iterator[dict[str, Database]]:
    made: dict[str, Database] = {}
    yield made
    for backend, database in made.items():
        database.dispose()
        if backend == "postgresql":
            drop_postgres_database(GEAR_ONLY)


@pytest.fixture
def database(
    backend: str, _gear_databases: dict[str, Database], tmp_path_factory: pytest.TempPathFactory
) -> Database:
    """The gear service's migrated, empty database on the test's backend.

    Only the gear database: these tests need no other service's, so they neither wait for
    them to migrate nor depend on their state.
    """
    if backend not in _gear_databases:
        if backend == "postgresql":
            url = create_postgres_database(GEAR_ONLY)
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('gear-db') / 'gear.db'}"
        created = Database(url)
        migrate("gear", created)
        _gear_databases[backend] = created
    database = _gear_databases[backend]
    with database.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    return database


@pytest.fixture
def house(database: Database) -> Clubhouse:
    """The club on TODAY, reservations of at most 30 days."""
    policy = GearPolicy(max_reservation_days=30, clock=lambda: NOW)
    return Clubhouse(database, Town(), policy)
