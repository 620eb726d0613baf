"""The Kubernetes manifests: rendered like Kustomize does, then validated against Kubernetes'
own schemas, and checked for what a production deployment needs."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import DEPLOY, SETTINGS_VARIABLES
from tests.deploy.kustomize import Document, load_documents, render
from tripbot import SERVICES

K8S = DEPLOY / "k8s"
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
"""The oldest Kubernetes still common on managed clusters, and the newest."""
STATELESS = [*SERVICES, "gateway"]


@pytest.fixture(scope="module")
def base() -> list[Document]:
    """The base manifests."""
    return render(K8S / "base")


@pytest.fixture(scope="module")
def overlay() -> list[Document]:
    """The example overlay, which is what an operator applies."""
    return render(K8S / "overlays" / "example")


@pytest.fixture(scope="module")
def monitored() -> list[Document]:
    """The example overlay with the monitoring component."""
    return render(K8S / "overlays" / "example-monitoring")


OPERATOR_KINDS = {"PodMonitor", "PrometheusRule"}
"""The Prometheus Operator's kinds: not Kubernetes' own, checked by their content below."""


def named(documents: list[Document], kind: str) -> dict[str, Document]:
    """Documents of one kind by name."""
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def pod_spec(deployment: Document) -> dict[str, Any]:
    """The pod template's spec of a Deployment."""
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("which", ["base", "overlay", "monitored"])
def test_every_manifest_is_valid_kubernetes(
    which: str,
    version: str,
    base: list[Document],
    overlay: list[Document],
    monitored: list[Document],
) -> None:
    documents = {"base": base, "overlay": overlay, "monitored": monitored}[which]
    for document in documents:
        if document["kind"] not in OPERATOR_KINDS:
            kubernetes_validate.validate(document, version, strict=True)


def test_the_monitoring_overlay_carries_the_shipped_rules_and_dashboard(
    monitored: list[Document], overlay: list[Document]
) -> None:
    monitoring = DEPLOY / "monitoring"
    added = {(d["kind"], d["metadata"]["name"]) for d in monitored} - {
        (d["kind"], d["metadata"]["name"]) for d in overlay
    }
    assert added == {
        ("PodMonitor", "tripbot"),
        ("PrometheusRule", "tripbot"),
        ("ConfigMap", "tripbot-grafana-dashboard"),
        ("ConfigMap", "tripbot-prometheus-rules"),
    }
    (rule,) = named(monitored, "PrometheusRule").values()
    alerts = yaml.safe_load((monitoring / "prometheus" / "alerts.yml").read_text())
    assert rule["spec"]["groups"] == alerts["groups"]  # the promtool-tested rules, unchanged
    maps = named(monitored, "ConfigMap")
    dashboard = maps["tripbot-grafana-dashboard"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = (monitoring / "grafana" / "dashboards" / "tripbot.json").read_text()
    assert dashboard["data"]["tripbot.json"] == shipped
    (monitor,) = named(monitored, "PodMonitor").values()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["honorLabels"]) == (
        "http",
        "/metrics",
        True,
    )
    for deployment in named(monitored, "Deployment").values():
        ports = {p["name"] for c in pod_spec(deployment)["containers"] for p in c["ports"]}
        assert "http" in ports
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert {d["metadata"].get("namespace") for d in monitored if d["kind"] != "Namespace"} == {
        "tripbot"
    }


def test_the_secret_template_is_valid_and_names_every_key_the_pods_read(
    overlay: list[Document],
) -> None:
    (secret,) = load_documents(K8S / "secret.example.yaml")
    kubernetes_validate.validate(secret, KUBERNETES_VERSIONS[-1], strict=True)
    read = {
        ref["valueFrom"]["secretKeyRef"]["key"]
        for d in [*named(overlay, "Deployment").values(), *named(overlay, "Job").values()]
        for c in pod_spec(d)["containers"] + pod_spec(d).get("initContainers", [])
        for ref in c.get("env", [])
        if "secretKeyRef" in ref.get("valueFrom", {})
    }
    assert read == set(secret["stringData"])


