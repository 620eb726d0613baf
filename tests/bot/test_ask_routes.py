"""/route (search, details, GPX file) and /plan (routes, meeting point as a location, time)."""

from __future__ import annotations

import re

import httpx

from tests.bot.ask_world import linked, only
from tests.bot.conftest import BotDriver, a_telegram_user
from tests.builders import a_cast_in, a_person_in, a_route
from tripbot.system import System


def test_route_lists_the_first_five_with_their_numbers_and_buttons(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    walker = a_person_in(system)
    for n in range(6):
        a_route(http, walker, name=f"Cares {n}", region="Picos", signage=f"PR-AS {n}")
    a_route(http, walker, name="Somiedo")
    answer = only(bot.say(linked(system, walker, "en"), "/route cares"))
    assert answer.text.startswith("Routes matching “cares” (5 of 6):")
    assert answer.text.count(" km · ↑ ") == 5
    assert "Somiedo" not in answer.text
    assert "(PR-AS 5, Picos)" in answer.text
    assert re.search(r"· \d+:\d\d h · effort [1-5]/5", answer.text), answer.text
    labels = [label for label, _ in answer.buttons]
    assert labels[:2] == ["1. Cares 5", "1. GPX"]
    assert len(labels) == 10


def test_route_answers_in_spanish_with_decimal_commas(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    walker = a_person_in(system)
    route = a_route(http, walker, name="Ruta del Cares")
    answer = only(bot.say(linked(system, walker, "es"), "/ruta cares"))
    km = f"{route['stats']['distance_m'] / 1000:.1f}".replace(".", ",")
    assert answer.text.startswith("Rutas que coinciden con «cares» (1 de 1):"), answer.text
    assert f"{km} km" in answer.text
    assert "esfuerzo" in answer.text


def test_the_gpx_button_sends_the_track_as_a_file(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    walker = a_person_in(system)
    route = a_route(http, walker, name="Ruta del Cares")
    ana = linked(system, walker, "en")
    listed = only(bot.say(ana, "/route cares"))
    document = only(bot.press(ana, listed, "1. GPX"))
    assert document.method == "sendDocument"
    ((filename, content),) = document.files.values()
    assert filename == "ruta-del-cares.gpx"
    downloaded = http.get(f"/api/v1/routes/{route['id']}/gpx", headers=walker.headers)
    assert content == downloaded.content
    assert b"<trkpt" in content
    assert document.text.startswith("Ruta del Cares\n")


def test_the_details_button_shows_the_whole_statistics(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    walker = a_person_in(system)
    a_route(http, walker, name="Ruta del Cares", mide_medio="2", description="Garganta divina")
    ana = linked(system, walker, "es")
    listed = only(bot.say(ana, "/ruta cares"))
    details = only(bot.press(ana, listed, "1. Ruta del Cares"))
    assert "Desnivel positivo" in details.text
    assert "Tiempo MIDE" in details.text
    assert "entorno 2/5" in details.text
    assert "Garganta divina" in details.text
    assert details.buttons == [("GPX", listed.buttons[1][1])]


def test_a_route_deleted_since_the_list_is_not_found(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    walker = a_person_in(system)
    route = a_route(http, walker, name="Ruta del Cares")
    ana = linked(system, walker, "en")
    listed = only(bot.say(ana, "/route cares"))
    assert http.delete(f"/api/v1/routes/{route['id']}", headers=walker.headers).status_code == 204
    assert only(bot.press(ana, listed, "1. GPX")).text.startswith("I could not find that")


def test_route_without_words_explains_how_and_nothing_found_says_so(
    bot: BotDriver, system: System
) -> None:
    ana = linked(system, a_person_in(system), "en")
    assert "/route <words>" in only(bot.say(ana, "/route")).text
    assert "/route <words>" in only(bot.say(ana, "/route " + "x" * 201)).text
    assert only(bot.say(ana, "/route nowhere")).text == "No route matches “nowhere”."
    assert "/ruta <palabras>" in only(bot.say(a_telegram_user("es"), "/ruta")).text


def test_route_needs_a_linked_account_as_the_catalogue_needs_a_login(
    bot: BotDriver, http: httpx.Client
) -> None:
    assert http.get("/api/v1/routes", params={"q": "cares"}).status_code == 401
    answer = only(bot.say(a_telegram_user("en"), "/route cares"))
    assert "not linked" in answer.text
    assert "Link Telegram" in answer.text


# ---- /plan ------------------------------------------------------------------------------------


def test_plan_sends_the_routes_the_meeting_point_as_a_location_and_the_local_time(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    cast = a_cast_in(system)
    route = a_route(http, cast.organizer, name="Ruta del Cares")
    body = {
        "route_ids": [route["id"]],
        "meeting_point": "Puente de Poncebos",
        "meeting_lat": 43.2656,
        "meeting_lon": -4.8237,
        "meeting_at": "2027-05-01T06:30:00Z",
        "capacity": 12,
    }
    planned = http.put(
        f"/api/v1/events/{cast.event['id']}/plan", json=body, headers=cast.organizer.headers
    )
    assert planned.status_code == 200, planned.text
    text, pin, meeting = bot.say(linked(system, cast.participant, "es"), "/plan")
    assert text.text.startswith("Plan de Ruta del Cares:\n1. Ruta del Cares")
    assert "Plazas: 12" in text.text
    assert ("1. GPX", f"gpx:{route['id']}") in text.buttons
    assert pin.method == "sendLocation"
    assert (pin.params["latitude"], pin.params["longitude"]) == (43.2656, -4.8237)
    assert meeting.text == (
        "Punto de encuentro: Puente de Poncebos\nHora: sáb, 1 may, 8:30 (hora de Madrid)"
    )


def test_plan_without_one_says_so(bot: BotDriver, system: System) -> None:
    cast = a_cast_in(system)
    answer = only(bot.say(linked(system, cast.participant, "en"), "/plan"))
    assert answer.text == "Ruta del Cares has no excursion plan yet."
