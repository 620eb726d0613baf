"""The events service: users, credentials, events, memberships, roles and invitations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
