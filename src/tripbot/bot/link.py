"""The bot's line to Telegram: whether it is up, and connecting until it is.

Every Bot API call goes through ``WatchedRequest``, which tells ``TelegramLink`` whether
Telegram answered; the link keeps the ``tripbot_bot_connected`` metric and the bot's /readyz.
``connect`` starts the bot: a token Telegram refuses stops it with what to do; a network fault
is retried with capped exponential backoff, forever (once running, python-telegram-bot's own
polling loop retries the same way, up to 30 s apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from tripbot.platform import metrics
from tripbot.platform.logging import get_logger

log = get_logger("tripbot.bot")

FIRST_RETRY_S = 1.0
MAX_RETRY_S = 30.0
"""Waits between attempts to reach Telegram: 1, 2, 4, … then every 30 s (as PTB's polling)."""

REFUSED = (
    "Telegram refused the bot's token (TRIPBOT_BOT_TOKEN): it is mistyped or was revoked. "
    "Copy it again from @BotFather (/mybots → your bot → API Token) and start the bot again."
)
UNREACHABLE = "Telegram cannot be reached ({problem}); trying again in {seconds:g} s."
REACHED = "Telegram answers again: the bot is connected."

Say = Callable[[str], None]
"""Where a one-line explanation goes: the terminal of ``tripbot bot``, or the log."""


class TokenRefused(Exception):
    """Telegram answered that the token is not a bot's (401/404): retrying will not help."""


class TelegramLink:
    """Whether the bot reaches Telegram now, as its last call found."""

    def __init__(self) -> None:
        self.connected = False
        self.problem = "not connected yet"
        self.changed_at = time.monotonic()
        metrics.set_bot_connected(False)

    def up(self) -> None:
        """Telegram answered a call."""
        if not self.connected:
            self.connected, self.problem, self.changed_at = True, "", time.monotonic()
            metrics.set_bot_connected(True)
            log.info("bot.telegram_connected")

    def down(self, problem: str) -> None:
        """A call did not reach Telegram."""
        if self.connected or problem != self.problem:
            log.warning("bot.telegram_unreachable", problem=problem)
        if self.connected:
            self.changed_at = time.monotonic()
        self.connected, self.problem = False, problem
        metrics.set_bot_connected(False)


class WatchedRequest(BaseRequest):
    """A Bot API transport that tells the link whether each call reached Telegram."""

    def __init__(self, inner: BaseRequest, link: TelegramLink) -> None:
        self.inner, self.link = inner, link

    @property
    def read_timeout(self) -> float | None:
        """The wrapped transport's."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the wrapped transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the wrapped transport."""
        await self.inner.shutdown()

    async def do_request(  # noqa: PLR0917 - PTB's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the call; note whether Telegram answered it (a 5xx is a gateway's, not its)."""
        try:
            status, body = await self.inner.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        except NetworkError as error:  # TimedOut is one too
            self.link.down(str(error) or type(error).__name__)
            raise
        if status >= 500:
            self.link.down(f"HTTP {status}")
        else:
            self.link.up()
        return status, body


async def _pause(stopped: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopped.wait(), seconds)


async def connect(
    application: Application[Any, Any, Any, Any, Any, Any],
    link: TelegramLink,
    stopped: asyncio.Event,
    say: Say,
    first_wait: float = FIRST_RETRY_S,
) -> bool:
    """Initialize the bot against Telegram, waiting out network faults (1 s, 2 s, 4 s, …
    30 s, forever); False if stopped meanwhile. TokenRefused when Telegram refuses the token."""
    wait = first_wait
    failed = False
    while not stopped.is_set():
        try:
            await application.initialize()
        except InvalidToken as error:
            link.down("token refused")
            raise TokenRefused(REFUSED) from error
        except NetworkError as error:
            link.down(str(error) or type(error).__name__)
            say(UNREACHABLE.format(problem=link.problem, seconds=wait))
            failed = True
            await _pause(stopped, wait)
            wait = min(wait * 2, MAX_RETRY_S)
            continue
        link.up()
        if failed:
            say(REACHED)
        return True
    return False
