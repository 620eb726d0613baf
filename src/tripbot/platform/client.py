"""The base of every typed service client: the same calls over HTTP or inside one process.

A client names its service's operations as attributes (``record_entry = service.record_entry``),
so each operation is declared once. A call goes through the client's transport: between
processes it is an HTTP request signed for the principal (:class:`HttpTransport`); inside one
process it runs the use case directly (:class:`LocalTransport`), with the same permission
checks, unit of work and domain errors, and no HTTP or JSON in between. The composition root
(``tripbot.system``) alone decides which.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import Any, ClassVar, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.exc import InternalError, OperationalError
from werkzeug.http import parse_options_header

from tripbot.platform import memo
from tripbot.platform.breaker import CircuitBreaker, CircuitOpen
from tripbot.platform.db import MAX_ID
from tripbot.platform.errors import (
    ERROR_BY_SLUG,
    PROBLEM_JSON,
    DomainError,
    Message,
    NotFound,
    ServiceUnavailable,
    error_from_problem,
)
from tripbot.platform.identity import ANONYMOUS, Destination, Principal, TokenSigner
from tripbot.platform.language import current_language
from tripbot.platform.logging import get_logger
from tripbot.platform.operations import (
    Call,
    Download,
    Operation,
    Operations,
    P,
    R,
    ServiceRuntime,
    Upload,
)
from tripbot.platform.web import (
    READ_ONLY_SQLSTATE,
    REQUEST_ID_HEADER,
    current_request_id,
    database_error,
    sqlstate,
)

ClientT = TypeVar("ClientT", bound="ServiceClient")
ModelT = TypeVar("ModelT", bound=BaseModel)
_log = get_logger("client")


def path_segment(value: str) -> str:
    """A value as one URL path segment: a ``?``, ``/`` or ``..`` in it cannot change the path."""
    return quote(value, safe="").replace(".", "%2E")


class Transport(Protocol):
    """How calls reach one service."""

    service: str

    def invoke(
        self, operation: Operation[Any, Any], principal: Principal, arguments: dict[str, Any]
    ) -> Any:
        """Run an operation for a principal with its arguments by name; return its answer."""
        ...

    def ready(self) -> bool:
        """Whether the service and its database answer."""
        ...

    def close(self) -> None:
        """Release what the transport holds."""
        ...


class LocalTransport:
    """Calls a service that runs in this process: the use case itself, no HTTP in between."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.service = runtime.name

    def invoke(
        self, operation: Operation[Any, Any], principal: Principal, arguments: dict[str, Any]
    ) -> Any:
        """Run the use case as the service's route would, and raise what it would answer."""
        for name, converter in operation.path_params.items():
            value = arguments[name]
            # As the route's converter does: an id no table can hold is simply not there.
            if converter == "int" and (not isinstance(value, int) or not 0 <= value <= MAX_ID):
                raise NotFound(Message("no such resource"))
        try:
            return operation(Call(principal, self.runtime), **arguments)
        except OperationalError as error:
            raise database_error(self.service, error) from error
        except InternalError as error:
            if sqlstate(error) == READ_ONLY_SQLSTATE:
                raise database_error(self.service, error) from error
            raise

    def ready(self) -> bool:
        """Whether the service's database answers."""
        try:
            self.runtime.database.ping()
        except Exception:  # any failure means not ready; the reason is logged by the caller
            return False
        return True

    def close(self) -> None:
        """Nothing to release: the database belongs to the system."""


class OnFirstCall:
    """A transport built when the service is first called (at most once, thread-safe)."""

    def __init__(self, service: str, build: Callable[[], Transport]) -> None:
        self.service = service
        self._build = build
        self._built: Transport | None = None
        self._lock = threading.Lock()

    def _transport(self) -> Transport:
        built = self._built
        if built is None:
            with self._lock:
                built = self._built = self._built or self._build()
        return built

    def invoke(
        self, operation: Operation[Any, Any], principal: Principal, arguments: dict[str, Any]
    ) -> Any:
        """Run the operation through the transport, building it first if needed."""
        return self._transport().invoke(operation, principal, arguments)

    def request(self, principal: Principal, method: str, path: str, **sent: Any) -> httpx.Response:
        """A hand-made request, for a service still written as hand-made routes."""
        transport = self._transport()
        if not isinstance(transport, HttpTransport):
            raise TypeError(f"{self.service} is not reached over HTTP")
        return transport.request(principal, method, path, **sent)

    def ready(self) -> bool:
        """Whether the service answers (building it, if it was not yet)."""
        return self._transport().ready()

    def close(self) -> None:
        """Close the transport if it was built."""
        if self._built is not None:
            self._built.close()


