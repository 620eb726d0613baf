"""The ledger service: an event's shared money, its balances and settlements."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
