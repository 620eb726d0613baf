"""The gear service's HTTP application: a route for each of its operations, its rules from the
settings, and what it follows of the events service's feed."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIFlask

from tripbot.gear import OPERATIONS, service
from tripbot.gear.models import feed_cursors
from tripbot.gear.rules import GearPolicy
from tripbot.gear.service.access import POLICY
from tripbot.gear.service.reservations import forget_event, merge_person
from tripbot.platform.client import ServiceClient
from tripbot.platform.follow import FeedFollower
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.outbox import FeedEntry
from tripbot.platform.settings import Settings
from tripbot.platform.web import create_service_app

assert service.feed  # every use case module is imported, so every operation is declared


def create_app(runtime: ServiceRuntime) -> APIFlask:
    """The gear service application over its runtime (database, settings, events peer)."""
    return create_service_app(runtime, OPERATIONS)


def extras(settings: Settings) -> Mapping[str, object]:
    """The club's gear rules, from the settings."""
    return {
        POLICY: GearPolicy(
            max_reservation_days=settings.gear_max_reservation_days,
            max_photo_bytes=settings.gear_max_photo_bytes,
            timezone=settings.gear_timezone,
        )
    }


def follower(runtime: ServiceRuntime, events: ServiceClient) -> FeedFollower:
    """Follows the events service's feed: a deleted event's reservations are cancelled; a
    guest merged into an account hands their reservations over."""
    policy = runtime.extras[POLICY]
    assert isinstance(policy, GearPolicy)

    def handle(entry: FeedEntry) -> None:
        """Cancel the reservations of a deleted event; hand a merged guest's over."""
        if entry.event_id is None:
            return
        if entry.topic == "event.deleted":
            forget_event(runtime.database.unit_of_work(), policy, entry.event_id)
        elif entry.payload.get("merged"):
            given = entry.payload
            merge_person(
                runtime.database.unit_of_work(),
                int(given["guest_id"]),
                int(given["user_id"]),
                str(given["display_name"]),
            )

    topics = {"event.deleted", "guest.claimed"}
    return FeedFollower(events, runtime.database, feed_cursors, topics, handle, reader="gear")
