"""Typed client of the bot's HTTP interface, for TripBot's other components: its operations,
reached over HTTP or in process."""

from __future__ import annotations

from tripbot.bot import OPERATIONS
from tripbot.bot import service as bot
from tripbot.platform.client import ServiceClient


class BotClient(ServiceClient):
    """Calls the bot as TripBot itself."""

    service = "bot"
    operations = OPERATIONS

    bindings = bot.bindings
    status = bot.status
