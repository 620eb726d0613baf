"""Domain errors and the one table that turns them into RFC 9457 problem+json responses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from babel.numbers import format_decimal

from tripbot.platform.language import translate

PROBLEM_JSON = "application/problem+json"


class Message(str):
    """An English problem text whose ``{placeholders}`` are filled from the error's extensions.

    It is the message's identity too: catalogues translate it, and problem answers carry it as
    ``message_id`` so a caller can tell problems apart without reading their words.
    """

    template: str | None = None
    values: Mapping[str, Any] = {}

    def filled(self, **values: str | int) -> Message:
        """This message with its own placeholders filled, to be one value of another message
        (``where="track 1, segment 2"``), still said as a whole in a caller's language."""
        said = Message(self.format_map(values))
        said.template, said.values = str(self), values
        return said

    def said_in(self, language: str | None) -> str:
        """This message in a language (its English when no translation fits)."""
        template = self.template or str(self)
        return fill(translate(template, language), said_values(self.values, language)) or str(self)

    @staticmethod
    def joined(parts: Sequence[Message], separator: str = "; ") -> Message:
        """Several messages as one value, each said in the caller's language."""
        return _Joined(parts, separator)


class _Joined(Message):
    """Messages said one after another (a list of problems)."""

    parts: tuple[Message, ...]
    separator: str

    def __new__(cls, parts: Sequence[Message], separator: str) -> _Joined:
        joined = super().__new__(cls, separator.join(parts))
        joined.parts, joined.separator = tuple(parts), separator
        return joined

    def said_in(self, language: str | None) -> str:
        """Each part in a language, joined."""
        return self.separator.join(part.said_in(language) for part in self.parts)


_DECIMAL = re.compile(r"-?\d+\.\d+")
"""How services write a decimal value (an amount, a weight): digits, a point, digits."""


def said_value(value: Any, language: str | None) -> Any:
    """One value of a message in a language: a message said in it, a decimal written its way
    ("137.50" is "137,50" in Spanish, its decimals kept), anything else as it is."""
    if isinstance(value, Message):
        return value.said_in(language)
    if isinstance(value, str) and language not in (None, "en") and _DECIMAL.fullmatch(value):
        decimals = len(value) - value.index(".") - 1
        pattern = "#,##0." + "0" * decimals
        return format_decimal(Decimal(value), pattern, locale=language)
    return value


def said_values(values: Mapping[str, Any], language: str | None) -> dict[str, Any]:
    """Values to fill a message with, said in a language (messages, decimals)."""
    return {name: said_value(value, language) for name, value in values.items()}


def message_record(message: str) -> dict[str, Any]:
    """A message as data that survives JSON: its id (the English template) and its values, a
    value that is a message itself recorded the same way, so a caller can say it in any
    language (``said_record``)."""
    if not isinstance(message, Message):
        return {"message_id": str(message), "values": {}}
    values = {
        name: message_record(value) if isinstance(value, Message) else value
        for name, value in message.values.items()
    }
    return {"message_id": message.template or str(message), "values": values}


def said_record(record: Mapping[str, Any], language: str | None) -> str | None:
    """A recorded message in a language, or None when it is no record or its values do not fit."""
    message_id = record.get("message_id")
    values = record.get("values")
    if not isinstance(message_id, str) or not isinstance(values, Mapping):
        return None
    said = {
        name: (said_record(value, language) or "")
        if isinstance(value, Mapping)
        else said_value(value, language)
        for name, value in values.items()
    }
    return fill(translate(message_id, language), said)


RESERVED_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "request_id", "message_id"}
)
"""Members of a problem answer that an error's extensions may not overwrite."""


def fill(template: str, values: Mapping[str, Any]) -> str | None:
    """A template with its placeholders filled, or None when the values do not fit it."""
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


class FieldError(ValueError):
    """A schema's own check refused a field (raised in a pydantic validator): which field, and a
    message callers can say in the person's language."""

    def __init__(self, field: str, message: Message) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class DomainError(Exception):
    """A use case refused to do what was asked; ``detail`` says why, in words for people.

    Given a ``Message``, the detail is its English text filled from ``extensions``, and a
    service answers it in the caller's language.
    """

    slug = "error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        clashes = RESERVED_MEMBERS & extensions.keys()
        if clashes:
            raise TypeError(f"problem members cannot be extensions: {sorted(clashes)}")
        self.message = detail if isinstance(detail, Message) else None
        self.extensions = extensions
        self.detail = (fill(detail, extensions) or detail) if self.message else detail
        self.english = self.detail
        """The detail in English, even when another service said it in the caller's language."""
        super().__init__(self.detail)

    def told_in(self, language: str | None) -> str:
        """The detail in a language (English when no translation fits)."""
        if self.message is None:
            return self.detail
        # A value that is a Message itself (a role, an action) is said in the language too.
        values = said_values(self.extensions, language)
        return fill(translate(self.message, language), values) or self.detail


