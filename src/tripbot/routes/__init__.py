"""The routes service: routes and tracks, excursion plans (event ↔ routes, meeting point)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
