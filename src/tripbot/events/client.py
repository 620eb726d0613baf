"""Typed client of the events service, for the gateway, the bot and other services: its
operations, reached over HTTP or in process."""

from __future__ import annotations

from pydantic import ValidationError

from tripbot.events import OPERATIONS
from tripbot.events import service as use_cases
from tripbot.events.schemas import SessionSecret, TokenResolve, UserOut
from tripbot.platform.client import ServiceClient
from tripbot.platform.errors import Message, NotAuthenticated


class EventsClient(ServiceClient):
    """Calls the events service for one principal."""

    service = "events"
    operations = OPERATIONS

    register = use_cases.accounts.register
    authenticate = use_cases.accounts.authenticate
    me = use_cases.accounts.me
    user_by_email = use_cases.accounts.user_by_email
    update_me = use_cases.accounts.update_me
    users = use_cases.accounts.users
    change_user_role = use_cases.accounts.change_user_role
    create_token = use_cases.tokens.create_token
    tokens = use_cases.tokens.tokens
    revoke_token = use_cases.tokens.revoke_token
    start_session = use_cases.sessions.start_session
    end_sessions = use_cases.sessions.end_sessions
    change_password = use_cases.sessions.change_password
    create_event = use_cases.events.create_event
    events = use_cases.events.events
    upcoming_events = use_cases.events.upcoming_events
    event = use_cases.events.event
    update_event = use_cases.events.update_event
    delete_event = use_cases.events.delete_event
    members = use_cases.members.members
    membership = use_cases.members.membership
    change_member_role = use_cases.members.change_member_role
    remove_member = use_cases.members.remove_member
    add_member = use_cases.members.add_member
    add_guest = use_cases.guests.add_guest
    create_claim_link = use_cases.claims.create_claim_link
    preview_claim = use_cases.claims.preview_claim
    accept_claim = use_cases.claims.accept_claim
    register_claim = use_cases.claims.register_claim
    create_invitation = use_cases.invitations.create_invitation
    invitations = use_cases.invitations.invitations
    revoke_invitation = use_cases.invitations.revoke_invitation
    preview_invitation = use_cases.invitations.preview_invitation
    accept_invitation = use_cases.invitations.accept_invitation
    create_telegram_link_code = use_cases.telegram.create_telegram_link_code
    telegram_status = use_cases.telegram.telegram_status
    unlink_telegram = use_cases.telegram.unlink_telegram
    link_telegram = use_cases.telegram.link_telegram
    telegram_links = use_cases.telegram.telegram_links
    telegram_user = use_cases.telegram.telegram_user
    feed = use_cases.feed

    # The gateway holds a bare secret from a header or a cookie: these take it as it is, and
    # what cannot even be a secret is simply not one (never a 422 for an Authorization header).

    def resolve_token(self, token: str) -> UserOut:
        """The account a bearer token belongs to."""
        try:
            asked = TokenResolve(token=token)
        except ValidationError as error:
            raise NotAuthenticated(Message("the API token is unknown or revoked")) from error
        return self.call(use_cases.tokens.resolve_token, asked)

    def resolve_session(self, secret: str) -> UserOut:
        """The account of a live web session."""
        try:
            asked = SessionSecret(secret=secret)
        except ValidationError as error:
            raise NotAuthenticated(Message("your session has ended; log in again")) from error
        return self.call(use_cases.sessions.resolve_session, asked)

    def end_session(self, secret: str) -> None:
        """Log one web session out (a secret that cannot be one has nothing to end)."""
        try:
            asked = SessionSecret(secret=secret)
        except ValidationError:
            return
        self.call(use_cases.sessions.end_session, asked)
