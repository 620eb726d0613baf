"""The ledger service: an event's shared money, its balances and settlements."""

from pathlib import Path

from tripbot.platform.operations import Operations

MIGRATIONS = Path(__file__).parent / "migrations"

OPERATIONS = Operations("ledger", tag="Ledger")
"""Every operation of the ledger service, declared next to its use case."""