class InvalidInput(DomainError):
    """The request is well-formed but its content is not acceptable."""

    slug = "invalid-input"


class MalformedRequest(DomainError):
    """The request could not be read (bad JSON, wrong content type)."""

    slug = "malformed-request"


class NotAuthenticated(DomainError):
    """Nobody (or nobody valid) is logged in."""

    slug = "not-authenticated"


class PermissionDenied(DomainError):
    """The person is known but may not do this."""

    slug = "permission-denied"


class NotFound(DomainError):
    """The thing does not exist, or the person may not know that it does."""

    slug = "not-found"


class Conflict(DomainError):
    """The change contradicts the current state (duplicate, last owner, ...)."""

    slug = "conflict"


class Gone(DomainError):
    """The thing existed but can no longer be used (expired or used-up invitation)."""

    slug = "gone"


class PayloadTooLarge(DomainError):
    """The request body is over the configured limit."""

    slug = "payload-too-large"


class TooManyAttempts(DomainError):
    """Too many tries in a short time; ``retry_after`` says how many seconds to wait."""

    slug = "too-many-attempts"


class ServiceUnavailable(DomainError):
    """Another TripBot service did not answer in time; ``service`` names it."""

    slug = "service-unavailable"


class StorageReadOnly(ServiceUnavailable):
    """A service's database refuses writes (read-only file or server); reads still work."""

    slug = "storage-read-only"


class StorageFull(DomainError):
    """A service's database has no room left (disk full); nothing was written."""

    slug = "storage-full"


STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    MalformedRequest: HTTPStatus.BAD_REQUEST,
    NotAuthenticated: HTTPStatus.UNAUTHORIZED,
    PermissionDenied: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    Gone: HTTPStatus.GONE,
    PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    TooManyAttempts: HTTPStatus.TOO_MANY_REQUESTS,
    ServiceUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    StorageReadOnly: HTTPStatus.SERVICE_UNAVAILABLE,
    StorageFull: HTTPStatus.INSUFFICIENT_STORAGE,
}
"""The single table from domain error to HTTP status, used by every service and the gateway."""

ERROR_BY_SLUG: dict[str, type[DomainError]] = {cls.slug: cls for cls in STATUS_BY_ERROR}


def status_for(error: DomainError) -> HTTPStatus:
    """The HTTP status of a domain error (its nearest listed ancestor's)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return HTTPStatus.BAD_REQUEST


def problem_type(slug: str) -> str:
    """The problem ``type`` URI for a slug."""
    return f"urn:tripbot:problem:{slug}"


def problem_body(
    error: DomainError, instance: str | None = None, language: str | None = None
) -> dict[str, Any]:
    """The problem+json document for a domain error, its detail in a language if known."""
    status = status_for(error)
    body: dict[str, Any] = {
        "type": problem_type(error.slug),
        "title": status.phrase,
        "status": int(status),
        "detail": error.told_in(language),
    }
    if instance:
        body["instance"] = instance
    body.update(error.extensions)
    message_id = error.message or error.extensions.get("message_id")
    if message_id:
        body["message_id"] = str(message_id)
    return body


def error_from_problem(body: dict[str, Any], status: int) -> DomainError:
    """Rebuild the domain error another service described in its problem+json answer."""
    type_uri = str(body.get("type", ""))
    slug = type_uri.rsplit(":", 1)[-1]
    cls = ERROR_BY_SLUG.get(slug)
    if cls is None:
        cls = next((c for c, s in STATUS_BY_ERROR.items() if int(s) == status), InvalidInput)
    detail = str(body.get("detail") or body.get("title") or HTTPStatus(status).phrase)
    extensions = {k: v for k, v in body.items() if k not in RESERVED_MEMBERS}
    error = cls(detail, **extensions)
    message_id = body.get("message_id")
    if isinstance(message_id, str):
        # Kept so a relayed problem still says which message it is, and in English.
        error.extensions["message_id"] = message_id
        error.english = fill(message_id, extensions) or detail
    return error
