"""The routes service: routes and tracks, excursion plans (event ↔ routes, meeting point)."""

from pathlib import Path

from tripbot.platform.operations import Operations

MIGRATIONS = Path(__file__).parent / "migrations"

OPERATIONS = Operations("routes", tag="Routes")
"""Every operation of the routes service, declared next to its use case."""
