"""The gear service: items, units, reservations, loans and packing lists."""

from pathlib import Path

from tripbot.platform.operations import Operations

MIGRATIONS = Path(__file__).parent / "migrations"

OPERATIONS = Operations("gear", tag="Gear", public_prefix="/gear")
"""Every operation of the gear service, declared next to its use case."""
