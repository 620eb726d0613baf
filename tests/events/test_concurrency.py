"""Use cases racing each other on both databases: the invariants hold, nobody gets an error.

Each race is made to happen: a seam inside the use case waits until every thread has read what
it is about to change. A use case that locks properly makes the others wait instead, so the
barrier times out and they go through one at a time; one that does not lets them all through
together, and the invariant breaks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from tests.builders import (
    PASSWORD,
    a_member_of,
    a_token_request,
    a_user,
    an_event_of,
    an_invitation_to,
    as_principal,
    events_call,
)
from tripbot.events import service, store
from tripbot.events.models import Membership, User
from tripbot.events.schemas import (
    MemberRoleChange,
    TokenResolve,
    UserRegister,
    UserRoleChange,
)
from tripbot.platform.db import Database
from tripbot.platform.errors import (
    Conflict,
    DomainError,
    Gone,
    PermissionDenied,
)

T = TypeVar("T")
RACE_WAIT = 0.4
"""Seconds a thread waits at the seam for the others before going on alone."""


def _meet(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(RACE_WAIT)


def _after(barrier: threading.Barrier, function: Callable[..., T]) -> Callable[..., T]:
    """``function``, then wait for the other threads."""

    def wrapped(*args: Any, **kwargs: Any) -> T:
        result = function(*args, **kwargs)
        _meet(barrier)
        return result

    return wrapped


def _before(barrier: threading.Barrier, function: Callable[..., T]) -> Callable[..., T]:
    """Wait for the other threads, then ``function``."""

    def wrapped(*args: Any, **kwargs: Any) -> T:
        _meet(barrier)
        return function(*args, **kwargs)

    return wrapped


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls at once; each gives its result or the exception it raised."""

    def attempt(call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception as error:  # the test inspects what each thread got
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def _unexpected(results: list[object]) -> list[object]:
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]


def _one_succeeded_and_one_was_refused(results: list[object]) -> bool:
    # Whoever goes second was either demoted already (PermissionDenied: taking turns, as on
    # SQLite) or still an owner or admin seeing the other's demotion (Conflict: row locks).
    refused = [r for r in results if isinstance(r, (Conflict, PermissionDenied))]
    return len(refused) == 1 and sum(not isinstance(r, Exception) for r in results) == 1


def test_only_one_person_gets_the_last_use_of_an_invitation(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    invitation = an_invitation_to(database, event, owner, max_uses=1)
    guests = [a_user(database, policy) for _ in range(4)]
    barrier = threading.Barrier(len(guests))
    monkeypatch.setattr(store, "usable_invitation", _after(barrier, store.usable_invitation))
    results = _race(
        [
            lambda g=g: service.invitations.accept_invitation(  # type: ignore[misc]
                events_call(database, as_principal(g)), invitation.code
            )
            for g in guests
        ]
    )
    assert _unexpected(results) == []
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, Gone) for r in results) == len(guests) - 1
    with database.unit_of_work() as uow:
        members = uow.session.scalars(select(Membership.user_id)).all()
    assert len(members) == 2
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 1


