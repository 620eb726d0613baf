"""What the tests of the bot's actions share: linked people, bound groups, gear, dead services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.bot.conftest import BotDriver, a_telegram_user, link, make_driver
from tests.builders import Person, a_member, a_person, an_event
from tripbot.bot.transport import Sent, TelegramUser
from tripbot.clients import Services
from tripbot.platform.client import HttpTransport
from tripbot.platform.db import Database
from tripbot.system import System, signer_for

GROUP = -1_001_234
DEAD = "http://127.0.0.1:9"
"""Nothing listens on the discard port: a service there is down."""


def linked(
    http: httpx.Client, system: System, language: str, person: Person | None = None
) -> tuple[Person, TelegramUser]:
    """A TripBot account (new unless given) linked to a Telegram account speaking a language."""
    person = person or a_person(http)
    telegram = a_telegram_user(language)
    link(system, person.id, telegram)
    return person, telegram


def a_trip(http: httpx.Client, owner: Person, **fields: Any) -> dict[str, Any]:
    """An event over three days of May 2027, owned by someone."""
    body = {
        "name": "Travesía de Picos",
        "starts_at": "2027-05-01T08:00:00+02:00",
        "ends_at": "2027-05-03T18:00:00+02:00",
        **fields,
    }
    return an_event(http, owner, **body)


def a_linked_member(
    http: httpx.Client,
    system: System,
    event: dict[str, Any],
    organizer: Person,
    language: str,
    role: str = "participant",
) -> tuple[Person, TelegramUser]:
    """Someone in an event with a role, their Telegram account linked."""
    return linked(http, system, language, a_member(http, event, organizer, role))


def bind(bot: BotDriver, organizer: TelegramUser, event: dict[str, Any], chat_id: int) -> None:
    """An organizer makes a group follow an event, with /bind and its button."""
    (question,) = bot.say(organizer, "/bind", chat_id=chat_id)
    bot.press(organizer, question, event["name"])


def press_at(bot: BotDriver, user: TelegramUser, sent: Sent, index: int) -> list[Sent]:
    """Press the button at a position (its label depends on the language and the date)."""
    return bot.press(user, sent, sent.buttons[index][0])


def members_of(http: httpx.Client, event: dict[str, Any], by: Person) -> dict[int, str]:
    """An event's members and their roles, as the API tells one of them."""
    answer = http.get(f"/api/v1/events/{event['id']}/members", headers=by.headers)
    assert answer.status_code == 200, answer.text
    return {member["user_id"]: member["role"] for member in answer.json()}


def names_of(http: httpx.Client, event: dict[str, Any], by: Person) -> dict[int, str]:
    """An event's members and their names, as the API tells one of them."""
    answer = http.get(f"/api/v1/events/{event['id']}/members", headers=by.headers)
    assert answer.status_code == 200, answer.text
    return {member["user_id"]: member["display_name"] for member in answer.json()}


def an_event_item(
    http: httpx.Client, event: dict[str, Any], by: Person, name: str, quantity: int
) -> dict[str, Any]:
    """Gear that belongs to an event, added by one of its organizers."""
    body = {"name": name, "category": "Camping", "quantity": quantity, "event_id": event["id"]}
    answer = http.post("/api/v1/gear/items", json=body, headers=by.headers)
    assert answer.status_code == 201, answer.text
    item: dict[str, Any] = answer.json()
    return item


def reservations(http: httpx.Client, by: Person, **query: Any) -> list[dict[str, Any]]:
    """Active reservations through the API (one's own unless told otherwise)."""
    answer = http.get("/api/v1/gear/reservations", params=query, headers=by.headers)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def entries(http: httpx.Client, event: dict[str, Any], by: Person) -> list[dict[str, Any]]:
    """An event's active ledger entries through the API."""
    answer = http.get(f"/api/v1/events/{event['id']}/ledger/entries", headers=by.headers)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    assert page["total"] == len(page["items"])
    items: list[dict[str, Any]] = page["items"]
    return items


@contextmanager
def bot_without(system: System, database: Database, service: str) -> Iterator[BotDriver]:
    """A bot whose connection to one service leads nowhere; the other services are real."""
    gateway = system.gateway.extensions
    services: Services = gateway["tripbot.services"]
    connections = dict(services.transports)
    connections[service] = HttpTransport(
        service, signer_for(system.settings), base_url=DEAD, timeout=0.5
    )
    gateway["tripbot.services"] = Services(connections)
    try:
        driver = make_driver(system, database)
    finally:
        gateway["tripbot.services"] = services
    try:
        yield driver
    finally:
        driver.close()
        connections[service].close()
