"""Fixtures of the agenda service tests: a club with people of every role around one event, and
a way to call the agenda's use cases as any of them (its events peer answers for real)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import pytest
from apiflask import APIFlask
from sqlalchemy import func, select

from tests.builders import a_member_of, a_user, an_event_of
from tests.events.conftest import FAST_PASSWORDS
from tripbot.agenda.models import outbox
from tripbot.agenda.service.access import POLICY, AgendaPolicy
from tripbot.events.schemas import EventOut, UserOut
from tripbot.events.service import AccountPolicy
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.operations import Call
from tripbot.system import System

P = ParamSpec("P")
T = TypeVar("T")
ROLES: dict[str, str | None] = {
    "owner": "owner",
    "organizer": "organizer",
    "participant": "participant",
    "outsider": None,
}


@dataclass
class Club:
    """An event with its owner, an organizer, a participant and an outsider, and the agenda
    service of a running system to call as any of them."""

    system: System
    event: EventOut
    people: dict[str, UserOut]
    policy: AgendaPolicy

    @property
    def app(self) -> APIFlask:
        """The agenda service application."""
        return self.system.services["agenda"]

    @property
    def database(self) -> Database:
        """The agenda service's database."""
        return self.system.databases["agenda"]

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
        return use_case(Call(self.principal(who), self.system.runtimes["agenda"]), *args, **kwargs)

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
def club(system: System) -> Club:
    """An event (1 May 2027, 08:00-18:00 in Madrid) and one person of each kind."""
    events = system.databases["events"]
    policy = AccountPolicy(passwords=FAST_PASSWORDS)
    owner = a_user(events, policy, display_name="Olga")
    event = an_event_of(events, owner)
    people = {
        "owner": owner,
        "organizer": a_member_of(events, policy, event, owner, "organizer"),
        "participant": a_member_of(events, policy, event, owner),
        "outsider": a_user(events, policy),
    }
    agenda_policy = system.runtimes["agenda"].extras[POLICY]
    assert isinstance(agenda_policy, AgendaPolicy)
    return Club(system, event, people, agenda_policy)
