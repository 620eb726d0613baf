"""The bot over the fake Telegram transport, the services real (embedded, both databases)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram.ext import Application, BaseRateLimiter

from tripbot.bot.app import build_application
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.notifications import Notifier
from tripbot.bot.transport import FakeTelegram, Sent, TelegramUser, Updates
from tripbot.clients import Services
from tripbot.events.schemas import TelegramLinkCreate
from tripbot.platform.db import Database
from tripbot.system import System

TOKEN = "123456:TEST-TOKEN"
_telegram_ids = itertools.count(50_000_001)


def a_telegram_user(language: str = "es", name: str = "Ana") -> TelegramUser:
    """Someone on Telegram with a fresh id."""
    return TelegramUser(id=next(_telegram_ids), first_name=name, language_code=language)


@dataclass
class BotDriver:
    """Talks to the bot like Telegram would and reads what it answered."""

    application: Application[Any, Any, Any, Any, Any, Any]
    telegram: FakeTelegram
    updates: Updates
    runtime: BotRuntime
    loop: asyncio.AbstractEventLoop
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        self.notifier = Notifier(self.runtime)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the bot's event loop (its own thread: the test's thread may have
        a loop running already, Playwright's for one) and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=300)

    def close(self) -> None:
        """Shut the bot down and stop its loop."""
        self.run(self.application.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        while self.loop.is_running():
            time.sleep(0.01)
        self.loop.close()

    def process(self, update: Any) -> list[Sent]:
        """Feed one update; what the bot sent in answer."""
        before = len(self.telegram.sent)
        self.run(self.application.process_update(update))
        return [s for s in self.telegram.sent[before:] if s.method.startswith("send")]

    def say(self, user: TelegramUser, text: str, *, chat_id: int | None = None) -> list[Sent]:
        """Someone writes to the bot (privately, or in a group when ``chat_id`` < 0)."""
        return self.process(self.updates.message(user, text, chat_id=chat_id))

    def press(self, user: TelegramUser, sent: Sent, label: str) -> list[Sent]:
        """Someone presses a button under a message of the bot."""
        return self.process(self.updates.press(user, sent, label))

    def toast(self, user: TelegramUser, sent: Sent, label: str) -> str:
        """Someone presses a button and is answered with a notice only they see (no message)."""
        before = len(self.telegram.sent)
        assert self.press(user, sent, label) == []
        (answer,) = [s for s in self.telegram.sent[before:] if s.method == "answerCallbackQuery"]
        return str(answer.params.get("text", ""))

    def notify(self, now: Any = None) -> int:
        """One notification round; the number of messages sent."""
        return int(self.run(self.notifier.run_once(self.application.bot, now)))


def link(system: System, user_id: int, telegram: TelegramUser) -> None:
    """Link a Telegram account to a TripBot account the way a person does: a code, then /start."""
    from tripbot.platform.identity import SYSTEM, Principal

    services: Services = system.gateway.extensions["tripbot.services"]
    code = services.events(Principal(user_id=user_id)).create_telegram_link_code()
    services.events(SYSTEM).link_telegram(
        TelegramLinkCreate(code=code.code, telegram_user_id=telegram.id)
    )


@pytest.fixture
def bot_database(database_urls: dict[str, str]) -> Iterator[Database]:
    """The bot's own database on the test's backend (emptied with the others)."""
    database = Database(database_urls["bot"])
    yield database
    database.dispose()


def make_driver(
    system: System,
    database: Database,
    *,
    limits: BaseRateLimiter[Any] | bool = False,
    services: Services | None = None,
    **settings: Any,
) -> BotDriver:
    """A bot over the fake transport and the embedded system's services."""
    services = services or system.gateway.extensions["tripbot.services"]
    runtime = BotRuntime(system.settings.model_copy(update=settings), services, database)
    return driver_for(runtime, limits=limits)


def driver_for(
    runtime: BotRuntime,
    *,
    limits: BaseRateLimiter[Any] | bool = False,
    first_update_id: int = 1,
) -> BotDriver:
    """A bot over the fake transport for a runtime, initialized on its own event loop."""
    telegram = FakeTelegram()
    application = build_application(
        runtime, token=TOKEN, request=telegram, limits=limits, notifications=False
    )
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="bot-loop", daemon=True).start()
    driver = BotDriver(
        application, telegram, Updates(application.bot, first_update_id), runtime, loop
    )
    driver.run(application.initialize())
    return driver


def close_driver(driver: BotDriver) -> None:
    """Shut the bot down and close its loop."""
    driver.close()


@pytest.fixture
def bot(system: System, bot_database: Database) -> Iterator[BotDriver]:
    """The bot, no rate limits (tests of the limits build their own)."""
    driver = make_driver(system, bot_database)
    yield driver
    driver.close()
