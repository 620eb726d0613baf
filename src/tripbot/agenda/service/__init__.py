"""Use cases of the agenda service, one module per noun. Each runs in one unit of work, raises
domain errors, and is declared as an operation of the agenda (``tripbot.agenda.OPERATIONS``).

The event itself (its dates, time zone, name and members) belongs to the events service and is
asked for through its client, acting for the person the call is made for.
"""

from tripbot.agenda import OPERATIONS
from tripbot.agenda.models import outbox
from tripbot.agenda.service import access, activities, feeds, meetings, places
from tripbot.agenda.service.access import AgendaPolicy
from tripbot.agenda.service.activities import (
    add_activity,
    cancel_activity,
    change_activity,
    find_conflicts,
    forget_event,
    get_activity,
    list_activities,
    now_and_next,
    remove_activity,
)
from tripbot.agenda.service.feeds import (
    calendar_feed,
    feed_token,
    issue_feed_token,
    revoke_feed_token,
    schedule_export,
)
from tripbot.agenda.service.places import add_place, change_place, list_places, remove_place
from tripbot.platform.outbox import declare_feed

feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""

__all__ = [
    "AgendaPolicy",
    "access",
    "activities",
    "add_activity",
    "add_place",
    "calendar_feed",
    "cancel_activity",
    "change_activity",
    "change_place",
    "feed",
    "feed_token",
    "feeds",
    "find_conflicts",
    "forget_event",
    "get_activity",
    "issue_feed_token",
    "list_activities",
    "list_places",
    "meetings",
    "now_and_next",
    "places",
    "remove_activity",
    "remove_place",
    "revoke_feed_token",
    "schedule_export",
]
