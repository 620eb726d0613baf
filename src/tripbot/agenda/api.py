"""The agenda service's HTTP application: a route for each of its operations."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIFlask

from tripbot.agenda import OPERATIONS, service
from tripbot.agenda.models import feed_cursors
from tripbot.agenda.service.access import POLICY, AgendaPolicy
from tripbot.platform.client import ServiceClient
from tripbot.platform.follow import FeedFollower
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The agenda service application over its runtime (database, settings, events peer)."""
    return create_service_app(runtime, OPERATIONS)


def extras(settings: Settings) -> Mapping[str, object]:
    """The agenda's policy, built from the settings."""
    policy = AgendaPolicy(
        feed_secret=settings.internal_secret.get_secret_value().encode(),
        max_activity_hours=settings.agenda_max_activity_hours,
    )
    return {POLICY: policy}


def follower(runtime: ServiceRuntime, events: ServiceClient) -> FeedFollower:
    """Follows the events service's feed: a deleted event's timetable goes; a guest merged into
    an account hands their activities over."""
    database = runtime.database

    def handle(entry: FeedEntry) -> None:
        if entry.event_id is None:
            return
        if entry.topic == "event.deleted":
            service.forget_event(database.unit_of_work(), entry.event_id)
        elif entry.payload.get("merged"):
            given = entry.payload
            service.activities.merge_person(
                database.unit_of_work(),
                entry.event_id,
                int(given["guest_id"]),
                int(given["user_id"]),
                str(given["display_name"]),
            )

    topics = {"event.deleted", "guest.claimed"}
    return FeedFollower(events, database, feed_cursors, topics, handle, reader="agenda")
