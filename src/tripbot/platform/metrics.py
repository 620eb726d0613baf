"""Prometheus metrics: one registry per process, every series labelled with its service.

The embedded mode runs every service in one process, so nothing here is per application: the
metrics are module-level, created once, and each observation names the service it belongs to.

``tripbot serve --workers N`` (N > 1) runs N worker processes: it sets
``PROMETHEUS_MULTIPROC_DIR`` before this module is first imported, so counters, histograms and
gauges are kept in files there and ``/metrics`` of any worker adds up every worker's (gauges as
each one's ``multiprocess_mode`` says). What is read at scrape time (pools, process, storage,
backups) is the answering worker's view.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import shutil
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

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
_SCRAPE_TIME: list[Collector] = [
    ProcessCollector(registry=REGISTRY),
    PlatformCollector(registry=REGISTRY),
    GCCollector(registry=REGISTRY),
]
"""Collectors that read the answering process at scrape time (kept beside the shared files
when several worker processes serve)."""

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
LOG_DESTINATION_UP = Gauge(
    "tripbot_log_destination_up",
    "1 while the syslog host is reached, 0 while records cannot be sent (they wait, then "
    "drop); only where logs are forwarded.",
    ("destination",),
    registry=REGISTRY,
    multiprocess_mode="livemin",
)
NOTIFICATIONS_FAILED = Counter(
    "tripbot_notifications_failed",
    "Notifications that could not be delivered (after the bot's retries), by topic.",
    ("topic",),
    registry=REGISTRY,
)
BOT_CONNECTED = Gauge(
    "tripbot_bot_connected",
    "1 while the Telegram bot reaches Telegram (polling or webhook set), 0 while it does not.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
SERVICE_CIRCUIT_OPEN = Gauge(
    "tripbot_service_circuit_open",
    "1 while a process has stopped calling a service that did not answer (its circuit is open: "
    "calls are refused at once with 503 until a trial call succeeds), 0 otherwise.",
    ("target",),
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
_FEED_LABELS = ("reader", "source")
FEED_LAG_CHANGES = Gauge(
    "tripbot_feed_lag_changes",
    "Changes of a service's feed that a reader (a service, or the bot) has not handled yet.",
    _FEED_LABELS,
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
FEED_LAG_SECONDS = Gauge(
    "tripbot_feed_lag_seconds",
    "Seconds since a reader last had every change of a feed handled (0 while caught up).",
    _FEED_LABELS,
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
FEED_LEADER = Gauge(
    "tripbot_feed_follower_leader",
    "1 in the process whose follower holds the lease and follows the feed, 0 in the others.",
    _FEED_LABELS,
    registry=REGISTRY,
    multiprocess_mode="livesum",
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


def notification_failed(topic: str) -> None:
    """Count one notification that could not be delivered (the bot calls this)."""
    NOTIFICATIONS_FAILED.labels(topic).inc()


def set_bot_connected(connected: bool) -> None:
    """Say whether the bot reaches Telegram now (the bot calls this on every change)."""
    BOT_CONNECTED.set(1 if connected else 0)


def set_circuit_open(target: str, is_open: bool) -> None:
    """Say whether this process has stopped calling ``target`` for a while."""
    SERVICE_CIRCUIT_OPEN.labels(target).set(1 if is_open else 0)


def observe_feed_lag(reader: str, source: str, changes: int, seconds: float) -> None:
    """Where a reader of ``source``'s feed stands after a round: changes not yet handled, and
    seconds since it last had them all."""
    FEED_LAG_CHANGES.labels(reader, source).set(max(changes, 0))
    FEED_LAG_SECONDS.labels(reader, source).set(max(seconds, 0.0))


def set_feed_leader(reader: str, source: str, leading: bool) -> None:
    """Say whether this process follows ``source``'s feed for ``reader`` (holds its lease)."""
    FEED_LEADER.labels(reader, source).set(1 if leading else 0)


def _families(collected: Iterable[Metric]) -> list[Metric]:
    """The same families with no samples."""
    return [Metric(family.name, family.documentation, family.type) for family in collected]


