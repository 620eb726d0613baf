"""Following a service's feed: in order, from a cursor kept in the follower's database, the
same change handed again when its handler failed (handlers are idempotent)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import MetaData

from tests.builders import a_person, an_event
from tripbot.platform.client import ServiceClient
from tripbot.platform.db import Database
from tripbot.platform.follow import FeedFollower, feed_cursor_table
from tripbot.platform.outbox import FeedEntry
from tripbot.system import System


@pytest.fixture
def cursors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, MetaData]]:
    """A follower's own database with its cursor table."""
    metadata = MetaData()
    feed_cursor_table(metadata)
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('follower')}/follower.db")
    metadata.create_all(database.engine)
    yield database, metadata
    database.dispose()


def _source(system: System) -> ServiceClient:
    return system.clients.system_client("events")


def test_changes_are_handed_over_in_order_and_once(
    system: System, http: httpx.Client, cursors: tuple[Database, MetaData]
) -> None:
    database, metadata = cursors
    seen: list[int] = []

    def handle(entry: FeedEntry) -> None:
        assert entry.event_id is not None
        seen.append(entry.event_id)

    follower = FeedFollower(
        _source(system), database, metadata.tables["feed_cursors"], {"event.deleted"}, handle
    )
    owner = a_person(http)
    first, second = an_event(http, owner), an_event(http, owner)
    for event in (second, first):
        assert (
            http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
        )
    assert follower.run_once() == 2
    assert seen == [second["id"], first["id"]]
    assert follower.run_once() == 0
    assert seen == [second["id"], first["id"]]


def test_a_failed_handler_gets_the_change_again(
    system: System, http: httpx.Client, cursors: tuple[Database, MetaData]
) -> None:
    database, metadata = cursors
    attempts: list[int] = []

    def flaky(entry: FeedEntry) -> None:
        attempts.append(entry.id)
        if len(attempts) == 1:
            raise RuntimeError("the database blinked")

    follower = FeedFollower(
        _source(system), database, metadata.tables["feed_cursors"], {"event.deleted"}, flaky
    )
    owner = a_person(http)
    event = an_event(http, owner)
    assert http.delete(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 204
    with pytest.raises(RuntimeError):
        follower.run_once()
    assert follower.position() == 0
    assert follower.run_once() == 1
    assert attempts[0] == attempts[1]
    assert follower.position() == attempts[0]


@pytest.mark.parametrize("service", ["events", "gear", "agenda", "routes", "ledger"])
def test_a_client_alone_knows_its_services_feed(service: str) -> None:
    """A process of another service imports only the client, never the service's HTTP app: the
    feed must be declared with the use cases, or a follower in distributed mode reads nothing."""
    probe = (
        f"import sys, tripbot.{service}.client as c\n"
        f"client = c.{service.capitalize()}Client\n"
        f"assert 'tripbot.{service}.api' not in sys.modules, 'the probe imported the app'\n"
        "print(client.operations['feed'].name)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "feed"
