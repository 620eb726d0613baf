"""Telegram links and the bot's system calls of the events service, on both databases.

The use cases are called directly; the HTTP surface is exercised through ``EventsClient``,
the same client the bot uses, so its paths, bodies and answers are checked too.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from pydantic import ValidationError
from sqlalchemy import delete, func, select, update

from tests.builders import a_member_of, a_user, an_event_of, as_principal, events_call
from tests.events.test_concurrency import _after, _race, _unexpected
from tests.problems import assert_problem, invalid_fields
from tripbot.events import service, store
from tripbot.events.client import EventsClient
from tripbot.events.models import Membership, TelegramCode, TelegramLink, User, outbox
from tripbot.events.schemas import (
    EventJoin,
    MemberAdded,
    TelegramLinkCreate,
    TelegramLinkQuery,
    UpcomingQuery,
    UserOut,
)
from tripbot.platform.db import Database
from tripbot.platform.errors import (
    Gone,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import ANONYMOUS, SYSTEM, Destination, Principal
from tripbot.system import System, signer_for

Policy = service.AccountPolicy
TELEGRAM_ID = 7_000_000_123
"""Above 2**31: Telegram ids do not fit PostgreSQL's integer, the column must be bigint."""


def _code(database: Database, user: Any) -> str:
    return service.telegram.create_telegram_link_code(
        events_call(database, as_principal(user))
    ).code


def _link(database: Database, code: str, telegram_user_id: int = TELEGRAM_ID) -> Any:
    data = TelegramLinkCreate(code=code, telegram_user_id=telegram_user_id)
    return service.telegram.link_telegram(events_call(database, SYSTEM), data)


def _join(user: UserOut) -> EventJoin:
    return EventJoin(user_id=user.id)


def _rows(database: Database, model: type[object]) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _topics(database: Database) -> list[str]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(outbox.c.topic).order_by(outbox.c.id)))


# ---- link codes and linking ----------------------------------------------------------------


def test_a_link_code_links_the_telegram_account_that_sends_it(
    database: Database, policy: Policy
) -> None:
    ana = a_user(database, policy)
    before = datetime.now(UTC)
    created = service.telegram.create_telegram_link_code(events_call(database, as_principal(ana)))
    assert len(created.code) >= 20
    assert set(created.code) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    )
    lifetime = created.expires_at - before
    assert timedelta(minutes=9, seconds=59) < lifetime <= timedelta(minutes=10, seconds=5)
    with database.unit_of_work() as uow:
        stored = uow.session.scalars(select(TelegramCode.code_hash)).all()
    assert stored == [hashlib.sha256(created.code.encode()).hexdigest()]  # never the code itself

    status = service.telegram.telegram_status(events_call(database, as_principal(ana)))
    assert (status.linked, status.linked_at) == (False, None)

    linked = _link(database, created.code)
    assert (linked.user.id, linked.user.email, linked.telegram_user_id) == (
        ana.id,
        ana.email,
        TELEGRAM_ID,
    )
    status = service.telegram.telegram_status(events_call(database, as_principal(ana)))
    assert status.linked
    assert status.linked_at == linked.linked_at
    assert status.telegram_user_id == TELEGRAM_ID
    found = service.telegram.telegram_user(events_call(database, SYSTEM), str(TELEGRAM_ID))
    assert found == linked


def test_a_code_works_once(database: Database, policy: Policy) -> None:
    ana = a_user(database, policy)
    code = _code(database, ana)
    _link(database, code)
    with pytest.raises(Gone, match="already used; press Link Telegram again"):
        _link(database, code, TELEGRAM_ID + 1)
    assert (
        service.telegram.telegram_user(events_call(database, SYSTEM), str(TELEGRAM_ID)).user.id
        == ana.id
    )
    with pytest.raises(NotFound):
        service.telegram.telegram_user(events_call(database, SYSTEM), str(TELEGRAM_ID + 1))


