"""Who is asking the gateway: a web session, a personal API token, or nobody."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from tripbot.events.client import EventsClient
from tripbot.events.schemas import UserOut
from tripbot.gateway.services import Services
from tripbot.platform.errors import Message, NotAuthenticated
from tripbot.platform.identity import ANONYMOUS, Principal
from tripbot.platform.operations import Access, Operation

P = ParamSpec("P")
R = TypeVar("R")
SESSION_USER = "user_id"


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
        return services().events().resolve_token(token.strip())
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    try:
        return services().events(Principal(user_id=user_id)).me()
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
    membership = events().membership(event_id)
    return replace(principal(), event_id=event_id, event_role=membership.role)


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
    session.clear()
    session[SESSION_USER] = user.id
    session.permanent = True
    g.user = user


def log_out() -> None:
    """End the web session."""
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
