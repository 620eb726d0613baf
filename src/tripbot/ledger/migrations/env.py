"""Alembic environment of the ledger service."""

from tripbot.ledger.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
