"""Alembic environment of the agenda service."""

from tripbot.agenda.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