def test_an_expired_code_is_refused_with_what_to_do(database: Database, policy: Policy) -> None:
    ana = a_user(database, policy)
    code = _code(database, ana)
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(TelegramCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    with pytest.raises(Gone, match="has expired; press Link Telegram again on the web"):
        _link(database, code)
    assert _rows(database, TelegramLink) == 0


def test_an_unknown_code_is_not_found(database: Database, policy: Policy) -> None:
    a_user(database, policy)
    with pytest.raises(NotFound, match="link code is unknown"):
        _link(database, "not-a-code-anyone-got")


def test_a_new_code_makes_the_older_unused_ones_stop_working(
    database: Database, policy: Policy
) -> None:
    ana = a_user(database, policy)
    first = _code(database, ana)
    second = _code(database, ana)
    with pytest.raises(Gone, match="expired"):
        _link(database, first)
    assert _link(database, second).user.id == ana.id
    third = _code(database, ana)
    # Spent and superseded codes of the person are cleared out, the live one kept.
    assert _rows(database, TelegramCode) == 1
    assert _link(database, third, TELEGRAM_ID + 5).telegram_user_id == TELEGRAM_ID + 5


def test_someone_elses_codes_are_untouched_by_mine(database: Database, policy: Policy) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    luis_code = _code(database, luis)
    _code(database, ana)
    assert _link(database, luis_code).user.id == luis.id


def test_a_telegram_account_moves_to_whoever_proves_it_last(
    database: Database, policy: Policy
) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    _link(database, _code(database, ana))
    moved = _link(database, _code(database, luis))
    assert moved.user.id == luis.id
    assert not service.telegram.telegram_status(events_call(database, as_principal(ana))).linked
    assert (
        service.telegram.telegram_user(events_call(database, SYSTEM), str(TELEGRAM_ID)).user.id
        == luis.id
    )
    assert _rows(database, TelegramLink) == 1


def test_linking_a_second_telegram_account_replaces_the_first(
    database: Database, policy: Policy
) -> None:
    ana = a_user(database, policy)
    _link(database, _code(database, ana))
    _link(database, _code(database, ana), TELEGRAM_ID + 1)
    assert service.telegram.telegram_status(
        events_call(database, as_principal(ana))
    ).telegram_user_id == (TELEGRAM_ID + 1)
    with pytest.raises(NotFound, match="not linked"):
        service.telegram.telegram_user(events_call(database, SYSTEM), str(TELEGRAM_ID))


def test_unlinking_is_idempotent(database: Database, policy: Policy) -> None:
    ana = a_user(database, policy)
    luis = a_user(database, policy)
    _link(database, _code(database, ana))
    _link(database, _code(database, luis), TELEGRAM_ID + 1)
    service.telegram.unlink_telegram(events_call(database, as_principal(ana)))
    service.telegram.unlink_telegram(events_call(database, as_principal(ana)))
    assert not service.telegram.telegram_status(events_call(database, as_principal(ana))).linked
    assert service.telegram.telegram_status(events_call(database, as_principal(luis))).linked


def test_only_the_system_links_and_looks_up_telegram_users(
    database: Database, policy: Policy
) -> None:
    ana = a_user(database, policy)
    code = _code(database, ana)
    data = TelegramLinkCreate(code=code, telegram_user_id=TELEGRAM_ID)
    for principal in (as_principal(ana), ANONYMOUS):
        with pytest.raises(PermissionDenied):
            service.telegram.link_telegram(events_call(database, principal), data)
        with pytest.raises(PermissionDenied):
            service.telegram.telegram_user(events_call(database, principal), str(TELEGRAM_ID))
        with pytest.raises(PermissionDenied):
            service.telegram.telegram_links(
                events_call(database, principal), TelegramLinkQuery(event_id=1)
            )
    assert _link(database, code).user.id == ana.id  # the refused attempts did not spend it


def test_an_anonymous_visitor_has_no_link_to_ask_about(database: Database) -> None:
    with pytest.raises(NotAuthenticated):
        service.telegram.create_telegram_link_code(events_call(database, ANONYMOUS))
    with pytest.raises(NotAuthenticated):
        service.telegram.telegram_status(events_call(database, ANONYMOUS))
    with pytest.raises(NotAuthenticated):
        service.telegram.unlink_telegram(events_call(database, ANONYMOUS))


def test_deleting_an_account_removes_its_link_and_codes(database: Database, policy: Policy) -> None:
    ana = a_user(database, policy)
    _link(database, _code(database, ana))
    _code(database, ana)
    assert (_rows(database, TelegramLink), _rows(database, TelegramCode)) == (1, 1)
    with database.unit_of_work() as uow:
        uow.session.execute(delete(User).where(User.id == ana.id))
        uow.commit()
    assert _rows(database, TelegramLink) == 0
    assert _rows(database, TelegramCode) == 0


@pytest.mark.parametrize("telegram_user_id", [0, -5, 2**53, 2**63])
def test_telegram_ids_out_of_range_are_not_found(database: Database, telegram_user_id: int) -> None:
    with pytest.raises(NotFound):
        service.telegram.telegram_user(events_call(database, SYSTEM), str(telegram_user_id))


def test_two_racing_starts_with_one_code_link_once(
    database: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = a_user(database, policy)
    code = _code(database, ana)
    barrier = threading.Barrier(2)
    # Both have hashed the code before either spends it.
    monkeypatch.setattr(
        service.telegram, "_code_hash", _after(barrier, service.telegram._code_hash)
    )
    results = _race([lambda: _link(database, code, TELEGRAM_ID), lambda: _link(database, code, 9)])
    assert _unexpected(results) == []
    assert sum(isinstance(r, Gone) for r in results) == 1
    assert _rows(database, TelegramLink) == 1


def test_two_people_racing_to_link_one_telegram_account_leave_one_link(
    database: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    codes = [_code(database, ana), _code(database, luis)]
    barrier = threading.Barrier(2)
    monkeypatch.setattr(
        service.telegram, "_spend_code", _after(barrier, service.telegram._spend_code)
    )
    results = _race([lambda c=c: _link(database, c) for c in codes])  # type: ignore[misc]
    assert _unexpected(results) == []
    assert not any(isinstance(r, Exception) for r in results)
    assert _rows(database, TelegramLink) == 1


# ---- the bot's event calls -----------------------------------------------------------------


def test_the_system_adds_a_participant_once_and_records_it(
    database: Database, policy: Policy
) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    joined = service.members.add_member(events_call(database, SYSTEM), event.id, _join(luis))
    assert joined.added
    assert (joined.event_id, joined.user_id, joined.role) == (event.id, luis.id, "participant")
    assert _topics(database) == ["member.joined"]
    again = service.members.add_member(events_call(database, SYSTEM), event.id, _join(luis))
    assert (again.role, again.added) == ("participant", False)
    owner = service.members.add_member(events_call(database, SYSTEM), event.id, _join(ana))
    assert (owner.role, owner.added) == ("owner", False)  # /join never demotes anyone
    assert _topics(database) == ["member.joined"]
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Membership)) == 2


def test_adding_a_member_refuses_people_and_unknowns(database: Database, policy: Policy) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    with pytest.raises(PermissionDenied):
        service.members.add_member(events_call(database, as_principal(ana)), event.id, _join(luis))
    with pytest.raises(NotFound, match="no event"):
        service.members.add_member(events_call(database, SYSTEM), event.id + 1000, _join(luis))
    with pytest.raises(NotFound, match="no user"):
        service.members.add_member(
            events_call(database, SYSTEM), event.id, EventJoin(user_id=luis.id + 1000)
        )
    assert _topics(database) == []


def test_two_joins_at_once_add_one_membership(
    database: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    barrier = threading.Barrier(2)
    # The first waits after inserting: without the event's row lock the second would check,
    # find nobody, and collide with the first's insert.
    monkeypatch.setattr(store, "changed", _after(barrier, store.changed))
    join = lambda: service.members.add_member(events_call(database, SYSTEM), event.id, _join(luis))  # noqa: E731
    results = _race([join, join])
    assert _unexpected(results) == []
    assert sorted(r.added for r in results if isinstance(r, MemberAdded)) == [False, True]
    assert _topics(database) == ["member.joined"]


def test_the_system_sees_any_event_and_its_members(database: Database, policy: Policy) -> None:
    ana = a_user(database, policy)
    event = an_event_of(database, ana)
    a_member_of(database, policy, event, ana)
    seen = service.events.event(events_call(database, SYSTEM), event.id)
    assert (seen.id, seen.my_role, seen.member_count) == (event.id, "system", 2)
    members = service.members.members(events_call(database, SYSTEM), event.id)
    assert [m.role for m in members] == ["owner", "participant"]
    with pytest.raises(NotFound):
        service.events.event(events_call(database, SYSTEM), event.id + 1000)
    with pytest.raises(NotFound):
        service.members.members(events_call(database, SYSTEM), event.id + 1000)
    outsider = a_user(database, policy)
    with pytest.raises(NotFound):  # people still see only their own events
        service.events.event(events_call(database, as_principal(outsider)), event.id)


def test_upcoming_events_are_those_starting_in_the_window(
    database: Database, policy: Policy
) -> None:
    ana = a_user(database, policy)
    start = datetime(2027, 5, 1, 6, 0, tzinfo=UTC)
    inside = an_event_of(
        database, ana, name="Cares", starts_at=start.isoformat(), ends_at=start.isoformat()
    )
    edge = start + timedelta(days=1)
    an_event_of(database, ana, name="Just after", starts_at=edge.isoformat(), ends_at=edge)
    earlier = start - timedelta(hours=1)
    first = an_event_of(database, ana, name="Before", starts_at=earlier, ends_at=earlier)
    window = UpcomingQuery(
        starts_after=start - timedelta(hours=2), starts_before=start + timedelta(days=1)
    )
    found = service.events.upcoming_events(events_call(database, SYSTEM), window)
    assert [e.id for e in found] == [first.id, inside.id]
    assert found[1].name == "Cares"
    assert found[1].starts_at == start
    assert found[1].currency == "EUR"
    with pytest.raises(PermissionDenied):
        service.events.upcoming_events(events_call(database, as_principal(ana)), window)


def test_telegram_links_of_an_event_are_its_linked_members(
    database: Database, policy: Policy
) -> None:
    ana, outsider = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    luis = a_member_of(database, policy, event, ana)
    a_member_of(database, policy, event, ana)  # a member who never linked Telegram
    _link(database, _code(database, ana), 11)
    _link(database, _code(database, luis), 22)
    _link(database, _code(database, outsider), 33)
    links = service.telegram.telegram_links(
        events_call(database, SYSTEM), TelegramLinkQuery(event_id=event.id)
    )
    assert [(link.user.id, link.telegram_user_id) for link in links] == [
        (ana.id, 11),
        (luis.id, 22),
    ]
    with pytest.raises(NotFound):
        service.telegram.telegram_links(
            events_call(database, SYSTEM), TelegramLinkQuery(event_id=event.id + 1000)
        )


# ---- over HTTP, through the client the bot uses --------------------------------------------


@pytest.fixture
def events_app(system: System) -> APIFlask:
    """The events service of the embedded system."""
    return system.services["events"]


def _client(system: System, principal: Principal) -> EventsClient:
    services = system.gateway.extensions["tripbot.services"]
    client: EventsClient = services.events(principal)
    return client


def _as(system: System, principal: Principal, method: str, path: str) -> dict[str, str]:
    settings = system.settings
    signer = signer_for(settings, "gateway")
    return {"Authorization": signer.header(principal, Destination.of("events", method, path))}


def test_the_client_links_and_the_bot_finds_the_person(system: System, policy: Policy) -> None:
    database = system.databases["events"]
    ana = a_user(database, policy)
    event = an_event_of(database, ana)
    mine = _client(system, as_principal(ana))
    bot = _client(system, SYSTEM)
    assert mine.telegram_status().linked is False
    code = mine.create_telegram_link_code()
    linked = bot.link_telegram(TelegramLinkCreate(code=code.code, telegram_user_id=TELEGRAM_ID))
    assert (linked.user.id, linked.telegram_user_id) == (ana.id, TELEGRAM_ID)
    assert bot.telegram_user(str(TELEGRAM_ID)) == linked
    assert [link.user.id for link in bot.telegram_links(TelegramLinkQuery(event_id=event.id))] == [
        ana.id
    ]
    assert mine.telegram_status().linked_at == linked.linked_at
    with pytest.raises(Gone, match="already used"):
        bot.link_telegram(TelegramLinkCreate(code=code.code, telegram_user_id=TELEGRAM_ID))
    mine.unlink_telegram()
    mine.unlink_telegram()
    assert mine.telegram_status().linked is False
    with pytest.raises(NotFound, match="not linked"):
        bot.telegram_user(str(TELEGRAM_ID))


def test_the_client_adds_members_and_lists_upcoming_events(system: System, policy: Policy) -> None:
    database = system.databases["events"]
    ana, luis = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    bot = _client(system, SYSTEM)
    assert bot.add_member(event.id, _join(luis)).role == "participant"
    assert bot.add_member(event.id, _join(ana)).role == "owner"
    assert bot.event(event.id).my_role == "system"
    assert {m.user_id for m in bot.members(event.id)} == {ana.id, luis.id}
    window = UpcomingQuery(
        starts_after=event.starts_at - timedelta(days=1),
        starts_before=event.starts_at + timedelta(1),
    )
    assert [e.id for e in bot.upcoming_events(window)] == [event.id]
    day = UpcomingQuery(starts_after=event.starts_at, starts_before=event.starts_at + timedelta(1))
    with pytest.raises(PermissionDenied):
        _client(system, as_principal(luis)).upcoming_events(day)


def test_joining_answers_201_then_200(system: System, policy: Policy) -> None:
    database = system.databases["events"]
    ana, luis = a_user(database, policy), a_user(database, policy)
    event = an_event_of(database, ana)
    service_client: FlaskClient = system.services["events"].test_client()
    url = f"/events/{event.id}/members"
    system_call = _as(system, SYSTEM, "POST", url)
    first = service_client.post(url, json={"user_id": luis.id}, headers=system_call)
    assert first.status_code == 201, first.text
    assert first.json == {"event_id": event.id, "user_id": luis.id, "role": "participant"}
    again_call = _as(system, SYSTEM, "POST", url)  # a token is good for one call only
    again = service_client.post(url, json={"user_id": luis.id}, headers=again_call)
    assert again.status_code == 200, again.text
    assert again.json == first.json
    refused = service_client.post(
        url, json={"user_id": luis.id}, headers=_as(system, Principal(user_id=ana.id), "POST", url)
    )
    assert_problem(refused, 403, "permission-denied", "TripBot's own components")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"code": "", "telegram_user_id": 1}, "code", id="empty-code"),
        pytest.param({"code": "x" * 65, "telegram_user_id": 1}, "code", id="long-code"),
        pytest.param({"code": "a b", "telegram_user_id": 1}, "code", id="space-in-code"),
        pytest.param({"code": "abc/../x", "telegram_user_id": 1}, "code", id="slash-in-code"),
        pytest.param({"code": "abc", "telegram_user_id": 0}, "telegram_user_id", id="zero-id"),
        pytest.param({"code": "abc", "telegram_user_id": -3}, "telegram_user_id", id="negative"),
        pytest.param({"code": "abc", "telegram_user_id": 2**53}, "telegram_user_id", id="2^53"),
        pytest.param({"code": "abc", "telegram_user_id": 1.5}, "telegram_user_id", id="fraction"),
        pytest.param({"code": "abc"}, "telegram_user_id", id="no-id"),
        pytest.param({"code": "abc", "telegram_user_id": 1, "x": 1}, "x", id="unknown-field"),
    ],
)
def test_bad_link_bodies_are_422_naming_the_field(
    system: System, body: dict[str, Any], field: str
) -> None:
    answer = (
        system.services["events"]
        .test_client()
        .post("/telegram/links", json=body, headers=_as(system, SYSTEM, "POST", "/telegram/links"))
    )
    problem = assert_problem(answer, 422, "invalid-input")
    assert field in invalid_fields(problem), problem


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="no-bounds"),
        pytest.param({"starts_after": "2027-05-01T00:00:00+00:00"}, id="one-bound"),
        pytest.param(
            {"starts_after": "2027-05-01T00:00:00", "starts_before": "2027-05-02T00:00:00"},
            id="naive",
        ),
        pytest.param(
            {"starts_after": "2027-05-02T00:00:00Z", "starts_before": "2027-05-01T00:00:00Z"},
            id="reversed",
        ),
        pytest.param(
            {"starts_after": "2027-05-01T00:00:00Z", "starts_before": "2027-06-01T00:00:01Z"},
            id="over-31-days",
        ),
        pytest.param({"starts_after": "tomorrow", "starts_before": "later"}, id="not-dates"),
    ],
)
def test_bad_upcoming_windows_are_422(system: System, query: dict[str, str]) -> None:
    answer = (
        system.services["events"]
        .test_client()
        .get(
            "/events/upcoming",
            query_string=query,
            headers=_as(system, SYSTEM, "GET", "/events/upcoming"),
        )
    )
    assert_problem(answer, 422, "invalid-input")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/events/1/members", {"user_id": 0}, id="join-user-zero"),
        pytest.param("POST", "/events/1/members", {"user_id": 2**31}, id="join-user-too-big"),
        pytest.param("POST", "/events/1/members", {}, id="join-no-user"),
        pytest.param("GET", "/telegram/links?event_id=0", None, id="links-event-zero"),
        pytest.param("GET", "/telegram/links?event_id=x", None, id="links-event-not-a-number"),
        pytest.param("GET", "/telegram/links", None, id="links-no-event"),
    ],
)
def test_bad_system_inputs_are_422(
    system: System, method: str, path: str, body: dict[str, Any] | None
) -> None:
    answer = (
        system.services["events"]
        .test_client()
        .open(path, method=method, json=body, headers=_as(system, SYSTEM, method, path))
    )
    assert_problem(answer, 422, "invalid-input")


