"""The public REST API's own account and event routes, where the gateway adds something to the
events service's operations (whose forwarding routes come from their declarations): a token for
a password, a password change that keeps this session, the person already resolved, invitation
links to share, and the health check."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, current_app, jsonify

from tripbot.events.schemas import (
    InvitationCreate,
    InvitationOut,
    PasswordChange,
    TokenCreated,
    UserOut,
)
from tripbot.gateway import auth, invite_mail, resets
from tripbot.gateway.schemas import (
    EmailedInvitation,
    EmailInvitationRequest,
    Health,
    InvitationLink,
    NewPassword,
    PasswordChangeRequest,
    PasswordResetAccepted,
    PasswordResetAsk,
    ServiceHealth,
    TokenRequest,
)
from tripbot.platform.web import current_settings, list_of

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
NO_CONTENT = ("", 204)


def _link(invitation: InvitationOut) -> InvitationLink:
    url = f"{current_settings().public_url.rstrip('/')}/invite/{invitation.code}"
    return InvitationLink(**invitation.model_dump(), url=url)


@bp.post("/auth/token")
@bp.input(TokenRequest, arg_name="data")
@bp.output(TokenCreated, status_code=201)
@bp.doc(tags=["Account"])
def create_token(data: TokenRequest) -> TokenCreated:
    """Exchange email and password for a personal API token (shown once)."""
    # The credentials go on as they came: the events service checks them itself.
    return auth.services().events().create_token(data)


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


@bp.post("/auth/password-reset")
@bp.input(PasswordResetAsk, arg_name="data")
@bp.output(PasswordResetAccepted, status_code=202)
@bp.doc(tags=["Account"], responses={403: "This TripBot does not send email"})
def request_password_reset(data: PasswordResetAsk) -> PasswordResetAccepted:
    """Ask for a link to set a new password, sent by email and valid 30 minutes. The answer is
    the same, and as quick, whether or not the email has an account."""
    resets.ask(str(data.email))
    return PasswordResetAccepted(detail=resets.accepted())


@bp.post("/auth/password-reset/<token>")
@bp.input(NewPassword, arg_name="data")
@bp.output({}, status_code=204)
@bp.doc(tags=["Account"], responses={404: "Unknown link", 410: "Link expired or used"})
def reset_password(token: str, data: NewPassword) -> tuple[str, int]:
    """Set a new password with the secret of a reset link (once); every web session of the
    account ends."""
    resets.finish(token, data.new_password)
    return NO_CONTENT


@bp.get("/me")
@bp.output(UserOut)
@bp.doc(tags=["Account"])
def me() -> UserOut:
    """Your account."""
    return auth.require_user()


@bp.post("/events/<int:event_id>/invitations")
@bp.input(InvitationCreate, arg_name="data")
@bp.output(InvitationLink, status_code=201)
@bp.doc(tags=["Invitations"])
def create_invitation(event_id: int, data: InvitationCreate) -> InvitationLink:
    """Make an invitation link (owners and organizers)."""
    auth.require_user()
    return _link(auth.events().create_invitation(event_id, data))


@bp.post("/events/<int:event_id>/invitations/email")
@bp.input(EmailInvitationRequest, arg_name="data")
@bp.output(list_of(EmailedInvitation), status_code=201)
@bp.doc(tags=["Invitations"], responses={403: "Not an organizer, or this TripBot sends no email"})
def invite_by_email(event_id: int, data: EmailInvitationRequest) -> list[EmailedInvitation]:
    """Invite people by email (owners and organizers): each address gets a single-use link of
    its own, in a mail in ``language``."""
    auth.require_user()
    return invite_mail.invite_by_email(event_id, data)


@bp.get("/events/<int:event_id>/invitations")
@bp.output(list_of(InvitationLink))
@bp.doc(tags=["Invitations"])
def invitations(event_id: int) -> list[InvitationLink]:
    """An event's invitation links (owners and organizers)."""
    auth.require_user()
    return [_link(i) for i in auth.events().invitations(event_id)]


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
