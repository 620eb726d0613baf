"""What every TripBot Flask application shares: request ids, access logs, problem+json errors,
health and readiness endpoints, and the factory of a service application."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog
from apiflask import APIBlueprint, APIFlask
from apiflask.exceptions import HTTPError
from flask import Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from tripbot import __version__
from tripbot.platform import memo
from tripbot.platform.db import MAX_ID, Database
from tripbot.platform.errors import (
    PROBLEM_JSON,
    DomainError,
    FieldError,
    MalformedRequest,
    Message,
    PayloadTooLarge,
    ServiceUnavailable,
    StorageFull,
    StorageReadOnly,
    problem_body,
    problem_type,
    status_for,
)
from tripbot.platform.identity import Destination, Principal, TokenSigner
from tripbot.platform.jsonbody import NOT_AN_OBJECT, BoundedJSONProvider
from tripbot.platform.language import LANGUAGES, current_language
from tripbot.platform.logging import get_logger, log_destination
from tripbot.platform.metrics import (
    UNMATCHED_ROUTE,
    metrics_blueprint,
    observe_request,
    register_database,
    watch_backups,
)
from tripbot.platform.operations import Call, Operation, Operations, ServiceRuntime
from tripbot.platform.redaction import logged_path
from tripbot.platform.routing import operations_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.uploads import raise_upload_limit

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_PATHS = frozenset(("/healthz", "/readyz", "/metrics", "/feed", "/api/v1/health"))
"""Probes, scrapes and feed polls: what an idle instance answers all day. Their access records
are DEBUG, so an idle instance writes nothing at the default level."""
NESTED_ACCESS_LOG = "TRIPBOT_NESTED_ACCESS_LOG"
"""Set on a service application called inside another request of the same process (the
embedded mode): the outer request's record is the one at INFO, its own is DEBUG."""
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
    body = problem_body(error, request.path, current_language())
    return problem_response(body, int(status_for(error)), headers)


def _said(template: Message, **values: str | int) -> dict[str, str]:
    """A problem's detail in the language of the request, and which message it is."""
    return {
        "detail": template.filled(**values).said_in(current_language()),
        "message_id": str(template),
    }


def _field_refusals(error: HTTPError) -> list[FieldError]:
    """The refusals of a schema's validators that name their field (FieldError), of the whole
    schema or of one field, so that the answer names the field and says the message in the
    caller's language, not ``_schema`` and pydantic's English."""
    cause = error.__cause__
    if not isinstance(cause, ValidationError):
        return []
    found = [(e.get("ctx") or {}).get("error") for e in cause.errors()]
    return [refusal for refusal in found if isinstance(refusal, FieldError)]


def http_error_response(error: HTTPError) -> Response:
    """The problem+json response for an HTTP error raised by Flask or APIFlask's validation."""
    status = int(error.status_code)
    if status == 422 and isinstance(error.detail, dict) and error.detail:
        refusals = _field_refusals(error)
        told = {f"Value error, {refusal}" for refusal in refusals}  # as pydantic words them
        errors: list[dict[str, Any]] = [
            {"location": location, "field": field, "messages": kept}
            for location, fields in error.detail.items()
            for field, messages in fields.items()
            if (kept := [m for m in messages if m not in told])
        ] + [
            {
                "location": next(iter(error.detail)),
                "field": refusal.field,
                "messages": [refusal.message.said_in(current_language())],
                "message_id": str(refusal.message),
                "values": {},
            }
            for refusal in refusals
        ]
        # The fields' messages are pydantic's, in English: programs match them.
        fields_text = "; ".join(f"{e['field']}: {' '.join(e['messages'])}" for e in errors)
        body = {
            "type": problem_type("invalid-input"),
            "title": "Unprocessable Content",
            "status": status,
            **_said(Message("the request has invalid fields: {fields}"), fields=fields_text),
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
    said = {
        400: lambda: _said(Message("the request body is not valid JSON")),
        404: lambda: _said(Message("no such resource")),
        405: lambda: _said(Message("method {method} is not allowed here"), method=request.method),
        413: lambda: _said(
            Message("the request body is larger than {limit} bytes"),
            limit=int(current_app.config["MAX_CONTENT_LENGTH"] or 0),
        ),
    }
    body = {
        "type": problem_type(slug.get(status, "http-error")),
        "title": str(error.message),
        "status": status,
        **(said[status]() if status in said else {"detail": str(error.message)}),
        "instance": request.path,
    }
    return problem_response(body, status, {k: str(v) for k, v in dict(error.headers or {}).items()})


def asked_language() -> str | None:
    """The language the caller asked for in ``Accept-Language``, if TripBot speaks it."""
    return request.accept_languages.best_match(LANGUAGES)


def install_request_context(
    app: Flask, service: str, language: Callable[[], str | None] = asked_language
) -> None:
    """Give every request an id (taken from the caller or new), bind it to logs, log the access;
    note the language it is answered in (``language`` chooses it)."""

    @app.before_request
    def _start() -> None:
        g.language = language()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        )
        g.started = time.perf_counter()
        # Restored at teardown: an in-process service call runs inside the gateway's request.
        g.log_context = structlog.contextvars.bind_contextvars(
            request_id=g.request_id, service=service
        )
        g.memo = memo.start()

    @app.before_request
    def _body_is_an_object() -> None:
        # Every JSON body is an object of named fields. JSON null, a list or a bare value must
        # not be read as "no fields given": a PUT of null would reset a whole plan.
        if request.method not in {"POST", "PUT", "PATCH"} or not request.is_json:
            return
        raw = request.get_data(cache=True).strip()
        body = request.get_json(silent=True)  # None also for text that is no JSON: left to
        if raw and not isinstance(body, dict) and (body is not None or raw == b"null"):
            raise MalformedRequest(NOT_AN_OBJECT)  # the parser, which says what is wrong

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
        observe_request(service, request.method, route, response.status_code, seconds)
        quiet = request.path in QUIET_PATHS or current_app.config.get(NESTED_ACCESS_LOG, False)
        (_log.debug if quiet else _log.info)(
            "request",
            method=request.method,
            path=logged_path(request.path, request.view_args),
            status=response.status_code,
            duration_ms=round(seconds * 1000, 2),
        )
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        tokens = g.pop("log_context", None)
        if tokens:
            structlog.contextvars.reset_contextvars(**tokens)
        remembered = g.pop("memo", None)
        if remembered is not None:
            memo.stop(remembered)


