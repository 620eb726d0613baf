"""The public REST API of accounts, events, members and invitations, and the health check."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, current_app, jsonify

from tripbot.events.schemas import (
    Credentials,
    EventCreate,
    EventOut,
    EventUpdate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MemberRoleChange,
    MembershipOut,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserOut,
    UserRegister,
    UserRoleChange,
    UserUpdate,
)
from tripbot.gateway import auth
from tripbot.gateway.schemas import (
    Health,
    InvitationLink,
    PasswordChangeRequest,
    ServiceHealth,
    TokenRequest,
)
from tripbot.platform.identity import Principal
from tripbot.platform.web import current_settings, list_of

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
NO_CONTENT = ("", 204)


def _link(invitation: InvitationOut) -> InvitationLink:
    url = f"{current_settings().public_url.rstrip('/')}/invite/{invitation.code}"
    return InvitationLink(**invitation.model_dump(), url=url)


@bp.post("/auth/register")
@bp.input(UserRegister, arg_name="data")
@bp.output(UserOut, status_code=201)
@bp.doc(tags=["Account"])
def register(data: UserRegister) -> UserOut:
    """Open an account (with an invitation code when registration is by invitation)."""
    return auth.services().events().register(data)


@bp.post("/auth/token")
@bp.input(TokenRequest, arg_name="data")
@bp.output(TokenCreated, status_code=201)
@bp.doc(tags=["Account"])
def create_token(data: TokenRequest) -> TokenCreated:
    """Exchange email and password for a personal API token (shown once)."""
    # Only the credentials: the events service refuses fields it does not know, such as name.
    credentials = Credentials(email=data.email, password=data.password)
    user = auth.services().events().authenticate(credentials)
    token = TokenCreate(name=data.name, expires_in_days=data.expires_in_days)
    return auth.services().events(Principal(user_id=user.id)).create_token(token)


@bp.post("/me/password")
@bp.input(PasswordChangeRequest, arg_name="data")
@bp.output({}, status_code=204)
@bp.doc(tags=["Account"])
def change_password(data: PasswordChangeRequest) -> tuple[str, int]:
    """Change your password (the current one required); every web session of yours ends.
    API tokens go on: revoke them at DELETE /me/tokens/{token_id}."""
    auth.require_user()
    auth.events().change_password(PasswordChange(**data.model_dump()))
    return NO_CONTENT


@bp.get("/me")
@bp.output(UserOut)
@bp.doc(tags=["Account"])
def me() -> UserOut:
    """Your account."""
    return auth.require_user()


@bp.patch("/me")
@bp.input(UserUpdate, arg_name="data")
@bp.output(UserOut)
@bp.doc(tags=["Account"])
def update_me(data: UserUpdate) -> UserOut:
    """Change your display name or language."""
    auth.require_user()
    return auth.events().update_me(data)


@bp.get("/me/tokens")
@bp.output(list_of(TokenOut))
@bp.doc(tags=["Account"])
def tokens() -> list[TokenOut]:
    """Your personal API tokens."""
    auth.require_user()
    return auth.events().tokens()


@bp.delete("/me/tokens/<int:token_id>")
@bp.output({}, status_code=204)
@bp.doc(tags=["Account"])
def revoke_token(token_id: int) -> tuple[str, int]:
    """Revoke one of your API tokens."""
    auth.require_user()
    auth.events().revoke_token(token_id)
    return NO_CONTENT


@bp.get("/users")
@bp.output(list_of(UserOut))
@bp.doc(tags=["Administration"])
def users() -> list[UserOut]:
    """Every account of this TripBot (administrators)."""
    auth.require_user()
    return auth.events().users()


@bp.patch("/users/<int:user_id>")
@bp.input(UserRoleChange, arg_name="data")
@bp.output(UserOut)
@bp.doc(tags=["Administration"])
def change_user_role(user_id: int, data: UserRoleChange) -> UserOut:
    """Make someone admin, gear keeper or member (administrators)."""
    auth.require_user()
    return auth.events().change_user_role(user_id, data.role)


@bp.post("/events")
@bp.input(EventCreate, arg_name="data")
@bp.output(EventOut, status_code=201)
@bp.doc(tags=["Events"])
def create_event(data: EventCreate) -> EventOut:
    """Create an event; you become its owner."""
    auth.require_user()
    return auth.events().create_event(data)


@bp.get("/events")
@bp.output(list_of(EventOut))
@bp.doc(tags=["Events"])
def events() -> list[EventOut]:
    """The events you belong to."""
    auth.require_user()
    return auth.events().events()


@bp.get("/events/<int:event_id>")
@bp.output(EventOut)
@bp.doc(tags=["Events"])
def event(event_id: int) -> EventOut:
    """One of your events (404 for events you do not belong to)."""
    auth.require_user()
    return auth.events().event(event_id)


@bp.patch("/events/<int:event_id>")
@bp.input(EventUpdate, arg_name="data")
@bp.output(EventOut)
@bp.doc(tags=["Events"])
def update_event(event_id: int, data: EventUpdate) -> EventOut:
    """Change an event (owners and organizers)."""
    auth.require_user()
    return auth.events().update_event(event_id, data)


@bp.delete("/events/<int:event_id>")
@bp.output({}, status_code=204)
@bp.doc(tags=["Events"])
def delete_event(event_id: int) -> tuple[str, int]:
    """Delete an event (owners)."""
    auth.require_user()
    auth.events().delete_event(event_id)
    return NO_CONTENT


@bp.get("/events/<int:event_id>/members")
@bp.output(list_of(MemberOut))
@bp.doc(tags=["Members"])
def members(event_id: int) -> list[MemberOut]:
    """An event's members and their roles."""
    auth.require_user()
    return auth.events().members(event_id)


