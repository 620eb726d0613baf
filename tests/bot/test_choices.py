"""Every choice finishes what was asked: the event, an amount read two ways, a number typed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.bot.act_world import (
    GROUP,
    a_linked_member,
    a_trip,
    an_event_item,
    bind,
    entries,
    linked,
    press_at,
    reservations,
)
from tests.bot.conftest import BotDriver
from tests.builders import Person
from tripbot.bot.transport import TelegramUser
from tripbot.system import System


def two_trips(
    http: httpx.Client, system: System, language: str
) -> tuple[Person, TelegramUser, dict[str, Any], dict[str, Any]]:
    """Someone who owns two trips, linked to Telegram."""
    owner, telegram = linked(http, system, language)
    first = a_trip(http, owner, name="Picos")
    second = a_trip(http, owner, name="Gredos")
    return owner, telegram, first, second


@pytest.mark.parametrize(
    ("language", "typed", "done", "everyone"),
    [
        ("es", "/gasto 5 pan", "5,00\xa0€ en pan, pagado por ti.", "Todos"),
        ("en", "/expense 1,000.50 hut", "€1,000.50 for hut, paid by you.", "Everyone"),
    ],
)
def test_choosing_the_event_finishes_the_expense_with_its_amount(
    bot: BotDriver,
    http: httpx.Client,
    system: System,
    language: str,
    typed: str,
    done: str,
    everyone: str,
) -> None:
    owner, telegram, _, second = two_trips(http, system, language)
    (which,) = bot.say(telegram, typed)
    assert [label for label, _ in which.buttons] == [
        "Picos",
        "Gredos",
        "Cancelar" if language == "es" else "Cancel",
    ]
    (question,) = bot.press(telegram, which, "Gredos")
    assert question.text.startswith(done)
    bot.press(telegram, question, everyone)
    assert len(entries(http, second, owner)) == 1


def test_cancel_closes_the_question_and_a_closed_one_says_so(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    _, telegram, _, _ = two_trips(http, system, "es")
    (which,) = bot.say(telegram, "/saldo")
    (cancelled,) = bot.press(telegram, which, "Cancelar")
    assert cancelled.text == "Cancelado."
    (closed,) = bot.press(telegram, which, "Picos")
    assert closed.text == "Esa pregunta ya está cerrada: vuelve a pedirlo."


def test_in_a_group_following_no_event_only_the_asker_may_choose_and_the_group_stays_unbound(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg, first, _ = two_trips(http, system, "es")
    _, member_tg = a_linked_member(http, system, first, owner, "es")
    (which,) = bot.say(owner_tg, "/saldo", chat_id=GROUP)
    assert which.text.splitlines()[1].startswith("(Este grupo no sigue ningún evento")
    assert bot.toast(member_tg, which, "Picos") == "Estos botones son para quien lo pidió."
    (balance,) = bot.press(owner_tg, which, "Picos")
    assert balance.text.startswith("En Picos estás en paz")
    (again,) = bot.say(owner_tg, "/saldo", chat_id=GROUP)
    assert again.text.startswith("¿Qué evento?")  # choosing did not bind the group


@pytest.mark.parametrize(
    ("language", "typed", "question", "labels", "pressed", "recorded"),
    [
        (
            "es",
            "/gasto 1.000 alquiler",
            "¿Cuánto es 1.000?",
            ["1.000,00\xa0€", "1,00\xa0€", "Cancelar"],
            "1.000,00\xa0€",
            "1000.00",
        ),
        (
            "en",
            "/expense 1,000 rent",
            "How much is 1,000?",
            ["€1,000.00", "€1.00", "Cancel"],
            "€1.00",
            "1.00",
        ),
    ],
)
def test_an_amount_that_reads_two_ways_is_asked_with_two_buttons(
    bot: BotDriver,
    http: httpx.Client,
    system: System,
    language: str,
    typed: str,
    question: str,
    labels: list[str],
    pressed: str,
    recorded: str,
) -> None:
    owner, telegram = linked(http, system, language)
    event = a_trip(http, owner)
    (asked,) = bot.say(telegram, typed)
    assert asked.text == question
    assert [label for label, _ in asked.buttons] == labels
    (who,) = bot.press(telegram, asked, pressed)
    bot.press(telegram, who, "Todos" if language == "es" else "Everyone")
    assert [e["amount"] for e in entries(http, event, owner)] == [recorded]


@pytest.mark.parametrize(
    ("typed", "amount", "description"),
    [
        ("/gasto 23€ cena", "23.00", "cena"),
        ("/gasto €23 cena", "23.00", "cena"),
        ("/gasto 23 € cena", "23.00", "cena"),
        ("/gasto 1.000,50 alquiler", "1000.50", "alquiler"),
        ("/gasto 1.234 alquiler", "1234.00", "alquiler"),  # 1,234 € has too many decimals
    ],
)
def test_amounts_as_people_write_them_are_recorded_exactly(
    bot: BotDriver, http: httpx.Client, system: System, typed: str, amount: str, description: str
) -> None:
    owner, telegram = linked(http, system, "es")
    event = a_trip(http, owner)
    (who,) = bot.say(telegram, typed)
    bot.press(telegram, who, "Todos")
    (entry,) = entries(http, event, owner)
    assert (entry["amount"], entry["description"]) == (amount, description)


def test_an_amount_in_another_currency_is_refused_in_words(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, telegram = linked(http, system, "es")
    event = a_trip(http, owner)
    (answer,) = bot.say(telegram, "/gasto 5 USD taxi")
    assert answer.text == ("Travesía de Picos lleva sus cuentas en EUR: escribe el importe en EUR.")
    assert entries(http, event, owner) == []


def test_a_quantity_past_the_buttons_can_be_typed_and_a_wrong_one_is_asked_again(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, telegram = linked(http, system, "es")
    event = a_trip(http, owner)
    an_event_item(http, event, owner, "Mosquetón", 12)
    (days,) = bot.say(telegram, "/reservar mosquetón")
    (how_many,) = bot.press(telegram, days, "Todo el evento")
    assert [label for label, _ in how_many.buttons] == [*map(str, range(1, 8)), "Cancelar"]
    (wrong,) = bot.say(telegram, "20")
    assert wrong.text.startswith("20 no vale: hay de 1 a 12 libres.")
    (confirm,) = bot.say(telegram, "9")
    assert confirm.text.startswith("¿Reservar 9 x Mosquetón")
    bot.press(telegram, confirm, "Reservar")
    (booked,) = reservations(http, owner, scope="event", event_id=event["id"])
    assert booked["quantity"] == 9


def test_reserve_reads_days_typed_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, telegram = linked(http, system, "es")
    event = a_trip(http, owner)
    an_event_item(http, event, owner, "Tienda", 3)
    (days,) = bot.say(telegram, "/reservar tienda del 1 al 2 de mayo de 2027")
    assert [label for label, _ in days.buttons] == [
        "sáb, 1 may",
        "dom, 2 may",
        "Todos esos días",
        "Cancelar",
    ]
    (how_many,) = press_at(bot, telegram, days, 2)
    (confirm,) = bot.press(telegram, how_many, "1")
    assert "sáb, 1 may → dom, 2 may" in confirm.text


def test_the_expense_buttons_of_a_group_are_the_askers(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, member_tg = a_linked_member(http, system, event, owner, "en")
    (question,) = bot.say(owner_tg, "/gasto 12 pan", chat_id=GROUP)
    assert bot.toast(member_tg, question, "Todos") == "These buttons are for the person who asked."
    (done,) = bot.press(owner_tg, question, "Todos")
    assert done.text.startswith("Apuntado en Travesía de Picos: pan")
