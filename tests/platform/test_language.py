"""Problems said in the caller's language: Message templates, the catalogue, and the language
passed from the gateway through every service call."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po

from tests.builders import a_member, a_person, an_event
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    NotFound,
    PermissionDenied,
    error_from_problem,
    problem_body,
)
from tripbot.platform.language import CATALOGUE_DIRECTORY, translate

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tripbot"
SPANISH = CATALOGUE_DIRECTORY / "es" / "LC_MESSAGES" / "problems.po"
PLACEHOLDER = re.compile(r"{(\w*)}")


def test_a_message_is_filled_in_english_and_said_in_spanish() -> None:
    error = NotFound(Message("there is no event {event_id}"), event_id=7)

    assert error.detail == error.english == "there is no event 7"
    assert error.told_in("es") == "no existe el evento 7"
    assert error.told_in("en") == error.told_in(None) == "there is no event 7"


def test_words_inside_a_message_are_said_in_the_language_too() -> None:
    error = PermissionDenied(
        Message("only an event {minimum} or above may {action}"),
        minimum=Message("organizer"),
        action="do a thing nobody translated",
    )

    assert error.detail == "only an event organizer or above may do a thing nobody translated"
    assert error.told_in("es") == (
        "solo un organizador del evento o superior puede do a thing nobody translated"
    )


def test_a_list_of_filled_messages_is_said_part_by_part() -> None:
    problem = Message("{field}: {problem}")
    error = InvalidInput(
        Message("{problems}"),
        problems=Message.joined(
            [
                problem.filled(field="amount", problem=Message("must not be zero")),
                problem.filled(
                    field="rate",
                    problem=Message("the rate must be between {lowest} and {highest}").filled(
                        lowest="0.5", highest="2"
                    ),
                ),
            ]
        ),
    )

    assert error.detail == "amount: must not be zero; rate: the rate must be between 0.5 and 2"
    assert error.told_in("es") == (
        "amount: no puede ser cero; rate: el tipo de cambio debe estar entre 0,5 y 2"
    )


def test_a_plain_detail_is_never_formatted_nor_translated() -> None:
    error = Conflict("a name with {braces} typed by someone", braces="x")

    assert error.detail == "a name with {braces} typed by someone"
    assert error.told_in("es") == error.detail
    assert "message_id" not in problem_body(error)


def test_an_extension_cannot_take_the_place_of_a_problem_member() -> None:
    with pytest.raises(TypeError, match="status"):
        NotFound(Message("there is no event {status}"), status=3)


def test_a_relayed_problem_keeps_its_words_its_identity_and_its_english() -> None:
    said = problem_body(NotFound(Message("there is no event {event_id}"), event_id=7), "/x", "es")

    assert said["detail"] == "no existe el evento 7"
    assert said["message_id"] == "there is no event {event_id}"
    assert said["event_id"] == 7
    relayed = error_from_problem(said, 404)
    assert isinstance(relayed, NotFound)
    assert relayed.detail == "no existe el evento 7"
    assert relayed.english == "there is no event 7"
    assert problem_body(relayed, "/x", "en")["detail"] == "no existe el evento 7"
    assert problem_body(relayed)["message_id"] == "there is no event {event_id}"


def test_an_unknown_language_or_message_is_said_in_english() -> None:
    assert translate("there is no event {event_id}", "fr") == "there is no event {event_id}"
    assert translate("a message nobody wrote", "es") == "a message nobody wrote"


def _message_calls() -> list[tuple[Path, ast.Call]]:
    """Every ``Message(...)`` of the problems catalogue (the bot has a Message of its own)."""
    calls = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "tripbot.platform.errors"
            and any(alias.name == "Message" for alias in node.names)
            for node in ast.walk(tree)
        )
        if not imported:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Message"
            ):
                calls.append((path, node))
    return calls


def test_every_message_is_a_literal_the_extractor_can_read() -> None:
    not_literal = [
        f"{path.relative_to(SOURCE)}:{call.lineno}"
        for path, call in _message_calls()
        if not (
            len(call.args) == 1
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        )
    ]
    assert not_literal == []


def test_every_message_is_in_spanish_with_the_same_placeholders() -> None:
    templates = {
        str(call.args[0].value)
        for _path, call in _message_calls()
        if call.args and isinstance(call.args[0], ast.Constant)
    }
    with SPANISH.open("rb") as file:
        catalogue = {str(m.id): str(m.string) for m in read_po(file) if m.id}

    assert len(templates) > 100
    untranslated = sorted(t for t in templates if not catalogue.get(t))
    assert untranslated == []
    differ = sorted(
        t
        for t in templates
        if set(PLACEHOLDER.findall(t)) != set(PLACEHOLDER.findall(catalogue[t]))
    )
    assert differ == []
    assert (SPANISH.with_suffix(".mo")).exists(), "run `make translations`"


def test_the_api_answers_in_the_language_asked_for(http: httpx.Client) -> None:
    ana = a_person(http)
    missing = "/api/v1/events/987654"

    english = http.get(missing, headers=ana.headers)
    spanish = http.get(missing, headers={**ana.headers, "Accept-Language": "es-ES,es;q=0.9"})

    assert english.status_code == spanish.status_code == 404
    assert english.json()["detail"] == "there is no event 987654"
    assert spanish.json()["detail"] == "no existe el evento 987654"
    assert spanish.json()["message_id"] == "there is no event {event_id}"
    assert spanish.json()["event_id"] == 987654


def test_a_service_refusal_reaches_the_caller_in_their_language(http: httpx.Client) -> None:
    ana = a_person(http)
    event = an_event(http, ana)
    bruno = a_member(http, event, ana)

    refused = http.patch(
        f"/api/v1/events/{event['id']}",
        json={"name": "Mine now"},
        headers={**bruno.headers, "Accept-Language": "es"},
    )

    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "solo un organizador del evento o superior puede cambiar el evento"
    )
    assert refused.json()["message_id"] == "only an event organizer or above may change the event"


def test_the_frameworks_refusals_are_said_in_the_language_asked_for(http: httpx.Client) -> None:
    ana = a_person(http)
    spanish = {**ana.headers, "Accept-Language": "es"}

    unknown = http.get("/api/v1/no-such-thing", headers=spanish)
    invalid = http.post("/api/v1/events", json={"name": ""}, headers=spanish)
    not_json = http.post(
        "/api/v1/events",
        content=b"{not json",
        headers={**spanish, "Content-Type": "application/json"},
    )

    assert (unknown.status_code, unknown.json()["detail"]) == (404, "no existe ese recurso")
    assert invalid.status_code == 422
    assert invalid.json()["detail"].startswith("la petición tiene campos no válidos: ")
    assert invalid.json()["message_id"] == "the request has invalid fields: {fields}"
    assert not_json.status_code == 400
    assert not_json.json()["detail"] == "el cuerpo de la petición no es JSON válido"
    english = http.post("/api/v1/events", json={"name": ""}, headers=ana.headers)
    assert english.json()["detail"].startswith("the request has invalid fields: ")
