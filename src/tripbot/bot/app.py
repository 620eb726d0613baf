"""The bot's python-telegram-bot application: handlers, limits, and the notification loop."""

from __future__ import annotations

from typing import Any, cast

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

from tripbot.bot import conversation, menu
from tripbot.bot.commands import (  # noqa: F401  (importing registers the handlers)
    account,
    ask,
    expense,
    fallback,
    members,
    money,
    reserve,
)
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.limits import TelegramLimits
from tripbot.bot.link import TelegramLink, WatchedRequest
from tripbot.bot.notifications import Notifier

NOTIFIER = "tripbot.notifier"
DEDUPLICATION_GROUP = -1
"""Handler group run before every other: it stops redelivered updates."""


def build_application(
    runtime: BotRuntime,
    *,
    token: str,
    request: BaseRequest | None = None,
    limits: BaseRateLimiter[Any] | bool = True,
    notifications: bool = True,
    link: TelegramLink | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready to initialize: every handler registered, Telegram's limits kept (or the
    limiter given; ``limits=False`` for none, as the handler benchmarks measure); with a
    ``link``, every call to Telegram tells it whether Telegram answered."""
    settings = runtime.settings
    builder = ApplicationBuilder().token(token)
    if link is not None:
        # PTB's own defaults: a pool for sending, one connection for long polling.
        calls = request or HTTPXRequest(connection_pool_size=256)
        polls = request or HTTPXRequest(connection_pool_size=1)
        builder = builder.request(WatchedRequest(calls, link)).get_updates_request(
            WatchedRequest(polls, link)
        )
    elif request is not None:
        builder = builder.request(request).get_updates_request(request)
    if limits is True:
        limits = TelegramLimits(
            per_second=settings.bot_messages_per_second,
            per_chat_per_second=settings.bot_chat_messages_per_second,
            per_group_per_minute=settings.bot_group_messages_per_minute,
        )
    if limits:
        builder = builder.rate_limiter(cast(Any, limits))
    application = builder.build()
    application.bot_data["tripbot"] = runtime
    application.bot_data[NOTIFIER] = Notifier(runtime) if notifications else None
    application.add_handler(TypeHandler(Update, conversation.skip_duplicates), DEDUPLICATION_GROUP)
    for handler in [*conversation.COMMANDS, *conversation.BUTTONS, *conversation.MESSAGES]:
        application.add_handler(handler)
    return application


async def start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start an initialized bot: its command menus (per language and kind of chat), update
    processing, and the notification rounds."""
    await menu.publish(application.bot)
    await application.start()
    notifier: Notifier | None = application.bot_data[NOTIFIER]
    if notifier is not None:
        notifier.start(application.bot)


async def stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop the notification rounds and update processing (the caller shuts down)."""
    notifier: Notifier | None = application.bot_data[NOTIFIER]
    if notifier is not None:
        await notifier.stop()
    if application.running:
        await application.stop()
