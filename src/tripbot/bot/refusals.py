"""Refusals in the person's words: from a problem's ``message_id`` and values, never its text.

A service says why it refused as a ``Message`` template (the problem's ``message_id``) filled
with values, and says it in the caller's language. The bot either words a refusal itself,
picked by its ``message_id`` (shorter, in the bot's voice), or tells what the service said in
the person's language. Nothing here reads the English words of a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tripbot.bot import formats
from tripbot.bot.texts import marked, t, word
from tripbot.gear import rules
from tripbot.platform.errors import (
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)


class NotLinked(DomainError):
    """The Telegram account is not linked to a TripBot account, and the command needs one."""

    slug = "not-linked"


class Told(DomainError):
    """A refusal the bot words itself, already in the person's language."""

    slug = "told"


Wording = Callable[[str, Mapping[str, Any]], str]
"""A refusal in a language, from the problem's values."""

RANKED = "only an event {minimum} or above may {action}"
"""The message id of every "your role is too low" refusal (``Principal.require_event_role``)."""


def _ranked(language: str, values: Mapping[str, Any]) -> str:
    role = word(language, str(values.get("minimum", "")))
    return t(language, "Only the event's {role}s (or above) may do that.", role=role)


WORDINGS: dict[str, Wording] = {RANKED: _ranked}
"""Refusals the bot says in its own words, by the problem's ``message_id``."""

BY_KIND: tuple[tuple[type[DomainError], str], ...] = (
    (
        NotLinked,
        marked(
            "Your Telegram account is not linked to TripBot yet. On the web, open your account "
            'page and press "Link Telegram"; then come back here.'
        ),
    ),
    (
        NotAuthenticated,
        marked("TripBot does not know who you are. Link your Telegram account first."),
    ),
    (
        NotFound,
        marked(
            "I could not find that: it does not exist, or it belongs to an event you are not a "
            "member of."
        ),
    ),
)
"""Refusals told the same way whatever the service said, by their kind."""

FLAGS: dict[str, str] = {
    rules.UNIT_OUT_OF_SERVICE: marked("the unit you reserved is out of service"),
    rules.NOT_ENOUGH_IN_SERVICE: marked("not enough of this item is in service for these days"),
    rules.EVENT_DELETED: marked("its event was deleted"),
}
"""Why a reservation cannot be served, by the code the gear service stores → the bot's words.
(A change told before the codes carries the English words, which are these messages' ids.)"""


def message_id(error: DomainError) -> str | None:
    """Which message a problem is (its template), whether raised here or relayed by a service."""
    if error.message is not None:
        return str(error.message)
    found = error.extensions.get("message_id")
    return str(found) if found else None


def told(language: str, error: DomainError) -> str:
    """What a service said, in a language: relayed problems already are (the bot passes its
    language to every call); the bot's own are said from their template."""
    return error.told_in(language) if error.message is not None else error.detail


def problem_text(language: str, error: DomainError) -> str:
    """What to tell someone when TripBot refused or could not do what they asked."""
    if isinstance(error, Told):
        return error.detail
    if isinstance(error, ServiceUnavailable):
        service = str(error.extensions.get("service", ""))
        return t(
            language,
            "That part of TripBot ({part}) is unavailable right now. Please try again later.",
            part=formats.service_name(language, service) if service else "?",
        )
    wording = WORDINGS.get(message_id(error) or "")
    if wording is not None:
        return wording(language, error.extensions)
    for kind, text in BY_KIND:
        if isinstance(error, kind):
            return t(language, text)
    if isinstance(error, PermissionDenied):
        return t(language, "You may not do that: {detail}", detail=told(language, error))
    return t(language, "That did not work: {detail}", detail=told(language, error))


def flag_text(language: str, flag: str) -> str:
    """Why a reservation cannot be served as booked, in a language."""
    return t(language, FLAGS.get(flag, flag))
