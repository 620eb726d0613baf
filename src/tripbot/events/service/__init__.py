"""Use cases of the events service, one module per noun. Each runs in one unit of work, raises
domain errors, and is declared as an operation of the events service
(``tripbot.events.OPERATIONS``).

The events service is the authority on who belongs to which event, so its event-scoped
operations are declared for any logged-in person and check the membership themselves (a
stranger's event is not found); it calls no other service.
"""

from tripbot.events import OPERATIONS
from tripbot.events.models import outbox
from tripbot.events.service import (
    accounts,
    claims,
    events,
    guests,
    invitations,
    members,
    sessions,
    telegram,
    tokens,
)
from tripbot.events.service.accounts import AccountPolicy
from tripbot.platform.outbox import declare_feed

feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""

__all__ = [
    "AccountPolicy",
    "accounts",
    "claims",
    "events",
    "feed",
    "guests",
    "invitations",
    "members",
    "sessions",
    "telegram",
    "tokens",
]
