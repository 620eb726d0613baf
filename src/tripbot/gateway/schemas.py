"""Schemas of the public API that are the gateway's own (the rest are the services')."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from tripbot.agenda.schemas import ActivityOut
from tripbot.events.schemas import (
    EventOut,
    InvitationOut,
    Language,
    Password,
    TokenCreate,
)
from tripbot.ledger.schemas import Balances
from tripbot.platform.schemas import Input
from tripbot.routes.schemas import RouteSummary


class TokenRequest(TokenCreate):
    """Email and password, a name for the new personal API token, and optionally the days
    until it expires (without them it lasts until revoked)."""


class PasswordChangeRequest(Input):
    """The current password and the new one; every web session of the account ends."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class PasswordResetAsk(Input):
    """The email of the account whose password is forgotten."""

    email: EmailStr


class PasswordResetAccepted(BaseModel):
    """The answer to a password reset request: the same whether or not the email has an
    account."""

    detail: str


class NewPassword(Input):
    """The password to set with a password reset link."""

    new_password: Password


class InvitationLink(InvitationOut):
    """An invitation with the link to share."""

    url: str


class EmailInvitationRequest(Input):
    """People to invite by email (up to 50 at once): each gets a single-use link of their own,
    in a mail in ``language`` (by default the language of the request)."""

    emails: list[EmailStr] = Field(min_length=1, max_length=50)
    role: Literal["participant", "organizer"] = "participant"
    expires_in_hours: int = Field(168, ge=1, le=24 * 90)
    language: Language | None = None


class EmailedInvitation(InvitationLink):
    """An invitation sent by email, and to whom."""

    email: str


class ServiceHealth(BaseModel):
    """Whether one service answers."""

    service: str
    status: Literal["ready", "unavailable"]


class Health(BaseModel):
    """Whether the gateway and every service answer."""

    status: Literal["ok", "degraded"]
    services: list[ServiceHealth]
    bot: Literal["connected", "disconnected"] | None = None
    """The Telegram bot running in this process (``tripbot run`` with a token): whether it
    reaches Telegram. It does not make the rest degraded: the web serves without it."""


class Unavailable(BaseModel):
    """A section of the overview whose service did not answer; the other sections stand."""

    unavailable: str = Field(description="the service that did not answer")


class PlanSummary(BaseModel):
    """An excursion plan at a glance: its routes in walking order and where and when to meet."""

    routes: list[RouteSummary]
    meeting_point: str
    meeting_at: datetime | None
    capacity: int | None
    total_distance_m: float
    total_ascent_m: float | None
    total_time_mide_min: int | None


class AgendaSummary(BaseModel):
    """What is on now, what comes next, and how many activities there are today."""

    timezone: str
    now: list[ActivityOut]
    next: list[ActivityOut]
    today: date = Field(description="today in the event's time zone")
    today_count: int = Field(description="today's activities, cancelled ones left out")


class Spending(BaseModel):
    """The money of the event in short, from the ledger's report."""

    costs: str = Field(description="what the event itself spent (costs shared among members apart)")
    income: str
    net_result: str = Field(description="income - costs: the event's own money, as its balance")
    shared_costs: str = Field("0", description="what members spent and shared among themselves")


class Hidden(BaseModel):
    """Something the asker may not see, and why."""

    hidden: str = Field(description="why it is left out")


class MoneySummary(BaseModel):
    """Balances (only one's own when the organizers keep the report to themselves) and the
    total spent, or why it is hidden."""

    currency: str
    balances: Balances
    spending: Spending | Hidden


class GearSummary(BaseModel):
    """The event's active gear reservations."""

    reservations: int
    quantity: int = Field(description="units or pieces reserved, all reservations together")


class EventOverview(BaseModel):
    """An event at a glance, gathered from every service at once; a service that does not
    answer leaves its section as ``{"unavailable": "<service>"}``."""

    event: EventOut
    members: int
    plan: PlanSummary | Unavailable
    agenda: AgendaSummary | Unavailable
    money: MoneySummary | Unavailable
    gear: GearSummary | Unavailable


class TelegramLinkStart(BaseModel):
    """A one-time code to link Telegram, and the link that sends it to the bot."""

    code: str
    expires_at: datetime
    deep_link: str | None = Field(
        description="https://t.me/<bot>?start=<code>; null when this TripBot has no bot set up."
    )
