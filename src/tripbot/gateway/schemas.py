"""Schemas of the public API that are the gateway's own (the rest are the services')."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from tripbot.events.schemas import Credentials, DisplayName, InvitationOut


class TokenRequest(Credentials):
    """Email and password, and a name for the new personal API token."""

    name: DisplayName = "API"


class InvitationLink(InvitationOut):
    """An invitation with the link to share."""

    url: str


class ServiceHealth(BaseModel):
    """Whether one service answers."""

    service: str
    status: Literal["ready", "unavailable"]


class Health(BaseModel):
    """Whether the gateway and every service answer."""

    status: Literal["ok", "degraded"]
    services: list[ServiceHealth]
