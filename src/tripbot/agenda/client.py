"""Typed client of the agenda service, for the gateway, the bot and other services: its
operations, reached over HTTP or in process."""

from __future__ import annotations

from tripbot.agenda import OPERATIONS
from tripbot.agenda import service as agenda
from tripbot.platform.client import ServiceClient
from tripbot.platform.operations import Download

__all__ = ["AgendaClient", "Download"]


class AgendaClient(ServiceClient):
    """Calls the agenda service for one principal."""

    service = "agenda"
    operations = OPERATIONS
    feed = agenda.feed

    places = agenda.places.list_places
    add_place = agenda.places.add_place
    change_place = agenda.places.change_place
    remove_place = agenda.places.remove_place
    activities = agenda.activities.list_activities
    add_activity = agenda.activities.add_activity
    activity = agenda.activities.get_activity
    change_activity = agenda.activities.change_activity
    cancel_activity = agenda.activities.cancel_activity
    remove_activity = agenda.activities.remove_activity
    conflicts = agenda.activities.find_conflicts
    now = agenda.activities.now_and_next
    feed_token = agenda.feeds.feed_token
    issue_feed_token = agenda.feeds.issue_feed_token
    revoke_feed_token = agenda.feeds.revoke_feed_token
    calendar = agenda.feeds.calendar_feed
    schedule = agenda.feeds.schedule_export
