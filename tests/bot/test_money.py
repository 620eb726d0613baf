"""Leaving with money open, and what a person who left still sees: through the real handlers."""

from __future__ import annotations

import httpx

from tests.bot.act_world import a_linked_member, a_trip, linked, members_of, names_of
from tests.bot.conftest import BotDriver
from tests.builders import an_expense
from tripbot.system import System


def test_leaving_with_money_owed_shows_it_offers_to_settle_and_keeps_it_visible_after(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    pedro, pedro_tg = a_linked_member(http, system, event, owner, "es")
    an_expense(http, event, pedro, amount="9.00", description="pan")  # owner owes him 4.50
    names = names_of(http, event, owner)
    marta = names[owner.id]

    (question,) = bot.say(pedro_tg, "/salir")
    assert question.text.splitlines() == [
        "En Travesía de Picos te deben 4,50\xa0€.",
        f"👉 {marta} → Tú: 4,50\xa0€",
        "Si sales, lo seguirás viendo con /saldo y lo seguirás cobrando o debiendo. "
        "¿Liquidar antes?",
    ]
    assert [label for label, _ in question.buttons] == [
        "Liquidar antes",
        "Salir de todos modos",
        "No, me quedo",
    ]
    (settle_first,) = bot.press(pedro_tg, question, "Liquidar antes")
    assert settle_first.text.splitlines()[:2] == [
        "Para saldar Travesía de Picos:",
        f"👉 {marta} → Tú: 4,50\xa0€",
    ]
    (left,) = bot.press(pedro_tg, question, "Salir de todos modos")
    assert left.text == "Has salido de Travesía de Picos. ¡Buen viaje de todos modos!"
    assert pedro.id not in members_of(http, event, owner)

    (balance,) = bot.say(pedro_tg, "/saldo")
    assert balance.text.splitlines() == [
        "Saliste de Travesía de Picos con dinero pendiente: En Travesía de Picos te deben "
        "4,50\xa0€.",
        f"👉 {marta} → Tú: 4,50\xa0€",
    ]
    (settle,) = bot.say(pedro_tg, "/liquidar")
    assert settle.text == balance.text
    (owner_side,) = bot.say(owner_tg, "/liquidar")
    assert f"👉 Tú → {names[pedro.id]}: 4,50\xa0€" in owner_side.text


def test_leaving_even_asks_only_to_confirm_in_english(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    event = a_trip(http, owner)
    _, telegram = a_linked_member(http, system, event, owner, "en")
    (question,) = bot.say(telegram, "/leave")
    assert question.text.startswith("Leave Travesía de Picos?")
    assert [label for label, _ in question.buttons] == ["Yes, leave", "No, stay"]
