"""/expense (/gasto): exact amounts, who shares it, one entry however often it arrives."""

from __future__ import annotations

import httpx
import pytest

from tests.bot.act_world import (
    GROUP,
    a_linked_member,
    a_trip,
    bind,
    bot_without,
    entries,
    linked,
    names_of,
)
from tests.bot.conftest import BotDriver, a_telegram_user
from tripbot.platform.db import Database
from tripbot.system import System


def test_a_participant_records_an_expense_shared_by_everyone_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    person, telegram = a_linked_member(http, system, event, owner, "es")
    a_linked_member(http, system, event, owner, "es")

    (question,) = bot.say(telegram, "/gasto 23,50 gasolina del coche")
    assert question.text.startswith("23,50\xa0€ en gasolina del coche, pagado por ti.")
    assert [label for label, _ in question.buttons][-3:] == ["Todos", "Listo", "Cancelar"]
    (answer,) = bot.press(telegram, question, "Todos")

    (entry,) = entries(http, event, owner)
    assert (entry["amount"], entry["description"], entry["kind"]) == (
        "23.50",
        "gasolina del coche",
        "expense",
    )
    assert [payer["party"] for payer in entry["paid_by"]] == [person.id]
    assert len(entry["split"]["among"]) == 3
    assert answer.text.splitlines() == [
        "Apuntado en Travesía de Picos: gasolina del coche, 23,50\xa0€, pagado por ti, "
        "repartido entre 3 personas.",
        "Tu saldo: 15,67\xa0€ (positivo: te deben; negativo: debes).",
    ]