@bp.patch("/events/<int:event_id>/members/<int:user_id>")
@bp.input(MemberRoleChange, arg_name="data")
@bp.output(MemberOut)
@bp.doc(tags=["Members"])
def change_member_role(event_id: int, user_id: int, data: MemberRoleChange) -> MemberOut:
    """Change a member's role (owners and organizers; ownership only by owners)."""
    auth.require_user()
    return auth.events().change_member_role(event_id, user_id, data.role)


@bp.delete("/events/<int:event_id>/members/<int:user_id>")
@bp.output({}, status_code=204)
@bp.doc(tags=["Members"])
def remove_member(event_id: int, user_id: int) -> tuple[str, int]:
    """Leave an event (your own id) or remove a member (owners and organizers)."""
    auth.require_user()
    auth.events().remove_member(event_id, user_id)
    return NO_CONTENT


@bp.post("/events/<int:event_id>/invitations")
@bp.input(InvitationCreate, arg_name="data")
@bp.output(InvitationLink, status_code=201)
@bp.doc(tags=["Invitations"])
def create_invitation(event_id: int, data: InvitationCreate) -> InvitationLink:
    """Make an invitation link (owners and organizers)."""
    auth.require_user()
    return _link(auth.events().create_invitation(event_id, data))


@bp.get("/events/<int:event_id>/invitations")
@bp.output(list_of(InvitationLink))
@bp.doc(tags=["Invitations"])
def invitations(event_id: int) -> list[InvitationLink]:
    """An event's invitation links (owners and organizers)."""
    auth.require_user()
    return [_link(i) for i in auth.events().invitations(event_id)]


@bp.delete("/events/<int:event_id>/invitations/<code>")
@bp.output({}, status_code=204)
@bp.doc(tags=["Invitations"])
def revoke_invitation(event_id: int, code: str) -> tuple[str, int]:
    """Stop an invitation link from working (owners and organizers)."""
    auth.require_user()
    auth.events().revoke_invitation(event_id, code)
    return NO_CONTENT


@bp.get("/invitations/<code>")
@bp.output(InvitationOut)
@bp.doc(tags=["Invitations"])
def preview_invitation(code: str) -> InvitationOut:
    """Which event an invitation is for, and whether it can still be used."""
    return auth.services().events().preview_invitation(code)


@bp.post("/invitations/<code>/accept")
@bp.output(MembershipOut)
@bp.doc(tags=["Invitations"])
def accept_invitation(code: str) -> MembershipOut:
    """Join the event an invitation is for."""
    auth.require_user()
    return auth.events().accept_invitation(code)


@bp.get("/health")
@bp.output(Health)
@bp.doc(tags=["Operations"], responses={503: "A service is unavailable"})
def health() -> Response:
    """Whether every service answers."""
    ready = auth.services().readiness()
    body = Health(
        status="ok" if all(ready.values()) else "degraded",
        services=[
            ServiceHealth(service=name, status="ready" if ok else "unavailable")
            for name, ok in ready.items()
        ],
    )
    link = current_app.extensions.get("tripbot.bot_link")
    if link is not None:
        body.bot = "connected" if link.connected else "disconnected"
    response = jsonify(body.model_dump(exclude_none=True))
    response.status_code = 200 if body.status == "ok" else 503
    return response
