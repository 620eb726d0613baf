"""Rate limits on the ways in: logins, registrations, token requests and password changes.

Guessing is slowed, never turned into a lockout: every such request counts against the client
address, and wrong passwords also against the pair (email, address). Someone guessing Ana's
password from one address waits there, while Ana logs in from hers as usual. The email is the
one submitted, whether or not it has an account, so the answer tells nothing about who has one.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from apiflask import APIFlask
from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from tripbot.gateway import auth
from tripbot.platform.errors import Message, TooManyAttempts
from tripbot.platform.settings import Settings

WAYS_IN = (
    "account.login",
    "account.register",
    "account.change_password",
    "account.create_token",
    "api_events.register",
    "api.create_token",
    "api.change_password",
    "account.forgot_password",
    "account.reset_password",
    "api.request_password_reset",
    "api.reset_password",
)
"""The endpoints that take a password, open an account or send a password reset link: each
counts per client address."""
PASSWORD_CHECKS = (
    "account.login",
    "account.change_password",
    "account.create_token",
    "api.create_token",
    "api.change_password",
)
"""The endpoints whose wrong passwords also count per email and address."""
REFUSED_PASSWORD = frozenset({401, 403, 422})
"""Answers that count as a wrong password (the web form answers 422, the API 401)."""


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For is honoured as TRIPBOT_FORWARDED_HOPS
    says, by ProxyFix)."""
    return request.remote_addr or "unknown"


def _submitted_email() -> str:
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if email is None and request.endpoint in (
        "account.change_password",
        "account.create_token",
        "api.change_password",
    ):
        # No email asked: the account is the session's or the token's (the view checks which).
        # The session's own secret, not its cookie: the cookie is signed anew every second.
        held = request.headers.get("Authorization") or auth.session_secret() or ""
        return "credential:" + hashlib.sha256(held.encode()).hexdigest()[:32]
    return str(email or "").strip().lower()[:254]


def _account_and_address() -> str:
    return f"{_submitted_email()}|{client_address()}"


def _refused(response: Response) -> bool:
    return response.status_code in REFUSED_PASSWORD


def install(
    app: APIFlask, settings: Settings, answer: Callable[[TooManyAttempts], ResponseReturnValue]
) -> Limiter:
    """Limit the gateway's ways in; ``answer`` renders the refusal (problem+json or a page)."""
    if settings.forwarded_hops:
        hops = settings.forwarded_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=settings.rate_limit_storage,
        key_prefix="tripbot",
        strategy="moving-window",
    )
    # POST only: showing the login or registration page is no attempt.
    per_address = limiter.shared_limit(settings.auth_rate_limit, scope="ways-in", methods=["POST"])
    per_account = limiter.shared_limit(
        settings.login_failure_limit,
        scope="wrong-passwords",
        methods=["POST"],
        key_func=_account_and_address,
        deduct_when=_refused,
    )
    for endpoint in WAYS_IN:
        view = per_address(app.view_functions[endpoint])
        if endpoint in PASSWORD_CHECKS:
            view = per_account(view)
        app.view_functions[endpoint] = view  # type: ignore[assignment]

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error: RateLimitExceeded) -> ResponseReturnValue:
        limit = limiter.current_limit
        wait = max(1, math.ceil(limit.window.reset_time - time.time())) if limit else 60
        return answer(
            TooManyAttempts(
                Message("too many attempts; try again in {retry_after} seconds"),
                retry_after=wait,
            )
        )

    return limiter
