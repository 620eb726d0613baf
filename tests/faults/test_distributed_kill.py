"""A service process is killed in the middle of the club's story and started again (distributed
mode: every service its own process on PostgreSQL, real HTTP). Meanwhile the gateway answers 503
problem+json naming it and everything else works; a write refused meanwhile leaves nothing, its
Idempotency-Key retry after the restart records it exactly once, and the service's outbox feed
holds every change that succeeded exactly once, in order."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bot.conftest import BotDriver, close_driver, driver_for
from tests.builders import activity_payload, event_payload, user_payload
from tests.conftest import make_settings
from tests.e2e.scenario import run_club_scenario
from tests.e2e.test_distributed import Deployment, deployment  # noqa: F401 - the fixture
from tests.faults.feeds import assert_exactly_once_in_order, feed_entries
from tests.processes import KEYS, Process
from tripbot.bot import service as store
from tripbot.bot.conversation import BotRuntime
from tripbot.clients import Services
from tripbot.platform.client import BREAKER_PAUSE, HttpTransport, Transport
from tripbot.platform.db import Database
from tripbot.system import migrate, signer_for

pytestmark = [pytest.mark.chaos, pytest.mark.distributed, pytest.mark.postgres]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GROUP = -4_242


def _once_back(call: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer once the gateway calls the restarted service again: its circuit opened while
    the service was down (the event page alone asks the ledger twice) and lets a trial call
    through after its pause, so a person who retries gets in within it."""
    deadline = time.monotonic() + BREAKER_PAUSE + 10
    answer = call()
    while answer.status_code == 503 and time.monotonic() < deadline:
        time.sleep(1)
        answer = call()
    return answer


def _crash(process: Process) -> None:
    """Kill it outright (SIGKILL), as a crash or an OOM kill would: no graceful shutdown."""
    process.crash()


def _api_person(http: httpx.Client) -> tuple[dict[str, str], dict[str, Any]]:
    body = user_payload()
    assert http.post("/api/v1/auth/register", json=body).status_code == 201
    token = http.post("/api/v1/auth/token", json={k: body[k] for k in ("email", "password")})
    return {"Authorization": f"Bearer {token.json()['token']}"}, body


def _web_session(base_url: str, person: dict[str, Any]) -> httpx.Client:
    web = httpx.Client(base_url=base_url, timeout=10)
    token = CSRF.search(web.get("/login").text)
    assert token
    answer = web.post(
        "/login",
        data={"email": person["email"], "password": person["password"], "csrf_token": token[1]},
    )
    assert answer.status_code == 302, answer.text
    return web


def _expense(
    http: httpx.Client, event_id: int, headers: dict[str, str], key: str
) -> httpx.Response:
    return http.post(
        f"/api/v1/events/{event_id}/ledger/entries",
        json={"description": f"fuel {key[:8]}", "amount": "23.50"},
        headers={**headers, "Idempotency-Key": key},
    )


