"""Fixtures of the agenda service tests: a club with people of every role around one event, and
a way to call the agenda's use cases as any of them (the events service stood in for at its
client boundary)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import pytest
from sqlalchemy import func, select

from tests.standins import Town, local_runtime, single_database
from tripbot.agenda.models import outbox
from tripbot.agenda.service.access import POLICY, AgendaPolicy
from tripbot.events.schemas import EventOut
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")
ROLES: dict[str, str | None] = {
    "owner": "owner",
    "organizer": "organizer",
    "participant": "participant",
    "outsider": None,
}
EVENT_ID = 7


@dataclass(frozen=True)
class Person:
    """Someone around the event, as the events service would name them."""

    id: int
    display_name: str

    @property
    def principal(self) -> Principal:
        """Their principal, outside any event."""
        return Principal(user_id=self.id)


@dataclass
class Club:
    """An event with its owner, an organizer, a participant and an outsider, and the agenda
    service to call as any of them (the town standing in for the events service)."""

    town: Town
    runtime: ServiceRuntime
    event: EventOut
    people: dict[str, Person]
    policy: AgendaPolicy

    @property
    def database(self) -> Database:
        """The agenda service's database."""
        return self.runtime.database

    @property
    def settings(self) -> Settings:
        """The settings the agenda service runs with."""
        return self.runtime.settings

    def new_event(self, event_id: int, name: str, owner: str) -> EventOut:
        """Another event, owned by one of the people."""
        self.town.event(event_id, name, owner=self.people[owner].principal)
        return self.town.events[event_id]

    def rename_event(self, name: str) -> None:
        """The event's owners rename it in the events service."""
        self.event = self.event.model_copy(update={"name": name})
        self.town.events[self.event.id] = self.event

    def leave(self, who: str) -> None:
        """One of the people leaves the event."""
        self.town.leave(self.event.id, self.people[who].principal)

    def principal(self, who: str) -> Principal:
        """The principal the gateway would send for this person (their role in the event)."""
        role = ROLES[who]
        return Principal(
            user_id=self.people[who].id,
            event_id=self.event.id if role else None,
            event_role=role,
        )

    def run(
        self,
        who: str,
        use_case: Callable[Concatenate[Call, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Call a use case as one of the people, in the service as its client would."""
        return use_case(Call(self.principal(who), self.runtime), *args, **kwargs)

    def count(self, table: Any) -> int:
        """How many rows a table of the agenda service holds."""
        with self.database.unit_of_work() as uow:
            return uow.session.scalar(select(func.count()).select_from(table)) or 0

    def changes(self) -> list[tuple[str, dict[str, Any]]]:
        """The outbox, oldest first: (topic, payload)."""
        with self.database.unit_of_work() as uow:
            rows = uow.session.execute(
                select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id)
            )
            return [(row.topic, row.payload) for row in rows]


@pytest.fixture
def database(
    backend: str,
    _single_databases: dict[tuple[str, str], Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """The agenda service's own migrated, empty database on the test's backend."""
    return single_database("agenda", backend, _single_databases, tmp_path_factory)


@pytest.fixture
def club(database: Database, settings: Settings) -> Club:
    """An event (1 May 2027, 08:00-18:00 in Madrid) and one person of each kind."""
    town = Town()
    names = {"owner": "Olga", "organizer": "Óscar", "participant": "Ana", "outsider": "Eva"}
    people = {who: Person(user_id, name) for user_id, (who, name) in enumerate(names.items(), 1)}
    for person in people.values():
        town.person(person.id, person.display_name)
    town.event(
        EVENT_ID,
        "Ruta del Cares",
        starts_at=datetime.fromisoformat("2027-05-01T08:00:00+02:00"),
        ends_at=datetime.fromisoformat("2027-05-01T18:00:00+02:00"),
        owner=people["owner"].principal,
        organizer=people["organizer"].principal,
        participant=people["participant"].principal,
    )
    event = town.events[EVENT_ID].model_copy(
        update={"description": "Poncebos - Caín", "place": "Poncebos"}
    )
    town.events[EVENT_ID] = event
    runtime = local_runtime("agenda", database, town, settings)
    agenda_policy = runtime.extras[POLICY]
    assert isinstance(agenda_policy, AgendaPolicy)
    return Club(town, runtime, event, people, agenda_policy)
