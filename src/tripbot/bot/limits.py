"""Telegram's flood limits, kept strictly: at most N messages in ANY window of the given length.

This is a python-telegram-bot rate limiter (``BaseRateLimiter``, plugged in with
``ApplicationBuilder.rate_limiter``). PTB's own ``AIORateLimiter`` uses leaky buckets, which
let a group receive a full burst and then keep refilling: measured, 39 messages reached one
group in a minute against Telegram's 20. Here every limit is a sliding window over the send
times, so no minute ever holds more than 20 messages to a group, no second more than one to a
chat, and no second more than 30 overall. A ``429 retry_after`` answer pauses every send for as
long as Telegram asks (its flood control is bot-wide), then the message takes a new turn in the
windows and is tried again.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

MAX_RETRIES = 3
"""How often a call refused with "retry after" is tried again, after waiting as told."""
BOUNDARY = 0.001
"""Seconds past a window's end before it has room again (the end itself still counts)."""
FORGET_AFTER = 1024
"""Windows of idle chats are dropped once this many are kept."""


class SlidingWindow:
    """Send times within the last ``period`` seconds; room while fewer than ``limit``."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._sent: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until there is room (0 when there is room now).

        A send exactly ``period`` ago still counts: no closed window of ``period`` seconds,
        ends included, ever holds more than ``limit``.
        """
        while self._sent and self._sent[0] < now - self.period:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return self._sent[0] + self.period - now + BOUNDARY

    def take(self, now: float) -> None:
        """Count a message sent now."""
        self._sent.append(now)

    def idle(self, now: float) -> bool:
        """Whether nothing was sent within the window."""
        return not self._sent or self._sent[-1] < now - self.period


def _window(limit: float, period: float) -> tuple[int, float]:
    """A rate as a whole number of messages per period (0.5 a second is 1 per 2 seconds)."""
    if limit >= 1:
        return int(limit), period
    return 1, period / limit


class TelegramLimits(BaseRateLimiter[int]):
    """Overall, per-chat and per-group sliding windows; Telegram's ``retry_after`` honoured."""

    def __init__(
        self,
        *,
        per_second: float,
        per_chat_per_second: float,
        per_group_per_minute: float,
        group_period: float = 60,
    ) -> None:
        self._overall = SlidingWindow(*_window(per_second, 1))
        self._chat_rate = _window(per_chat_per_second, 1)
        self._group_rate = _window(per_group_per_minute, group_period)
        self._chats: dict[int, SlidingWindow] = {}
        self._groups: dict[int, SlidingWindow] = {}
        self._paused_until = 0.0

    def _windows(self, chat_id: int, now: float) -> list[SlidingWindow]:
        if len(self._chats) > FORGET_AFTER:
            self._chats = {k: w for k, w in self._chats.items() if not w.idle(now)}
            self._groups = {k: w for k, w in self._groups.items() if not w.idle(now)}
        windows = [self._overall]
        windows.append(self._chats.setdefault(chat_id, SlidingWindow(*self._chat_rate)))
        if chat_id < 0:  # groups, supergroups and channels have negative ids
            windows.append(self._groups.setdefault(chat_id, SlidingWindow(*self._group_rate)))
        return windows

    async def _turn(self, chat_id: int) -> None:
        """Wait until every window of the chat has room, then count the message in all."""
        while True:
            now = time.monotonic()
            if now < self._paused_until:
                await asyncio.sleep(self._paused_until - now)
                continue
            windows = self._windows(chat_id, now)
            wait = max(window.wait(now) for window in windows)
            if wait <= 0:
                for window in windows:
                    window.take(now)
                return
            await asyncio.sleep(wait)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(  # noqa: PLR0917 - PTB's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's turn in every window, then send; on ``retry_after``, pause all
        sending as told and try again (at most MAX_RETRIES times)."""
        try:
            chat_id: int | None = int(data["chat_id"])
        except (KeyError, TypeError, ValueError):
            chat_id = None
        for attempt in range(MAX_RETRIES + 1):
            if chat_id is not None:
                await self._turn(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as refused:
                if attempt == MAX_RETRIES:
                    raise
                wait = refused.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                self._paused_until = max(self._paused_until, time.monotonic() + seconds + 0.1)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
