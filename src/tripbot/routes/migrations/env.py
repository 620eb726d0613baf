"""Alembic environment of the routes service."""

from tripbot.platform.migrations import run_env
from tripbot.routes.models import metadata

run_env(metadata)