DISK_FULL_SQLSTATE = "53100"
READ_ONLY_SQLSTATE = "25006"


def sqlstate(error: DBAPIError) -> str:
    """The SQLSTATE code of a database error (PostgreSQL), or an empty string."""
    return str(getattr(error.orig, "sqlstate", "") or "")


def database_error(service: str, error: DBAPIError) -> DomainError:
    """What a database failure means for the caller: no room (507), read-only (503) or out of
    reach (503). Neither is a bug, and SQLite or PostgreSQL rolled back the whole write."""
    code = str(getattr(error.orig, "sqlite_errorname", "") or "")
    state = sqlstate(error)
    _log.warning("database unavailable", error=str(error.orig), code=code or state)
    if code == "SQLITE_FULL" or state == DISK_FULL_SQLSTATE:
        return StorageFull(
            Message(
                "the {service} service's storage is full; nothing was saved. Free disk space "
                "and try again"
            ),
            service=service,
        )
    if code.startswith("SQLITE_READONLY") or state == READ_ONLY_SQLSTATE:
        return StorageReadOnly(
            Message(
                "the {service} service's storage is read-only; nothing was saved; reads still work"
            ),
            service=service,
        )
    # Down, unreachable or busy: a passing outage, not a bug.
    return ServiceUnavailable(
        Message("the {service} service cannot reach its database; try again later"),
        service=service,
    )


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
            PayloadTooLarge(
                Message("the request body is larger than {limit} bytes"), limit=int(limit or 0)
            )
        )

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> Response:
        return domain_error_response(database_error(service, error))

    @app.errorhandler(InternalError)
    def _database_internal(error: InternalError) -> Response:
        # PostgreSQL reports a read-only server (a standby) as an internal error.
        if sqlstate(error) == READ_ONLY_SQLSTATE:
            return domain_error_response(database_error(service, error))
        return _unexpected(error)

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


class NotReady(Exception):
    """A readiness check failed; its text says which dependency does not answer."""


