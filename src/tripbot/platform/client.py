"""The base of every typed service client: the same calls over HTTP or in process."""

from __future__ import annotations

from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from flask import current_app
from pydantic import BaseModel, TypeAdapter

from tripbot.platform.errors import (
    ERROR_BY_SLUG,
    PROBLEM_JSON,
    DomainError,
    Message,
    ServiceUnavailable,
    error_from_problem,
)
from tripbot.platform.identity import ANONYMOUS, Principal, TokenSigner
from tripbot.platform.language import current_language
from tripbot.platform.logging import get_logger
from tripbot.platform.web import REQUEST_ID_HEADER, current_principal, current_request_id

ModelT = TypeVar("ModelT", bound=BaseModel)
ClientT = TypeVar("ClientT", bound="ServiceClient")
_log = get_logger("client")


def path_segment(value: str) -> str:
    """A value as one URL path segment: a ``?``, ``/`` or ``..`` in it cannot change the path."""
    return quote(value, safe="").replace(".", "%2E")


def _wsgi_path_as_bytes(app: Any) -> Any:
    """The app, given ``PATH_INFO`` as WSGI says (bytes as latin-1): httpx's WSGI transport
    passes it decoded from UTF-8, and a non-latin-1 character there crashes werkzeug."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
        return app(environ, start_response)

    return wrapped


class ServiceConnection:
    """How to reach one service: a shared httpx client over the network or through WSGI."""

    def __init__(
        self,
        service: str,
        *,
        base_url: str | None = None,
        wsgi_app: Any = None,
        timeout: float = 5.0,
    ) -> None:
        if (base_url is None) == (wsgi_app is None):
            raise ValueError("give exactly one of base_url and wsgi_app")
        self.service = service
        transport: httpx.BaseTransport | None = (
            httpx.WSGITransport(app=_wsgi_path_as_bytes(wsgi_app)) if wsgi_app is not None else None
        )
        self.http = httpx.Client(
            base_url=base_url or f"http://{service}.internal",
            transport=transport,
            timeout=httpx.Timeout(timeout),
        )

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()


class ServiceClient:
    """Calls one service on behalf of one principal; answers are parsed into schemas."""

    def __init__(
        self, connection: ServiceConnection, signer: TokenSigner, principal: Principal = ANONYMOUS
    ) -> None:
        self._connection = connection
        self._signer = signer
        self.principal = principal

    @property
    def service(self) -> str:
        """The name of the service this client calls."""
        return self._connection.service

    def acting_for(self, principal: Principal) -> Self:
        """The same client acting for another principal."""
        return type(self)(self._connection, self._signer, principal)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send a call; a problem answer is raised as its domain error, an outage as 503.

        ``headers`` are passed on (Idempotency-Key, If-None-Match); ``files``/``data`` make a
        multipart upload; ``content`` is a raw body.
        """
        sent = dict(headers or {})
        sent["Authorization"] = self._signer.header(self.principal)
        request_id = current_request_id()
        if request_id:
            sent[REQUEST_ID_HEADER] = request_id
        language = current_language()
        if language and "Accept-Language" not in sent:
            sent["Accept-Language"] = language
        try:
            response = self._connection.http.request(
                method,
                path,
                json=json,
                params=params,
                headers=sent,
                files=files,
                data=data,
                content=content,
            )
        except httpx.TransportError as error:
            _log.warning("service unreachable", target=self.service, error=repr(error))
            raise ServiceUnavailable(
                Message("the {service} service is unavailable; try again later"),
                service=self.service,
            ) from error
        if response.status_code >= 500:
            _log.warning("service failed", target=self.service, status=response.status_code)
            known = self._known_outage(response)
            if known is not None:
                raise known  # e.g. its storage is full: the caller learns what and where
            raise ServiceUnavailable(
                Message("the {service} service failed to answer; try again later"),
                service=self.service,
            )
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _known_outage(self, response: httpx.Response) -> DomainError | None:
        """The domain error a service described in its 5xx problem answer when it diagnosed the
        outage itself (its storage is full or read-only); any other failure stays generic."""
        if response.headers.get("content-type") != PROBLEM_JSON:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        cls = ERROR_BY_SLUG.get(str(body.get("type", "")).rsplit(":", 1)[-1])
        if cls is None or cls is ServiceUnavailable:
            return None
        return error_from_problem(body, response.status_code)

    def _error(self, response: httpx.Response) -> DomainError:
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:200]}
        if not isinstance(body, dict):
            body = {"detail": str(body)[:200]}
        return error_from_problem(body, response.status_code)

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

    def ready(self) -> bool:
        """Whether the service and its database answer."""
        try:
            return self._connection.http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False


def peer(client_class: type[ClientT], service: str) -> ClientT:
    """A client of another service acting for the principal of the request being handled."""
    connection = current_app.extensions["tripbot.peers"].get(service)
    if not isinstance(connection, ServiceConnection):
        raise ServiceUnavailable(
            Message("this service was started without a connection to the {service} service"),
            service=service,
        )
    signer: TokenSigner = current_app.extensions["tripbot.signer"]
    return client_class(connection, signer, current_principal())
