"""Use cases of the ledger service, one module per noun. Each runs in one unit of work, raises
domain errors, and is declared as an operation of the ledger (``tripbot.ledger.OPERATIONS``).

Event-scoped calls carry the caller's role in the event (the gateway puts it in the token). What
the ledger needs from the events service (the event's currency, dates and members) is asked
before the unit of work begins, so no lock is held while another service answers.
"""

from tripbot.ledger import OPERATIONS
from tripbot.ledger.models import outbox
from tripbot.ledger.service import (
    balances,
    budget,
    disputes,
    entries,
    exports,
    payments,
    people,
    positions,
    receipts,
    reports,
    switching,
)
from tripbot.platform.outbox import declare_feed

feed = declare_feed(OPERATIONS, outbox)

__all__ = [
    "balances",
    "budget",
    "disputes",
    "entries",
    "exports",
    "feed",
    "payments",
    "people",
    "positions",
    "receipts",
    "reports",
    "switching",
]
