"""Running the bot for real: long polling or Telegram's webhook, with health and metrics."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from tripbot.bot.api import create_app
from tripbot.bot.app import build_application, start, stop
from tripbot.bot.conversation import BotRuntime
from tripbot.platform.logging import get_logger
from tripbot.platform.settings import Settings

log = get_logger("tripbot.bot")

CANNOT_START = (
    "The Telegram bot cannot start: TRIPBOT_BOT_TOKEN is not set.\n"
    "Get a token from Telegram's @BotFather (send it /newbot), then start again with\n"
    "  TRIPBOT_BOT_TOKEN=<the token> tripbot bot\n"
    "To try the bot without Telegram: tripbot bot console --as <your email>"
)
UNSIGNED_WEBHOOK = (
    "TRIPBOT_BOT_WEBHOOK_URL is set but TRIPBOT_BOT_WEBHOOK_SECRET is not: Telegram signs each "
    "update with that secret, so nobody else can post updates to the webhook. Set it to a random "
    "value of 1-256 characters from A-Z a-z 0-9 _ -."
)


def serve_health(runtime: BotRuntime, host: str, port: int) -> threading.Thread:
    """Serve /healthz, /readyz and /metrics (and the bot's bindings) in a background thread."""
    from waitress import serve

    app = create_app(runtime.settings, runtime.database)
    thread = threading.Thread(
        target=serve,
        args=(app,),
        kwargs={"host": host, "port": port, "threads": 2, "ident": "TripBot-bot"},
        name="tripbot-bot-http",
        daemon=True,
    )
    thread.start()
    return thread


async def receive_updates(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    stopped: asyncio.Event,
) -> None:
    """Run an application until ``stopped`` is set: by Telegram's webhook if
    TRIPBOT_BOT_WEBHOOK_URL is set (updates must carry the secret token), else by long polling."""
    updater = application.updater
    assert updater is not None
    async with application:
        await start(application)
        if settings.bot_webhook_url:
            secret = settings.bot_webhook_secret
            log.info("bot.starting", mode="webhook", url=settings.bot_webhook_url)
            await updater.start_webhook(
                listen="0.0.0.0",  # noqa: S104 - the container's port is what is published
                port=settings.bot_webhook_port,
                url_path=urlsplit(settings.bot_webhook_url).path.lstrip("/"),
                webhook_url=settings.bot_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            log.info("bot.starting", mode="polling")
            await updater.start_polling(allowed_updates=Update.ALL_TYPES)
        try:
            await stopped.wait()
        finally:
            log.info("bot.stopping")
            await updater.stop()
            await stop(application)


def run(runtime: BotRuntime, token: str) -> None:
    """Run the bot until SIGINT or SIGTERM."""
    application = build_application(runtime, token=token)

    async def main() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await receive_updates(application, runtime.settings, stopped)

    asyncio.run(main())


def start_in_background(runtime: BotRuntime, token: str) -> threading.Thread:
    """Run the bot in a thread of this process (``tripbot run`` with a token): by polling or
    webhook as configured, until the process ends. If Telegram cannot be reached or refuses the
    token, the bot says so in the log and the rest of TripBot keeps serving."""

    def main() -> None:
        application = build_application(runtime, token=token)
        try:
            asyncio.run(receive_updates(application, runtime.settings, asyncio.Event()))
        except Exception as error:  # the web must outlive a bot that cannot start
            log.error("bot.stopped", error=repr(error))

    thread = threading.Thread(target=main, name="tripbot-bot", daemon=True)
    thread.start()
    return thread
