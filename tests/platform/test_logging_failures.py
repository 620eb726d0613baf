"""A log destination that fails speaks: its first failure and every recovery are written once to
stderr, its state is a metric and part of ``/readyz``, and dropped records are counted."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import trustme

from tests.platform.syslog_receiver import Receiver
from tests.processes import Process, free_port, production_environment
from tripbot.platform import logging as tripbot_logging
from tripbot.platform.logging import SyslogForwarder, SyslogTarget
from tripbot.platform.metrics import REGISTRY


@pytest.fixture(autouse=True)
def quick_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect within a fraction of a second, so the tests need not wait for real backoff."""
    monkeypatch.setattr(tripbot_logging, "BACKOFF_FIRST", 0.02)
    monkeypatch.setattr(tripbot_logging, "BACKOFF_MAX", 0.05)


def said(stderr: io.StringIO, words: str) -> int:
    """How many lines of stderr contain ``words``."""
    return sum(words in line for line in stderr.getvalue().splitlines())


def wait(condition: object, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def up(port: int) -> float | None:
    """The value of the log destination gauge of the TCP host on this port."""
    return REGISTRY.get_sample_value(
        "tripbot_log_destination_up", {"destination": f"tcp://127.0.0.1:{port}"}
    )


def test_each_outage_and_each_recovery_is_said_once(tmp_path: Path) -> None:
    port = free_port()
    stderr = io.StringIO()
    target = SyslogTarget("127.0.0.1", port, "tcp", queue_size=5)
    forwarder = SyslogForwarder(target, default_service="events", stderr=stderr)
    receiver = Receiver("tcp", port=port)
    try:
        for n in range(20):  # the host is not there: retried many times, said once
            forwarder.submit({"event": "first outage", "n": n})
        wait(lambda: forwarder.degraded and forwarder.dropped >= 14)
        time.sleep(0.3)  # several more retries
        assert said(stderr, f"cannot send logs to the syslog host tcp://127.0.0.1:{port}") == 1
        assert "Connection refused" in stderr.getvalue()
        assert up(port) == 0
        assert tripbot_logging.log_destination() == "off"  # not the process's forwarder

        receiver.start()
        wait(lambda: len(receiver.messages) >= 5)
        wait(lambda: not forwarder.degraded)
        assert said(stderr, f"reach the syslog host tcp://127.0.0.1:{port} again") == 1
        assert said(stderr, f"{forwarder.dropped} records were dropped meanwhile") == 1
        assert up(port) == 1

        receiver.stop()  # a second outage, and a second recovery: each said once more
        for n in range(10):
            forwarder.submit({"event": "second outage", "n": n})
            time.sleep(0.02)
        wait(lambda: forwarder.degraded)
        receiver.start()
        forwarder.submit({"event": "back"})
        wait(lambda: not forwarder.degraded)
        assert said(stderr, "cannot send logs") == 2
        assert said(stderr, "again after") == 2
    finally:
        forwarder.close()
        receiver.stop()


def test_a_host_whose_certificate_is_not_trusted_is_said_and_never_sent_to(
    tmp_path: Path,
) -> None:
    receiver = Receiver("tls", certificates=tmp_path).start()
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    stderr = io.StringIO()
    target = SyslogTarget("127.0.0.1", receiver.port, "tls", ca_file=stranger, queue_size=3)
    forwarder = SyslogForwarder(target, stderr=stderr)
    try:
        for n in range(10):
            forwarder.submit({"event": "secret", "n": n})
        wait(lambda: forwarder.degraded and forwarder.dropped >= 6)
        time.sleep(0.3)
    finally:
        forwarder.close()
        receiver.stop()
    assert said(stderr, "cannot send logs") == 1
    assert "CERTIFICATE_VERIFY_FAILED" in stderr.getvalue()
    assert receiver.messages == []


def test_a_service_says_its_log_host_is_gone_in_stderr_readiness_and_metrics(
    tmp_path: Path,
) -> None:
    env = production_environment(
        TRIPBOT_LOG_LEVEL="INFO",
        TRIPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'events.db'}",
        TRIPBOT_SYSLOG_HOST="127.0.0.1",
        TRIPBOT_SYSLOG_PORT=str(free_port()),
        TRIPBOT_SYSLOG_PROTOCOL="tcp",
        TRIPBOT_SYSLOG_QUEUE_SIZE="10",
        TRIPBOT_WORKERS="2",
    )
    process = Process("events", ["serve", "events"], env, free_port(), tmp_path / "events.log")
    process.start()
    try:
        with httpx.Client(base_url=process.url) as http:
            for _ in range(30):
                assert http.get("/users/me").status_code == 401
            time.sleep(1.5)  # the forwarder's first retries
            ready = http.get("/readyz")
            metrics = http.get("/metrics").text
    finally:
        process.stop()
    assert ready.status_code == 200  # a log host down does not take the service out
    assert ready.json()["log_destination"] == "degraded"
    assert 'tripbot_log_destination_up{destination="tcp://127.0.0.1:' in metrics
    assert "} 0.0" in next(m for m in metrics.splitlines() if m.startswith("tripbot_log_dest"))
    said_by = Counter(
        line.split(":")[0]
        for line in process.log.read_text().splitlines()
        if "cannot send logs to the syslog host" in line
    )
    # Once by each process that logs: gunicorn's master and its two workers.
    assert len(said_by) == 3
    assert set(said_by.values()) == {1}