def test_an_expense_shared_by_the_people_ticked_in_english(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    friend, _ = a_linked_member(http, system, event, owner, "en")
    a_linked_member(http, system, event, owner, "en")
    names = names_of(http, event, owner)

    (question,) = bot.say(owner_tg, "/expense 30 dinner")
    bot.press(owner_tg, question, names[owner.id])
    ticked = bot.telegram.sent[-1]
    assert ticked.method == "editMessageText"
    assert f"✓ {names[owner.id]}" in dict(ticked.buttons)
    bot.press(owner_tg, ticked, names[friend.id])
    (answer,) = bot.press(owner_tg, bot.telegram.sent[-1], "Done")

    (entry,) = entries(http, event, owner)
    assert sorted(share["user_id"] for share in entry["split"]["among"]) == [owner.id, friend.id]
    assert answer.text.splitlines() == [
        "Recorded in Travesía de Picos: dinner, €30.00, paid by you, shared by 2 people.",
        "Your balance: €15.00 (positive: you are owed; negative: you owe).",
    ]


def test_untick_and_done_with_nobody_asks_for_someone(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    names = names_of(http, event, owner)
    (question,) = bot.say(owner_tg, "/expense 12 bread")
    bot.press(owner_tg, question, names[owner.id])
    bot.press(owner_tg, bot.telegram.sent[-1], f"✓ {names[owner.id]}")
    unticked = bot.telegram.sent[-1]
    assert names[owner.id] in dict(unticked.buttons)
    (answer,) = bot.press(owner_tg, unticked, "Done")
    assert answer.text == "Tick at least one person, or press Everyone."
    assert entries(http, event, owner) == []


def test_done_pressed_twice_and_a_redelivered_update_record_one_entry(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    event = a_trip(http, owner)
    _, telegram = a_linked_member(http, system, event, owner, "en")
    command = bot.updates.message(telegram, "/expense 9.99 coffee", update_id=770_001)
    (question,) = bot.process(command)
    assert (
        bot.process(bot.updates.message(telegram, "/expense 9.99 coffee", update_id=770_001)) == []
    )

    (first,) = bot.process(bot.updates.press(telegram, question, "Everyone", update_id=770_002))
    assert bot.process(bot.updates.press(telegram, question, "Everyone", update_id=770_002)) == []
    (second,) = bot.press(telegram, question, "Everyone")
    (third,) = bot.press(telegram, question, "Done")

    assert first.text.startswith("Recorded in Travesía de Picos: coffee, €9.99")
    assert second.text == third.text == "Already recorded: coffee, €9.99."
    assert len(entries(http, event, owner)) == 1


def test_the_key_comes_from_the_command_message_so_a_lost_answer_is_not_recorded_again(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    event = a_trip(http, owner)
    person, telegram = a_linked_member(http, system, event, owner, "en")
    command = bot.updates.message(telegram, "/expense 9.99 coffee")
    assert command.message is not None
    (question,) = bot.process(command)
    # The same call, as if the bot had sent it and lost the answer.
    earlier = http.post(
        f"/api/v1/events/{event['id']}/ledger/entries",
        json={"description": "coffee", "amount": "9.99"},
        headers={
            **person.headers,
            "Idempotency-Key": f"tg-{telegram.id}-{command.message.message_id}",
        },
    )
    assert earlier.status_code == 201, earlier.text

    (answer,) = bot.press(telegram, question, "Everyone")

    assert answer.text.startswith("Recorded in Travesía de Picos: coffee, €9.99")
    (entry,) = entries(http, event, owner)
    assert entry["id"] == earlier.json()["id"]


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("abc", "abc is not an amount of money."),
        ("-5", "-5 is not an amount of money."),
        ("+5", "+5 is not an amount of money."),
        ("12,5,0", "12,5,0 is not an amount of money."),
        ("1e3", "1e3 is not an amount of money."),
        ("0", "The amount must be more than zero."),
        ("0,00", "The amount must be more than zero."),
        ("1000000000.01", "1000000000.01 is more than the ledger takes in one entry."),
    ],
)
def test_bad_amounts_are_refused_with_the_usage(
    bot: BotDriver, http: httpx.Client, system: System, amount: str, why: str
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    (answer,) = bot.say(owner_tg, f"/expense {amount} fuel")
    assert answer.text.splitlines() == [
        why,
        "Write the amount and what it was for, e.g. /expense 23.50 fuel (a comma works too: "
        "/expense 23,50 fuel; so do 1.000,50 and 23 €).",
    ]
    assert answer.buttons == []
    assert entries(http, event, owner) == []


def test_more_decimals_than_the_currency_has_are_refused_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    (answer,) = bot.say(owner_tg, "/gasto 12,3456 gasolina")
    assert answer.text == "Los importes en EUR tienen como mucho 2 decimales: 12,3456 tiene más."
    assert entries(http, event, owner) == []


def test_a_missing_amount_or_description_gets_the_usage_in_both_languages(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    a_trip(http, owner)
    (bare,) = bot.say(owner_tg, "/gasto")
    (no_description,) = bot.say(owner_tg, "/gasto 23,50")
    assert bare.text == no_description.text
    assert bare.text.startswith(
        "Escribe el importe y en qué se gastó, p. ej. /gasto 23,50 gasolina"
    )
    (english,) = bot.say(a_telegram_user("en"), "/expense 23.50")
    assert english.text.startswith("Write the amount and what it was for")
    (long,) = bot.say(owner_tg, "/gasto 5 " + "x" * 201)
    assert long.text == "Descríbelo en 200 caracteres como mucho."


def test_expense_needs_a_link_and_membership(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    (unlinked,) = bot.say(a_telegram_user("en"), "/expense 23.50 fuel")
    assert "Link Telegram" in unlinked.text
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, stranger = linked(http, system, "es")
    (answer,) = bot.say(stranger, "/gasto 23,50 gasolina", chat_id=GROUP)
    assert answer.text == "Este grupo sigue un evento del que no eres miembro."
    assert entries(http, event, owner) == []


def test_someone_elses_buttons_say_they_are_for_the_asker_and_a_lost_draft_says_start_again(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, other_tg = a_linked_member(http, system, event, owner, "es")
    (question,) = bot.say(owner_tg, "/expense 40 taxi", chat_id=GROUP)

    for label in ("Everyone", "Done", "Cancel"):
        assert bot.toast(other_tg, question, label) == "Estos botones son para quien lo pidió."
    bot.application.drop_user_data(owner_tg.id)
    (lost,) = bot.press(owner_tg, question, "Done")
    assert lost.text == "That expense is no longer waiting: start again with /expense."
    assert entries(http, event, owner) == []


def test_expense_with_the_ledger_down_says_it_is_unavailable_and_can_be_retried(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    with bot_without(system, bot_database, "ledger") as bot:
        (question,) = bot.say(owner_tg, "/gasto 23,50 gasolina")
        (answer,) = bot.press(owner_tg, question, "Todos")
    assert answer.text.startswith("Esa parte de TripBot (cuentas) no está disponible")
    assert entries(http, event, owner) == []


def test_expense_with_the_events_service_down_says_it_is_unavailable(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    _, telegram = linked(http, system, "en")
    with bot_without(system, bot_database, "events") as bot:
        (answer,) = bot.say(telegram, "/expense 23.50 fuel")
    assert answer.text.startswith("That part of TripBot (events) is unavailable")
