"""Who is asking the gateway: a web session, a personal API token, or nobody."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from tripbot.events.client import EventsClient
from tripbot.events.schemas import SessionStart, UserOut
from tripbot.gateway import identity_cache
from tripbot.gateway.services import Services
from tripbot.platform.errors import Message, NotAuthenticated
from tripbot.platform.identity import ANONYMOUS, Principal
from tripbot.platform.operations import Access, Operation
from tripbot.platform.web import current_settings

P = ParamSpec("P")
R = TypeVar("R")
SESSION_KEY = "web_session"
"""The cookie's key for the web session's secret; the session itself is a row of the events
service, so logging out ends it for every copy of the cookie."""


def services() -> Services:
    """The gateway's service clients."""
    found: Services = current_app.extensions["tripbot.services"]
    return found


def is_api_request() -> bool:
    """Whether the current request is to the public REST API (bearer tokens, JSON errors)."""
    return request.path.startswith("/api/")


def current_user() -> UserOut | None:
    """The logged-in person, resolved once per request."""
    if "user" not in g:
        g.user = _resolve_user()
    user: UserOut | None = g.user
    return user


def _resolve_user() -> UserOut | None:
    if is_api_request():
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return identity_cache.person(
            "token", token.strip(), lambda: services().events().resolve_token(token.strip())
        )
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        session.pop("user_id", None)  # a cookie from before server-side sessions: log in again
        return None
    try:
        return identity_cache.person(
            "session", secret, lambda: services().events().resolve_session(secret)
        )
    except NotAuthenticated:
        session.clear()
        return None


def principal() -> Principal:
    """The principal the gateway acts for in this request."""
    user = current_user()
    if user is None:
        return ANONYMOUS
    return Principal(user_id=user.id, language=user.language, instance_role=user.role)


def event_principal(event_id: int) -> Principal:
    """The current person with their role in an event, for calls to event-scoped services.

    Non-members get NotFound from the events service, so other services never see them.
    """
    you = principal()
    membership = identity_cache.role(
        you.user_id, you.instance_role, event_id, lambda: events().membership(event_id)
    )
    return replace(you, event_id=event_id, event_role=membership.role)


def principal_for(operation: Operation[Any, Any], arguments: Mapping[str, Any]) -> Principal:
    """Who a public call of an operation is made for, as its declaration says: anyone, a
    logged-in person, or a member of the event in the path with their role."""
    if operation.access is Access.ANYONE:
        return principal()
    require_user()
    if operation.access is Access.EVENT:
        return event_principal(arguments["event_id"])
    return principal()


def require_user() -> UserOut:
    """The logged-in person, or NotAuthenticated."""
    user = current_user()
    if user is None:
        raise NotAuthenticated(
            Message("send 'Authorization: Bearer <token>'; get a token at POST /api/v1/auth/token")
            if is_api_request()
            else Message("log in first")
        )
    return user


def events() -> EventsClient:
    """The events service, acting for the current person."""
    return services().events(principal())


def log_in(user: UserOut) -> None:
    """Start a web session for a person (a fresh session, against fixation)."""
    lifetime = SessionStart(lifetime_days=current_settings().session_lifetime_days)
    started = services().events(Principal(user_id=user.id)).start_session(lifetime)
    session.clear()
    session[SESSION_KEY] = started.secret
    session.permanent = True
    g.user = user


def session_secret() -> str | None:
    """The secret of this browser's web session, if it has one."""
    secret = session.get(SESSION_KEY)
    return secret if isinstance(secret, str) else None


def log_out() -> None:
    """End this web session: the events service forgets it, so a copied cookie stops working."""
    secret = session_secret()
    if secret is not None:
        services().events().end_session(secret)
    session.clear()
    g.user = None


def log_out_everywhere() -> None:
    """End every web session of the current person, this one included."""
    events().end_sessions()
    session.clear()
    g.user = None


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send people who are not logged in to the login page, then back."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_user() is None:
            return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
