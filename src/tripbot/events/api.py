"""HTTP interface of the events service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIBlueprint, APIFlask
from flask import current_app

from tripbot.events import OPERATIONS, service, sessions
from tripbot.events.schemas import (
    Credentials,
    EventCreate,
    EventJoin,
    EventOut,
    EventSummary,
    EventUpdate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MemberRoleChange,
    MembershipOut,
    PasswordChange,
    SessionSecret,
    SessionStart,
    SessionStarted,
    TelegramLinkCode,
    TelegramLinkCreate,
    TelegramLinkOut,
    TelegramLinkQuery,
    TelegramStatus,
    TokenCreate,
    TokenCreated,
    TokenOut,
    TokenResolve,
    UpcomingQuery,
    UserLookup,
    UserOut,
    UserRegister,
    UserRoleChange,
    UserUpdate,
)
from tripbot.platform.client import Transport
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import Message, NotFound
from tripbot.platform.passwords import Passwords
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    create_legacy_service_app,
    current_database,
    current_principal,
    list_of,
)

bp = APIBlueprint("events", __name__, tag="Events")
NO_CONTENT = ("", 204)


def _uow() -> UnitOfWork:
    return current_database().unit_of_work()


def _policy() -> service.AccountPolicy:
    policy: service.AccountPolicy = current_app.extensions["tripbot.account_policy"]
    return policy


@bp.post("/users")
@bp.input(UserRegister, arg_name="data")
@bp.output(UserOut, status_code=201)
def register(data: UserRegister) -> UserOut:
    """Open an account."""
    return service.register(_uow(), _policy(), data)


@bp.post("/auth/login")
@bp.input(Credentials, arg_name="data")
@bp.output(UserOut)
def login(data: Credentials) -> UserOut:
    """Check an email and password."""
    return service.authenticate(_uow(), _policy(), data)


@bp.get("/users/me")
@bp.output(UserOut)
def me() -> UserOut:
    """The asker's account."""
    return service.get_me(_uow(), current_principal())


@bp.get("/users/lookup")
@bp.input(UserLookup, location="query", arg_name="query")
@bp.output(UserOut)
def find_user(query: UserLookup) -> UserOut:
    """The account with an email (TripBot's own tools only)."""
    return service.find_user(_uow(), current_principal(), str(query.email))


@bp.patch("/users/me")
@bp.input(UserUpdate, arg_name="data")
@bp.output(UserOut)
def update_me(data: UserUpdate) -> UserOut:
    """Change one's own account."""
    return service.update_me(_uow(), current_principal(), data)


@bp.get("/users")
@bp.output(list_of(UserOut))
def users() -> list[UserOut]:
    """Every account (admins)."""
    return service.list_users(_uow(), current_principal())


@bp.patch("/users/<int:user_id>")
@bp.input(UserRoleChange, arg_name="data")
@bp.output(UserOut)
def change_user_role(user_id: int, data: UserRoleChange) -> UserOut:
    """Give someone another instance role (admins)."""
    return service.change_user_role(_uow(), current_principal(), user_id, data.role)


@bp.post("/tokens")
@bp.input(TokenCreate, arg_name="data")
@bp.output(TokenCreated, status_code=201)
def create_token(data: TokenCreate) -> TokenCreated:
    """A new personal API token."""
    return service.create_token(_uow(), current_principal(), data)


@bp.get("/tokens")
@bp.output(list_of(TokenOut))
def tokens() -> list[TokenOut]:
    """One's own API tokens."""
    return service.list_tokens(_uow(), current_principal())


@bp.delete("/tokens/<int:token_id>")
@bp.output({}, status_code=204)
def revoke_token(token_id: int) -> tuple[str, int]:
    """Revoke an API token."""
    service.revoke_token(_uow(), current_principal(), token_id)
    return NO_CONTENT


@bp.post("/tokens/resolve")
@bp.input(TokenResolve, arg_name="data")
@bp.output(UserOut)
def resolve_token(data: TokenResolve) -> UserOut:
    """The account a bearer token belongs to."""
    return service.resolve_token(_uow(), data.token)


