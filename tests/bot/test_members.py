"""/join and /leave: joining the group's event, leaving with a confirmation."""

from __future__ import annotations

import httpx

from tests.bot.act_world import (
    GROUP,
    a_linked_member,
    a_trip,
    bind,
    bot_without,
    linked,
    members_of,
)
from tests.bot.conftest import BotDriver, a_telegram_user
from tripbot.platform.db import Database
from tripbot.system import System

# ---- /join


def test_join_in_a_bound_group_makes_a_participant_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    person, telegram = linked(http, system, "es")

    (welcome,) = bot.say(telegram, "/unirme", chat_id=GROUP)

    assert "¡Te damos la bienvenida a Travesía de Picos" in welcome.text
    assert members_of(http, event, owner)[person.id] == "participant"
    (again,) = bot.say(telegram, "/join", chat_id=GROUP)
    assert again.text == "Ya estás en Travesía de Picos, como participante."
    assert len(members_of(http, event, owner)) == 2


def test_join_keeps_an_organizers_role_in_english(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    organizer, organizer_tg = a_linked_member(http, system, event, owner, "en", "organizer")

    (answer,) = bot.say(organizer_tg, "/join", chat_id=GROUP)

    assert answer.text == "You are already in Travesía de Picos, as organizer."
    assert members_of(http, event, owner)[organizer.id] == "organizer"
    newcomer, newcomer_tg = linked(http, system, "en")
    (welcome,) = bot.say(newcomer_tg, "/join", chat_id=GROUP)
    assert welcome.text.startswith("Welcome to Travesía de Picos")
    assert members_of(http, event, owner)[newcomer.id] == "participant"


def test_join_in_a_group_that_follows_no_event_says_an_organizer_must_bind(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    _, telegram = linked(http, system, "en")
    (answer,) = bot.say(telegram, "/join", chat_id=GROUP)
    assert "/bind" in answer.text
    assert "organizers" in answer.text
    _, spanish = linked(http, system, "es")
    (respuesta,) = bot.say(spanish, "/unirme", chat_id=GROUP)
    assert "/vincular" in respuesta.text


def test_join_in_a_private_chat_explains_groups_and_invitations(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    a_trip(http, owner)
    _, telegram = linked(http, system, "en")
    (answer,) = bot.say(telegram, "/join")
    assert "group" in answer.text
    assert "/join CODE" in answer.text
    (respuesta,) = bot.say(a_telegram_user("es"), "/unirme")
    assert "/unirme CÓDIGO" in respuesta.text


def test_join_without_a_linked_account_explains_how_to_link(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    (answer,) = bot.say(a_telegram_user("es"), "/unirme", chat_id=GROUP)
    assert "Vincular Telegram" in answer.text
    assert len(members_of(http, event, owner)) == 1


def test_join_with_the_events_service_down_says_it_is_unavailable(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    _, telegram = linked(http, system, "en")
    with bot_without(system, bot_database, "events") as bot:
        (answer,) = bot.say(telegram, "/join", chat_id=GROUP)
        (respuesta,) = bot.say(a_telegram_user("es"), "/unirme", chat_id=GROUP)
    assert answer.text.startswith("That part of TripBot (events) is unavailable")
    assert respuesta.text.startswith("Esa parte de TripBot (eventos) no está disponible")


# ---- /leave


def test_leave_after_yes_removes_the_person_in_spanish(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    person, telegram = a_linked_member(http, system, event, owner, "es")

    (question,) = bot.say(telegram, "/salir")
    assert question.text.startswith("¿Salir de Travesía de Picos?")
    assert person.id in members_of(http, event, owner)
    (answer,) = bot.press(telegram, question, "Sí, salir")

    assert answer.text == "Has salido de Travesía de Picos. ¡Buen viaje de todos modos!"
    assert person.id not in members_of(http, event, owner)
    (again,) = bot.press(telegram, question, "Sí, salir")
    assert again.text.startswith("No lo encuentro")


def test_leave_after_no_keeps_the_person_in_english(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, _ = linked(http, system, "en")
    event = a_trip(http, owner)
    person, telegram = a_linked_member(http, system, event, owner, "en")
    (question,) = bot.say(telegram, "/leave")
    (answer,) = bot.press(telegram, question, "No, stay")
    assert answer.text == "Good: you stay in the event."
    assert person.id in members_of(http, event, owner)


def test_the_last_owner_is_told_politely_and_stays(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    (question,) = bot.say(owner_tg, "/leave")
    (answer,) = bot.press(owner_tg, question, "Yes, leave")
    assert "last owner of Travesía de Picos" in answer.text
    assert members_of(http, event, owner)[owner.id] == "owner"


def test_someone_else_cannot_press_the_leave_buttons_in_a_group(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    person, telegram = a_linked_member(http, system, event, owner, "en")
    other, other_tg = a_linked_member(http, system, event, owner, "es")

    (question,) = bot.say(telegram, "/leave", chat_id=GROUP)
    refusal = bot.toast(other_tg, question, "Yes, leave")

    assert refusal == "Estos botones son para quien lo pidió."
    assert {person.id, other.id} <= set(members_of(http, event, owner))


def test_leave_in_a_group_of_an_event_one_is_not_in_is_not_found(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, stranger = linked(http, system, "en")
    (answer,) = bot.say(stranger, "/leave", chat_id=GROUP)
    assert answer.text == "This group follows an event you are not a member of."
    assert answer.buttons == []


def test_leave_unlinked_explains_how_to_link(bot: BotDriver) -> None:
    (answer,) = bot.say(a_telegram_user("en"), "/leave")
    assert "Link Telegram" in answer.text


def test_join_in_private_accepts_an_invitation_code_or_link(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    from tests.builders import an_invitation

    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    person, telegram = linked(http, system, "es")
    code = an_invitation(http, event, owner, max_uses=1)["code"]
    (welcome,) = bot.say(telegram, f"/unirme https://club.example/invite/{code}")
    assert welcome.text == (
        "¡Te damos la bienvenida a Travesía de Picos! Estás dentro como participante; "
        "/evento te cuenta más."
    )
    assert members_of(http, event, owner)[person.id] == "participant"
    _, latecomer = linked(http, system, "en")
    (used,) = bot.say(latecomer, f"/join {code}")
    assert used.text == (
        "That invitation is unknown, used up or expired. Ask an organizer for a new one."
    )
    (unknown,) = bot.say(latecomer, "/join not-a-code")
    assert unknown.text == used.text
    (inside,) = bot.say(telegram, f"/unirme {code}")  # used up, by this very person
    assert inside.text == (
        "Ya estás dentro de Travesía de Picos, como participante: no hace falta nada más."
    )


# ---- /guest


def test_an_organizer_adds_a_person_without_an_account_by_name(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "es")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)

    (added,) = bot.say(owner_tg, "/invitado Pepa García", chat_id=GROUP)

    roles = members_of(http, event, owner)
    (pepa,) = [user_id for user_id, role in roles.items() if role == "guest"]
    assert added.text.startswith(f"Pepa García (#{pepa}) ya está en Travesía de Picos sin cuenta")
    (empty,) = bot.say(owner_tg, "/guest", chat_id=GROUP)
    assert empty.text.startswith("Escribe el nombre de la persona")
    (long,) = bot.say(owner_tg, "/guest " + "x" * 81, chat_id=GROUP)
    assert long.text == empty.text
    assert len(members_of(http, event, owner)) == 2


def test_a_participant_cannot_add_a_guest(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner, owner_tg = linked(http, system, "en")
    event = a_trip(http, owner)
    bind(bot, owner_tg, event, GROUP)
    _, member_tg = a_linked_member(http, system, event, owner, "en", "participant")

    (refused,) = bot.say(member_tg, "/guest Pepa", chat_id=GROUP)

    assert "organizer" in refused.text
    assert len(members_of(http, event, owner)) == 2


def test_the_help_names_the_guest_command_in_each_language(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    _, spanish = linked(http, system, "es")
    _, english = linked(http, system, "en")
    (ayuda,) = bot.say(spanish, "/ayuda")
    (help_,) = bot.say(english, "/help")
    assert "/invitado <nombre>: añadir a alguien sin cuenta (organización)" in ayuda.text
    assert "/guest <name>: add someone without an account (organizers)" in help_.text
