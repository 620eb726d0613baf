"""/reserve: the guided conversation, who reserves for whom, races, repeats, stale buttons."""

from __future__ import annotations

import httpx

from tests.bot.act_world import (
    GROUP,
    a_linked_member,
    a_trip,
    an_event_item,
    bind,
    bot_without,
    linked,
    press_at,
    reservations,
)
from tests.bot.conftest import BotDriver, a_telegram_user
from tripbot.platform.db import Database
from tripbot.system import System


def test_an_organizer_reserves_for_the_event_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    tent = an_event_item(http, event, owner, "Tienda dos plazas", 3)
    an_event_item(http, event, owner, "Hornillo", 2)

    (days,) = bot.say(owner_tg, "/reservar tienda")
    assert days.text == "Tienda dos plazas: ¿para qué días?"
    assert [label for label, _ in days.buttons] == [
        "sáb, 1 may",
        "dom, 2 may",
        "lun, 3 may",
        "Todo el evento",
        "Cancelar",
    ]
    (how_many,) = bot.press(owner_tg, days, "Todo el evento")
    assert how_many.text == (
        "Tienda dos plazas: hay 3 libres. ¿Cuántas unidades? Pulsa o escribe un número."
    )
    assert [label for label, _ in how_many.buttons] == ["1", "2", "3", "Cancelar"]
    (confirm,) = bot.press(owner_tg, how_many, "2")
    assert confirm.text == (
        "¿Reservar 2 x Tienda dos plazas, sáb, 1 may → lun, 3 may, para Travesía de Picos?"
    )
    (done,) = bot.press(owner_tg, confirm, "Reservar")

    assert done.text.startswith("Reservado: 2 x Tienda dos plazas")
    (booked,) = reservations(http, owner, scope="event", event_id=event["id"])
    assert (booked["item_id"], booked["quantity"], booked["event_id"]) == (
        tent["id"],
        2,
        event["id"],
    )
    assert (booked["start_date"], booked["end_date"]) == ("2027-05-01", "2027-05-03")


