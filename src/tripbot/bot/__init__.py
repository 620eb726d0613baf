"""The Telegram bot: participants' main interface to TripBot, in Spanish and English."""

import os
from pathlib import Path

from tripbot.platform.operations import Operations

# Opt in to python-telegram-bot 23's durations as timedelta now (it warns about ints otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "1")

MIGRATIONS = Path(__file__).parent / "migrations"
TRANSLATIONS = Path(__file__).parent / "translations"

OPERATIONS = Operations("bot", tag="Bot")
"""Every operation of the bot's HTTP interface, declared next to its use case."""
