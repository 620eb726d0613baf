"""Telegram unreachable or refusing the token: said in one line, waited out, seen in health and
metrics (Telegram faked at the transport, as a network fault or its 401 answer)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.bot.conftest import TOKEN
from tripbot.bot.api import create_app
from tripbot.bot.app import build_application
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.link import TelegramLink, TokenRefused, connect
from tripbot.bot.runner import receive_updates
from tripbot.bot.transport import FakeTelegram
from tripbot.platform.db import Database
from tripbot.platform.metrics import REGISTRY
from tripbot.system import System


def connected_gauge() -> float | None:
    """The value of tripbot_bot_connected."""
    return REGISTRY.get_sample_value("tripbot_bot_connected")


def a_bot(system: System, database: Database) -> tuple[Any, FakeTelegram, TelegramLink]:
    """The bot as `tripbot bot` builds it (its calls watched), over the fake transport."""
    runtime = BotRuntime(system.settings, system.gateway.extensions["tripbot.services"], database)
    telegram, link = FakeTelegram(), TelegramLink()
    application = build_application(
        runtime, token=TOKEN, request=telegram, limits=False, notifications=False, link=link
    )
    return application, telegram, link


def test_an_unreachable_telegram_is_waited_for_with_growing_pauses_and_said_in_one_line(
    system: System, bot_database: Database
) -> None:
    application, telegram, link = a_bot(system, bot_database)
    telegram.unreachable = True
    said: list[str] = []

    async def outage() -> bool:
        stopped = asyncio.Event()
        trying = asyncio.create_task(connect(application, link, stopped, said.append, 0.05))
        while len(said) < 3:
            await asyncio.sleep(0.01)
        assert link.connected is False
        assert connected_gauge() == 0
        telegram.unreachable = False
        connected = await trying
        await application.shutdown()
        return connected

    assert asyncio.run(outage()) is True
    assert said[:3] == [
        "Telegram cannot be reached (httpx.ConnectError: [Errno 101] Network is unreachable); "
        f"trying again in {seconds:g} s."
        for seconds in (0.05, 0.1, 0.2)
    ]
    assert said[-1] == "Telegram answers again: the bot is connected."
    assert all("\n" not in line for line in said)
    assert link.connected is True
    assert connected_gauge() == 1


def test_a_refused_token_stops_with_what_to_do(system: System, bot_database: Database) -> None:
    application, telegram, link = a_bot(system, bot_database)
    telegram.token_refused = True
    with pytest.raises(TokenRefused) as refused:
        asyncio.run(connect(application, link, asyncio.Event(), print, 0.05))
    assert str(refused.value).startswith("Telegram refused the bot's token (TRIPBOT_BOT_TOKEN)")
    assert "@BotFather" in str(refused.value)


def test_telegram_going_away_and_back_while_polling_is_seen_and_updates_flow_again(
    system: System, bot_database: Database
) -> None:
    application, telegram, link = a_bot(system, bot_database)
    health = create_app(system.settings, bot_database, link).test_client()

    async def scenario() -> tuple[int, int, float]:
        stopped = asyncio.Event()
        running = asyncio.create_task(
            receive_updates(application, system.settings, stopped, link, print)
        )
        while not link.connected:
            await asyncio.sleep(0.01)
        telegram.unreachable = True
        while link.connected:
            await asyncio.sleep(0.01)
        down = health.get("/readyz").status_code
        telegram.unreachable = False
        back = time.monotonic()
        while not link.connected:
            await asyncio.sleep(0.01)
        up = health.get("/readyz").status_code
        stopped.set()
        await running
        return down, up, time.monotonic() - back

    down, up, _ = asyncio.run(scenario())
    assert (down, up) == (503, 200)


def test_readiness_says_the_bot_cannot_reach_telegram(
    system: System, bot_database: Database
) -> None:
    link = TelegramLink()
    link.down("httpx.ConnectError")
    answer = create_app(system.settings, bot_database, link).test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["detail"] == "the bot cannot reach Telegram (httpx.ConnectError)"
