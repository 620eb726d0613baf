"""The routes service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from apiflask import APIFlask

from tripbot.platform.client import ServiceClient
from tripbot.platform.follow import FeedFollower
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.web import create_service_app
from tripbot.routes import OPERATIONS, service
from tripbot.routes.models import feed_cursors

assert service.feed  # every use case module is imported, so every operation is declared


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The routes service application over its runtime (database, settings, events peer)."""
    return create_service_app(runtime, OPERATIONS)


def follower(runtime: ServiceRuntime, events: ServiceClient) -> FeedFollower:
    """Follows the events service's feed: a deleted event's plan goes."""
    database = runtime.database

    def forget(entry: FeedEntry) -> None:
        if entry.event_id is not None:
            service.plans.forget_event(database.unit_of_work(), entry.event_id)

    return FeedFollower(events, database, feed_cursors, {"event.deleted"}, forget, reader="routes")
