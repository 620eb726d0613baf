"""The gateway application factory: public API, web UI, languages, sessions, CSRF, headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Response, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from tripbot import __version__
from tripbot.gateway import api, auth, identity_cache, throttle
from tripbot.gateway.i18n import LANGUAGES, select_language
from tripbot.gateway.services import Services
from tripbot.gateway.web import (
    account,
    agenda,
    claim,
    events,
    gear,
    invite,
    ledger,
    ledger_switch,
    main,
    maps,
    offline,
    packing,
    payments,
    routes,
    setup,
)
from tripbot.gateway.web.forms import message_for
from tripbot.platform import uploads
from tripbot.platform.errors import DomainError, problem_type, status_for
from tripbot.platform.jsonbody import BoundedJSONProvider
from tripbot.platform.logging import get_logger
from tripbot.platform.metrics import metrics_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    asked_language,
    document_problems,
    domain_error_response,
    health_blueprint,
    http_error_response,
    install_request_context,
    problem_response,
)

_log = get_logger("gateway")


def _behind_tls() -> bool:
    # A TLS-terminating proxy says so in X-Forwarded-Proto. Browsers ignore HSTS received over
    # plain HTTP, so a forged header cannot pin a site to HTTPS.
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.is_secure or forwarded == "https"


def _security_headers(settings: Settings) -> Callable[[Response], Response]:
    images = maps.image_sources(settings)  # also refuses a tile URL that is not http(s)
    policy = (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )

    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.hsts_max_age and (settings.secure_cookies or _behind_tls()):
            hsts = f"max-age={settings.hsts_max_age}"
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response

    return add_headers


def _web_error(
    status: int, message: str, service: str | None = None, problem: str | None = None
) -> tuple[str, int]:
    return render_template(
        "errors/error.html", status=status, message=message, service=service, problem=problem
    ), status


def _answer_language() -> str | None:
    """The API answers in the language asked for (English by default), the web in the UI's."""
    return asked_language() if auth.is_api_request() else select_language()


def _refusal(error: DomainError) -> Response | tuple[str, int, dict[str, str]]:
    """A refusal outside a view: problem+json for the API, an error page for the web."""
    if auth.is_api_request():
        return domain_error_response(error)
    page, status = _web_error(int(status_for(error)), message_for(error))
    retry_after = error.extensions.get("retry_after")
    return page, status, ({"Retry-After": str(retry_after)} if retry_after else {})


def _install_errors(app: APIFlask) -> None:
    @app.error_processor
    def _http_error(error: HTTPError) -> Response | tuple[str, int, dict[str, str]]:
        if auth.is_api_request():
            return http_error_response(error)
        page, status = _web_error(int(error.status_code), str(error.message))
        # The page keeps what the error says in headers (a 405's Allow, RFC 9110).
        return page, status, {name: str(value) for name, value in Headers(error.headers).items()}

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response | tuple[str, int]:
        if auth.is_api_request():
            return domain_error_response(error)
        return _web_error(
            int(status_for(error)), message_for(error), error.extensions.get("service"), error.slug
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response | tuple[str, int]:
        error = uploads.too_large()
        if auth.is_api_request():
            return domain_error_response(error)
        return _web_error(413, error.detail)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return _web_error(400, str(error.description))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        if isinstance(error, HTTPException):
            if auth.is_api_request():
                return http_error_response(HTTPError(error.code or 500, error.name))
            return _web_error(error.code or 500, error.name)
        _log.exception("unhandled error")
        if auth.is_api_request():
            return problem_response(
                {
                    "type": problem_type("internal-error"),
                    "title": "Internal Server Error",
                    "status": 500,
                    "detail": "an unexpected error happened; it is logged with this request id",
                },
                500,
            )
        return _web_error(500, "an unexpected error happened")


def create_gateway(settings: Settings, services: Services) -> APIFlask:
    """The gateway application, talking to services through the given connections."""
    app = APIFlask(
        "tripbot.gateway",
        title="TripBot API",
        version=__version__,
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        docs_ui="redoc",
    )
    app.json = BoundedJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value(),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        VALIDATION_ERROR_STATUS_CODE=422,
        SESSION_COOKIE_NAME="tripbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.session_lifetime_days),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        BABEL_DEFAULT_LOCALE="es",
        INFO={
            "description": "The public REST API of TripBot. Authenticate with "
            "`Authorization: Bearer <token>`; get a token at `POST /api/v1/auth/token`."
        },
    )
    app.session_interface = offline.KeepingSessionInterface()
    app.extensions["tripbot.settings"] = settings
    app.extensions["tripbot.services"] = services
    identity_cache.install(
        app,
        identity_cache.IdentityCache(
            settings.identity_cache_seconds, feed=lambda: services.system_client("events")
        ),
    )
    Babel(app, locale_selector=select_language)
    app.before_request(uploads.raise_upload_limit)  # before CSRF protection reads any form
    csrf = CSRFProtect(app)
    install_request_context(app, "gateway", language=_answer_language)
    app.before_request(uploads.refuse_oversized)  # API views the CSRF check does not read for
    _install_errors(app)
    app.spec_processor(document_problems)
    app.after_request(_security_headers(settings))
    app.register_blueprint(health_blueprint("gateway", lambda: None))  # liveness for probes
    app.register_blueprint(metrics_blueprint(settings.metrics_token))

    @app.context_processor
    def _template_globals() -> dict[str, object]:
        return {
            "current_user": auth.current_user(),
            "current_language": select_language(),
            "languages": LANGUAGES,
            "version": __version__,
            "club_name": settings.club_name,
            "keeping": offline.is_keeping(),
            "keeping_header": offline.KEEPING_HEADER,
        }

    for api_blueprint in api.BLUEPRINTS:
        app.register_blueprint(api_blueprint)
        csrf.exempt(api_blueprint)  # the API takes bearer tokens only, never the session cookie
    web_blueprints = (
        main,
        offline,
        account,
        events,
        invite,
        claim,
        routes,
        gear,
        packing,
        ledger,
        payments,
        ledger_switch,
        agenda,
        setup,
    )
    for module in web_blueprints:
        app.register_blueprint(module.bp)
    throttle.install(app, settings, _refusal)
    return app
