"""deploy/monitoring: the alert rules pass `promtool check rules` and their unit tests
(`promtool test rules`), Prometheus' configuration passes `promtool check config`, and the
Grafana dashboard is a dashboard by Grafana's own schema (round-tripped through the
grafana-foundation-sdk models generated from it) whose every query is valid PromQL; every
TripBot metric the rules and the dashboard name is one TripBot exports."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from tests.deploy.conftest import DEPLOY, tool
from tripbot.platform.metrics import REGISTRY

MONITORING = DEPLOY / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yml"
RULE_TESTS = MONITORING / "prometheus" / "alerts.test.yml"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "tripbot.json"
METRIC = re.compile(r"\b(tripbot_[a-z_]+)\b")
ISSUE_ALERTS = {
    "TripBotServiceDown",
    "TripBotErrorRatio",
    "TripBotSlowRequests",
    "TripBotFeedReaderBehind",
    "TripBotBotDisconnected",
    "TripBotNotificationsFailing",
    "TripBotLogRecordsDropped",
    "TripBotDiskAlmostFull",
    "TripBotDatabasePoolExhausted",
    "TripBotBackupTooOld",
}
"""A service down, 5xx ratio, p99 latency, a feed reader behind, the bot disconnected,
notifications failing, logs dropped, SQLite's disk almost full, the pool exhausted, old backups."""


def promtool(*args: str, cwd: Path) -> str:
    """Run promtool; its output, after checking it succeeded."""
    result = subprocess.run(
        [tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def exported_names() -> set[str]:
    """Every sample name TripBot's registry can export."""
    names = set()
    for collector in list(REGISTRY._collector_to_names):
        describe = getattr(collector, "describe", None)
        for family in describe() if describe else collector.collect():
            names.add(family.name)
            names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count"))
    return names


def dashboard() -> dict[str, Any]:
    """The dashboard's JSON."""
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def queries() -> list[str]:
    """Every PromQL query of the dashboard."""
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def test_the_rules_are_valid_and_cover_what_an_operator_needs() -> None:
    assert "SUCCESS: 12 rules found" in promtool("check", "rules", str(RULES), cwd=MONITORING)
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    assert set(alerts) >= ISSUE_ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name


def test_the_rules_fire_when_they_should_in_promtools_unit_tests() -> None:
    output = promtool("test", "rules", RULE_TESTS.name, cwd=RULES.parent)
    assert "SUCCESS" in output
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested >= ISSUE_ALERTS


def test_prometheus_configuration_is_valid(tmp_path: Path) -> None:
    config = (MONITORING / "prometheus" / "prometheus.yml").read_text()
    (tmp_path / "token").write_text("none")
    (tmp_path / "alerts.yml").write_text(RULES.read_text())
    config = config.replace("/run/secrets/metrics_token", str(tmp_path / "token"))
    config = config.replace("/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml"))
    (tmp_path / "prometheus.yml").write_text(config)
    promtool("check", "config", str(tmp_path / "prometheus.yml"), cwd=tmp_path)
    scraped = yaml.safe_load(config)["scrape_configs"][0]
    assert scraped["honor_labels"] is True  # TripBot's own `service` labels are kept
    targets = {c["labels"]["service"] for c in scraped["static_configs"]}
    assert targets == {"events", "routes", "gear", "ledger", "agenda", "gateway", "bot"}


def test_the_dashboard_is_grafanas_dashboard_model_without_unknown_fields() -> None:
    plugins.register_default_plugins()
    original = dashboard()
    model = Dashboard.from_json(original)
    again = json.loads(json.dumps(model.to_json(), default=lambda o: o.to_json()))

    def lost(ours: Any, theirs: Any, path: str = "") -> list[str]:
        if isinstance(ours, dict):
            if not isinstance(theirs, dict):
                return [path]
            return [
                found
                for key, value in ours.items()
                for found in (
                    lost(value, theirs[key], f"{path}/{key}")
                    if key in theirs
                    else [f"{path}/{key}"]
                )
            ]
        if isinstance(ours, list):
            if not isinstance(theirs, list) or len(ours) != len(theirs):
                return [path]
            return [
                f
                for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                for f in lost(a, b, f"{path}[{i}]")
            ]
        return [] if ours == theirs else [path]

    assert lost(original, again) == []  # every field is one of Grafana's, in its place
    assert {
        type(t).__module__ for p in model.panels or [] for t in getattr(p, "targets", None) or []
    } == {"grafana_foundation_sdk.models.prometheus"}
    assert {p["type"] for p in original["panels"]} == {"row", "timeseries", "stat"}
    ids = [p["id"] for p in original["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"] for p in original["panels"])
    for shown in (
        "Requests",
        "latency",
        "Errors",
        "Feed lag",
        "Notifications sent",
        "Reservations",
        "Ledger entries",
    ):
        assert shown in titles, shown


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {
                        "record": f"dashboard:query_{n}",
                        "expr": expr.replace("$__rate_interval", "5m"),
                    }
                    for n, expr in enumerate(queries())
                ],
            }
        ]
    }
    (tmp_path / "queries.yml").write_text(yaml.safe_dump(rules))
    promtool("check", "rules", "queries.yml", cwd=tmp_path)


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_metric_named_is_one_tripbot_exports(source: str) -> None:
    text = RULES.read_text() if source == "rules" else "\n".join(queries())
    named = set(METRIC.findall(text))
    assert named
    assert named <= exported_names(), sorted(named - exported_names())
