"""Use cases of the gear service, one module per noun. Each runs in one unit of work, raises
domain errors, and is declared as an operation of the gear service (``tripbot.gear.OPERATIONS``).

A use case that needs the events service (names, event roles) asks it first, in a short
read-only unit of work if it must learn which event an item belongs to, and only then opens
the unit of work that writes: no lock is ever held while another service is called. Packing
list calls carry the caller's role in the event (the gateway puts it in the token).
"""

from tripbot.gear import OPERATIONS
from tripbot.gear.models import outbox
from tripbot.gear.service import access, items, loans, packing, reservations, units
from tripbot.platform.outbox import declare_feed

feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""

__all__ = ["access", "feed", "items", "loans", "packing", "reservations", "units"]
