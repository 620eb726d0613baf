"""Nobody is left without an answer: mistyped commands and plain words, privately and in groups."""

from __future__ import annotations

import httpx
import pytest

from tests.bot.act_world import GROUP, a_trip, bind, entries, linked
from tests.bot.conftest import BotDriver, a_telegram_user
from tripbot.bot.transport import BOT_USERNAME
from tripbot.system import System


@pytest.mark.parametrize(
    ("language", "typed", "question", "button"),
    [
        ("es", "/gastos 5 pan", "¿Querías decir /gasto 5 pan?", "/gasto 5 pan"),
        ("es", "gasto 5 pan", "¿Querías decir /gasto 5 pan?", "/gasto 5 pan"),
        ("en", "/expence 5 bread", "Did you mean /expense 5 bread?", "/expense 5 bread"),
        ("en", "expense 5 bread", "Did you mean /expense 5 bread?", "/expense 5 bread"),
    ],
)
def test_a_near_miss_suggests_the_command_and_its_button_runs_it_with_what_was_typed(
    bot: BotDriver,
    http: httpx.Client,
    system: System,
    language: str,
    typed: str,
    question: str,
    button: str,
) -> None:
    owner, telegram = linked(http, system, language)
    event = a_trip(http, owner)
    (suggestion,) = bot.say(telegram, typed)
    assert suggestion.text == question
    assert [label for label, _ in suggestion.buttons] == [
        button,
        "Cancelar" if language == "es" else "Cancel",
    ]
    (who,) = bot.press(telegram, suggestion, button)
    assert who.text.startswith("5,00\xa0€ en pan" if language == "es" else "€5.00 for bread")
    bot.press(telegram, who, "Todos" if language == "es" else "Everyone")
    assert [e["amount"] for e in entries(http, event, owner)] == ["5.00"]


@pytest.mark.parametrize(
    ("language", "typed", "first_line", "labels"),
    [
        (
            "es",
            "hola",
            "Respondo a órdenes, como /eventos, /saldo, /gasto 23,50 gasolina o /material "
            "tienda. Pulsa un botón, o /ayuda para ver todo lo que sé hacer.",
            ["Tus eventos", "Tu saldo", "Qué material está libre", "Todo lo que sé hacer"],
        ),
        (
            "en",
            "/foo",
            "I do not know /foo.",
            ["Your events", "Your balance", "What gear is free", "Everything I can do"],
        ),
    ],
)
def test_words_or_an_unknown_command_get_what_the_bot_can_do_with_buttons(
    bot: BotDriver,
    http: httpx.Client,
    system: System,
    language: str,
    typed: str,
    first_line: str,
    labels: list[str],
) -> None:
    _, telegram = linked(http, system, language)
    (answer,) = bot.say(telegram, typed)
    assert answer.text.splitlines()[0] == first_line
    assert [label for label, _ in answer.buttons] == labels
    (events,) = bot.press(telegram, answer, labels[0])
    assert events.text in (
        "Todavía no estás en ningún evento. Pide una invitación a quien lo organiza.",
        "You are not in any event yet. Ask an organizer for an invitation.",
    )


def test_someone_not_linked_gets_how_to_link_instead_of_silence(bot: BotDriver) -> None:
    (answer,) = bot.say(a_telegram_user("es"), "hola")
    assert "Vincular Telegram" in answer.text
    assert "http://127.0.0.1:8000/account" in answer.text  # Telegram opens no local address


def test_in_a_group_talk_is_left_alone_and_only_commands_for_the_bot_are_answered(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    assert bot.say(owner_tg, "hola a todos", chat_id=GROUP) == []
    assert bot.say(owner_tg, "gasto 5 pan", chat_id=GROUP) == []
    assert bot.say(owner_tg, "/foo", chat_id=GROUP) == []  # maybe another bot's
    assert bot.say(owner_tg, "/gasto@another_bot 5 pan", chat_id=GROUP) == []
    (near,) = bot.say(owner_tg, "/gastos 5 pan", chat_id=GROUP)
    assert near.text == "¿Querías decir /gasto 5 pan?"
    (addressed,) = bot.say(owner_tg, f"/foo@{BOT_USERNAME}", chat_id=GROUP)
    assert addressed.text.startswith("No conozco /foo.")
