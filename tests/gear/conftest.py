"""Fixtures of the gear service tests: its database on both backends, a fixed club day, and
a small stand-in for the events service (who is called what, who is in which event)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, worker_id
from tests.standins import Town
from tripbot.gear.client import GearClient
from tripbot.gear.models import metadata
from tripbot.gear.rules import GearPolicy
from tripbot.gear.service.access import POLICY
from tripbot.platform.client import LocalTransport
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.settings import Settings
from tripbot.system import migrate

GEAR_ONLY = f"tripbot_test_{worker_id()}_gearonly"
TODAY = date(2027, 3, 1)
"""The club's today in these tests (a Monday)."""
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # 10:30 in Madrid, the club's zone


def day(offset: int) -> date:
    """A day counted from the club's today."""
    return TODAY + timedelta(days=offset)


@dataclass
class Clubhouse:
    """The gear service's database, its rules on a fixed day, and the people around it (the
    events service stood in for at its client boundary)."""

    database: Database
    town: Town
    policy: GearPolicy
    settings: Settings

    @cached_property
    def runtime(self) -> ServiceRuntime:
        """The gear service's runtime: its database, its rules, the town as the events service."""
        peers = {"events": self.town.seen_by}
        return ServiceRuntime("gear", self.settings, self.database, peers, {POLICY: self.policy})

    def club(self, principal: Principal) -> Call:
        """A call of a use case made by ``principal``."""
        return Call(principal, self.runtime)

    def gear(self, principal: Principal) -> GearClient:
        """The gear service's client acting for ``principal``, calling its use cases in process."""
        return GearClient(LocalTransport(self.runtime), principal)

    def on(self, today: date) -> Clubhouse:
        """The same club on another day."""
        moment = datetime.combine(today, NOW.timetz())
        policy = GearPolicy(max_reservation_days=30, clock=lambda: moment)
        return Clubhouse(self.database, self.town, policy, self.settings)


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
def house(database: Database, settings: Settings) -> Clubhouse:
    """The club on TODAY, reservations of at most 30 days."""
    policy = GearPolicy(max_reservation_days=30, clock=lambda: NOW)
    return Clubhouse(database, Town(), policy, settings)
