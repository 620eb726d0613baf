"""How the bot words refusals: the services' usual ones in the person's language."""

from __future__ import annotations

import pytest

from tripbot.bot.conversation import NotLinked, Told, problem_text
from tripbot.platform.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    StorageReadOnly,
)


@pytest.mark.parametrize(
    ("error", "spanish", "english"),
    [
        (
            PermissionDenied("only an event organizer or above may plan the excursion"),
            "Solo quien sea organizador (o más) en el evento puede hacer eso.",
            "Only the event's organizers (or above) may do that.",
        ),
        (
            PermissionDenied("only an organizer of event 12 may record a settlement"),
            "Solo la organización del evento puede hacer eso.",
            "Only the event's organizers may do that.",
        ),
        (
            PermissionDenied("only a gear keeper or an administrator may add items"),
            "Solo quien gestiona el material del club puede hacer eso.",
            "Only the club's gear keepers may do that.",
        ),
        (
            PermissionDenied("the organizers keep the report to themselves; ask them"),
            "La organización lo reserva para sí; pídele que lo comparta.",
            "The organizers keep that to themselves; ask them to share it.",
        ),
        (
            PermissionDenied("something new"),
            "No puedes hacer eso: something new",
            "You may not do that: something new",
        ),
        (
            NotFound("there is no event 7"),
            "No lo encuentro: no existe, o es de un evento del que no eres miembro.",
            "I could not find that: it does not exist, or it belongs to an event you are not a "
            "member of.",
        ),
        (
            ServiceUnavailable("down", service="gear"),
            "Esa parte de TripBot (gear) no está disponible ahora mismo. Inténtalo de nuevo más "
            "tarde.",
            "That part of TripBot (gear) is unavailable right now. Please try again later.",
        ),
        (
            StorageReadOnly("read only", service="ledger"),
            "Esa parte de TripBot (ledger) no está disponible ahora mismo. Inténtalo de nuevo más "
            "tarde.",
            "That part of TripBot (ledger) is unavailable right now. Please try again later.",
        ),
        (
            Conflict("only 2 are free"),
            "No ha funcionado: only 2 are free",
            "That did not work: only 2 are free",
        ),
        (Told("Ya dicho."), "Ya dicho.", "Ya dicho."),
    ],
)
def test_refusals_are_told_in_the_persons_language(
    error: DomainError, spanish: str, english: str
) -> None:
    assert problem_text("es", error) == spanish
    assert problem_text("en", error) == english


def test_not_linked_says_how_to_link() -> None:
    assert "Vincular Telegram" in problem_text("es", NotLinked("x"))
    assert "Link Telegram" in problem_text("en", NotLinked("x"))
