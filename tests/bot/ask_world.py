"""What the tests of the bot's questions share: linked people, bound groups, a service down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.bot.conftest import BotDriver, a_telegram_user, driver_for, link
from tests.builders import Person
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.formats import service_name
from tripbot.bot.transport import Sent, TelegramUser
from tripbot.clients import Services
from tripbot.platform.client import HttpTransport
from tripbot.platform.db import Database
from tripbot.system import System, signer_for

GROUP = -100_777


def linked(system: System, person: Person, language: str = "en") -> TelegramUser:
    """A Telegram account linked to ``person``."""
    telegram = a_telegram_user(language)
    link(system, person.id, telegram)
    return telegram


def bind_group(bot: BotDriver, organizer: TelegramUser, event_name: str, chat_id: int) -> None:
    """An organizer makes a group follow an event, the way they do it in Telegram."""
    (question,) = bot.say(organizer, "/bind", chat_id=chat_id)
    (done,) = bot.press(organizer, question, event_name)
    assert "now follows" in done.text or "sigue" in done.text, done.text


def only(sent: list[Sent]) -> Sent:
    """The one message the bot answered."""
    assert len(sent) == 1, [s.text for s in sent]
    return sent[0]


def midday_zone() -> str:
    """A fixed-offset time zone where it is around midday now, so "today" is far from midnight."""
    offset = 12 - datetime.now(UTC).hour  # hours ahead of UTC: from -11 to +12
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def an_event_happening_now(http: httpx.Client, owner: Person, **fields: Any) -> dict[str, Any]:
    """An event that started an hour ago and lasts the day, in a zone where it is midday."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "name": "Today's outing",
        "kind": "excursion",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=10)).isoformat(),
        "timezone": midday_zone(),
        "currency": "EUR",
        **fields,
    }
    response = http.post("/api/v1/events", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


@contextmanager
def bot_without(system: System, database: Database, service: str) -> Iterator[BotDriver]:
    """The bot, with ``service`` unreachable (nothing listens on port 9)."""
    services: Services = system.gateway.extensions["tripbot.services"]
    settings = system.settings
    connections = dict(services.transports)
    connections[service] = HttpTransport(
        service, signer_for(settings), base_url="http://127.0.0.1:9", timeout=0.5
    )
    runtime = BotRuntime(settings, Services(connections), database)
    driver = driver_for(runtime, first_update_id=500_000)
    try:
        yield driver
    finally:
        driver.close()
        connections[service].close()


def says_unavailable(sent: Sent, service: str) -> bool:
    """Whether the bot answered that a part of TripBot is down, naming it."""
    return "unavailable" in sent.text and f"({service_name('en', service)})" in sent.text
