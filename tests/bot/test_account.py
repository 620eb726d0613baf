"""Linking, help, languages, binding a group to an event, duplicate updates, services down."""

from __future__ import annotations

import httpx

from tests.bot.conftest import BotDriver, a_telegram_user, link, make_driver
from tests.builders import a_person, an_event
from tripbot.bot import service as store
from tripbot.platform.db import Database
from tripbot.system import System


def test_start_without_a_link_explains_how_to_link_in_spanish(bot: BotDriver) -> None:
    ana = a_telegram_user("es")
    (answer,) = bot.say(ana, "/start")
    assert answer.text.startswith(
        "¡Hola! Para usar aquí tus eventos, vincula tu cuenta de Telegram: en la web, abre tu "
        "página de cuenta (http://127.0.0.1:8000/account) y pulsa «Vincular Telegram»."
    )
    assert answer.buttons == []  # Telegram refuses buttons to local addresses


def test_start_without_a_link_has_a_button_to_the_account_page(
    system: System, bot_database: Database
) -> None:
    bot = make_driver(system, bot_database, public_url="https://club.example.org/")
    try:
        (answer,) = bot.say(a_telegram_user("en"), "/start")
        assert answer.buttons == [("Open my account page", "https://club.example.org/account")]
        (refused,) = bot.say(a_telegram_user("es"), "/saldo")
        assert refused.buttons == [
            ("Abrir mi página de cuenta", "https://club.example.org/account")
        ]
    finally:
        bot.close()


def test_start_with_a_code_links_the_account(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    person = a_person(http)
    code = http.post("/api/v1/me/telegram/link-code", headers=person.headers).json()["code"]
    ana = a_telegram_user("en")
    (answer,) = bot.say(ana, f"/start {code}")
    assert "Linked" in answer.text
    assert person.email in answer.text
    (again,) = bot.say(ana, f"/start {code}")
    assert again.text.startswith("That link code is unknown, used or expired")


def test_a_redelivered_update_is_ignored(bot: BotDriver) -> None:
    ana = a_telegram_user("en")
    update = bot.updates.message(ana, "/help", update_id=999_001)
    assert len(bot.process(update)) == 1
    duplicate = bot.updates.message(ana, "/help", update_id=999_001)
    assert bot.process(duplicate) == []


def test_events_lists_the_linked_persons_events(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    person = a_person(http)
    event = an_event(http, person, name="Picos de Europa")
    ana = a_telegram_user("en")
    link(system, person.id, ana)
    (answer,) = bot.say(ana, "/events")
    assert "Picos de Europa" in answer.text
    (detail,) = bot.press(ana, answer, "Picos de Europa")
    assert "Picos de Europa" in detail.text
    # choosing the event makes this private chat follow it
    assert store.bound_event(bot.runtime.unit_of_work(), ana.id) == event["id"]
