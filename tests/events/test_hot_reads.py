"""The reads every request makes of the events service — what an event is, someone's role in
it — answered in one query each, and asked once per request however many services need them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event

from tests.builders import a_member_of, a_user, an_event_of, as_principal, events_call
from tripbot.events import service
from tripbot.events.client import EventsClient
from tripbot.events.service import AccountPolicy
from tripbot.platform import memo
from tripbot.platform.client import LocalTransport
from tripbot.platform.db import Database
from tripbot.platform.errors import NotFound
from tripbot.platform.identity import ANONYMOUS, SYSTEM, Principal


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run on a database while the block runs (BEGIN aside)."""
    seen: list[str] = []

    def executed(*args: Any) -> None:
        if not str(args[2]).lstrip().upper().startswith("BEGIN"):
            seen.append(str(args[2]))

    sqlalchemy_event.listen(database.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        sqlalchemy_event.remove(database.engine, "before_cursor_execute", executed)


def test_an_event_is_read_with_the_askers_role_and_its_members_in_one_query(
    database: Database, policy: AccountPolicy
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    organizer = a_member_of(database, policy, event, owner, role="organizer")
    a_member_of(database, policy, event, owner)
    with statements(database) as seen:
        read = service.events.event(events_call(database, as_principal(organizer)), event.id)
    assert len(seen) == 1
    assert (read.my_role, read.member_count) == ("organizer", 3)
    assert read.model_dump(exclude={"my_role", "member_count"}) == event.model_dump(
        exclude={"my_role", "member_count"}
    )
    assert read.starts_at.utcoffset() is not None
    as_system = service.events.event(events_call(database, SYSTEM), event.id)
    assert (as_system.my_role, as_system.member_count) == ("system", 3)


@pytest.mark.parametrize("stranger", ["outsider", "anonymous", "system, no such event"])
def test_an_event_is_not_found_by_those_outside_it(
    database: Database, policy: AccountPolicy, stranger: str
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    event_id = event.id
    principal: Principal = {
        "outsider": as_principal(a_user(database, policy)),
        "anonymous": ANONYMOUS,
        "system, no such event": SYSTEM,
    }[stranger]
    if principal.system:
        event_id += 1000
    with pytest.raises(NotFound):
        service.events.event(events_call(database, principal), event_id)
    with pytest.raises(NotFound):
        service.members.membership(events_call(database, principal), event_id)


def test_a_role_is_read_in_one_query(database: Database, policy: AccountPolicy) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    participant = a_member_of(database, policy, event, owner)
    with statements(database) as seen:
        found = service.members.membership(
            events_call(database, as_principal(participant)), event.id
        )
    assert len(seen) == 1
    assert (found.event_id, found.user_id, found.role) == (event.id, participant.id, "participant")


def test_one_request_asks_for_an_event_once_whatever_role_its_services_were_given(
    database: Database, policy: AccountPolicy
) -> None:
    """The gateway asks as the person; the services it calls ask as the person with their
    role in the event: the events service reads no role from its callers, so one answer
    serves them all. Another person still gets their own answer."""
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    other = a_member_of(database, policy, event, owner)
    transport = LocalTransport(events_call(database).runtime)
    you = as_principal(owner)
    member = replace(you, event_id=event.id, event_role="owner")
    with memo.remembering(), statements(database) as seen:
        first = EventsClient(transport, you).event(event.id)
        again = EventsClient(transport, member).event(event.id)
        theirs = EventsClient(transport, as_principal(other)).event(event.id)
    assert len(seen) == 2
    assert again == first
    assert (first.my_role, theirs.my_role) == ("owner", "participant")
