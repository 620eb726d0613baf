"""Alembic environment of the gear service."""

from tripbot.gear.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
