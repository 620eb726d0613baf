"""The service client: problems come back as the same domain errors, outages as 503."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from apiflask import APIBlueprint, APIFlask
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import request
from sqlalchemy import MetaData

from tests.conftest import make_settings
from tripbot.events.client import EventsClient
from tripbot.platform.client import HttpTransport, ServiceClient
from tripbot.platform.db import Database
from tripbot.platform.errors import (
    STATUS_BY_ERROR,
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    ServiceUnavailable,
)
from tripbot.platform.identity import Principal, TokenSigner
from tripbot.platform.keys import process_key
from tripbot.platform.operations import Operations
from tripbot.platform.replay import used_token_table
from tripbot.platform.web import (
    REQUEST_ID_HEADER,
    create_legacy_service_app,
    current_principal,
    install_request_context,
)

SIGNER = TokenSigner("gateway", process_key())
"""The gateway's signer, as the embedded mode makes it (the key this process made)."""
RAISABLE = [cls for cls in STATUS_BY_ERROR if cls is not ServiceUnavailable]


def _probe_blueprint() -> APIBlueprint:
    bp = APIBlueprint("probe", __name__)

    @bp.get("/raise/<name>")
    def raise_(name: str) -> dict[str, str]:
        cls = next(c for c in STATUS_BY_ERROR if c.__name__ == name)
        raise cls(f"{name} because of reasons", field="name", retry_after=3)

    @bp.get("/whoami")
    def whoami() -> dict[str, object]:
        return {
            "user_id": current_principal().user_id,
            "request_id": request.headers.get(REQUEST_ID_HEADER),
        }

    @bp.get("/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError("a bug in the service")

    @bp.get("/text-error")
    def text_error() -> tuple[str, int]:
        return "plain words, no JSON", 409

    return bp


class ProbeClient(ServiceClient):
    """A client of the probe service."""

    service = "probe"
    operations = Operations("probe", tag="Probe")


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[APIFlask]:
    """A tiny service built like the real ones, over an unused in-memory database."""
    database = Database("sqlite://")
    settings = make_settings(tmp_path)
    used_token_table(MetaData()).create(database.engine)  # what its migrations would make
    yield create_legacy_service_app("probe", settings, database, [_probe_blueprint()])
    database.dispose()


@pytest.fixture
def client(probe: APIFlask) -> Iterator[ServiceClient]:
    """A client of the probe service, in process."""
    connection = HttpTransport("probe", SIGNER, wsgi_app=probe)
    yield ProbeClient(connection, Principal(user_id=42))
    connection.close()


@pytest.mark.parametrize("cls", RAISABLE, ids=lambda cls: cls.__name__)
def test_a_problem_answer_is_raised_as_the_same_error(
    client: ServiceClient, cls: type[DomainError]
) -> None:
    with pytest.raises(DomainError) as raised:
        client.request("GET", f"/raise/{cls.__name__}")
    assert type(raised.value) is cls
    assert raised.value.detail == f"{cls.__name__} because of reasons"
    assert raised.value.extensions == {"field": "name", "retry_after": 3}


def test_a_service_error_names_the_service(client: ServiceClient) -> None:
    with pytest.raises(ServiceUnavailable, match="the probe service failed") as raised:
        client.request("GET", "/raise/ServiceUnavailable")
    assert raised.value.extensions == {"service": "probe"}


def test_a_crash_in_the_service_is_unavailability_not_a_crash_here(client: ServiceClient) -> None:
    with pytest.raises(ServiceUnavailable) as raised:
        client.request("GET", "/crash")
    assert raised.value.extensions == {"service": "probe"}


def test_an_error_without_json_keeps_its_status_and_words(client: ServiceClient) -> None:
    with pytest.raises(Conflict, match="plain words, no JSON"):
        client.request("GET", "/text-error")


def test_an_unknown_path_is_not_found(client: ServiceClient) -> None:
    with pytest.raises(NotFound):
        client.request("GET", "/no/such/thing")


def test_calls_carry_a_signed_token_for_the_principal(client: ServiceClient) -> None:
    assert client.request("GET", "/whoami").json() == {"user_id": 42, "request_id": None}
    other = client.acting_for(Principal(user_id=7))
    assert other.request("GET", "/whoami").json()["user_id"] == 7
    assert other.service == "probe"


def test_calls_inside_a_request_pass_its_id_on(client: ServiceClient, probe: APIFlask) -> None:
    outer = APIFlask("outer")

    @outer.get("/")
    def index() -> dict[str, object]:
        answer: dict[str, object] = client.request("GET", "/whoami").json()
        return answer

    install_request_context(outer, "outer")
    answer = outer.test_client().get("/", headers={REQUEST_ID_HEADER: "outer-request-0001"})
    assert answer.get_json()["request_id"] == "outer-request-0001"


def test_a_key_other_than_the_callers_own_is_not_authenticated(probe: APIFlask) -> None:
    connection = HttpTransport(
        "probe", TokenSigner("gateway", Ed25519PrivateKey.generate()), wsgi_app=probe
    )
    forged = ProbeClient(connection)
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        forged.request("GET", "/whoami")
    connection.close()


def test_a_connection_needs_exactly_one_way_to_the_service(probe: APIFlask) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        HttpTransport("probe", SIGNER)
    with pytest.raises(ValueError, match="exactly one"):
        HttpTransport("probe", SIGNER, base_url="http://127.0.0.1:1", wsgi_app=probe)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_is_service_unavailable() -> None:
    connection = HttpTransport("events", SIGNER, base_url=f"http://127.0.0.1:{_closed_port()}")
    client = EventsClient(connection)
    with pytest.raises(ServiceUnavailable, match="the events service is unavailable") as raised:
        client.request("GET", "/users/me")
    assert raised.value.extensions == {"service": "events"}
    assert client.ready() is False
    connection.close()


class _SlowHandler(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        self.release.wait(5)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def slow_server() -> Iterator[str]:
    """A real HTTP server on loopback that answers only after a long wait."""
    _SlowHandler.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _SlowHandler.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_service_slower_than_the_timeout_is_unavailable(slow_server: str) -> None:
    connection = HttpTransport("events", SIGNER, base_url=slow_server, timeout=0.3)
    client = EventsClient(connection)
    started = time.perf_counter()
    with pytest.raises(ServiceUnavailable, match="the events service is unavailable") as raised:
        client.request("GET", "/users/me")
    assert time.perf_counter() - started < 2
    assert raised.value.extensions == {"service": "events"}
    assert client.ready() is False
    connection.close()
