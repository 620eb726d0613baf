"""The ledger service: each event's shared money: entries, splits, budgets, balances and settlements."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
