"""Alembic environment of the events service."""

from tripbot.events.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
