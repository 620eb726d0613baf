"""What every TripBot Flask application shares: request ids, access logs, problem+json errors,
health and readiness endpoints, and the factory of a service application."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from apiflask import APIBlueprint, APIFlask
from apiflask.exceptions import HTTPError
from flask import Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from tripbot import __version__
from tripbot.platform.db import Database
from tripbot.platform.errors import (
    PROBLEM_JSON,
    DomainError,
    PayloadTooLarge,
    ServiceUnavailable,
    problem_body,
    problem_type,
    status_for,
)
from tripbot.platform.identity import Principal, TokenSigner
from tripbot.platform.logging import get_logger
from tripbot.platform.metrics import (
    UNMATCHED_ROUTE,
    metrics_blueprint,
    observe_request,
    register_database,
)
from tripbot.platform.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_log = get_logger("http")


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    try:
        return str(g.request_id)
    except (AttributeError, RuntimeError):
        return None


def problem_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response:
    """A problem+json response carrying the request id."""
    rid = current_request_id()
    if rid:
        body = {**body, "request_id": rid}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def domain_error_response(error: DomainError) -> Response:
    """The problem+json response for a domain error."""
    headers = {}
    retry_after = error.extensions.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return problem_response(problem_body(error, request.path), int(status_for(error)), headers)


def http_error_response(error: HTTPError) -> Response:
    """The problem+json response for an HTTP error raised by Flask or APIFlask's validation."""
    status = int(error.status_code)
    if status == 422 and isinstance(error.detail, dict) and error.detail:
        errors = [
            {"location": location, "field": field, "messages": messages}
            for location, fields in error.detail.items()
            for field, messages in fields.items()
        ]
        fields_text = "; ".join(f"{e['field']}: {' '.join(e['messages'])}" for e in errors)
        body = {
            "type": problem_type("invalid-input"),
            "title": "Unprocessable Content",
            "status": status,
            "detail": f"the request has invalid fields: {fields_text}",
            "errors": errors,
            "instance": request.path,
        }
        return problem_response(body, status)
    slug = {
        400: "malformed-request",
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
    }
    detail = {
        400: "the request body is not valid JSON",
        404: "no such resource",
        405: f"method {request.method} is not allowed here",
        413: f"the request body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes",
    }
    body = {
        "type": problem_type(slug.get(status, "http-error")),
        "title": str(error.message),
        "status": status,
        "detail": detail.get(status, str(error.message)),
        "instance": request.path,
    }
    return problem_response(body, status, {k: str(v) for k, v in dict(error.headers or {}).items()})


def install_request_context(app: Flask, service: str) -> None:
    """Give every request an id (taken from the caller or new), bind it to logs, log the access."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        )
        g.started = time.perf_counter()
        # Restored at teardown: an in-process service call runs inside the gateway's request.
        g.log_context = structlog.contextvars.bind_contextvars(
            request_id=g.request_id, service=service
        )

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
        observe_request(service, request.method, route, response.status_code, seconds)
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            _log.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round(seconds * 1000, 2),
            )
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        tokens = g.pop("log_context", None)
        if tokens:
            structlog.contextvars.reset_contextvars(**tokens)


def install_api_errors(app: APIFlask, service: str) -> None:
    """Answer every error of an API application with problem+json, never an HTML page."""

    @app.error_processor
    def _http_error(error: HTTPError) -> Response:
        return http_error_response(error)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return domain_error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return domain_error_response(
            PayloadTooLarge(f"the request body is larger than {limit} bytes")
        )

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> Response:
        # The database is down, unreachable or busy: a passing outage (503), not a bug (500).
        _log.warning("database unavailable", error=str(error.orig))
        return domain_error_response(
            ServiceUnavailable(
                f"the {service} service cannot reach its database; try again later",
                service=service,
            )
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error_response(HTTPError(error.code or 500, error.name))
        _log.exception("unhandled error")
        body = {
            "type": problem_type("internal-error"),
            "title": "Internal Server Error",
            "status": 500,
            "detail": "an unexpected error happened; it has been logged with this request id",
        }
        return problem_response(body, 500)


def health_blueprint(service: str, ready_check: Callable[[], None]) -> APIBlueprint:
    """``/healthz`` (the process answers) and ``/readyz`` (and its dependencies answer)."""
    bp = APIBlueprint("health", __name__, tag="Health")

    @bp.get("/healthz")
    @bp.doc(summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service, "version": __version__}

    @bp.get("/readyz")
    @bp.doc(summary="Readiness: the process and its database answer")
    def readyz() -> Response | dict[str, str]:
        try:
            ready_check()
        except Exception as error:
            _log.warning("not ready", error=str(error))
            return problem_response(
                {
                    "type": problem_type("not-ready"),
                    "title": "Service Unavailable",
                    "status": 503,
                    "detail": f"{service} cannot reach its database",
                    "service": service,
                },
                503,
            )
        return {"status": "ready", "service": service, "version": __version__}

    return bp


PUBLIC_SERVICE_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")
MAX_ID = 2**31 - 1
"""The largest id an integer primary key holds (PostgreSQL's ``integer``)."""


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in service routes: a number too big for an id is 404 before any query."""

    def to_python(self, value: str) -> int:
        """The id, or 404 (not werkzeug's ValidationError: it would answer 405 on some routes)."""
        number: int = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def create_service_app(
    service: str,
    settings: Settings,
    database: Database,
    blueprints: list[APIBlueprint],
    peers: Mapping[str, object] | None = None,
) -> APIFlask:
    """A service's Flask application: its blueprints behind internal-token authentication.

    ``peers`` are the connections to the other services it calls (through their clients).
    """
    app = APIFlask(
        f"tripbot.{service}",
        title=f"TripBot {service} service",
        version=__version__,
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        VALIDATION_ERROR_STATUS_CODE=422,
        SECRET_KEY=settings.secret_key.get_secret_value(),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    app.extensions["tripbot.settings"] = settings
    app.extensions["tripbot.database"] = database
    signer = TokenSigner(settings.internal_secret.get_secret_value(), settings.internal_token_ttl)
    app.extensions["tripbot.signer"] = signer
    app.extensions["tripbot.peers"] = dict(peers or {})
    install_request_context(app, service)
    install_api_errors(app, service)

    @app.before_request
    def _authenticate() -> None:
        if request.path in PUBLIC_SERVICE_PATHS or request.path.startswith("/docs"):
            return
        g.principal = signer.verify_header(request.headers.get("Authorization"))

    app.register_blueprint(health_blueprint(service, database.ping))
    app.register_blueprint(metrics_blueprint(settings.metrics_token))
    register_database(service, database.engine)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def list_of(schema: type[BaseModel]) -> Any:
    """The output schema for a list of ``schema`` (APIFlask takes ``list[X]``; its types do not)."""
    return list[schema]  # type: ignore[valid-type]


def current_principal() -> Principal:
    """The principal the current service request acts for."""
    principal: Principal = g.principal
    return principal


def current_database() -> Database:
    """The database of the service handling the current request."""
    database: Database = current_app.extensions["tripbot.database"]
    return database


def current_settings() -> Settings:
    """The settings of the application handling the current request."""
    settings: Settings = current_app.extensions["tripbot.settings"]
    return settings