@bp.post("/sessions")
@bp.input(SessionStart, arg_name="data")
@bp.output(SessionStarted, status_code=201)
def start_session(data: SessionStart) -> SessionStarted:
    """A new web session for the asker (the gateway, once the password was checked)."""
    return sessions.start_session(_uow(), current_principal(), data)


@bp.post("/sessions/resolve")
@bp.input(SessionSecret, arg_name="data")
@bp.output(UserOut)
def resolve_session(data: SessionSecret) -> UserOut:
    """The account of a live web session."""
    return sessions.resolve_session(_uow(), data.secret)


@bp.post("/sessions/end")
@bp.input(SessionSecret, arg_name="data")
@bp.output({}, status_code=204)
def end_session(data: SessionSecret) -> tuple[str, int]:
    """Log one web session out."""
    sessions.end_session(_uow(), data.secret)
    return NO_CONTENT


@bp.delete("/sessions")
@bp.output({}, status_code=204)
def end_sessions() -> tuple[str, int]:
    """Log every web session of the asker out."""
    sessions.end_sessions(_uow(), current_principal())
    return NO_CONTENT


@bp.post("/users/me/password")
@bp.input(PasswordChange, arg_name="data")
@bp.output({}, status_code=204)
def change_password(data: PasswordChange) -> tuple[str, int]:
    """Change the asker's password; their other web sessions end."""
    sessions.change_password(_uow(), _policy(), current_principal(), data)
    return NO_CONTENT


@bp.post("/events")
@bp.input(EventCreate, arg_name="data")
@bp.output(EventOut, status_code=201)
def create_event(data: EventCreate) -> EventOut:
    """Create an event."""
    return service.create_event(_uow(), current_principal(), data)


@bp.get("/events")
@bp.output(list_of(EventOut))
def events() -> list[EventOut]:
    """The asker's events."""
    return service.list_events(_uow(), current_principal())


@bp.get("/events/upcoming")
@bp.input(UpcomingQuery, location="query", arg_name="window")
@bp.output(list_of(EventSummary))
def upcoming_events(window: UpcomingQuery) -> list[EventSummary]:
    """Events starting in a window (TripBot's own components)."""
    return service.upcoming_events(
        _uow(), current_principal(), window.starts_after, window.starts_before
    )


@bp.get("/events/<int:event_id>")
@bp.output(EventOut)
def event(event_id: int) -> EventOut:
    """One event."""
    return service.get_event(_uow(), current_principal(), event_id)


@bp.patch("/events/<int:event_id>")
@bp.input(EventUpdate, arg_name="data")
@bp.output(EventOut)
def update_event(event_id: int, data: EventUpdate) -> EventOut:
    """Change an event."""
    return service.update_event(_uow(), current_principal(), event_id, data)


@bp.delete("/events/<int:event_id>")
@bp.output({}, status_code=204)
def delete_event(event_id: int) -> tuple[str, int]:
    """Delete an event."""
    service.delete_event(_uow(), current_principal(), event_id)
    return NO_CONTENT


@bp.get("/events/<int:event_id>/members")
@bp.output(list_of(MemberOut))
def members(event_id: int) -> list[MemberOut]:
    """An event's members."""
    return service.list_members(_uow(), current_principal(), event_id)


@bp.post("/events/<int:event_id>/members")
@bp.input(EventJoin, arg_name="data")
@bp.output(MembershipOut, status_code=201)
def add_member(event_id: int, data: EventJoin) -> tuple[MembershipOut, int]:
    """Add someone as a participant; 200 if they already belong (TripBot's own components)."""
    membership, added = service.add_member(_uow(), current_principal(), event_id, data.user_id)
    return membership, 201 if added else 200


@bp.get("/events/<int:event_id>/membership")
@bp.output(MembershipOut)
def membership(event_id: int) -> MembershipOut:
    """The asker's role in an event."""
    return service.get_membership(_uow(), current_principal(), event_id)


@bp.patch("/events/<int:event_id>/members/<int:user_id>")
@bp.input(MemberRoleChange, arg_name="data")
@bp.output(MemberOut)
def change_member_role(event_id: int, user_id: int, data: MemberRoleChange) -> MemberOut:
    """Change a member's role."""
    return service.change_member_role(_uow(), current_principal(), event_id, user_id, data.role)


