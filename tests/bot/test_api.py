"""The bot's HTTP interface: its bindings and status for TripBot's components only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.problems import assert_problem
from tripbot.bot import service as store
from tripbot.bot.api import create_app
from tripbot.bot.client import BotClient
from tripbot.bot.schemas import BindingQuery
from tripbot.platform.client import HttpTransport
from tripbot.platform.db import Database
from tripbot.platform.errors import PermissionDenied
from tripbot.platform.identity import SYSTEM, Destination, Principal
from tripbot.system import System, signer_for


@pytest.fixture
def bot_http(system: System, bot_database: Database) -> Iterator[tuple[FlaskClient, BotClient]]:
    """The bot's HTTP app over its database, and a client of it acting as TripBot."""
    app = create_app(system.settings, bot_database)
    settings = system.settings
    signer = signer_for(settings, "gateway")
    connection = HttpTransport("bot", signer, wsgi_app=app, timeout=5)
    yield app.test_client(), BotClient(connection, SYSTEM)
    connection.close()


def test_bindings_and_status(
    bot_http: tuple[FlaskClient, BotClient], bot_database: Database
) -> None:
    _http, client = bot_http
    store.bind_chat(bot_database.unit_of_work(), -5, 12, "Club", 1)
    store.bind_chat(bot_database.unit_of_work(), -6, 13, "Otro", 1)
    store.advance_feed(bot_database.unit_of_work(), "ledger", 40)
    store.claim_update(bot_database.unit_of_work(), 777)
    assert [(b.chat_id, b.chat_title) for b in client.bindings(BindingQuery(event_id=12))] == [
        (-5, "Club")
    ]
    status = client.status()
    assert (status.bindings, status.cursors, status.remembered_updates) == (2, {"ledger": 40}, 1)
    assert client.ready()


def test_only_tripbot_may_read_them(bot_http: tuple[FlaskClient, BotClient]) -> None:
    http, client = bot_http
    person = client.acting_for(Principal(user_id=3))
    with pytest.raises(PermissionDenied):
        person.status()
    with pytest.raises(PermissionDenied):
        person.bindings(BindingQuery(event_id=1))
    assert_problem(http.get("/status"), 401, "not-authenticated")


@pytest.mark.parametrize("query", [{}, {"event_id": "x"}, {"event_id": "0"}, {"event_id": "-3"}])
def test_a_bad_event_id_is_refused(
    bot_http: tuple[FlaskClient, BotClient], system: System, query: dict[str, str]
) -> None:
    http, _client = bot_http
    settings = system.settings
    signer = signer_for(settings, "gateway")
    signed = signer.header(SYSTEM, Destination.of("bot", "GET", "/bindings"))
    response = http.get("/bindings", query_string=query, headers={"Authorization": signed})
    assert_problem(response, 422, "invalid-input")


def test_health_and_metrics_are_served(bot_http: tuple[FlaskClient, BotClient]) -> None:
    http, _client = bot_http
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200
    assert b"tripbot_notifications_sent_total" in http.get("/metrics").data
