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
from tripbot.bot.link import Say, TelegramLink, TokenRefused, connect
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


def serve_health(
    runtime: BotRuntime, host: str, port: int, link: TelegramLink | None = None
) -> threading.Thread:
    """Serve /healthz, /readyz (not ready while Telegram is unreachable) and /metrics (and
    the bot's bindings) in a background thread."""
    from waitress import serve

    app = create_app(runtime.settings, runtime.database, link)
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
    link: TelegramLink | None = None,
    say: Say = log.warning,
) -> None:
    """Run an application until ``stopped`` is set: by Telegram's webhook if
    TRIPBOT_BOT_WEBHOOK_URL is set (updates must carry the secret token), else by long polling.
    Telegram unreachable at the start is waited for (TokenRefused if it refuses the token)."""
    updater = application.updater
    assert updater is not None
    link = link or TelegramLink()
    if not await connect(application, link, stopped, say):
        return
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
            watched = link
            await updater.start_polling(
                allowed_updates=Update.ALL_TYPES,
                # One line on the link, not PTB's traceback per attempt (it retries by itself).
                error_callback=lambda error: watched.down(str(error) or type(error).__name__),
            )
        try:
            await stopped.wait()
        finally:
            log.info("bot.stopping")
            await updater.stop()
            await stop(application)


def run(runtime: BotRuntime, token: str, link: TelegramLink, say: Say) -> int:
    """Run the bot until SIGINT or SIGTERM; the exit status (2: Telegram refused the token)."""
    application = build_application(runtime, token=token, link=link)

    async def main() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await receive_updates(application, runtime.settings, stopped, link, say)

    try:
        asyncio.run(main())
    except TokenRefused as refused:
        say(str(refused))
        return 2
    return 0


def start_in_background(
    runtime: BotRuntime, token: str, link: TelegramLink | None = None
) -> threading.Thread:
    """Run the bot in a thread of this process (``tripbot run`` with a token): by polling or
    webhook as configured, until the process ends. Telegram unreachable is waited for (said in
    the log, one line per attempt); a refused token is said once and the bot stops, while the
    rest of TripBot keeps serving."""

    link = link or TelegramLink()

    def main() -> None:
        application = build_application(runtime, token=token, link=link)
        try:
            asyncio.run(
                receive_updates(
                    application, runtime.settings, asyncio.Event(), link, _log_line("bot.waiting")
                )
            )
        except TokenRefused as refused:
            log.error("bot.stopped", reason=str(refused))
        except Exception as error:  # the web must outlive a bot that cannot start
            log.error("bot.stopped", error=repr(error))

    thread = threading.Thread(target=main, name="tripbot-bot", daemon=True)
    thread.start()
    return thread


def _log_line(event: str) -> Say:
    def say(text: str) -> None:
        log.warning(event, explanation=text)

    return say