def health_blueprint(service: str, ready_check: Callable[[], None]) -> APIBlueprint:
    """``/healthz`` (the process answers) and ``/readyz`` (and its dependencies answer)."""
    bp = APIBlueprint("health", __name__, tag="Health")

    @bp.get("/healthz")
    @bp.doc(summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service, "version": __version__}

    @bp.get("/readyz")
    @bp.doc(
        summary="Readiness: the process and its database answer",
        description="`log_destination` says whether the syslog host is reached: `off` (none "
        "configured), `ok`, or `degraded` (records wait in memory, then are dropped); a "
        "degraded log host does not make the service unready.",
    )
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
                    "detail": str(error)
                    if isinstance(error, NotReady)
                    else f"{service} cannot reach its database",
                    "service": service,
                    "log_destination": log_destination(),
                },
                503,
            )
        return {
            "status": "ready",
            "service": service,
            "version": __version__,
            "log_destination": log_destination(),
        }

    return bp


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem: what is wrong, in words for people.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:tripbot:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {
            "type": "string",
            "description": "In the language of Accept-Language (English or Spanish).",
        },
        "message_id": {
            "type": "string",
            "description": "Which message the detail is: its English template, stable across "
            "languages; its {placeholders} are members of the problem.",
        },
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The invalid fields of a 422.",
            "items": {
                "type": "object",
                "required": ["location", "field", "messages"],
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "messages": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "additionalProperties": True,
}
_OPERATION_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def document_problems(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
    """Declare in an OpenAPI document that every error of every operation is problem+json.

    APIFlask documents its own JSON error shape, which TripBot never sends; and any operation
    can answer a 4xx (bad input, no token, not found...) or a 5xx (a database or service out of
    reach), so each declares both ranges besides the statuses it names.
    """
    if isinstance(spec, str):  # APIFlask's YAML format; TripBot serves JSON
        return spec
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _OPERATION_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = problem
            responses.setdefault("4XX", {"description": "The request was refused"})
            responses.setdefault("5XX", {"description": "TripBot could not answer; try again"})
            responses["4XX"]["content"] = responses["5XX"]["content"] = problem
    # A service's declared operations and the gateway's own routes of it share its tag: the
    # document names each tag once (OpenAPI requires tag names to be unique).
    named: dict[str, Any] = {}
    for tag in spec.get("tags", []):
        named.setdefault(tag["name"], tag)
    if "tags" in spec:
        spec["tags"] = list(named.values())
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for apiflask_error in ("HTTPError", "ValidationError"):
        schemas.pop(apiflask_error, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    _mark_required_bodies(spec)
    return spec


def _mark_required_bodies(spec: dict[Any, Any]) -> None:
    """A body whose schema has required fields is itself required: without one the service
    refuses the call, and the document says so (clients and fuzzers read it)."""
    schemas = spec.get("components", {}).get("schemas", {})
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            body = operation.get("requestBody") if method in _OPERATION_METHODS else None
            if not body:
                continue
            for content in body.get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if schemas.get(ref.rsplit("/", 1)[-1], {}).get("required"):
                    body["required"] = True


PUBLIC_SERVICE_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in service routes: a number too big for an id is 404 before any query."""

    def to_python(self, value: str) -> int:
        """The id, or 404 (not werkzeug's ValidationError: it would answer 405 on some routes)."""
        number: int = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def create_service_app(
    runtime: ServiceRuntime,
    operations: Operations,
    blueprints: Sequence[APIBlueprint] = (),
    *,
    operations_name: str | None = None,
    ready_check: Callable[[], None] | None = None,
) -> APIFlask:
    """A service's Flask application: a route for each of its operations, behind
    internal-token authentication, and any extra ``blueprints``; ``ready_check`` replaces the
    database ping of ``/readyz`` (raising NotReady says why)."""
    service, settings = runtime.name, runtime.settings
    app = APIFlask(
        f"tripbot.{service}",
        title=f"TripBot {service} service",
        version=__version__,
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    app.json = BoundedJSONProvider(app)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        VALIDATION_ERROR_STATUS_CODE=422,
        SECRET_KEY=settings.secret_key.get_secret_value(),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    app.extensions["tripbot.settings"] = settings
    app.extensions["tripbot.runtime"] = runtime
    signer = TokenSigner(settings.internal_secret.get_secret_value(), settings.internal_token_ttl)
    app.before_request(raise_upload_limit)
    install_request_context(app, service)
    install_api_errors(app, service)
    app.spec_processor(document_problems)

    @app.before_request
    def _authenticate() -> None:
        if request.path in PUBLIC_SERVICE_PATHS or request.path.startswith("/docs"):
            return
        at = Destination.served(service, request.method, request.path)
        g.principal = signer.verify_header(request.headers.get("Authorization"), at)

    def invoke(operation: Operation[Any, Any], arguments: dict[str, Any]) -> Any:
        return operation(Call(g.principal, runtime), **arguments)

    app.register_blueprint(health_blueprint(service, ready_check or runtime.database.ping))
    app.register_blueprint(metrics_blueprint(settings.metrics_token))
    register_database(service, runtime.database.engine)
    if settings.backup_status.parent.is_dir():
        watch_backups(settings.backup_status)
    app.register_blueprint(operations_blueprint(operations_name or service, operations, invoke))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def create_legacy_service_app(
    service: str,
    settings: Settings,
    database: Database,
    blueprints: list[APIBlueprint],
    peers: Mapping[str, object] | None = None,
    *,
    operations: Operations | None = None,
    ready_check: Callable[[], None] | None = None,
) -> APIFlask:
    """A service written as hand-made routes (until every service declares its operations)."""
    runtime = ServiceRuntime(service, settings, database)
    operations = operations or Operations(service, tag=service.title())
    app = create_service_app(
        runtime,
        operations,
        blueprints,
        operations_name=f"{service}_feed",
        ready_check=ready_check,
    )
    app.extensions["tripbot.database"] = database
    app.extensions["tripbot.peers"] = dict(peers or {})
    return app


def current_principal() -> Principal:
    """The principal the current service request acts for."""
    principal: Principal = g.principal
    return principal


def current_database() -> Database:
    """The database of the service handling the current request."""
    database: Database = current_app.extensions["tripbot.database"]
    return database


def list_of(schema: type[BaseModel]) -> Any:
    """The output schema for a list of ``schema`` (APIFlask takes ``list[X]``; its types do not)."""
    return list[schema]  # type: ignore[valid-type]


def current_settings() -> Settings:
    """The settings of the application handling the current request."""
    settings: Settings = current_app.extensions["tripbot.settings"]
    return settings
