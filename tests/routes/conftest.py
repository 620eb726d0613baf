"""Fixtures of the routes service tests: its own database, and the events service stood in for
at its client boundary (who exists, which events, who has which role in each)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.standins import Town, local_runtime, single_database
from tripbot.events.schemas import EventOut, UserOut
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.settings import Settings


@dataclass
class World:
    """The routes database, and the people and events the stand-in events service knows."""

    runtime: ServiceRuntime
    town: Town
    admin: UserOut | None = None
    _ids: list[int] = field(default_factory=list)

    @property
    def routes(self) -> Database:
        """The routes service's database."""
        return self.runtime.database

    def _next(self) -> int:
        self._ids.append(len(self._ids) + 1)
        return self._ids[-1]

    def person(self, role: str = "member") -> UserOut:
        """A new account."""
        user_id = self._next()
        name = f"Persona {user_id}"
        self.town.person(user_id, name, role)
        return UserOut(
            id=user_id,
            email=f"person{user_id}@club.example",
            display_name=name,
            role=role,
            language="es",
            created_at=datetime(2027, 1, 1, tzinfo=UTC),
        )

    def event(self, owner: UserOut, **overrides: Any) -> EventOut:
        """An event (an excursion unless told otherwise) owned by someone."""
        event_id = self._next()
        self.town.event(event_id, owner=self.principal(owner), **overrides)
        return self.town.events[event_id]

    def member(self, event: EventOut, owner: UserOut, role: str = "participant") -> UserOut:
        """A new account that joined an event with a role."""
        user = self.person()
        self.town.join(event.id, self.principal(user), role)
        return user

    def principal(self, user: UserOut, event: EventOut | None = None, role: str = "") -> Principal:
        """Who a call is made for, with their role in an event as the gateway would say it."""
        principal = Principal(user_id=user.id, language=user.language, instance_role=user.role)
        if event is None:
            return principal
        return replace(principal, event_id=event.id, event_role=role)

    def call(self, principal: Principal) -> Call:
        """A call of a routes use case for a principal, in the routes service."""
        return Call(principal, self.runtime)


@pytest.fixture
def database(
    backend: str,
    _single_databases: dict[tuple[str, str], Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """The routes service's own migrated, empty database on the test's backend."""
    return single_database("routes", backend, _single_databases, tmp_path_factory)


@pytest.fixture
def world(database: Database, settings: Settings) -> World:
    """The routes service on its database, with the instance's admin as its first account (so
    the people tests make are members)."""
    town = Town()
    made = World(local_runtime("routes", database, town, settings), town)
    made.admin = made.person("admin")
    return made
