"""What the events service accepts and answers: the schemas its API and its client share."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    EmailStr,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from tripbot.platform.db import MAX_ID
from tripbot.platform.errors import FieldError, InvalidInput, Message
from tripbot.platform.identity import EVENT_ROLE_RANK
from tripbot.platform.schemas import Input

InstanceRole = Literal["admin", "gear_keeper", "member"]
EventRole = Literal["owner", "organizer", "participant"]
"""The roles a person with an account can be given in an event."""
MemberRole = Literal["owner", "organizer", "participant", "guest"]
"""Every member's role: a *guest* is a person without an account, added by name, who has no
rights of their own (organizers act for them) until they claim their place."""
ViewerRole = Literal["owner", "organizer", "participant", "system"]
"""Whose eyes an event is seen through: a member's role, or TripBot's own components."""
EventKind = Literal["excursion", "event"]
Language = Literal["es", "en"]

ROLE_RANK = EVENT_ROLE_RANK
"""How much an event role may do; a higher rank includes what a lower one may."""


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Madrid"
        ) from error
    return value


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _known_currency(value: str) -> str:
    value = value.upper()
    if value not in _currencies():
        raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code such as EUR")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]


def _printable(value: str) -> str:
    # Control characters, line breaks and direction overrides would garble every list, export
    # and chat message a name appears in, or make two names look alike.
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI for ch in value):
        raise FieldError(
            "display_name", Message("a name may not contain control characters or line breaks")
        )
    return value


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
GuestName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_printable),
]
TimeZoneName = Annotated[str, AfterValidator(_known_timezone)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CurrencyCode = Annotated[
    str, StringConstraints(min_length=3, max_length=3), AfterValidator(_known_currency)
]


class UserRegister(Input):
    """A new account."""

    email: EmailStr
    password: Password
    display_name: DisplayName
    language: Language = "es"
    invitation_code: str | None = Field(None, max_length=64)


class UserOut(BaseModel):
    """An account as its owner (or an admin) sees it."""

    id: int
    email: str
    display_name: str
    role: InstanceRole
    language: Language
    created_at: datetime


class UserUpdate(Input):
    """What a person may change of their own account."""

    display_name: DisplayName | None = None
    language: Language | None = None


class UserRoleChange(Input):
    """An admin gives a person another instance role."""

    role: InstanceRole


class Credentials(Input):
    """Email and password, to log in or to get a token."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class TokenCreate(Credentials):
    """A new personal API token for the account whose email and password these are; without
    ``expires_in_days`` it lasts until revoked."""

    name: DisplayName = "API"
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    """A personal API token, without its secret."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None = None


class TokenCreated(TokenOut):
    """A personal API token just made: the only time its secret is shown."""

    token: str


class SessionStart(Input):
    """A new web session for the principal, ending after ``lifetime_days`` however used."""

    lifetime_days: int = Field(ge=1, le=365)


class SessionStarted(BaseModel):
    """A web session just started: its secret goes into the (signed) cookie, nowhere else."""

    secret: str
    expires_at: datetime


class SessionSecret(Input):
    """The secret of a web session, as the gateway found it in a cookie."""

    secret: str = Field(min_length=1, max_length=100)


class PasswordChange(Input):
    """A new password, with the current one; the other web sessions end. ``keep_session`` is
    the secret of the session the change is made from, which goes on."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password
    keep_session: str | None = Field(None, max_length=100)


class TokenResolve(Input):
    """A bearer token the gateway was given; any string that is no live token is unknown (401)."""

    token: str = Field(min_length=1)


MAX_EVENT_DAYS = 366
"""Longest an event may last, in days: a club's season at most. Every day of an event is a day
in its timetable, its calendar export and the bot's choices, so an event from year 1 to 9999
would make each of them millions of days long."""


def span_refusal(starts_at: datetime, ends_at: datetime) -> FieldError | None:
    """Why an event may not start and end when asked (the end before the start, or too long
    after it), or None."""
    if ends_at < starts_at:
        return FieldError("ends_at", Message("ends_at must not be before starts_at"))
    if ends_at - starts_at > timedelta(days=MAX_EVENT_DAYS):
        return FieldError(
            "ends_at",
            Message("an event may last at most 366 days; split a longer one into several events"),
        )
    return None


