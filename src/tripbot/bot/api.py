"""HTTP interface of the bot: health, readiness and metrics for operators, a route for each of
its operations for TripBot's components. Telegram's updates do not come here (long polling, or
PTB's webhook)."""

from __future__ import annotations

from apiflask import APIFlask

from tripbot.bot import OPERATIONS, service
from tripbot.bot.link import TelegramLink
from tripbot.platform.db import Database
from tripbot.platform.operations import ServiceRuntime
from tripbot.platform.settings import Settings
from tripbot.platform.web import NotReady, create_service_app

assert service.status  # the use cases' module is imported, so every operation is declared


def create_app(
    settings: Settings, database: Database, link: TelegramLink | None = None
) -> APIFlask:
    """The bot's HTTP application over its own database; with the bot's ``link``, /readyz
    answers 503 while Telegram cannot be reached."""

    def ready() -> None:
        database.ping()
        if link is not None and not link.connected:
            raise NotReady(f"the bot cannot reach Telegram ({link.problem})")

    runtime = ServiceRuntime("bot", settings, database)
    return create_service_app(runtime, OPERATIONS, ready_check=ready)
