"""How the bot words refusals: by the problem's message id and values, in the person's language."""

from __future__ import annotations

import pytest

from tripbot.bot.refusals import NotLinked, Told, flag_text, problem_text
from tripbot.platform.errors import (
    Conflict,
    DomainError,
    Message,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    StorageReadOnly,
    error_from_problem,
    problem_body,
    status_for,
)


def relayed(error: DomainError, language: str) -> DomainError:
    """The error as the bot gets it from a service it called in ``language`` (problem+json)."""
    return error_from_problem(problem_body(error, language=language), int(status_for(error)))


RANKED = PermissionDenied(
    Message("only an event {minimum} or above may {action}"),
    minimum="organizer",
    action=Message("plan the excursion"),
)


@pytest.mark.parametrize(
    ("error", "spanish", "english"),
    [
        (
            RANKED,
            "Solo quien sea organizador (o más) en el evento puede hacer eso.",
            "Only the event's organizers (or above) may do that.",
        ),
        (
            PermissionDenied(
                Message("only an organizer of event {event_id} may reserve gear for it"),
                event_id=12,
            ),
            "No puedes hacer eso: solo un organizador del evento 12 puede reservar material "
            "para él",
            "You may not do that: only an organizer of event 12 may reserve gear for it",
        ),
        (
            NotFound(Message("there is no event {event_id}"), event_id=7),
            "No lo encuentro: no existe, o es de un evento del que no eres miembro.",
            "I could not find that: it does not exist, or it belongs to an event you are not a "
            "member of.",
        ),
        (
            Conflict(Message("everyone is settled already")),
            "No ha funcionado: ya está todo el mundo al día; no hay nada que liquidar",
            "That did not work: everyone is settled already",
        ),
    ],
)
def test_a_services_refusal_is_told_from_its_message_id_in_the_persons_language(
    error: DomainError, spanish: str, english: str
) -> None:
    assert problem_text("es", relayed(error, "es")) == spanish
    assert problem_text("en", relayed(error, "en")) == english


def test_the_same_refusal_raised_in_the_bots_process_reads_the_same() -> None:
    assert problem_text("es", RANKED) == problem_text("es", relayed(RANKED, "es"))
    assert problem_text("en", RANKED) == problem_text("en", relayed(RANKED, "en"))


def test_english_words_without_a_message_id_are_not_read_for_meaning() -> None:
    bare = PermissionDenied("only an event organizer or above may plan the excursion")
    assert problem_text("en", bare) == (
        "You may not do that: only an event organizer or above may plan the excursion"
    )


@pytest.mark.parametrize(
    ("error", "spanish", "english"),
    [
        (
            ServiceUnavailable("down", service="gear"),
            "Esa parte de TripBot (material) no está disponible ahora mismo. Inténtalo de nuevo "
            "más tarde.",
            "That part of TripBot (gear) is unavailable right now. Please try again later.",
        ),
        (
            StorageReadOnly("read only", service="ledger"),
            "Esa parte de TripBot (cuentas) no está disponible ahora mismo. Inténtalo de nuevo "
            "más tarde.",
            "That part of TripBot (accounts) is unavailable right now. Please try again later.",
        ),
        (Told("Ya dicho."), "Ya dicho.", "Ya dicho."),
    ],
)
def test_the_bots_own_refusals(error: DomainError, spanish: str, english: str) -> None:
    assert problem_text("es", error) == spanish
    assert problem_text("en", error) == english


def test_not_linked_says_how_to_link() -> None:
    assert "Vincular Telegram" in problem_text("es", NotLinked("x"))
    assert "Link Telegram" in problem_text("en", NotLinked("x"))


def test_a_reservation_flag_is_said_in_the_persons_language() -> None:
    flag = "unit_out_of_service"
    assert flag_text("es", flag) == "la unidad que reservaste está fuera de servicio"
    assert flag_text("en", flag) == "the unit you reserved is out of service"
    assert flag_text("es", "a reason from a newer gear service") == (
        "a reason from a newer gear service"
    )
