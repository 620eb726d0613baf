"""What the web pages share: forms read into the API's schemas, and messages in the UI language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, render_template
from flask_babel import format_date, format_time, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tripbot.events.schemas import ROLE_RANK, InvitationOut
from tripbot.platform.errors import (
    Conflict,
    DomainError,
    FieldError,
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    said_record,
    status_for,
)
from tripbot.platform.language import current_language
from tripbot.platform.web import current_settings

ModelT = TypeVar("ModelT", bound=BaseModel)
FormErrors = dict[str, str]
"""A message per invalid field; the key ``FORM`` holds what concerns the whole form."""

FORM = "_form"
INVALID = 422
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

ROLE_LABELS: dict[str, LazyString] = {
    "owner": _l("owner"),
    "organizer": _l("organizer"),
    "participant": _l("participant"),
    "guest": _l("guest"),
}
KIND_LABELS: dict[str, LazyString] = {"excursion": _l("excursion"), "event": _l("event")}
LANGUAGE_LABELS = {"es": "Español", "en": "English"}

# What the events service says, in the words of the UI (the service speaks English).
_GENERIC_MESSAGES: dict[type[DomainError], LazyString] = {
    NotAuthenticated: _l("Log in to continue."),
    PermissionDenied: _l("Your role does not allow you to do this."),
    NotFound: _l("There is nothing here, or it is not yours to see."),
    Conflict: _l("This cannot be done in the current state of things."),
    Gone: _l("This can no longer be used."),
    InvalidInput: _l("Some of the data is not valid."),
    TooManyAttempts: _l("Too many attempts; wait a moment and try again."),
}
_TYPE_MESSAGES: dict[str, LazyString] = {
    "string_too_short": _l("Use at least %(min_length)s characters."),
    "string_too_long": _l("Use at most %(max_length)s characters."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "greater_than_equal": _l("Use %(ge)s or more."),
    "less_than_equal": _l("Use %(le)s or less."),
    "literal_error": _l("Choose one of the options."),
    "enum": _l("Choose one of the options."),
    "decimal_text": _l("Write an amount such as 23.50."),
    "party": _l("Choose a member or the treasury."),
}
_FIELD_MESSAGES: dict[str, LazyString] = {
    "email": _l("Enter a valid email address."),
    "timezone": _l("Choose a time zone from the list."),
    "currency": _l("Use a three-letter currency code such as EUR."),
    "starts_at": _l("Enter a date and time."),
    "ends_at": _l("Enter a date and time."),
}


def _(message: str, **variables: object) -> str:
    """The message in the UI language (``gettext``, typed)."""
    return str(gettext(message, **variables))


def sentence(text: str) -> str:
    """A message as a sentence on a page: capital first, full stop last."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


def message_for(error: DomainError) -> str:
    """What a refusal of a service means, said in the UI language from its message id; a
    generic sentence for its kind when it carries no message, or when it only names what
    was not found."""
    message_id = str(error.message or error.extensions.get("message_id") or "")
    # "There is no event 12" teaches a person nothing; "no such invitation, check the link" does.
    said_by_kind = isinstance(error, NotFound | NotAuthenticated) and "{" in message_id
    if said_by_kind or not message_id:
        for cls in type(error).__mro__:
            generic = _GENERIC_MESSAGES.get(cls)
            if generic is not None:
                return str(generic)
    return sentence(error.told_in(get_locale_language()))


def get_locale_language() -> str:
    """The UI's language for this request."""
    return current_language() or "es"


def said_problem(problem: Mapping[str, Any]) -> str:
    """One field problem of a refusal (``errors[i]``) in the UI language: from its message id
    and values, or from its schema error type when the schema itself refused it."""
    values: dict[str, Any] = dict(problem.get("values") or {})
    if problem.get("message_id") is None:
        kind = str(values.pop("type", ""))
        known = _TYPE_MESSAGES.get(kind)
        return str(known) % values if known is not None else _("This value is not valid.")
    said = said_record({**problem, "values": values}, get_locale_language())
    return sentence(said or " ".join(problem.get("messages") or []))


def error_page(error: DomainError) -> tuple[str, int]:
    """The error page of a refused request, in the UI language."""
    status = int(status_for(error))
    message = message_for(error)
    page = render_template(
        "errors/error.html",
        status=status,
        message=message,
        service=error.extensions.get("service"),
        problem=error.slug,
    )
    return page, status


