"""Prometheus metrics: every application's ``/metrics``, labelled by service, route and status."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import MetaData

from tests.builders import a_person, event_payload
from tests.conftest import make_settings
from tripbot.platform import metrics
from tripbot.platform.db import Database
from tripbot.platform.metrics import REGISTRY, metrics_blueprint, notification_sent
from tripbot.platform.outbox import outbox_table, record_change
from tripbot.system import System, build_embedded

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def sample(name: str, **labels: str) -> float:
    """The current value of one series of the process registry (0 if it has none yet)."""
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def scrape(
    http: httpx.Client, path: str = "/metrics"
) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Read ``/metrics`` as Prometheus would: family name -> (labels, value) of each sample."""
    response = http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            families.setdefault(s.name, []).append((s.labels, s.value))
    return families


def test_the_gateway_counts_requests_by_route_rule_and_status(
    system: System, http: httpx.Client
) -> None:
    labels = {"service": "gateway", "method": "GET", "route": "/api/v1/health", "status": "200"}
    before = sample("tripbot_http_requests_total", **labels)
    assert http.get("/api/v1/health").status_code == 200
    assert http.get("/api/v1/health").status_code == 200

    assert sample("tripbot_http_requests_total", **labels) == before + 2
    histogram = scrape(http)["tripbot_http_request_duration_seconds_count"]
    assert any(sample_labels == labels for sample_labels, _ in histogram)


def test_routes_are_labelled_by_their_rule_not_the_raw_path(
    system: System, http: httpx.Client
) -> None:
    ana = a_person(http)
    created = http.post("/api/v1/events", json=event_payload(), headers=ana.headers)
    event_id = created.json()["id"]
    http.get(f"/api/v1/events/{event_id}", headers=ana.headers)
    http.get("/no/such/page/12345")

    rules = {labels["route"] for labels, _ in scrape(http)["tripbot_http_requests_total"]}
    assert "/api/v1/events/<int:event_id>" in rules
    assert f"/api/v1/events/{event_id}" not in rules
    assert metrics.UNMATCHED_ROUTE in rules
    assert not any("12345" in rule for rule in rules)


def test_in_process_service_calls_are_no_requests_of_the_service(
    system: System, http: httpx.Client
) -> None:
    # Embedded, the events service's use cases run directly (no HTTP in between), so
    # registering counts as the gateway's request only, never as one of the events service.
    before = sample(
        "tripbot_http_requests_total",
        service="events",
        method="POST",
        route="/users",
        status="201",
    )
    a_person(http)
    after = sample(
        "tripbot_http_requests_total",
        service="events",
        method="POST",
        route="/users",
        status="201",
    )
    assert after == before


def test_every_service_answers_metrics_without_an_internal_token(system: System) -> None:
    for name, app in system.services.items():
        response = app.test_client().get("/metrics")
        assert response.status_code == 200, name
        assert b"tripbot_db_pool_size" in response.data


def test_pool_gauges_name_each_service(system: System, http: httpx.Client) -> None:
    http.get("/api/v1/health")  # every service touches its database
    pools = {labels["service"] for labels, _ in scrape(http)["tripbot_db_pool_size"]}
    assert set(system.services) <= pools


def test_domain_changes_are_counted_when_they_commit(scratch_database: Database) -> None:
    outbox = outbox_table(MetaData())
    outbox.create(scratch_database.engine)
    metrics.register_database("probe", scratch_database.engine)
    labels = {"service": "probe", "topic": "thing.done"}
    before = sample("tripbot_domain_changes_total", **labels)

    with scratch_database.unit_of_work() as uow:
        record_change(uow.session, outbox, "thing.done", 1, {"n": 1})
        assert sample("tripbot_domain_changes_total", **labels) == before  # not yet committed
        uow.commit()
    assert sample("tripbot_domain_changes_total", **labels) == before + 1

    with scratch_database.unit_of_work() as uow:
        record_change(uow.session, outbox, "thing.done", 1, {"n": 2})
        record_change(uow.session, outbox, "thing.done", 1, {"n": 3})
    # rolled back: nothing counted, and nothing left to count at a later commit
    with scratch_database.unit_of_work() as uow:
        uow.commit()
    assert sample("tripbot_domain_changes_total", **labels) == before + 1


def test_a_real_change_is_counted_under_its_service(system: System, http: httpx.Client) -> None:
    ana = a_person(http)
    event_id = http.post("/api/v1/events", json=event_payload(), headers=ana.headers).json()["id"]
    labels = {"service": "events", "topic": "event.updated"}
    before = sample("tripbot_domain_changes_total", **labels)

    renamed = http.patch(f"/api/v1/events/{event_id}", json={"name": "New"}, headers=ana.headers)
    assert renamed.status_code == 200, renamed.text
    assert sample("tripbot_domain_changes_total", **labels) == before + 1


def test_notifications_have_their_counter(system: System, http: httpx.Client) -> None:
    before = sample("tripbot_notifications_sent_total", topic="reminder")
    notification_sent("reminder")
    assert sample("tripbot_notifications_sent_total", topic="reminder") == before + 1


def test_a_metrics_token_closes_the_endpoint_to_others(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token=SecretStr("s3cret-token"))
    system = build_embedded(settings)
    try:
        client = system.gateway.test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert allowed.status_code == 200
        service = system.services["events"].test_client()
        assert service.get("/metrics").status_code == 401
    finally:
        system.close()


def test_two_systems_in_one_process_share_one_registry(tmp_path: Path) -> None:
    first = build_embedded(make_settings(tmp_path / "a"))
    second = build_embedded(make_settings(tmp_path / "b"))
    try:
        for system in (first, second):
            assert system.gateway.test_client().get("/metrics").status_code == 200
    finally:
        first.close()
        second.close()


def test_metrics_stay_out_of_the_api_descriptions(system: System) -> None:
    assert metrics_blueprint().name == "metrics"
    for name, app in system.services.items():
        spec = app.test_client().get("/openapi.json")
        assert spec.status_code == 200, name
        assert spec.json is not None
        assert "/metrics" not in spec.json["paths"]


def test_without_a_token_only_this_host_reads_the_metrics(tmp_path: Path) -> None:
    system = build_embedded(make_settings(tmp_path))
    try:
        for app in (system.gateway, *system.services.values()):
            client = app.test_client()
            for here in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
                answer = client.get("/metrics", environ_base={"REMOTE_ADDR": here})
                assert answer.status_code == 200, (app.name, here)
            elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
            assert elsewhere.status_code == 401, app.name
            assert "TRIPBOT_METRICS_TOKEN" in elsewhere.get_data(as_text=True)
            assert b"tripbot_" not in elsewhere.data
            for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
                relayed = client.get("/metrics", headers={header: "203.0.113.7"})
                assert relayed.status_code == 401, (app.name, header)
    finally:
        system.close()
