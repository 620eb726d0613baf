"""The events service: users, credentials, events, memberships, roles and invitations."""

from pathlib import Path

from tripbot.platform.operations import Operations

MIGRATIONS = Path(__file__).parent / "migrations"

OPERATIONS = Operations("events", tag="Events")
"""Every operation of the events service, declared next to its use case."""