@pytest.mark.parametrize("segment", ["abc", "12a", "-5", "0", "١٢", "9" * 30])
def test_telegram_user_paths_that_are_no_linked_id_are_404(system: System, segment: str) -> None:
    answer = (
        system.services["events"]
        .test_client()
        .get(
            f"/telegram/links/{segment}",
            headers=_as(system, SYSTEM, "GET", f"/telegram/links/{segment}"),
        )
    )
    assert_problem(answer, 404, "not-found", "not linked")


def test_people_cannot_use_the_system_calls_over_http(system: System, policy: Policy) -> None:
    database = system.databases["events"]
    ana = a_user(database, policy)
    person = _client(system, as_principal(ana))
    with pytest.raises(PermissionDenied):
        person.link_telegram(
            TelegramLinkCreate(
                code=person.create_telegram_link_code().code, telegram_user_id=TELEGRAM_ID
            )
        )
    with pytest.raises(PermissionDenied):
        person.telegram_user(str(TELEGRAM_ID))
    with pytest.raises(PermissionDenied):
        person.telegram_links(TelegramLinkQuery(event_id=1))
    with pytest.raises(NotAuthenticated):
        _client(system, ANONYMOUS).create_telegram_link_code()
    with pytest.raises(ValidationError, match="at most 31 days"):
        UpcomingQuery(
            starts_after=datetime(2027, 1, 1, tzinfo=UTC),
            starts_before=datetime(2027, 3, 1, tzinfo=UTC),
        )