@bp.delete("/events/<int:event_id>/members/<int:user_id>")
@bp.output({}, status_code=204)
def remove_member(event_id: int, user_id: int) -> tuple[str, int]:
    """Leave an event or remove a member."""
    service.remove_member(_uow(), current_principal(), event_id, user_id)
    return NO_CONTENT


@bp.post("/events/<int:event_id>/invitations")
@bp.input(InvitationCreate, arg_name="data")
@bp.output(InvitationOut, status_code=201)
def create_invitation(event_id: int, data: InvitationCreate) -> InvitationOut:
    """A new invitation link."""
    return service.create_invitation(_uow(), current_principal(), event_id, data)


@bp.get("/events/<int:event_id>/invitations")
@bp.output(list_of(InvitationOut))
def invitations(event_id: int) -> list[InvitationOut]:
    """An event's invitation links."""
    return service.list_invitations(_uow(), current_principal(), event_id)


@bp.delete("/events/<int:event_id>/invitations/<code>")
@bp.output({}, status_code=204)
def revoke_invitation(event_id: int, code: str) -> tuple[str, int]:
    """Revoke an invitation link."""
    service.revoke_invitation(_uow(), current_principal(), event_id, code)
    return NO_CONTENT


@bp.get("/invitations/<code>")
@bp.output(InvitationOut)
def preview_invitation(code: str) -> InvitationOut:
    """What an invitation leads to."""
    return service.preview_invitation(_uow(), code)


@bp.post("/invitations/<code>/accept")
@bp.output(MembershipOut)
def accept_invitation(code: str) -> MembershipOut:
    """Join an event through an invitation."""
    return service.accept_invitation(_uow(), current_principal(), code)


@bp.post("/telegram/link-codes")
@bp.output(TelegramLinkCode, status_code=201)
def create_telegram_link_code() -> TelegramLinkCode:
    """A one-time code to link Telegram."""
    return service.create_telegram_link_code(_uow(), current_principal())


@bp.get("/telegram/link")
@bp.output(TelegramStatus)
def telegram_status() -> TelegramStatus:
    """Whether the asker's account is linked to Telegram."""
    return service.telegram_status(_uow(), current_principal())


@bp.delete("/telegram/link")
@bp.output({}, status_code=204)
def unlink_telegram() -> tuple[str, int]:
    """Unlink the asker's Telegram account."""
    service.unlink_telegram(_uow(), current_principal())
    return NO_CONTENT


@bp.post("/telegram/links")
@bp.input(TelegramLinkCreate, arg_name="data")
@bp.output(TelegramLinkOut, status_code=201)
def link_telegram(data: TelegramLinkCreate) -> TelegramLinkOut:
    """Link the Telegram account that sent a code (TripBot's own components)."""
    return service.link_telegram(_uow(), current_principal(), data)


@bp.get("/telegram/links")
@bp.input(TelegramLinkQuery, location="query", arg_name="query")
@bp.output(list_of(TelegramLinkOut))
def telegram_links(query: TelegramLinkQuery) -> list[TelegramLinkOut]:
    """The linked Telegram accounts of an event's members (TripBot's own components)."""
    return service.telegram_links(_uow(), current_principal(), query.event_id)


@bp.get("/telegram/links/<telegram_user_id>")
@bp.output(TelegramLinkOut)
def telegram_user(telegram_user_id: str) -> TelegramLinkOut:
    """The account a Telegram user is linked to (TripBot's own components)."""
    # Not <int:>: that converter stops at database ids, and Telegram ids need 52 bits.
    if not telegram_user_id.isascii() or not telegram_user_id.isdigit():
        raise NotFound(
            Message("Telegram user {telegram_user_id} is not linked to a TripBot account"),
            telegram_user_id=telegram_user_id,
        )
    return service.telegram_user(_uow(), current_principal(), int(telegram_user_id))


def create_app(
    settings: Settings, database: Database, peers: Mapping[str, Transport] | None = None
) -> APIFlask:
    """The events service application (it calls no other service)."""
    app = create_legacy_service_app(
        "events", settings, database, [bp], peers, operations=OPERATIONS
    )
    app.extensions["tripbot.account_policy"] = service.AccountPolicy(
        registration=settings.registration,
        passwords=Passwords(settings.password_hash_profile),
    )
    return app
