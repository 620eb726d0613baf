"""Typed client of the events service, for the gateway, the bot and other services."""

from __future__ import annotations

from datetime import datetime

from tripbot.events import OPERATIONS
from tripbot.events import service as use_cases
from tripbot.events.schemas import (
    Credentials,
    EventCreate,
    EventOut,
    EventSummary,
    EventUpdate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MembershipOut,
    PasswordChange,
    SessionStart,
    SessionStarted,
    TelegramLinkCode,
    TelegramLinkOut,
    TelegramStatus,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
    UserRegister,
    UserUpdate,
)
from tripbot.platform.client import ServiceClient, path_segment


class EventsClient(ServiceClient):
    """Calls the events service for one principal."""

    service = "events"
    operations = OPERATIONS
    feed = use_cases.feed

    def register(self, data: UserRegister) -> UserOut:
        """Open an account."""
        return self.send_model("POST", UserOut, "/users", data)

    def authenticate(self, data: Credentials) -> UserOut:
        """Check an email and password."""
        return self.send_model("POST", UserOut, "/auth/login", data)

    def me(self) -> UserOut:
        """The principal's account."""
        return self.get_model(UserOut, "/users/me")

    def user_by_email(self, email: str) -> UserOut:
        """The account with an email (the system principal only)."""
        return self.get_model(UserOut, "/users/lookup", params={"email": email})

    def update_me(self, data: UserUpdate) -> UserOut:
        """Change the principal's account."""
        return self.send_model("PATCH", UserOut, "/users/me", data)

    def users(self) -> list[UserOut]:
        """Every account (admins)."""
        return self.get_list(UserOut, "/users")

    def change_user_role(self, user_id: int, role: str) -> UserOut:
        """Give someone another instance role (admins)."""
        return self.send_model("PATCH", UserOut, f"/users/{user_id}", {"role": role})

    def create_token(self, data: TokenCreate) -> TokenCreated:
        """A new personal API token."""
        return self.send_model("POST", TokenCreated, "/tokens", data)

    def tokens(self) -> list[TokenOut]:
        """The principal's API tokens."""
        return self.get_list(TokenOut, "/tokens")

    def revoke_token(self, token_id: int) -> None:
        """Revoke an API token."""
        self.request("DELETE", f"/tokens/{token_id}")

    def resolve_token(self, token: str) -> UserOut:
        """The account a bearer token belongs to."""
        return self.send_model("POST", UserOut, "/tokens/resolve", {"token": token})

    def start_session(self, data: SessionStart) -> SessionStarted:
        """A new web session for the principal."""
        return self.send_model("POST", SessionStarted, "/sessions", data)

    def resolve_session(self, secret: str) -> UserOut:
        """The account of a live web session."""
        return self.send_model("POST", UserOut, "/sessions/resolve", {"secret": secret})

    def end_session(self, secret: str) -> None:
        """Log one web session out."""
        self.request("POST", "/sessions/end", json={"secret": secret})

    def end_sessions(self) -> None:
        """Log every web session of the principal out."""
        self.request("DELETE", "/sessions")

    def change_password(self, data: PasswordChange) -> None:
        """Change the principal's password; their other web sessions end."""
        self.request("POST", "/users/me/password", json=data.model_dump(mode="json"))

    def create_event(self, data: EventCreate) -> EventOut:
        """Create an event."""
        return self.send_model("POST", EventOut, "/events", data)

    def events(self) -> list[EventOut]:
        """The principal's events."""
        return self.get_list(EventOut, "/events")

    def event(self, event_id: int) -> EventOut:
        """One event."""
        return self.get_model(EventOut, f"/events/{event_id}")

    def update_event(self, event_id: int, data: EventUpdate) -> EventOut:
        """Change an event."""
        return self.send_model("PATCH", EventOut, f"/events/{event_id}", data)

    def delete_event(self, event_id: int) -> None:
        """Delete an event."""
        self.request("DELETE", f"/events/{event_id}")

    def members(self, event_id: int) -> list[MemberOut]:
        """An event's members."""
        return self.get_list(MemberOut, f"/events/{event_id}/members")

    def membership(self, event_id: int) -> MembershipOut:
        """The principal's role in an event (NotFound if none)."""
        return self.get_model(MembershipOut, f"/events/{event_id}/membership")

    def change_member_role(self, event_id: int, user_id: int, role: str) -> MemberOut:
        """Change a member's role."""
        return self.send_model(
            "PATCH", MemberOut, f"/events/{event_id}/members/{user_id}", {"role": role}
        )

    def remove_member(self, event_id: int, user_id: int) -> None:
        """Leave an event or remove a member."""
        self.request("DELETE", f"/events/{event_id}/members/{user_id}")

    def create_invitation(self, event_id: int, data: InvitationCreate) -> InvitationOut:
        """A new invitation link."""
        return self.send_model("POST", InvitationOut, f"/events/{event_id}/invitations", data)

    def invitations(self, event_id: int) -> list[InvitationOut]:
        """An event's invitation links."""
        return self.get_list(InvitationOut, f"/events/{event_id}/invitations")

    def revoke_invitation(self, event_id: int, code: str) -> None:
        """Revoke an invitation link."""
        self.request("DELETE", f"/events/{event_id}/invitations/{path_segment(code)}")

    def preview_invitation(self, code: str) -> InvitationOut:
        """What an invitation leads to."""
        return self.get_model(InvitationOut, f"/invitations/{path_segment(code)}")

    def accept_invitation(self, code: str) -> MembershipOut:
        """Join an event through an invitation."""
        return self.send_model(
            "POST", MembershipOut, f"/invitations/{path_segment(code)}/accept", {}
        )

    def create_telegram_link_code(self) -> TelegramLinkCode:
        """A one-time code for the principal to send the bot as ``/start <code>``."""
        return self.send_model("POST", TelegramLinkCode, "/telegram/link-codes", {})

    def telegram_status(self) -> TelegramStatus:
        """Whether the principal's account is linked to Telegram."""
        return self.get_model(TelegramStatus, "/telegram/link")

    def unlink_telegram(self) -> None:
        """Unlink the principal's Telegram account (nothing happens if none is linked)."""
        self.request("DELETE", "/telegram/link")

    def link_telegram(self, code: str, telegram_user_id: int) -> TelegramLinkOut:
        """Link the Telegram account that sent a link code (the system principal)."""
        return self.send_model(
            "POST",
            TelegramLinkOut,
            "/telegram/links",
            {"code": code, "telegram_user_id": telegram_user_id},
        )

    def telegram_user(self, telegram_user_id: int) -> TelegramLinkOut:
        """The account a Telegram user is linked to, or NotFound (the system principal)."""
        return self.get_model(TelegramLinkOut, f"/telegram/links/{telegram_user_id}")

    def telegram_links(self, event_id: int) -> list[TelegramLinkOut]:
        """The linked Telegram accounts of an event's members (the system principal)."""
        return self.get_list(TelegramLinkOut, "/telegram/links", {"event_id": event_id})

    def add_member(self, event_id: int, user_id: int) -> MembershipOut:
        """Add someone to an event as a participant; a member keeps their role (system)."""
        return self.send_model(
            "POST", MembershipOut, f"/events/{event_id}/members", {"user_id": user_id}
        )

    def upcoming_events(
        self, starts_after: datetime, starts_before: datetime
    ) -> list[EventSummary]:
        """Events starting in a window of at most 31 days, soonest first (system)."""
        return self.get_list(
            EventSummary,
            "/events/upcoming",
            {"starts_after": starts_after.isoformat(), "starts_before": starts_before.isoformat()},
        )
