"""The bot's webhook: Telegram's updates are taken only with the secret token (real HTTP)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.bot.conftest import TOKEN, a_telegram_user
from tests.processes import free_port
from tripbot.bot.app import build_application
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.runner import receive_updates
from tripbot.bot.transport import FakeTelegram
from tripbot.platform.db import Database
from tripbot.system import System

SECRET = "s3cret_Token-42"


@dataclass
class Webhook:
    """A running bot behind its webhook listener."""

    url: str
    telegram: FakeTelegram


@pytest.fixture
def webhook(system: System, bot_database: Database) -> Iterator[Webhook]:
    """The bot receiving updates by webhook on a free local port, in its own thread."""
    port = free_port()
    settings = system.settings.model_copy(
        update={
            "bot_webhook_url": "https://bot.example.org/telegram",
            "bot_webhook_secret": SecretStr(SECRET),
            "bot_webhook_port": port,
        }
    )
    runtime = BotRuntime(settings, system.gateway.extensions["tripbot.services"], bot_database)
    telegram = FakeTelegram()
    application = build_application(
        runtime, token=TOKEN, request=telegram, limits=False, notifications=False
    )
    loop = asyncio.new_event_loop()
    stopped = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(receive_updates(application, settings, stopped),),
        daemon=True,
    )
    thread.start()
    url = f"http://127.0.0.1:{port}/telegram"
    deadline = time.monotonic() + 20
    while not any(call.method == "setWebhook" for call in telegram.sent):
        assert time.monotonic() < deadline, "the webhook did not start"
        time.sleep(0.05)
    yield Webhook(url, telegram)
    loop.call_soon_threadsafe(stopped.set)
    thread.join(timeout=20)
    loop.close()


def _help_update(update_id: int) -> dict[str, Any]:
    user = a_telegram_user("en").as_json()
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": "Ana"},
            "from": user,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


def _replies(telegram: FakeTelegram, expected: int) -> list[str]:
    deadline = time.monotonic() + 10
    while len(telegram.messages()) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return [sent.text for sent in telegram.messages()]


def test_telegram_is_told_the_url_and_the_secret(webhook: Webhook) -> None:
    (registered,) = [call for call in webhook.telegram.sent if call.method == "setWebhook"]
    assert registered.params["url"] == "https://bot.example.org/telegram"
    assert registered.params["secret_token"] == SECRET


def test_an_update_with_the_secret_is_answered(webhook: Webhook) -> None:
    answer = httpx.post(
        webhook.url,
        json=_help_update(900_001),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert answer.status_code == 200
    (reply,) = _replies(webhook.telegram, 1)
    assert reply.startswith("I am TripBot")


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}])
def test_an_update_without_the_secret_is_refused(webhook: Webhook, headers: dict[str, str]) -> None:
    answer = httpx.post(webhook.url, json=_help_update(900_002), headers=headers)
    assert answer.status_code == 403
    assert _replies(webhook.telegram, 0) == []
