"""The packing list on the web: a line added with just its name and ticks where they stand,
as plain form posts and as the page's script sends them (asking for JSON); each member ticks
their own bag, organizers the club's gear; the event page shows how much is packed."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.builders import Cast, a_cast_in
from tests.gateway.test_gear_web import logged_in, other_client
from tests.gateway.test_web_pages import csrf_token
from tripbot.system import System

JSON = {"Accept": "application/json"}


def post(client: FlaskClient, url: str, data: dict[str, Any], **headers: str) -> Any:
    """A form post with the session's CSRF token, as the page or its script sends it."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client)}, headers=headers)


def pressed(page: str) -> dict[int, bool]:
    """Each tick button on a page: whether it shows the line packed."""
    rows = re.findall(r'<tr class="packing-entry[^"]*" id="entry-(\d+)".*?</tr>', page, re.S)
    states = {}
    for entry_id in rows:
        row = re.search(rf'id="entry-{entry_id}".*?</tr>', page, re.S)
        assert row is not None
        state = re.search(r'aria-pressed="(true|false)"', row.group())
        if state is not None:
            states[int(entry_id)] = state.group(1) == "true"
    return states


def a_list(client: FlaskClient, cast: Cast) -> tuple[str, dict[str, int]]:
    """An organizer's packing list with a line each participant brings and one the club lends."""
    url = f"/events/{cast.event['id']}/packing-list"
    logged_in(client, cast.organizer)
    ids = {}
    for name, provider in (("Frontal", "participant"), ("Cuerda", "club")):
        added = post(client, url, {"name": name, "provided_by": provider, "quantity": "1"}, **JSON)
        assert added.status_code == 200, added.text
        ids[name] = int(re.findall(r'id="entry-(\d+)"', added.json["lists"])[-1])
    return url, ids


def test_a_line_is_added_with_its_name_alone_with_or_without_script(
    client: FlaskClient, system: System
) -> None:
    cast = a_cast_in(system)
    url = f"/events/{cast.event['id']}/packing-list"
    logged_in(client, cast.organizer)
    plain = post(client, url, {"name": "Gorro"})
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(f"{url}#add-entry")
    inline = post(client, url, {"name": "Guantes"}, **JSON)
    assert inline.status_code == 200
    assert "Guantes" in inline.json["message"]
    assert "Gorro" in inline.json["lists"]
    assert "Guantes" in inline.json["lists"]
    assert 'id="my-packing-bar" max="2" value="0"' in inline.json["progress"]
    assert inline.json["chart"]["grams"] == [0, 0, 0]
    nameless = post(client, url, {"name": ""}, **JSON)
    assert nameless.status_code == 422  # the script then posts the form and shows this page
    assert 'aria-invalid="true"' in nameless.text


def test_each_member_ticks_their_own_bag(client: FlaskClient, system: System) -> None:
    cast = a_cast_in(system)
    url, ids = a_list(client, cast)
    participant = logged_in(other_client(client), cast.participant)
    frontal, cuerda = ids["Frontal"], ids["Cuerda"]
    ticked = post(participant, f"{url}/{frontal}/packed", {"packed": "1"})
    assert ticked.status_code == 302
    assert ticked.headers["Location"].endswith(f"{url}#entry-{frontal}")
    page = participant.get(url).text
    # The participant ticks their own line; the club's gear shows no button to them.
    assert pressed(page) == {frontal: True}
    assert 'id="my-packing-bar" max="1" value="1"' in page
    assert pressed(client.get(url).text) == {frontal: False, cuerda: False}
    refused = post(participant, f"{url}/{cuerda}/packed", {"packed": "1"})
    assert refused.status_code == 403
    inline = post(client, f"{url}/{cuerda}/packed", {"packed": "1"}, **JSON)
    assert inline.status_code == 200
    assert 'id="club-packing-bar" max="1" value="1"' in inline.json["progress"]
    assert pressed(inline.json["lists"]) == {frontal: False, cuerda: True}
    page = participant.get(url).text
    assert 'id="club-packing-bar" max="1" value="1"' in page
    assert "inventory_2" in page  # packed by the organizers, shown without a button
    unticked = post(participant, f"{url}/{frontal}/packed", {"packed": "0"}, **JSON)
    assert 'id="my-packing-bar" max="1" value="0"' in unticked.json["progress"]


def test_the_event_page_shows_how_much_is_packed(client: FlaskClient, system: System) -> None:
    cast = a_cast_in(system)
    url, ids = a_list(client, cast)
    post(client, f"{url}/{ids['Frontal']}/packed", {"packed": "1"})
    page = client.get(f"/events/{cast.event['id']}").text
    glance = re.search(r'id="glance-gear".*?</section>', page, re.S)
    assert glance is not None
    assert 'id="my-packing-bar" max="1" value="1"' in glance.group()
    assert 'id="club-packing-bar" max="1" value="0"' in glance.group()
