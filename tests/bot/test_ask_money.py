"""/balance and /settle: exact money, and only what the ledger lets each person read."""

from __future__ import annotations

import httpx

from tests.bot.ask_world import linked, only
from tests.bot.conftest import BotDriver
from tests.builders import Cast, a_cast_in, an_expense
from tripbot.system import System


def a_fuel_bill(http: httpx.Client, cast: Cast) -> None:
    """The organizer paid 30.00 shared by the three members: the others owe 10.00 each."""
    an_expense(http, cast.event, cast.organizer, amount="30.00")


def share_the_report(http: httpx.Client, cast: Cast) -> None:
    """The owner lets every member read the ledger's report."""
    shared = http.patch(
        f"/api/v1/events/{cast.event['id']}/ledger/settings",
        json={"visibility": "members"},
        headers=cast.owner.headers,
    )
    assert shared.status_code == 200, shared.text


def test_balance_of_a_participant_is_only_their_own_while_the_report_is_private(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    a_fuel_bill(http, cast)
    answer = only(bot.say(linked(system, cast.participant, "en"), "/balance"))
    assert answer.text == "In Ruta del Cares you owe €10.00."
    assert [label for label, _ in answer.buttons] == ["Who pays whom"]


def test_balance_of_an_organizer_adds_the_events_totals(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    a_fuel_bill(http, cast)
    an_expense(http, cast.event, cast.organizer, amount="0.01", description="sweets")
    answer = only(bot.say(linked(system, cast.organizer, "es"), "/saldo"))
    assert answer.text == (
        "En Ruta del Cares te deben 20,01\xa0€.\n"
        "Gastos del evento hasta ahora: 0,00\xa0€ (ingresos 0,00\xa0€).\n"
        "Repartido entre miembros: 30,01\xa0€."
    )


def test_balance_of_a_participant_has_the_totals_once_the_report_is_shared(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    a_fuel_bill(http, cast)
    share_the_report(http, cast)
    answer = only(bot.say(linked(system, cast.participant, "en"), "/balance"))
    assert answer.text.splitlines()[1:] == [
        "The event's costs so far: €0.00 (income €0.00).",
        "Shared among members: €30.00.",
    ]


def test_balance_with_no_entries_is_even(bot: BotDriver, system: System) -> None:
    cast = a_cast_in(system)
    answer = only(bot.say(linked(system, cast.participant, "es"), "/saldo"))
    assert answer.text == ("En Ruta del Cares estás en paz: no debes nada y nadie te debe.")


def test_settle_shows_a_participant_only_their_own_transfers(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    a_fuel_bill(http, cast)
    ana = linked(system, cast.participant, "es")
    balance = only(bot.say(ana, "/saldo"))
    answer = only(bot.press(ana, balance, "Quién paga a quién"))
    organizer = organizer_name(http, cast)
    assert answer.text.splitlines() == [
        "Para saldar Ruta del Cares:",
        f"👉 Tú → {organizer}: 10,00\xa0€",
        "(Solo las transferencias que te afectan: la organización se guarda el resto.)",
    ]


def test_settle_shows_an_organizer_everything_with_their_own_highlighted(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    a_fuel_bill(http, cast)
    lines = only(bot.say(linked(system, cast.organizer, "en"), "/settle")).text.splitlines()
    assert lines[0] == "To settle Ruta del Cares:"
    assert sorted(lines[1:]) == ["👉 " + name + " → You: €10.00" for name in payers(http, cast)]


def test_settle_when_the_treasury_is_involved_names_it(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    an_expense(
        http,
        cast.event,
        cast.organizer,
        kind="purchase",
        amount="12.00",
        description="map",
    )
    share_the_report(http, cast)
    answer = only(bot.say(linked(system, cast.participant, "en"), "/settle"))
    assert answer.text.splitlines()[1:] == [
        f"• the treasury → {organizer_name(http, cast)}: €12.00"
    ]


def test_settle_when_everyone_is_square(bot: BotDriver, system: System) -> None:
    cast = a_cast_in(system)
    organizer = linked(system, cast.organizer, "en")
    assert only(bot.say(organizer, "/settle")).text == (
        "Everyone in Ruta del Cares is settled: nobody owes anything."
    )
    participant = linked(system, cast.participant, "es")
    assert only(bot.say(participant, "/liquidar")).text == (
        "En Ruta del Cares no debes nada y nadie te debe."
    )


def organizer_name(http: httpx.Client, cast: Cast) -> str:
    """The display name of the cast's organizer."""
    return member_names(http, cast)[cast.organizer.id]


def payers(http: httpx.Client, cast: Cast) -> list[str]:
    """The names of the owner and the participant, sorted."""
    names = member_names(http, cast)
    return sorted([names[cast.owner.id], names[cast.participant.id]])


def member_names(http: httpx.Client, cast: Cast) -> dict[int, str]:
    """Every member's display name by user id."""
    members = http.get(f"/api/v1/events/{cast.event['id']}/members", headers=cast.owner.headers)
    assert members.status_code == 200, members.text
    return {m["user_id"]: m["display_name"] for m in members.json()}
