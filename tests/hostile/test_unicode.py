"""Awkward text in every kind of text field (NUL, right-to-left override, emoji, combining
marks, very long text, lone surrogates in JSON) is stored and given back intact, or refused with
a 422 problem that names the field; never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.builders import Person, a_person, activity_payload, an_event, event_payload

AWKWARD = {
    "nul": "Ruta\x00Cares",
    "rtl-override": "Ruta \u202egpx.exe\u202c del Cares",
    "emoji": "Ruta 🥾🏔️👨‍👩‍👧 del Cares",
    "combining": "Ruta del Cáres n\u0303 a\u0301",
    "long": "Cares " * 1700,  # 10 200 characters
    "lone-surrogate": "\ud83e",
}
Target = Callable[[httpx.Client, Person, dict[str, Any]], tuple[str, str, str]]
"""Makes the path, the field and the JSON body's field name for one text field."""


def _event_name(http: httpx.Client, who: Person, event: dict[str, Any]) -> tuple[str, str, str]:
    return "/api/v1/events", "name", "name"


def _event_description(
    http: httpx.Client, who: Person, event: dict[str, Any]
) -> tuple[str, str, str]:
    return "/api/v1/events", "description", "description"


def _expense(http: httpx.Client, who: Person, event: dict[str, Any]) -> tuple[str, str, str]:
    return f"/api/v1/events/{event['id']}/ledger/entries", "description", "description"


def _activity(http: httpx.Client, who: Person, event: dict[str, Any]) -> tuple[str, str, str]:
    return f"/api/v1/events/{event['id']}/activities", "title", "title"


BODIES: dict[str, tuple[Target, Callable[[], dict[str, Any]]]] = {
    "event-name": (_event_name, event_payload),
    "event-description": (_event_description, event_payload),
    "expense-description": (_expense, lambda: {"description": "fuel", "amount": "23.50"}),
    "activity-title": (_activity, activity_payload),
}


def _raw_json(body: dict[str, Any], field: str, value: str) -> bytes:
    # json.dumps writes a lone surrogate as the escape "\ud83e", as a hostile client would.
    return json.dumps({**body, field: value}).encode()


@pytest.mark.parametrize("text", list(AWKWARD))
@pytest.mark.parametrize("where", list(BODIES))
def test_awkward_text_is_kept_intact_or_refused_with_422(
    http: httpx.Client, where: str, text: str
) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    target, body = BODIES[where]
    path, field, _ = target(http, owner, event)
    value = AWKWARD[text]
    answer = http.post(
        path,
        content=_raw_json(body(), field, value),
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 422:
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in answer.json()["detail"], answer.text
        return
    stored = answer.json()[field]
    assert stored == value.strip()
    if "id" in answer.json():
        shown = http.get(f"{path}/{answer.json()['id']}", headers=owner.headers)
        assert shown.status_code == 200, shown.text
        assert shown.json()[field] == stored
