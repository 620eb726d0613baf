"""The gear service: items, units, reservations, loans and packing lists."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
