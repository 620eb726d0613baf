"""The event page as the outing's home: where and when we meet (with the map), what comes next,
what I owe or am owed and to whom, the gear reserved and the packing list; a service that does
not answer leaves only its part out."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import Cast, an_event
from tests.gateway.test_overview import SECTIONS, _fill, a_gateway_app, cast
from tests.gateway.test_web_pages import a_guest, log_in
from tripbot.gateway.i18n import LANGUAGE_COOKIE
from tripbot.system import System

__all__ = ["cast"]  # the fixture, shared with the overview's tests


def _in_english(client: FlaskClient) -> FlaskClient:
    """The web client with English chosen (logging in chose the person's own language)."""
    client.set_cookie(LANGUAGE_COOKIE, "en")
    return client


def _part(page: str, name: str) -> str:
    """One part of the glance (its HTML up to the next part)."""
    found = re.search(rf'id="glance-{name}".*?(?=<section|\Z)', page, re.S)
    assert found, name
    return found.group(0)


def test_a_participant_sees_where_when_what_next_their_money_and_the_gear(
    system: System, http: httpx.Client, client: FlaskClient, cast: Cast
) -> None:
    _fill(system, http, cast)
    log_in(client, cast.participant.email)
    page = _in_english(client).get(f"/events/{cast.event['id']}").text

    meeting = _part(page, "meeting")
    assert "Poncebos" in meeting
    assert "Ruta del Cares · Bulnes" in meeting
    assert 'data-plan-map="glance-map-data"' in meeting
    upcoming = _part(page, "next")
    assert "Todo el día" in upcoming  # on now
    assert "Now" in upcoming
    money = _part(page, "money")
    # The participant owes their part of the shared expenses, and is told how much and to whom.
    assert re.search(r'id="glance-balance">-€\d+\.\d\d<', money), money
    assert re.search(r"You pay €\d+\.\d\d to <strong>Person \d+</strong>", money), money
    gear = _part(page, "gear")
    assert "The event has 1 reservation of the club's gear." in gear
    assert 'id="glance-unavailable"' not in page


def test_the_glance_speaks_spanish_with_spanish_amounts(
    system: System, http: httpx.Client, client: FlaskClient, cast: Cast
) -> None:
    _fill(system, http, cast)
    log_in(client, cast.organizer.email)
    page = client.get(f"/events/{cast.event['id']}").text
    assert "Dónde y cuándo quedamos" in page
    assert re.search(r"te paga \d+,\d\d\s*€", _part(page, "money")), _part(page, "money")
    assert "El evento tiene 1 reserva de material del club." in page


def test_an_event_that_is_no_excursion_has_no_meeting_part(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="event")
    page = _in_english(client).get(f"/events/{event['id']}").text
    assert 'id="glance-meeting"' not in page
    assert "Nothing else on the agenda." in _part(page, "next")
    assert "No money recorded for you yet." in _part(page, "money")


@pytest.mark.parametrize("down", sorted(SECTIONS))
def test_a_service_that_is_down_leaves_only_its_part_out(
    system: System, http: httpx.Client, cast: Cast, tmp_path: Path, down: str
) -> None:
    _fill(system, http, cast)
    with a_gateway_app(system, tmp_path, down=down) as gateway:
        web = gateway.test_client()
        log_in(web, cast.organizer.email)
        answer = _in_english(web).get(f"/events/{cast.event['id']}")
    assert answer.status_code == 200
    page = answer.text
    missing = re.search(r'id="glance-unavailable".*?did not answer: ([\w, ]+)\.', page, re.S)
    assert missing
    assert missing.group(1) == down
    if down != "routes":
        assert "Poncebos" in _part(page, "meeting")
    if down != "agenda":
        assert "Todo el día" in _part(page, "next")
    if down != "ledger":
        assert "You owe nothing" not in _part(page, "money")
    assert 'class="member-name"' in page  # the event's own part is always there


def test_the_agenda_shows_where_and_when_the_group_meets_on_its_day(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="excursion")
    plan = {"meeting_point": "Aparcamiento de Poncebos", "meeting_at": "2027-05-01T07:30:00+02:00"}
    put = http.put(f"/api/v1/events/{event['id']}/plan", json=plan, headers=owner.headers)
    assert put.status_code == 200, put.text
    page = _in_english(client).get(f"/events/{event['id']}/agenda").text
    day = re.search(r'id="day-2027-05-01".*?</section>', page, re.S)
    assert day
    meeting = re.search(r'id="agenda-meeting".*?</p>', day.group(0), re.S)
    assert meeting
    assert "7:30" in meeting.group(0)
    assert "Aparcamiento de Poncebos" in meeting.group(0)


def test_an_agenda_without_a_meeting_time_has_no_meeting_line(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner, kind="excursion")
    plan = {"meeting_point": "Poncebos"}  # where, but not yet when
    assert http.put(f"/api/v1/events/{event['id']}/plan", json=plan, headers=owner.headers)
    assert 'id="agenda-meeting"' not in client.get(f"/events/{event['id']}/agenda").text