def test_accepting_twice_at_once_joins_once(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    invitation = an_invitation_to(database, event, owner, max_uses=5)
    guest = a_user(database, policy)
    barrier = threading.Barrier(2)
    monkeypatch.setattr(store, "find_invitation", _after(barrier, store.find_invitation))
    accept = lambda: service.invitations.accept_invitation(  # noqa: E731
        events_call(database, as_principal(guest)), invitation.code
    )
    results = _race([accept, accept])
    assert _unexpected(results) == []
    assert [getattr(r, "role", r) for r in results] == ["participant", "participant"]
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 1


def test_only_one_newcomer_registers_with_the_last_use_of_an_invitation(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = a_user(database, policy)
    invitation = an_invitation_to(database, an_event_of(database, owner), owner, max_uses=1)
    barrier = threading.Barrier(3)
    monkeypatch.setattr(store, "usable_invitation", _after(barrier, store.usable_invitation))
    results = _race(
        [
            lambda: a_user(database, policy, invitation_code=invitation.code),
            lambda: a_user(database, policy, invitation_code=invitation.code),
            lambda: a_user(database, policy, invitation_code=invitation.code),
        ]
    )
    assert _unexpected(results) == []
    assert sum(isinstance(r, Gone) for r in results) == 2
    with database.unit_of_work() as uow:
        assert len(uow.session.scalars(select(User.id)).all()) == 2  # the owner and one newcomer


def test_two_owners_demoting_each_other_leave_one_owner(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = a_user(database, policy)
    event = an_event_of(database, ana)
    luis = a_member_of(database, policy, event, ana, "owner")
    barrier = threading.Barrier(2)
    monkeypatch.setattr(store, "owner_count", _after(barrier, store.owner_count))
    results = _race(
        [
            lambda: service.members.change_member_role(
                events_call(database, as_principal(ana)),
                event.id,
                luis.id,
                MemberRoleChange(role="organizer"),
            ),
            lambda: service.members.change_member_role(
                events_call(database, as_principal(luis)),
                event.id,
                ana.id,
                MemberRoleChange(role="organizer"),
            ),
        ]
    )
    assert _unexpected(results) == []
    assert _one_succeeded_and_one_was_refused(results)
    members = service.members.members(events_call(database, as_principal(ana)), event.id)
    assert sorted(m.role for m in members) == ["organizer", "owner"]


def test_two_owners_leaving_at_once_leave_one_owner(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = a_user(database, policy)
    event = an_event_of(database, ana)
    luis = a_member_of(database, policy, event, ana, "owner")
    barrier = threading.Barrier(2)
    monkeypatch.setattr(store, "owner_count", _after(barrier, store.owner_count))
    results = _race(
        [
            lambda: service.members.remove_member(
                events_call(database, as_principal(ana)), event.id, ana.id
            ),
            lambda: service.members.remove_member(
                events_call(database, as_principal(luis)), event.id, luis.id
            ),
        ]
    )
    assert _unexpected(results) == []
    assert sum(isinstance(r, Conflict) for r in results) == 1
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(Membership.role)).all() == ["owner"]


def test_two_admins_demoting_each_other_leave_one_admin(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = a_user(database, policy)
    luis = a_user(database, policy)
    service.accounts.change_user_role(
        events_call(database, as_principal(ana)), luis.id, UserRoleChange(role="admin")
    )
    barrier = threading.Barrier(2)
    monkeypatch.setattr(store, "admin_count", _after(barrier, store.admin_count))
    results = _race(
        [
            lambda: service.accounts.change_user_role(
                events_call(database, as_principal(ana)), luis.id, UserRoleChange(role="member")
            ),
            lambda: service.accounts.change_user_role(
                events_call(database, as_principal(luis)), ana.id, UserRoleChange(role="member")
            ),
        ]
    )
    assert _unexpected(results) == []
    assert _one_succeeded_and_one_was_refused(results)
    with database.unit_of_work() as uow:
        assert sorted(uow.session.scalars(select(User.role)).all()) == ["admin", "member"]


def test_one_token_used_by_parallel_requests_works_for_all(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = a_user(database, policy)
    token = service.tokens.create_token(events_call(database), a_token_request(user))
    barrier = threading.Barrier(3)
    monkeypatch.setattr(store, "user", _before(barrier, store.user))
    results = _race(
        [
            lambda: service.tokens.resolve_token(
                events_call(database), TokenResolve(token=token.token)
            )
        ]
        * 3
    )
    assert results == [user, user, user]


def test_two_first_registrations_at_once_make_one_admin(
    database: Database, policy: service.AccountPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2)
    monkeypatch.setattr(store, "is_first_account", _after(barrier, store.is_first_account))
    results = _race(
        [
            lambda n=n: service.accounts.register(  # type: ignore[misc]
                events_call(database, policy=policy),
                UserRegister(email=f"first{n}@club.example", password=PASSWORD, display_name="F"),
            )
            for n in range(2)
        ]
    )
    assert _unexpected(results) == []
    assert sorted(getattr(r, "role", "?") for r in results) == ["admin", "member"]
