"""Prometheus metrics: one registry per process, every series labelled with its service.

The embedded mode runs every service in one process, so nothing here is per application: the
metrics are module-level, created once, and each observation names the service it belongs to.
"""

from __future__ import annotations

import hmac
import weakref
from collections import defaultdict
from collections.abc import Iterable

from apiflask import APIBlueprint
from flask import Response, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import QueuePool

REGISTRY = CollectorRegistry()
"""Every TripBot metric of this process; ``/metrics`` of any of its applications shows it all."""
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_HTTP_LABELS = ("service", "method", "route", "status")
HTTP_REQUESTS = Counter(
    "tripbot_http_requests",
    "Requests answered, by service, method, route (the URL rule) and status.",
    _HTTP_LABELS,
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "tripbot_http_request_duration_seconds",
    "Time to answer a request, by service, method, route (the URL rule) and status.",
    _HTTP_LABELS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DOMAIN_CHANGES = Counter(
    "tripbot_domain_changes",
    "Domain changes committed (entries recorded, reservations made, ...), by service and topic.",
    ("service", "topic"),
    registry=REGISTRY,
)
NOTIFICATIONS_SENT = Counter(
    "tripbot_notifications_sent",
    "Notifications delivered to people, by topic.",
    ("topic",),
    registry=REGISTRY,
)
LOG_RECORDS_FORWARDED = Counter(
    "tripbot_log_records_forwarded",
    "Log records written to the syslog host.",
    registry=REGISTRY,
)
LOG_RECORDS_DROPPED = Counter(
    "tripbot_log_records_dropped",
    "Log records not forwarded to the syslog host because its queue was full.",
    registry=REGISTRY,
)
BOT_CONNECTED = Gauge(
    "tripbot_bot_connected",
    "1 while the Telegram bot reaches Telegram (its last call was answered), else 0.",
    registry=REGISTRY,
)
UNMATCHED_ROUTE = "unmatched"
"""The route label of requests no URL rule matched (404s), so random paths add no series."""

_services: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
_PENDING_CHANGES = "tripbot.metrics.pending_changes"


def register_database(service: str, engine: Engine) -> None:
    """Label this engine's pool and the changes committed through it with ``service``."""
    _services[engine] = service


def service_of(bind: Engine | Connection) -> str:
    """The service a database engine (or one of its connections) belongs to."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    return _services.get(engine, "unknown")


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    labels = (service, method, route, str(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_DURATION.labels(*labels).observe(seconds)


def count_change_at_commit(session: Session, topic: str) -> None:
    """Count a domain change once its transaction commits (never if it rolls back)."""
    pending: list[tuple[str, str]] = session.info.setdefault(_PENDING_CHANGES, [])
    pending.append((service_of(session.get_bind()), topic))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for service, topic in session.info.pop(_PENDING_CHANGES, ()):
        DOMAIN_CHANGES.labels(service, topic).inc()


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_CHANGES, None)


def notification_sent(topic: str) -> None:
    """Count one notification delivered (the bot calls this)."""
    NOTIFICATIONS_SENT.labels(topic).inc()


def set_bot_connected(connected: bool) -> None:
    """Say whether the bot reaches Telegram (the bot calls this after each call it makes)."""
    BOT_CONNECTED.set(1 if connected else 0)


class _PoolCollector(Collector):
    """Connection pool gauges, read at scrape time from every registered engine."""

    def collect(self) -> Iterable[Metric]:
        """The pool gauges of every service of this process."""
        families = {
            "size": GaugeMetricFamily(
                "tripbot_db_pool_size",
                "Connections a service's pool keeps (more may open up to its overflow).",
                labels=["service"],
            ),
            "in_use": GaugeMetricFamily(
                "tripbot_db_pool_connections_in_use",
                "Database connections checked out of the pool.",
                labels=["service"],
            ),
            "idle": GaugeMetricFamily(
                "tripbot_db_pool_connections_idle",
                "Database connections open and waiting in the pool.",
                labels=["service"],
            ),
            "overflow": GaugeMetricFamily(
                "tripbot_db_pool_overflow",
                "Connections open beyond the pool size.",
                labels=["service"],
            ),
        }
        totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(families, 0))
        for engine, service in list(_services.items()):
            pool = engine.pool
            if isinstance(pool, QueuePool):
                total = totals[service]
                total["size"] += pool.size()
                total["in_use"] += pool.checkedout()
                total["idle"] += pool.checkedin()
                total["overflow"] += max(pool.overflow(), 0)
        for service, values in sorted(totals.items()):
            for name, family in families.items():
                family.add_metric([service], values[name])
        return families.values()


REGISTRY.register(_PoolCollector())


def render(accept: str = "") -> tuple[bytes, str]:
    """Every metric in the format the ``Accept`` header asks (Prometheus text 0.0.4 by default,
    or OpenMetrics), and its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(REGISTRY), content_type


def metrics_blueprint(token: SecretStr | None = None) -> APIBlueprint:
    """``GET /metrics`` for Prometheus; with a token, only for ``Authorization: Bearer <token>``."""
    bp = APIBlueprint("metrics", __name__, enable_openapi=False)

    @bp.get("/metrics")
    def metrics() -> Response:
        if token is not None and token.get_secret_value():
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
                return Response(
                    "a metrics token is required\n",
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                    mimetype="text/plain",
                )
        body, content_type = render(request.headers.get("Accept", ""))
        return Response(body, content_type=content_type)

    return bp