def schema_message(error: ErrorDetails, field: str = "") -> str:
    """What a schema refused in a field, in the UI language (by pydantic's error type)."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    message = _FIELD_MESSAGES.get(field) or _TYPE_MESSAGES.get(kind)
    if message is None:
        return _("This value is not valid.")
    return str(message) % ctx


def field_errors(error: ValidationError) -> FormErrors:
    """One message per invalid field of a schema, in the UI language."""
    errors: FormErrors = {}
    for detail in error.errors():
        reason = (detail.get("ctx") or {}).get("error")
        if detail["loc"] and not isinstance(reason, FieldError):
            field = str(detail["loc"][0])
            errors.setdefault(field, schema_message(detail, field))
            continue
        if isinstance(reason, FieldError):  # a model validator's refusal, with its message
            errors.setdefault(reason.field, sentence(reason.message.said_in(get_locale_language())))
        else:
            errors.setdefault(FORM, _("This value is not valid."))
    return errors


def validate(schema: type[ModelT], data: Mapping[str, object]) -> ModelT | FormErrors:
    """The form's data as the API's schema, or a message for each invalid field."""
    try:
        return schema.model_validate(dict(data))
    except ValidationError as error:
        return field_errors(error)


def invalid_input_errors(error: DomainError) -> FormErrors:
    """The field errors a service gave back, in the UI language."""
    return {str(error.extensions.get("field") or FORM): message_for(error)}


def filled(form: Mapping[str, str], *names: str) -> dict[str, str]:
    """The named fields that have a value (empty ones are left out, so defaults apply)."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


def safe_next(target: str | None, default: str) -> str:
    """A local path to go to after a form; never another site, whatever a browser makes of it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


_ZONES = frozenset(available_timezones())


@cache
def timezones() -> tuple[str, ...]:
    """The time zones offered for an event, by name (any other IANA name is accepted too)."""
    return ("UTC", *sorted(name for name in _ZONES if name.split("/", 1)[0] in _REGIONS))


def is_timezone(name: str) -> bool:
    """Whether a name is an IANA time zone this system knows."""
    return name in _ZONES


def _zone(timezone: str) -> ZoneInfo | None:
    return ZoneInfo(timezone) if timezone in _ZONES else None


def aware(value: str, timezone: str) -> datetime | str:
    """A ``datetime-local`` field's value in the event's time zone, or the raw text if invalid."""
    zone = _zone(timezone)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if zone is None or moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=zone)


def local_input(moment: datetime, timezone: str) -> str:
    """An instant as the value of a ``datetime-local`` field, in the event's time zone."""
    return moment.astimezone(_zone(timezone) or UTC).strftime("%Y-%m-%dT%H:%M")


def event_time(moment: datetime, timezone: str) -> str:
    """An instant written in the event's time zone, in the UI language."""
    local = moment.astimezone(_zone(timezone) or UTC)
    return (
        f"{format_date(local, 'full', rebase=False)} · {format_time(local, 'short', rebase=False)}"
    )


def day(moment: datetime) -> str:
    """The day of an instant (in UTC), in the UI language."""
    return str(format_date(moment.astimezone(UTC), "long", rebase=False))


def role_label(role: str) -> str:
    """An event role's name in the UI language."""
    return str(ROLE_LABELS.get(role, role))


def kind_label(kind: str) -> str:
    """An event kind's name in the UI language."""
    return str(KIND_LABELS.get(kind, kind))


def invitation_state(invitation: InvitationOut) -> str:
    """Why an invitation link works or not: active, used, expired or revoked."""
    if invitation.usable:
        return "active"
    if invitation.uses >= invitation.max_uses:
        return "used"
    if invitation.expires_at <= datetime.now(UTC):
        return "expired"
    return "revoked"


def invitation_url(invitation: InvitationOut) -> str:
    """The link people open to accept an invitation (as the public API gives it)."""
    return f"{current_settings().public_url.rstrip('/')}/invite/{invitation.code}"


def claim_url(token: str) -> str:
    """The personal link a guest opens to claim their place (for organizers to share, or an
    email invitation to carry)."""
    return f"{current_settings().public_url.rstrip('/')}/claim/{token}"


def at_least(role: str, needed: str) -> bool:
    """Whether an event role may do what ``needed`` may (owner > organizer > participant)."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]


def install(bp: Blueprint) -> None:
    """Give a blueprint's pages the shared template helpers and errors in the UI language."""
    for name, function in (
        ("role_label", role_label),
        ("kind_label", kind_label),
        ("event_time", event_time),
        ("day", day),
    ):
        bp.add_app_template_filter(function, name)
    bp.add_app_template_global(at_least, "at_least")
    bp.add_app_template_global(invitation_state, "invitation_state")
    bp.add_app_template_global(invitation_url, "invitation_url")
    bp.register_error_handler(DomainError, error_page)
