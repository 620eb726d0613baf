"""What every question does the same way: the link explanation for unlinked people, not found
for an event one is not in, and a polite answer naming the part of TripBot that is down."""

from __future__ import annotations

import pytest

from tests.bot.ask_world import bind_group, bot_without, linked, only, says_unavailable
from tests.bot.conftest import BotDriver, a_telegram_user
from tests.builders import a_cast_in, a_person_in
from tripbot.platform.db import Database
from tripbot.system import System

SERVICE_OF = {
    "/route cares": "routes",
    "/plan": "routes",
    "/today": "agenda",
    "/now": "agenda",
    "/next": "agenda",
    "/gear tent": "gear",
    "/mygear": "gear",
    "/balance": "ledger",
    "/settle": "ledger",
}
"""Each question, and the service that answers it."""
ABOUT_THE_EVENT = [question for question in SERVICE_OF if question.split()[0] != "/route"]
ABOUT_THE_EVENT.remove("/gear tent")
ABOUT_THE_EVENT.remove("/mygear")
SPANISH = {
    "/route cares": "/ruta cares",
    "/plan": "/plan",
    "/today": "/hoy",
    "/now": "/ahora",
    "/next": "/siguiente",
    "/gear tent": "/material tienda",
    "/mygear": "/mimaterial",
    "/balance": "/saldo",
    "/settle": "/liquidar",
}


@pytest.mark.parametrize("question", list(SERVICE_OF))
def test_unlinked_people_are_told_how_to_link_in_their_language(
    bot: BotDriver, question: str
) -> None:
    english = only(bot.say(a_telegram_user("en"), question)).text
    assert "not linked" in english
    assert '"Link Telegram"' in english
    spanish = only(bot.say(a_telegram_user("es"), SPANISH[question])).text
    assert "no está vinculada" in spanish
    assert "«Vincular Telegram»" in spanish


@pytest.mark.parametrize("question", ABOUT_THE_EVENT)
def test_in_a_group_of_an_event_one_is_not_in_the_answer_is_not_found(
    bot: BotDriver, system: System, question: str
) -> None:
    cast = a_cast_in(system)
    bind_group(bot, linked(system, cast.organizer), "Ruta del Cares", -100_501)
    answer = only(bot.say(linked(system, cast.outsider, "en"), question, chat_id=-100_501))
    assert answer.text == "This group follows an event you are not a member of."
    lonely = linked(system, a_person_in(system), "es")
    assert "Todavía no estás en ningún evento" in only(bot.say(lonely, SPANISH[question])).text


@pytest.mark.parametrize("question", list(SERVICE_OF))
def test_a_service_down_gets_a_polite_answer_naming_it(
    system: System, bot_database: Database, question: str
) -> None:
    cast = a_cast_in(system)
    ana = linked(system, cast.participant, "en")
    service = SERVICE_OF[question]
    with bot_without(system, bot_database, service) as bot:
        assert says_unavailable(only(bot.say(ana, question)), service)