class _PoolCollector(Collector):
    """Connection pool gauges, read at scrape time from every registered engine."""

    def describe(self) -> Iterable[Metric]:
        """The families, without samples (what the registry and the checks name)."""
        return _families(self.collect())

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
            "limit": GaugeMetricFamily(
                "tripbot_db_pool_limit",
                "Most connections a service's pool opens (size plus overflow); at the limit, "
                "requests wait for one.",
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
                total["limit"] += pool.size() + max(pool._max_overflow, 0)
        for service, values in sorted(totals.items()):
            for name, family in families.items():
                family.add_metric([service], values[name])
        return families.values()


_SCRAPE_TIME.append(_PoolCollector())
REGISTRY.register(_SCRAPE_TIME[-1])


class _StorageCollector(Collector):
    """Free and total bytes of the file systems holding SQLite databases (a full disk refuses
    every write), read at scrape time."""

    def describe(self) -> Iterable[Metric]:
        """The families, without samples."""
        return _families(self.collect())

    def collect(self) -> Iterable[Metric]:
        """Each SQLite-backed service's file system."""
        free = GaugeMetricFamily(
            "tripbot_storage_free_bytes",
            "Bytes free on the file system of a service's SQLite database.",
            labels=["service"],
        )
        size = GaugeMetricFamily(
            "tripbot_storage_size_bytes",
            "Size of the file system of a service's SQLite database.",
            labels=["service"],
        )
        seen: set[str] = set()
        for engine, service in sorted(_services.items(), key=lambda item: item[1]):
            database = engine.url.database
            if engine.url.get_backend_name() != "sqlite" or not database or service in seen:
                continue
            if database == ":memory:":
                continue
            with contextlib.suppress(OSError):
                usage = shutil.disk_usage(Path(database).parent)
                free.add_metric([service], usage.free)
                size.add_metric([service], usage.total)
                seen.add(service)
        return [free, size]


_SCRAPE_TIME.append(_StorageCollector())
REGISTRY.register(_SCRAPE_TIME[-1])
_backup_status: Path | None = None


def watch_backups(status_file: Path) -> None:
    """Export the time of the last successful backup that ``tripbot backup`` wrote there."""
    global _backup_status  # noqa: PLW0603 - one status file per process
    _backup_status = status_file


class _BackupCollector(Collector):
    """The last successful backup's time, read at scrape time from its status file."""

    def describe(self) -> Iterable[Metric]:
        """The family, without samples."""
        return [_backup_family()]

    def collect(self) -> Iterable[Metric]:
        """The gauge, once a process watches a status file (0: no backup yet)."""
        if _backup_status is None:
            return []
        family = _backup_family()
        family.add_metric([], last_backup_time(_backup_status))
        return [family]


def _backup_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "tripbot_backup_last_success_timestamp_seconds",
        "When the last successful `tripbot backup` finished (Unix time; 0: none yet).",
    )


def record_backup(status_file: Path, directory: Path) -> None:
    """Note a successful backup into ``directory`` now (read back by ``last_backup_time``)."""
    status_file.parent.mkdir(parents=True, exist_ok=True)
    written = status_file.with_name(f".{status_file.name}.tmp")
    written.write_text(
        json.dumps({"finished_at": time.time(), "directory": str(directory.resolve())}) + "\n"
    )
    written.replace(status_file)  # atomic: a scrape never reads half a file


def last_backup_time(status_file: Path) -> float:
    """The Unix time a status file records, or 0 when there is none (or it is unreadable)."""
    try:
        return float(json.loads(status_file.read_text())["finished_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


_SCRAPE_TIME.append(_BackupCollector())
REGISTRY.register(_SCRAPE_TIME[-1])


def share_between_processes(directory: Path) -> None:
    """Keep every metric in files under ``directory`` from now on, so that worker processes
    forked after this call add up in ``/metrics`` (call it before forking, before any
    observation)."""
    from prometheus_client import values
    from prometheus_client.metrics import MetricWrapperBase

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    for collector in list(REGISTRY._collector_to_names):
        if not isinstance(collector, MetricWrapperBase):
            continue
        if collector._labelnames:
            collector._metrics.clear()  # children are made anew, in files
        else:
            collector._metric_init()  # type: ignore[no-untyped-call] # its value, into a file


def forget_process(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay counted)."""
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _scraped() -> CollectorRegistry:
    """What ``/metrics`` shows: this process's registry, or with several worker processes,
    every worker's values from the shared directory plus this worker's scrape-time readings."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined, path=directory)  # type: ignore[no-untyped-call]
    for collector in _SCRAPE_TIME:
        combined.register(collector)
    return combined


def render(accept: str = "") -> tuple[bytes, str]:
    """Every metric in the format the ``Accept`` header asks (Prometheus text 0.0.4 by default,
    or OpenMetrics), and its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(_scraped()), content_type


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