def test_a_participant_chooses_from_a_list_and_reserves_for_themselves_in_english(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    event = a_trip(http, owner)
    an_event_item(http, event, owner, "Tent", 3)
    stove = an_event_item(http, event, owner, "Stove", 7)
    person, telegram = a_linked_member(http, system, event, owner, "en")

    (menu,) = bot.say(telegram, "/reserve")
    assert menu.text.splitlines()[0] == "What would you like to reserve for Travesía de Picos?"
    assert "• Stove: 7 of 7 free for the whole event" in menu.text
    (days,) = bot.press(telegram, menu, "Stove")
    (how_many,) = press_at(bot, telegram, days, 1)
    assert [label for label, _ in how_many.buttons] == ["1", "2", "3", "4", "5", "6", "7", "Cancel"]
    (confirm,) = bot.press(telegram, how_many, "1")
    assert confirm.text == "Reserve 1 x Stove, Sun, May 2, for you, during Travesía de Picos?"
    (done,) = bot.press(telegram, confirm, "Reserve")

    assert done.text.startswith("Reserved: 1 x Stove, Sun, May 2.")
    (mine,) = reservations(http, person)
    assert (mine["item_id"], mine["event_id"], mine["start_date"]) == (
        stove["id"],
        None,
        "2027-05-02",
    )


def test_days_with_nothing_free_ask_for_other_days(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    rope = an_event_item(http, event, owner, "Rope", 1)
    taken = http.post(
        "/api/v1/gear/reservations",
        json={"item_id": rope["id"], "start_date": "2027-05-01", "end_date": "2027-05-01"},
        headers=owner.headers,
    )
    assert taken.status_code == 201, taken.text

    (days,) = bot.say(owner_tg, "/reserve rope")
    (again,) = press_at(bot, owner_tg, days, 0)

    assert again.text.startswith("No Rope is free on every one of those days.")
    assert again.buttons == days.buttons
    (how_many,) = press_at(bot, owner_tg, again, 1)
    assert how_many.text == "Rope: 1 is free. How many?"


def test_someone_faster_gets_a_polite_answer_with_what_is_free(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    tent = an_event_item(http, event, owner, "Tienda", 3)
    person, telegram = a_linked_member(http, system, event, owner, "es")

    (days,) = bot.say(telegram, "/reservar tienda")
    (how_many,) = bot.press(telegram, days, "Todo el evento")
    (confirm,) = bot.press(telegram, how_many, "3")
    faster = http.post(
        "/api/v1/gear/reservations",
        json={
            "item_id": tent["id"],
            "quantity": 2,
            "start_date": "2027-05-02",
            "end_date": "2027-05-02",
        },
        headers=owner.headers,
    )
    assert faster.status_code == 201, faster.text
    (answer,) = bot.press(telegram, confirm, "Reservar")

    assert answer.text == (
        "Alguien ha sido más rápido: ahora solo queda 1 Tienda libre esos días. "
        "Empieza de nuevo con /reservar."
    )
    assert reservations(http, person) == []
    (stale,) = bot.press(telegram, confirm, "Reservar")
    assert stale.text.startswith("Esa reserva ya no está en curso")


def test_confirming_twice_or_a_redelivered_press_reserves_once(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    an_event_item(http, event, owner, "Tent", 3)
    (days,) = bot.say(owner_tg, "/reserve tent")
    (how_many,) = bot.press(owner_tg, days, "The whole event")
    (confirm,) = bot.press(owner_tg, how_many, "1")

    press = bot.updates.press(owner_tg, confirm, "Reserve", update_id=880_001)
    (first,) = bot.process(press)
    assert bot.process(bot.updates.press(owner_tg, confirm, "Reserve", update_id=880_001)) == []
    (second,) = bot.press(owner_tg, confirm, "Reserve")

    assert first.text.startswith("Reserved: 1 x Tent")
    assert second.text.startswith("Already reserved: 1 x Tent")
    (cancel,) = bot.press(owner_tg, confirm, "Cancel")
    (older_step,) = bot.press(owner_tg, how_many, "3")
    assert (
        cancel.text
        == older_step.text
        == ("That reservation is no longer in progress: start again with /reserve.")
    )
    assert len(reservations(http, owner, scope="event", event_id=event["id"])) == 1


def test_a_stale_or_foreign_button_says_start_again(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    an_event_item(http, event, owner, "Tent", 3)
    _, other_tg = a_linked_member(http, system, event, owner, "en")

    (days,) = bot.say(owner_tg, "/reserve tent", chat_id=GROUP)
    foreign = bot.toast(other_tg, days, "The whole event")
    assert foreign == "These buttons are for the person who asked."
    (newer,) = bot.say(owner_tg, "/reserve tent", chat_id=GROUP)
    (replaced,) = bot.press(owner_tg, days, "The whole event")
    assert replaced.text.startswith("That reservation is no longer in progress")
    bot.application.drop_user_data(owner_tg.id)
    (restarted,) = bot.press(owner_tg, newer, "The whole event")
    assert restarted.text.startswith("That reservation is no longer in progress")
    assert reservations(http, owner, scope="event", event_id=event["id"]) == []


def test_cancel_reserves_nothing(bot: BotDriver, http: httpx.Client, system: System) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    an_event_item(http, event, owner, "Tienda", 3)
    (days,) = bot.say(owner_tg, "/reservar")
    (how_many,) = press_at(bot, owner_tg, days, 0)
    (confirm,) = bot.press(owner_tg, how_many, "1")
    (answer,) = bot.press(owner_tg, confirm, "Cancelar")
    assert answer.text == "De acuerdo: no se ha reservado nada."
    assert reservations(http, owner, scope="event", event_id=event["id"]) == []


def test_no_gear_matching_says_so_in_both_languages(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    (empty,) = bot.say(owner_tg, "/reserve")
    assert empty.text == "There is no gear to reserve yet."
    an_event_item(http, event, owner, "Tent", 3)
    (none,) = bot.say(owner_tg, "/reserve kayak")
    assert none.text == 'No gear matches "kayak".'
    _, spanish = a_linked_member(http, system, event, owner, "es")
    (ninguno,) = bot.say(spanish, "/reservar kayak")
    assert ninguno.text == "Ningún material coincide con «kayak»."


def test_an_event_that_is_over_has_nothing_to_reserve(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    a_trip(
        http,
        owner,
        name="Old trip",
        starts_at="2020-05-01T08:00:00+02:00",
        ends_at="2020-05-02T18:00:00+02:00",
    )
    (which,) = bot.say(owner_tg, "/reserve")
    bot.press(owner_tg, which, "Old trip")
    (answer,) = bot.say(owner_tg, "/reserve")
    assert answer.text == "Old trip is over: there is no gear to reserve for it."


def test_reserve_needs_a_link_and_membership(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    (unlinked,) = bot.say(a_telegram_user("es"), "/reservar tienda")
    assert "Vincular Telegram" in unlinked.text
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, stranger = linked(http, system, "en")
    (answer,) = bot.say(stranger, "/reserve tent", chat_id=GROUP)
    assert answer.text == "This group follows an event you are not a member of."


def test_reserve_with_the_gear_service_down_says_it_is_unavailable(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    owner, owner_tg = linked(http, system, "es")
    a_trip(http, owner)
    with bot_without(system, bot_database, "gear") as bot:
        (answer,) = bot.say(owner_tg, "/reservar tienda")
    assert answer.text.startswith("Esa parte de TripBot (material) no está disponible")
