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
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    status_for,
)
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
}
KIND_LABELS: dict[str, LazyString] = {"excursion": _l("excursion"), "event": _l("event")}
LANGUAGE_LABELS = {"es": "Español", "en": "English"}

# What the events service says, in the words of the UI (the service speaks English).
_SERVICE_MESSAGES: dict[str, LazyString] = {
    "an event must keep at least one owner; name another owner first": _l(
        "An event must keep at least one owner; name another owner first."
    ),
    "only an owner may grant or take away ownership": _l(
        "Only an owner may grant or take away ownership."
    ),
    "only an owner may remove another owner": _l("Only an owner may remove another owner."),
    "this invitation was revoked": _l("This invitation was revoked."),
    "this invitation has expired": _l("This invitation has expired."),
    "this invitation has already been used": _l("This invitation has already been used."),
    "there is no such invitation; check the link": _l(
        "There is no such invitation; check the link."
    ),
    "there is no such invitation": _l("There is no such invitation."),
    "this TripBot accepts new accounts only through an invitation link": _l(
        "New accounts can only be opened through an invitation link; ask an organizer for one."
    ),
    "an account with this email already exists": _l("An account with this email already exists."),
    "wrong email or password": _l("Wrong email or password."),
    "ends_at must not be before starts_at": _l("The end must not be before the start."),
}
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


def message_for(error: DomainError) -> str:
    """What a refusal of a service means, said in the UI language."""
    known = _SERVICE_MESSAGES.get(error.english)
    if known is not None:
        return str(known)
    for cls in type(error).__mro__:
        generic = _GENERIC_MESSAGES.get(cls)
        if generic is not None:
            return str(generic)
    return error.detail  # the service said it in the UI language already


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


def _pydantic_message(error: ErrorDetails, field: str) -> str:
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
        if detail["loc"]:
            field = str(detail["loc"][0])
            errors.setdefault(field, _pydantic_message(detail, field))
            continue
        reason = str((detail.get("ctx") or {}).get("error", ""))
        if reason == "ends_at must not be before starts_at":
            errors.setdefault("ends_at", str(_SERVICE_MESSAGES[reason]))
        else:
            errors.setdefault(FORM, _("This value is not valid."))
    return errors


def validate(schema: type[ModelT], data: Mapping[str, object]) -> ModelT | FormErrors:
    """The form's data as the API's schema, or a message for each invalid field."""
    try:
        return schema.model_validate(dict(data))
    except ValidationError as error:
        return field_errors(error)


def invalid_input_errors(error: InvalidInput) -> FormErrors:
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