def _wsgi_path_as_bytes(app: Any) -> Any:
    """The app, given ``PATH_INFO`` as WSGI says (bytes as latin-1): httpx's WSGI transport
    passes it decoded from UTF-8, and a non-latin-1 character there crashes werkzeug."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
        return app(environ, start_response)

    return wrapped


@cache
def _list_adapter(answer: Any) -> TypeAdapter[Any]:
    return TypeAdapter(answer)


BREAKER_FAILURES = 3
"""Calls in a row that a service must leave unanswered (unreachable or timed out) before this
process stops calling it for a while."""
BREAKER_PAUSE = 15.0
"""Seconds a process refuses calls to such a service at once before letting one call try it."""
CONNECT_TIMEOUT = 1.0
"""Seconds to open a connection to a service: on one network a live service accepts at once."""
PROBE_TIMEOUT = 1.0
"""Seconds a readiness probe waits: health must answer fast even while a service hangs."""


class HttpTransport:
    """Calls a service over HTTP (or through its WSGI app, for tests of the HTTP layer), with a
    short-lived token signed for the principal."""

    def __init__(
        self,
        service: str,
        signer: TokenSigner,
        *,
        base_url: str | None = None,
        wsgi_app: Any = None,
        timeout: float = 5.0,
    ) -> None:
        if (base_url is None) == (wsgi_app is None):
            raise ValueError("give exactly one of base_url and wsgi_app")
        self.service = service
        self.signer = signer
        transport: httpx.BaseTransport | None = (
            httpx.WSGITransport(app=_wsgi_path_as_bytes(wsgi_app)) if wsgi_app is not None else None
        )
        self.http = httpx.Client(
            base_url=base_url or f"http://{service}.internal",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        )
        # A service that hangs (its port open, nothing answered) would hold a gateway thread
        # per call for the whole timeout and starve unrelated requests: after a few such calls
        # this process answers 503 at once, and one call now and then tries the service again.
        self.breaker = CircuitBreaker(service, failures=BREAKER_FAILURES, pause=BREAKER_PAUSE)

    def invoke(
        self, operation: Operation[Any, Any], principal: Principal, arguments: dict[str, Any]
    ) -> Any:
        """Send the operation as a request and read its answer."""
        path = operation.path
        request: dict[str, Any] = {}
        headers: dict[str, str] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        for param in operation.params:
            value = arguments[param.name]
            if param.kind == "path":
                segment = str(value) if isinstance(value, int) else path_segment(str(value))
                path = path.replace(f"<{operation.path_params[param.name]}:{param.name}>", segment)
                path = path.replace(f"<{param.name}>", segment)
            elif value is None:
                continue
            elif param.kind == "json":
                request["json"] = value.model_dump(mode="json", exclude_unset=True)
            elif param.kind == "query":
                request.setdefault("params", {}).update(
                    value.model_dump(mode="json", exclude_defaults=True)
                )
            elif param.kind == "header":
                headers[param.header or param.name] = str(value)
            else:
                upload: Upload = value
                files[param.name] = (upload.filename, upload.content, upload.content_type)
        if files:
            request["files"] = files
        response = self.request(principal, operation.method, path, headers=headers, **request)
        return self._answer(operation, response)

    @staticmethod
    def _answer(operation: Operation[Any, Any], response: httpx.Response) -> Any:
        answer = operation.answer
        if answer is None:
            return None
        if answer is Download:
            _, options = parse_options_header(response.headers.get("content-disposition", ""))
            return Download(
                response.content,
                response.headers.get("content-type", "application/octet-stream"),
                options.get("filename"),
                response.headers.get("cache-control"),
            )
        if isinstance(answer, type) and issubclass(answer, BaseModel):
            return answer.model_validate(response.json())
        return _list_adapter(answer).validate_python(response.json())

    def request(
        self,
        principal: Principal,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **sent: Any,
    ) -> httpx.Response:
        """Send a request; a problem answer is raised as its domain error, an outage as 503 (at
        once while the service's circuit is open)."""
        try:
            self.breaker.before_call()
        except CircuitOpen as error:
            raise ServiceUnavailable(
                Message("the {service} service is not answering at the moment; try again soon"),
                service=self.service,
            ) from error
        return self._send(principal, method, path, headers, sent)

    def _send(
        self,
        principal: Principal,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        sent: dict[str, Any],
    ) -> httpx.Response:
        outgoing = dict(headers or {})
        to = Destination.of(self.service, method, self.http.base_url.path.rstrip("/") + path)
        outgoing["Authorization"] = self.signer.header(principal, to)
        request_id = current_request_id()
        if request_id:
            outgoing[REQUEST_ID_HEADER] = request_id
        language = current_language()
        if language and "Accept-Language" not in outgoing:
            outgoing["Accept-Language"] = language
        try:
            response = self.http.request(method, path, headers=outgoing, **sent)
        except httpx.TransportError as error:
            self.breaker.failed()
            _log.warning("service unreachable", target=self.service, error=repr(error))
            raise ServiceUnavailable(
                Message("the {service} service is unavailable; try again later"),
                service=self.service,
            ) from error
        self.breaker.succeeded()  # it answered: even a 5xx is not a hang
        if response.status_code >= 500:
            _log.warning("service failed", target=self.service, status=response.status_code)
            known = _known_outage(response)
            if known is not None:
                raise known  # e.g. its storage is full: the caller learns what and where
            raise ServiceUnavailable(
                Message("the {service} service failed to answer; try again later"),
                service=self.service,
            )
        if response.status_code >= 400:
            raise _error(response)
        return response

    def ready(self) -> bool:
        """Whether the service and its database answer."""
        try:
            return self.http.get("/readyz", timeout=PROBE_TIMEOUT).status_code == 200
        except httpx.TransportError:
            return False

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return body if isinstance(body, dict) else {"detail": str(body)[:200]}


def _known_outage(response: httpx.Response) -> DomainError | None:
    """The domain error a service described in its 5xx problem answer when it diagnosed the
    outage itself (its storage is full or read-only); any other failure stays generic."""
    if response.headers.get("content-type") != PROBLEM_JSON:
        return None
    body = _problem(response)
    cls = ERROR_BY_SLUG.get(str(body.get("type", "")).rsplit(":", 1)[-1])
    if cls is None or cls is ServiceUnavailable:
        return None
    return error_from_problem(body, response.status_code)


def _error(response: httpx.Response) -> DomainError:
    return error_from_problem(_problem(response), response.status_code)


class ServiceClient:
    """Calls one service for one principal; its operations are its methods."""

    service: ClassVar[str]
    operations: ClassVar[Operations]

    def __init__(self, transport: Transport, principal: Principal = ANONYMOUS) -> None:
        self.transport = transport
        self.principal = principal

    def acting_for(self, principal: Principal) -> Self:
        """The same client acting for another principal."""
        return type(self)(self.transport, principal)

    def asker(self) -> Principal:
        """What of the principal the service's answers depend on: a remembered read is shared
        by every principal that gives the same (the whole principal, unless a service says)."""
        return self.principal

    def call(self, operation: Operation[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run one of the service's operations; reads are remembered for the request."""
        arguments = operation.bind(args, kwargs)
        if not operation.remember:
            memo.forget(self.service)
            answer: R = self.transport.invoke(operation, self.principal, arguments)
            return answer
        key = (operation.name, self.asker(), tuple(arguments.items()))

        def invoke() -> R:
            answer: R = self.transport.invoke(operation, self.principal, arguments)
            return answer

        return memo.remembered(self.service, key, invoke)

    def ready(self) -> bool:
        """Whether the service and its database answer."""
        return self.transport.ready()

    # ---- hand-made calls, until every service declares its operations ----------------------

    def request(self, method: str, path: str, **sent: Any) -> httpx.Response:
        """Send a hand-made request over HTTP."""
        if not isinstance(self.transport, HttpTransport | OnFirstCall):
            raise TypeError(f"{self.service} is not reached over HTTP")
        if sent.get("json") is None:
            sent.pop("json", None)
        memo.forget(self.service)
        return self.transport.request(self.principal, method, path, **sent)

    def get_model(
        self, model: type[ModelT], path: str, params: dict[str, Any] | None = None
    ) -> ModelT:
        """GET a single resource as a schema."""
        return model.model_validate(self.request("GET", path, params=params).json())

    def get_list(
        self, model: type[ModelT], path: str, params: dict[str, Any] | None = None
    ) -> list[ModelT]:
        """GET a list of resources as schemas."""
        return TypeAdapter(list[model]).validate_python(  # type: ignore[valid-type]
            self.request("GET", path, params=params).json()
        )

    def send_model(
        self, method: str, model: type[ModelT], path: str, body: BaseModel | dict[str, Any]
    ) -> ModelT:
        """POST/PUT/PATCH a body and parse the answer as a schema."""
        payload = (
            body.model_dump(mode="json", exclude_unset=True)
            if isinstance(body, BaseModel)
            else body
        )
        return model.model_validate(self.request(method, path, json=payload).json())


def peer(client_class: type[ClientT], service: str) -> ClientT:
    """A client of another service acting for the principal of the request being handled (for
    services written as hand-made routes)."""
    from flask import current_app

    from tripbot.platform.web import current_principal

    transport = current_app.extensions["tripbot.peers"].get(service)
    if transport is None:
        raise ServiceUnavailable(
            Message("this service was started without a connection to the {service} service"),
            service=service,
        )
    return client_class(transport, current_principal())
