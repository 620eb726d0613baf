"""The ledger service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from apiflask import APIFlask

from tripbot.ledger import OPERATIONS, service
from tripbot.ledger.models import feed_cursors
from tripbot.platform.client import ServiceClient
from tripbot.platform.follow import FeedFollower
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The ledger service application over its runtime (database, settings, events peer)."""
    return create_service_app(runtime, OPERATIONS)


def follower(runtime: ServiceRuntime, events: ServiceClient) -> FeedFollower:
    """Follows the events service's feed: a guest's place claimed is said in the audit trail,
    and a guest merged into an account hands their books over. (A deleted event's books are
    kept: money history is never removed.)"""
    database = runtime.database

    def handle(entry: FeedEntry) -> None:
        if entry.event_id is None:
            return
        given = entry.payload
        service.people.claim_person(
            database.unit_of_work(),
            entry.event_id,
            int(given["guest_id"]),
            int(given["user_id"]),
            guest_name=str(given["guest_name"]),
            name=str(given["display_name"]),
        )

    return FeedFollower(events, database, feed_cursors, {"guest.claimed"}, handle, reader="ledger")
