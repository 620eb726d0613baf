"""Who is asking is remembered for a few seconds (issue 14), never past a change: a revoked token,
a logged-out session, a removed member or a lowered role is refused by the very next request
through the gateway, on both databases; a change made elsewhere is noticed from the events
feed, and in any case within the cache's lifetime."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.builders import PASSWORD, Cast, a_cast_in, a_person_in, as_principal, events_call
from tests.gateway.test_web_pages import log_in, submit
from tests.problems import assert_problem
from tripbot.events.schemas import UserOut
from tripbot.events.service import members, tokens
from tripbot.gateway.identity_cache import EXTENSION, IdentityCache
from tripbot.platform.errors import Message, NotAuthenticated
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import FeedPage, FeedQuery
from tripbot.system import System


def _cache(system: System) -> IdentityCache:
    found: IdentityCache = system.gateway.extensions[EXTENSION]
    return found


def _balances(cast: Cast) -> str:
    """A read every member may make, with their role in the event."""
    return f"/api/v1/events/{cast.event['id']}/ledger/balances"


# ---- through the gateway ------------------------------------------------------------------------


def test_a_revoked_token_is_refused_by_the_next_request(system: System, http: httpx.Client) -> None:
    person = a_person_in(system)
    spare = http.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    spare_headers = {"Authorization": f"Bearer {spare.json()['token']}"}
    assert http.get("/api/v1/me", headers=spare_headers).status_code == 200  # now remembered
    assert http.get("/api/v1/me", headers=spare_headers).status_code == 200
    revoked = http.delete(f"/api/v1/me/tokens/{spare.json()['id']}", headers=person.headers)
    assert revoked.status_code == 204
    assert_problem(http.get("/api/v1/me", headers=spare_headers), 401, "not-authenticated")


def test_a_removed_member_is_refused_by_the_next_request(
    system: System, http: httpx.Client
) -> None:
    cast = a_cast_in(system)
    balances = _balances(cast)
    assert http.get(balances, headers=cast.participant.headers).status_code == 200  # remembered
    removed = http.delete(
        f"/api/v1/events/{cast.event['id']}/members/{cast.participant.id}",
        headers=cast.owner.headers,
    )
    assert removed.status_code == 204
    assert_problem(http.get(balances, headers=cast.participant.headers), 404, "not-found")


def test_a_lowered_role_holds_from_the_next_request(system: System, http: httpx.Client) -> None:
    cast = a_cast_in(system)
    audit = f"/api/v1/events/{cast.event['id']}/ledger/audit"  # organizers only, by default
    assert http.get(audit, headers=cast.organizer.headers).status_code == 200
    lowered = http.patch(
        f"/api/v1/events/{cast.event['id']}/members/{cast.organizer.id}",
        json={"role": "participant"},
        headers=cast.owner.headers,
    )
    assert lowered.status_code == 200
    assert_problem(http.get(audit, headers=cast.organizer.headers), 403, "permission-denied")


def test_a_logged_out_session_is_refused_by_the_next_request(system: System) -> None:
    person = a_person_in(system)
    browser = system.gateway.test_client()
    log_in(browser, person.email)
    cookie = browser.get_cookie("tripbot_session")
    assert cookie is not None
    thief = system.gateway.test_client()
    thief.set_cookie("tripbot_session", cookie.value)
    assert thief.get("/account").status_code == 200  # the session is now remembered
    submit(browser, "/logout")
    assert thief.get("/account").status_code == 302


def test_a_member_removed_outside_the_gateway_is_refused_once_the_feed_is_read(
    system: System, http: httpx.Client
) -> None:
    """The bot, or another gateway process, removed them: this process learns it from the
    events feed (its watcher reads it every second; here it is read at once)."""
    cast = a_cast_in(system)
    balances = _balances(cast)
    cache = _cache(system)
    cache.read_feed()  # where the feed is now
    assert http.get(balances, headers=cast.participant.headers).status_code == 200  # remembered
    owner = Principal(user_id=cast.owner.id)
    members.remove_member(
        events_call(system.databases["events"], owner), cast.event["id"], cast.participant.id
    )
    cache.read_feed()
    assert_problem(http.get(balances, headers=cast.participant.headers), 404, "not-found")


def test_a_token_revoked_outside_the_gateway_is_refused_within_the_lifetime(
    system: System, http: httpx.Client
) -> None:
    person = a_person_in(system)
    clock = [0.0]
    cache = _cache(system)
    feed, cache.feed = cache.feed, None  # no watcher: the lifetime alone
    cache.clock = lambda: clock[0]
    try:
        assert http.get("/api/v1/me", headers=person.headers).status_code == 200
        user = UserOut.model_validate(http.get("/api/v1/me", headers=person.headers).json())
        events = system.databases["events"]
        call = events_call(events, as_principal(user))
        token_id = tokens.tokens(call)[0].id
        tokens.revoke_token(call, token_id)
        clock[0] = cache.seconds + 0.001
        assert_problem(http.get("/api/v1/me", headers=person.headers), 401, "not-authenticated")
    finally:
        cache.clock, cache.feed = time.monotonic, feed
        cache.forget()


# ---- the cache itself ---------------------------------------------------------------------------


def test_answers_are_asked_once_within_the_lifetime_and_again_after_it() -> None:
    clock, asked = [0.0], []
    cache = IdentityCache(5.0, clock=lambda: clock[0])

    def resolve() -> str:
        asked.append(1)
        return "ana"

    assert cache.person("token", "s3cret", resolve) == "ana"
    assert cache.person("token", "s3cret", resolve) == "ana"
    assert len(asked) == 1
    clock[0] = 5.01
    cache.person("token", "s3cret", resolve)
    assert len(asked) == 2


def test_a_refusal_is_not_remembered() -> None:
    cache, asked = IdentityCache(5.0), []

    def refuse() -> str:
        asked.append(1)
        raise NotAuthenticated(Message("the API token is unknown or revoked"))

    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            cache.person("token", "nope", refuse)
    assert len(asked) == 2


def test_an_answer_asked_while_a_change_happened_is_not_kept() -> None:
    cache, asked = IdentityCache(5.0), []

    def racing() -> str:
        asked.append(1)
        cache.forget()  # a revocation ended while this answer was on its way
        return "ana"

    cache.person("token", "s3cret", racing)
    cache.person("token", "s3cret", racing)
    assert len(asked) == 2


def test_zero_seconds_asks_every_time() -> None:
    cache, asked = IdentityCache(0), []
    for _ in range(3):
        cache.role(1, None, 7, lambda: asked.append(1))
    assert len(asked) == 3


class _Feed:
    """A stand-in events client whose feed holds the given topics."""

    service = "events"

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.operations = {"feed": "feed"}

    def call(self, _operation: object, query: FeedQuery) -> FeedPage:
        entries = [
            {"id": n, "topic": t, "event_id": 7, "payload": {}, "created_at": "2026-01-01T00:00Z"}
            for n, t in enumerate(self.topics, start=1)
            if n > query.after
        ][: query.limit]
        cursor = entries[-1]["id"] if entries else query.after
        return FeedPage.model_validate(
            {"entries": entries, "cursor": cursor, "latest": len(self.topics)}
        )


@pytest.mark.parametrize(
    ("topic", "forgets"),
    [
        ("member.removed", True),
        ("member.left", True),
        ("member.role_changed", True),
        ("event.deleted", True),
        ("member.joined", False),
        ("event.updated", False),
    ],
)
def test_the_feeds_membership_changes_forget_the_roles(topic: str, forgets: bool) -> None:
    feed = _Feed(["member.joined"])
    cache = IdentityCache(5.0, feed=lambda: feed)  # type: ignore[arg-type,return-value]
    cache.read_feed()
    asked: list[int] = []
    cache.role(1, None, 7, lambda: asked.append(1))
    feed.topics.append(topic)
    cache.read_feed()
    cache.role(1, None, 7, lambda: asked.append(1))
    assert len(asked) == (2 if forgets else 1)