def check_span(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse (InvalidInput on ``ends_at``) an event's times that ``span_refusal`` refuses."""
    refused = span_refusal(starts_at, ends_at)
    if refused is not None:
        raise InvalidInput(refused.message, field=refused.field)


class EventCreate(Input):
    """A new event; its creator becomes its owner."""

    name: Name
    kind: EventKind = "event"
    description: str = Field("", max_length=5000)
    place: str = Field("", max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: TimeZoneName = "Europe/Madrid"
    currency: CurrencyCode = "EUR"

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventCreate:
        refused = span_refusal(self.starts_at, self.ends_at)
        if refused is not None:
            raise refused
        return self


class EventUpdate(Input):
    """Changes to an event; fields left out stay as they are."""

    name: Name | None = None
    kind: EventKind | None = None
    description: str | None = Field(None, max_length=5000)
    place: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: TimeZoneName | None = None
    currency: CurrencyCode | None = None


class EventOut(BaseModel):
    """An event as one of its members sees it (``my_role`` is "system" for TripBot itself)."""

    id: int
    name: str
    kind: EventKind
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    currency: str
    my_role: ViewerRole
    member_count: int
    created_at: datetime


class MemberOut(BaseModel):
    """A member of an event (a guest is a person without an account, added by name)."""

    user_id: int
    display_name: str
    role: MemberRole
    joined_at: datetime


class GuestCreate(Input):
    """A person without an account, added to an event by name alone."""

    display_name: GuestName


class MemberRoleChange(Input):
    """A member's new role."""

    role: EventRole


class MembershipOut(BaseModel):
    """Someone's role in an event (what other services are told)."""

    event_id: int
    user_id: int
    role: MemberRole


class MemberAdded(MembershipOut):
    """Someone's role in an event they were added to, and whether they were new to it (told
    by the status, 201 or 200, not in the body)."""

    _added: bool = PrivateAttr(default=False)

    @classmethod
    def of(cls, event_id: int, user_id: int, role: str, *, added: bool) -> MemberAdded:
        """The answer of an addition."""
        answer = cls.model_validate({"event_id": event_id, "user_id": user_id, "role": role})
        answer._added = added
        return answer

    @property
    def added(self) -> bool:
        """Whether they were not in the event before."""
        return self._added


class InvitationCreate(Input):
    """A new invitation link."""

    role: Literal["participant", "organizer"] = "participant"
    max_uses: int = Field(1, ge=1, le=1000)
    expires_in_hours: int = Field(168, ge=1, le=24 * 90)


class InvitationOut(BaseModel):
    """An invitation link's state."""

    code: str
    event_id: int
    event_name: str
    role: EventRole
    expires_at: datetime
    max_uses: int
    uses: int
    usable: bool


# ---- Telegram links and the bot's system calls --------------------------------------------

TELEGRAM_CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
"""What a link code can look like: the characters Telegram allows in a /start parameter."""
MAX_TELEGRAM_USER_ID = 2**53
"""Telegram user ids fit in 52 bits; larger numbers would lose precision in JSON clients."""
MAX_UPCOMING_WINDOW = timedelta(days=31)
"""Widest window of ``GET /events/upcoming``: the bot asks a day or two ahead at a time."""


class TelegramLinkCode(BaseModel):
    """A one-time code that links the Telegram account which sends it to the bot."""

    code: str
    expires_at: datetime


class TelegramStatus(BaseModel):
    """Whether a person's account is linked to a Telegram account."""

    linked: bool
    linked_at: datetime | None = None
    telegram_user_id: int | None = None


class TelegramLinkCreate(Input):
    """The bot links the Telegram account that sent ``/start <code>``."""

    code: str = Field(min_length=1, max_length=64, pattern=TELEGRAM_CODE_PATTERN)
    telegram_user_id: int = Field(gt=0, lt=MAX_TELEGRAM_USER_ID)


class TelegramLinkOut(BaseModel):
    """A TripBot account and the Telegram account linked to it."""

    user: UserOut
    telegram_user_id: int
    linked_at: datetime


class TelegramLinkQuery(BaseModel):
    """Which links the bot wants: those of an event's members."""

    event_id: Id


class EventJoin(Input):
    """The bot adds a person to an event as a participant (``/join``)."""

    user_id: Id


class EventSummary(BaseModel):
    """An event without anyone's role in it: what the bot needs for reminders."""

    id: int
    name: str
    kind: EventKind
    place: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    currency: str


class UpcomingQuery(BaseModel):
    """A window of start times, both bounds required, at most 31 days wide."""

    starts_after: AwareDatetime
    starts_before: AwareDatetime

    @model_validator(mode="after")
    def _bounded_window(self) -> UpcomingQuery:
        if self.starts_before <= self.starts_after:
            raise ValueError("starts_before must be after starts_after")
        if self.starts_before - self.starts_after > MAX_UPCOMING_WINDOW:
            raise ValueError("the window from starts_after to starts_before is at most 31 days")
        return self


class UserLookup(BaseModel):
    """Whose account TripBot's own tools want (``tripbot bot console --as EMAIL``)."""

    email: EmailStr


# ---- people without accounts: claiming a guest's place ------------------------------------

CLAIM_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,64}$"  # noqa: S105 - a shape, not a secret
"""What a claim link's token can look like (``secrets.token_urlsafe(32)``)."""


class ClaimLinkCreate(Input):
    """A new personal claim link for a guest: it works once, for ``expires_in_days`` days; it
    replaces the guest's earlier links not yet used."""

    expires_in_days: int = Field(14, ge=1, le=90)


class ClaimLinkOut(BaseModel):
    """A claim link just made: the only time its token is shown (the organizers share it)."""

    token: str
    event_id: int
    guest_id: int
    guest_name: str
    expires_at: datetime


class ClaimPreview(BaseModel):
    """Whose place in which event a claim link offers."""

    event_id: int
    event_name: str
    guest_id: int
    guest_name: str
    expires_at: datetime


class ClaimRegister(Input):
    """A new account that takes a guest's place (the claim link stands for an invitation);
    without ``display_name`` it keeps the guest's name."""

    email: EmailStr
    password: Password
    display_name: DisplayName | None = None
    language: Language = "es"


class ClaimOut(BaseModel):
    """A guest's place claimed: by a new account made of the guest (``merged`` false, the
    person id stays) or by an account that already existed (``merged`` true: the guest's
    history moves to it, in every service, through the ``guest.claimed`` change)."""

    event_id: int
    guest_id: int
    merged: bool
    user: UserOut
