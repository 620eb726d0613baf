"""Typed client of the events service, for the gateway, the bot and other services."""

from __future__ import annotations

from tripbot.events.schemas import (
    Credentials,
    EventCreate,
    EventOut,
    EventUpdate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MembershipOut,
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

    def register(self, data: UserRegister) -> UserOut:
        """Open an account."""
        return self.send_model("POST", UserOut, "/users", data)

    def authenticate(self, data: Credentials) -> UserOut:
        """Check an email and password."""
        return self.send_model("POST", UserOut, "/auth/login", data)

    def me(self) -> UserOut:
        """The principal's account."""
        return self.get_model(UserOut, "/users/me")

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
