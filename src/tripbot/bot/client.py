"""Typed client of the bot's HTTP interface, for TripBot's other components."""

from __future__ import annotations

from tripbot.bot import OPERATIONS
from tripbot.bot.schemas import BindingOut, BotStatus
from tripbot.platform.client import ServiceClient


class BotClient(ServiceClient):
    """Calls the bot as TripBot itself."""

    service = "bot"
    operations = OPERATIONS

    def bindings(self, event_id: int) -> list[BindingOut]:
        """The chats that follow an event."""
        return self.get_list(BindingOut, "/bindings", params={"event_id": event_id})

    def status(self) -> BotStatus:
        """The bot's bindings, feed cursors and remembered updates."""
        return self.get_model(BotStatus, "/status")
