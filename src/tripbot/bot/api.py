"""HTTP interface of the bot: health, readiness and metrics for operators, its bindings for
TripBot's components. Telegram's updates do not come here (long polling, or PTB's webhook)."""

from __future__ import annotations

from apiflask import APIBlueprint, APIFlask

from tripbot.bot import OPERATIONS, service
from tripbot.bot.link import TelegramLink
from tripbot.bot.schemas import BindingOut, BindingQuery, BotStatus
from tripbot.platform.db import Database
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    NotReady,
    create_legacy_service_app,
    current_database,
    current_principal,
    list_of,
)

bp = APIBlueprint("bot", __name__, tag="Bot")


@bp.get("/bindings")
@bp.input(BindingQuery, location="query", arg_name="query")
@bp.output(list_of(BindingOut))
def bindings(query: BindingQuery) -> list[BindingOut]:
    """The chats that follow an event."""
    return service.bindings_of(
        current_database().unit_of_work(), current_principal(), query.event_id
    )


@bp.get("/status")
@bp.output(BotStatus)
def status() -> BotStatus:
    """Bindings, feed cursors and remembered updates."""
    return service.status(current_database().unit_of_work(), current_principal())


def create_app(
    settings: Settings, database: Database, link: TelegramLink | None = None
) -> APIFlask:
    """The bot's HTTP application over its own database; with the bot's ``link``, /readyz
    answers 503 while Telegram cannot be reached."""

    def ready() -> None:
        database.ping()
        if link is not None and not link.connected:
            raise NotReady(f"the bot cannot reach Telegram ({link.problem})")

    return create_legacy_service_app(
        "bot", settings, database, [bp], operations=OPERATIONS, ready_check=ready
    )
