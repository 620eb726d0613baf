"""Use cases of the routes service, one module per noun. Each runs in one unit of work, raises
domain errors, and is declared as an operation of the routes service
(``tripbot.routes.OPERATIONS``)."""

from tripbot.platform.outbox import declare_feed
from tripbot.routes import OPERATIONS
from tripbot.routes.models import outbox
from tripbot.routes.service import catalogue, plans, rows, tracks

feed = declare_feed(OPERATIONS, outbox)
"""The service's changes after a cursor, for TripBot's own readers."""

__all__ = ["catalogue", "feed", "plans", "rows", "tracks"]
