"""Alembic environment of the routes service."""

from tripbot.routes.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