def test_one_deployment_per_service_with_probes_resources_and_no_root(
    overlay: list[Document],
) -> None:
    deployments = named(overlay, "Deployment")
    assert set(deployments) == {f"tripbot-{name}" for name in [*STATELESS, "bot"]}
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["image"] == "registry.example.org/club/tripbot:0.1.0", name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
        (container,) = spec["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] in ("/readyz", "/healthz"), name


def test_the_services_run_as_the_code_expects(overlay: list[Document]) -> None:
    deployments = named(overlay, "Deployment")
    for service in SERVICES:
        spec = pod_spec(deployments[f"tripbot-{service}"])
        (container,) = spec["containers"]
        assert container["args"] == [
            "serve",
            service,
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--no-migrate",
        ]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        (waits,) = spec["initContainers"]
        assert waits["args"] == ["migrate", service, "--wait"]  # the Job migrates
        database = [e for e in container["env"] if e["name"] == "TRIPBOT_DATABASE_URL"]
        assert database[0]["valueFrom"]["secretKeyRef"]["key"] == f"{service}-database-url"
    gateway = pod_spec(deployments["tripbot-gateway"])["containers"][0]
    assert gateway["args"][:2] == ["serve", "gateway"]
    bot = deployments["tripbot-bot"]
    assert pod_spec(bot)["containers"][0]["args"] == ["bot", "--host", "0.0.0.0", "--port", "8000"]
    assert (bot["spec"]["replicas"], bot["spec"]["strategy"]["type"]) == (1, "Recreate")
    ports = {p["name"]: p["containerPort"] for p in pod_spec(bot)["containers"][0]["ports"]}
    (config,) = named(overlay, "ConfigMap").values()
    assert ports["webhook"] == int(config["data"]["TRIPBOT_BOT_WEBHOOK_PORT"])


def test_the_migration_job_backs_up_then_migrates_every_database(overlay: list[Document]) -> None:
    (job,) = named(overlay, "Job").values()
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["args"] == ["migrate", "--backup-to", "/var/lib/tripbot/backups"]
    databases = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in container["env"]
        if e["name"].endswith("_DATABASE_URL")
    }
    assert databases == {
        f"TRIPBOT_{n.upper()}_DATABASE_URL": f"{n}-database-url" for n in (*SERVICES, "bot")
    }
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"].endswith("/backups")]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    claims = named(overlay, "PersistentVolumeClaim")
    assert volume["persistentVolumeClaim"]["claimName"] in claims
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_every_variable_given_to_a_pod_is_one_tripbot_reads(overlay: list[Document]) -> None:
    (config,) = named(overlay, "ConfigMap").values()
    given = set(config["data"])
    for deployment in named(overlay, "Deployment").values():
        for container in pod_spec(deployment)["containers"]:
            given |= {e["name"] for e in container["env"]}
    assert given <= SETTINGS_VARIABLES
    for service in SERVICES:
        assert config["data"][f"TRIPBOT_{service.upper()}_URL"] == f"http://tripbot-{service}:8000"


def test_stateless_services_scale_and_keep_one_pod_through_drains(
    overlay: list[Document],
) -> None:
    deployments = named(overlay, "Deployment")
    autoscalers = named(overlay, "HorizontalPodAutoscaler")
    budgets = named(overlay, "PodDisruptionBudget")
    assert set(autoscalers) == set(budgets) == {f"tripbot-{name}" for name in STATELESS}
    for autoscaler in autoscalers.values():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] in deployments
        assert 2 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]
    assert autoscalers["tripbot-gateway"]["spec"]["minReplicas"] == 3
    assert deployments["tripbot-gateway"]["spec"]["replicas"] == 3


def test_services_select_pods_and_the_ingress_reaches_the_gateway_and_the_webhook(
    overlay: list[Document],
) -> None:
    deployments = named(overlay, "Deployment")
    services = named(overlay, "Service")
    for name, service in services.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
    (ingress,) = named(overlay, "Ingress").values()
    backends = {
        path["path"]: (path["backend"]["service"]["name"], path["backend"]["service"]["port"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {
        "/": ("tripbot-gateway", {"name": "http"}),
        "/telegram": ("tripbot-bot", {"name": "webhook"}),
    }
    bot_ports = {p["name"] for p in services["tripbot-bot"]["spec"]["ports"]}
    assert "webhook" in bot_ports
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "20m"
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert ingress["spec"]["tls"][0]["secretName"] == "tripbot-tls"
    assert ingress["spec"]["rules"][0]["host"] == "tripbot.club.example"
    assert {d["metadata"].get("namespace") for d in overlay if d["kind"] != "Namespace"} == {
        "tripbot"
    }
    kinds = Counter(d["kind"] for d in overlay)
    assert kinds["Namespace"] == 1
    assert "StatefulSet" not in kinds  # PostgreSQL is outside, managed


@pytest.mark.parametrize("name", ["example", "example-monitoring"])
def test_kubectl_kustomize_renders_the_same(
    name: str, overlay: list[Document], monitored: list[Document]
) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the renderer is not cross-checked here")
    ours = overlay if name == "example" else monitored
    rendered = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / name)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout

    def key(document: Document) -> tuple[str, str]:
        return document["kind"], document["metadata"]["name"]

    theirs = sorted((d for d in yaml.safe_load_all(rendered) if d), key=key)
    assert sorted(ours, key=key) == theirs
