"""/gear (what is free on some days) and /mygear (one's loans, overdue marked, and bookings)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from tests.bot.ask_world import linked, only
from tests.bot.conftest import BotDriver
from tests.builders import Person, a_cast_in, a_gear_keeper_in, a_person_in
from tripbot.gear.models import Loan, Reservation
from tripbot.system import System

TODAY = date(2026, 11, 21)


def an_item(http: httpx.Client, keeper: Person, **fields: Any) -> dict[str, Any]:
    """Gear of the club (or, with ``event_id``, of an event), stocked by a keeper."""
    body = {"name": "Tent", "category": "Shelter", "quantity": 3, **fields}
    response = http.post("/api/v1/gear/items", json=body, headers=keeper.headers)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def a_booking(
    http: httpx.Client, person: Person, item: dict[str, Any], first: str, last: str, **more: Any
) -> dict[str, Any]:
    """A reservation of one of an item for some days."""
    body = {"item_id": item["id"], "start_date": first, "end_date": last, **more}
    response = http.post("/api/v1/gear/reservations", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


def test_gear_tells_how_many_are_free_on_the_dates_given(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    keeper, member = a_gear_keeper_in(system), a_person_in(system)
    tent = an_item(http, keeper)
    an_item(http, keeper, name="Stove", category="Kitchen")
    a_booking(http, member, tent, "2027-05-12", "2027-05-13", quantity=2)
    a_booking(http, member, tent, "2027-05-14", "2027-05-14")
    ana = linked(system, member, "en")
    answer = only(bot.say(ana, "/gear tent 2027-05-12..2027-05-14"))
    assert answer.text.splitlines() == [
        "Gear free from Wed, May 12 to Fri, May 14, 2027:",
        "✅ Tent: 1 free of 3",
        "To book some, use /reserve.",
    ]
    free = only(bot.say(ana, "/gear tent 15/05/2027")).text
    assert "✅ Tent: 3 free of 3" in free


def test_gear_in_spanish_with_the_day_and_month_only(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    keeper, member = a_gear_keeper_in(system), a_person_in(system)
    tent = an_item(http, keeper, name="Tienda", quantity=2)
    first = date.today() + timedelta(days=3)
    a_booking(http, member, tent, first.isoformat(), first.isoformat(), quantity=2)
    asked = f"{first:%d/%m}-{first + timedelta(days=1):%d/%m}"
    answer = only(bot.say(linked(system, member, "es"), f"/material tienda {asked}"))
    assert answer.text.startswith("Material libre del ")
    assert "⛔ Tienda: 0 libres de 2" in answer.text
    assert "/reservar" in answer.text


def test_gear_defaults_to_the_current_events_days_and_lists_its_own_gear(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    keeper = a_gear_keeper_in(system)
    tent = an_item(http, keeper)
    an_item(http, cast.organizer, name="Event tent", quantity=1, event_id=cast.event["id"])
    a_booking(http, cast.participant, tent, "2027-05-01", "2027-05-01")
    answer = only(bot.say(linked(system, cast.participant, "en"), "/gear tent"))
    assert answer.text.splitlines()[:3] == [
        "Gear free on Sat, May 1, 2027:",
        "✅ Tent: 2 free of 3",
        "✅ Event tent: 1 free of 1",
    ]


def test_gear_without_an_event_looks_at_today(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    keeper, member = a_gear_keeper_in(system), a_person_in(system)
    an_item(http, keeper)
    answer = only(bot.say(linked(system, member, "en"), "/gear"))
    assert answer.text.startswith("Gear free on ")
    assert "✅ Tent: 3 free of 3" in answer.text


def test_gear_with_days_that_do_not_exist_explains_how_to_write_them(
    bot: BotDriver, system: System
) -> None:
    ana = linked(system, a_person_in(system), "es")
    usage = only(bot.say(ana, "/material tienda 31/02")).text
    assert usage.startswith("No sé leer 31/02 como días.\nPregunta así: /material <qué> [días]")
    assert only(bot.say(ana, "/material tienda")).text == "Ningún material coincide con «tienda»."
    assert only(bot.say(ana, "/material")).text == "Aún no hay material en el inventario."


@pytest.mark.parametrize(
    ("language", "asked", "told", "fix", "answer"),
    [
        (
            "es",
            "/material tienda del 14/05/2027 al 12/05/2027",
            "El mié, 12 may va antes que el vie, 14 may. ¿Querías decir del mié, 12 may al "
            "vie, 14 may?",
            "mié, 12 may → vie, 14 may",
            "Ningún material coincide con «tienda».",
        ),
        (
            "en",
            "/gear tent 14/05/2027-12/05/2027",
            "Wed, May 12 comes before Fri, May 14. Did you mean from Wed, May 12 to Fri, May 14?",
            "Wed, May 12 → Fri, May 14",
            "No gear matches “tent”.",
        ),
        (
            "es",
            "/material tienda 2027-01-01..2027-12-31",
            "Puedo mirar 90 días de una vez, y del vie, 1 ene al vie, 31 dic 2027 hay 365. "
            "¿Miro estos?",
            "vie, 1 ene → mié, 31 mar",
            "Ningún material coincide con «tienda».",
        ),
        (
            "en",
            "/gear tent from 1 January 2027 to 31 December 2027",
            "I can look at 90 days at a time, and from Fri, Jan 1 to Fri, Dec 31, 2027 are 365. "
            "Shall I look at these?",
            "Fri, Jan 1 → Wed, Mar 31",
            "No gear matches “tent”.",
        ),
    ],
)
def test_days_backwards_or_too_many_are_told_in_words_and_the_fix_is_a_button(
    bot: BotDriver, system: System, language: str, asked: str, told: str, fix: str, answer: str
) -> None:
    ana = linked(system, a_person_in(system), language)
    question = only(bot.say(ana, asked))
    assert question.text == told
    assert [label for label, _ in question.buttons] == [
        fix,
        "Cancelar" if language == "es" else "Cancel",
    ]
    assert only(bot.press(ana, question, fix)).text == answer


# ---- /mygear ----------------------------------------------------------------------------------


def test_mygear_lists_loans_with_the_overdue_marked_and_bookings(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    keeper, member = a_gear_keeper_in(system), a_person_in(system)
    stove = an_item(http, keeper, name="Stove")
    tent = an_item(
        http,
        keeper,
        tracking="units",
        units=[{"label": "T1"}],
        quantity=None,
    )
    today = datetime.now(ZoneInfo(system.settings.gear_timezone)).date()  # the club's today
    walk_up = {"item_id": stove["id"], "quantity": 2, "end_date": today.isoformat()}
    lent = http.post(
        "/api/v1/gear/loans", json=walk_up | {"user_id": member.id}, headers=keeper.headers
    )
    assert lent.status_code == 201, lent.text
    past = today - timedelta(days=2)
    with system.databases["gear"].unit_of_work() as uow:
        uow.session.execute(update(Reservation).values(start_date=past, end_date=past))
        uow.session.execute(update(Loan).values(due_date=past))
        uow.commit()
    (unit,) = http.get(f"/api/v1/gear/items/{tent['id']}/units", headers=keeper.headers).json()
    a_booking(http, member, tent, "2027-05-12", "2027-05-14", unit_id=unit["id"])
    english = only(bot.say(linked(system, member, "en"), "/mygear")).text.splitlines()
    assert english[0] == "You have out:"
    assert english[1].startswith("• 2 x Stove, back by ")
    assert english[1].endswith("⚠️ OVERDUE")
    assert english[2:] == ["Reserved:", "• 1 x Tent (T1), Wed, May 12 → Fri, May 14"]
    spanish = only(bot.say(linked(system, member, "es"), "/mimaterial")).text
    assert "⚠️ FUERA DE PLAZO" in spanish
    assert "Reservado:\n• 1 x Tent (T1), mié, 12 may → vie, 14 may" in spanish


def test_mygear_with_nothing_says_so(bot: BotDriver, system: System) -> None:
    ana = linked(system, a_person_in(system), "es")
    assert (
        only(bot.say(ana, "/mimaterial")).text == "No tienes material prestado ni nada reservado."
    )