def _assert_down(answer: httpx.Response, service: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["service"] == service
    assert service in answer.json()["detail"]


def _assert_rest_works(
    http: httpx.Client, web: httpx.Client, event_id: int, headers: dict[str, str]
) -> None:
    assert http.get(f"/api/v1/events/{event_id}", headers=headers).status_code == 200
    assert http.get("/api/v1/routes", headers=headers).status_code == 200
    assert web.get("/routes").status_code == 200
    assert web.get("/events").status_code == 200
    assert web.get(f"/events/{event_id}").status_code == 200


def _bot(running: Deployment, tmp_path: Path) -> BotDriver:
    """The Telegram bot (fake transport) reading the deployment's services over HTTP."""
    # The bot signs as the system identity, with the system's private key only.
    settings = make_settings(tmp_path, internal_signing_key=KEYS.private["system"])
    signer = signer_for(settings, "system")
    connections: dict[str, Transport] = {
        name: HttpTransport(name, signer, base_url=process.url, timeout=5)
        for name, process in running.services.items()
    }
    services = Services(connections)
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate("bot", database)
    return driver_for(BotRuntime(settings, services, database))


def test_a_killed_service_is_named_the_rest_works_and_nothing_is_lost_or_doubled(
    deployment: Deployment,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    ledger, agenda = deployment.services["ledger"], deployment.services["agenda"]
    secret = KEYS.private["system"]
    bot = _bot(deployment, tmp_path)
    try:
        _story(deployment, bot, ledger, agenda, secret)
    finally:
        close_driver(bot)
        bot.runtime.services.close()
        bot.runtime.database.dispose()


def _story(
    running: Deployment, bot: BotDriver, ledger: Process, agenda: Process, secret: str
) -> None:
    with httpx.Client(base_url=running.gateway.url, timeout=10) as http:
        run_club_scenario(http)
        ana, ana_body = _api_person(http)
        event = http.post("/api/v1/events", json=event_payload(), headers=ana)
        assert event.status_code == 201, event.text
        event_id = event.json()["id"]
        store.bind_chat(bot.runtime.unit_of_work(), GROUP, event_id, "Club", 1)
        bot.notify()  # the bot's first round: its cursors start here
        web = _web_session(running.gateway.url, ana_body)
        before_key = str(uuid.uuid4())
        before = _expense(http, event_id, ana, before_key)
        assert before.status_code == 201, before.text
        first_activity = http.post(
            f"/api/v1/events/{event_id}/activities", json=activity_payload(), headers=ana
        )
        assert first_activity.status_code == 201, first_activity.text

        _crash(ledger)
        bot.notify()  # the ledger's feed is away: the bot skips it this round
        retried_key = str(uuid.uuid4())
        _assert_down(_expense(http, event_id, ana, retried_key), "ledger")
        _assert_down(http.get(f"/api/v1/events/{event_id}/ledger/balances", headers=ana), "ledger")
        _assert_rest_works(http, web, event_id, ana)
        meanwhile = http.post(
            f"/api/v1/events/{event_id}/activities",
            json=activity_payload(title="Comida en Caín"),
            headers=ana,
        )
        assert meanwhile.status_code == 201, meanwhile.text
        ledger.start()

        retried = _once_back(lambda: _expense(http, event_id, ana, retried_key))
        assert retried.status_code == 201, retried.text
        replayed = _expense(http, event_id, ana, retried_key)
        assert replayed.json()["id"] == retried.json()["id"]

        _crash(agenda)
        _assert_down(
            http.post(
                f"/api/v1/events/{event_id}/activities",
                json=activity_payload(title="Lost"),
                headers=ana,
            ),
            "agenda",
        )
        _assert_rest_works(http, web, event_id, ana)
        during_key = str(uuid.uuid4())
        during = _expense(http, event_id, ana, during_key)
        assert during.status_code == 201, during.text
        bot.notify()
        agenda.start()
        web.close()
        back = _once_back(lambda: http.get(f"/api/v1/events/{event_id}/activities", headers=ana))
        assert back.status_code == 200, back.text

        entries = http.get(f"/api/v1/events/{event_id}/ledger/entries", headers=ana).json()
        recorded = {before.json()["id"], retried.json()["id"], during.json()["id"]}
        assert {e["id"] for e in entries["items"]} == recorded
        titles = [
            a["title"]
            for a in http.get(f"/api/v1/events/{event_id}/activities", headers=ana).json()
        ]
        assert sorted(titles) == ["Comida en Caín", "Desayuno en Poncebos"]

    ledger_feed = feed_entries("ledger", ledger.url, secret, event_id)
    assert_exactly_once_in_order(ledger_feed)
    assert [e["topic"] for e in ledger_feed].count("entry.recorded") == len(recorded)
    bot.notify()
    bot.notify()
    told = [m.text for m in bot.telegram.messages(GROUP) if "Nuevo gasto" in m.text]
    expected = [f"fuel {key[:8]}" for key in (before_key, retried_key, during_key)]
    assert [text.split(":")[1].split(",")[0].strip() for text in told] == expected
    agenda_feed = feed_entries("agenda", agenda.url, secret, event_id)
    assert_exactly_once_in_order(agenda_feed)
    assert [e["topic"] for e in agenda_feed].count("activity.added") == len(titles)
