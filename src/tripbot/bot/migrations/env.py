"""Alembic environment of the bot."""

from tripbot.bot.models import metadata
from tripbot.platform.migrations import run_env

run_env(metadata)
