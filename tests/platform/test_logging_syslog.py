"""Logs forwarded to a syslog host (RFC 5424 over UDP, TCP and TLS), tested against a real
receiver on loopback: what arrives, and what happens when the host goes away and comes back."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from tests.platform.syslog_receiver import Receiver, parse
from tests.processes import Process, free_port, production_environment
from tripbot.platform import logging as tripbot_logging
from tripbot.platform.logging import SD_ID, SyslogForwarder, SyslogTarget, format_rfc5424

Protocol = Literal["udp", "tcp", "tls"]


@pytest.fixture(autouse=True)
def quick_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect within a fraction of a second, so the tests need not wait for real backoff."""
    monkeypatch.setattr(tripbot_logging, "BACKOFF_FIRST", 0.02)
    monkeypatch.setattr(tripbot_logging, "BACKOFF_MAX", 0.1)


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[list[Receiver]]:
    """Receivers made by a test, stopped at its end."""
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.stop()


def start_receiver(
    receivers: list[Receiver], protocol: Protocol, tmp_path: Path, **options: Any
) -> Receiver:
    """A listening receiver of this protocol."""
    receiver = Receiver(protocol, certificates=tmp_path, **options).start()
    receivers.append(receiver)
    return receiver


def forwarder_to(receiver: Receiver, **options: Any) -> SyslogForwarder:
    """A forwarder sending to the receiver."""
    target = SyslogTarget(
        host="127.0.0.1",
        port=receiver.port,
        protocol=receiver.protocol,
        framing=receiver.framing,
        ca_file=receiver.ca_file if receiver.protocol == "tls" else None,
        **options,
    )
    return SyslogForwarder(target, default_service="events", hostname="test-host")


def record(n: int, level: str = "info") -> dict[str, Any]:
    """A log record as structlog makes it."""
    return {
        "event": "request",
        "level": level,
        "timestamp": "2026-05-01T10:00:00.123456Z",
        "service": "ledger",
        "request_id": f"req-{n:06d}",
        "n": n,
    }


def test_a_record_is_an_rfc5424_message_with_service_level_and_request_id() -> None:
    raw = format_rfc5424(record(7, "warning"), hostname="box", procid=42, sequence=3)
    message = parse(raw)

    assert message.priority == 1 * 8 + 4  # facility user, severity warning
    assert message.timestamp == "2026-05-01T10:00:00.123456Z"
    assert (message.hostname, message.app, message.procid, message.msgid) == (
        "box",
        "tripbot-ledger",
        "42",
        "-",
    )
    assert message.structured[SD_ID] == {
        "service": "ledger",
        "level": "warning",
        "request_id": "req-000007",
    }
    assert message.sequence == 3
    assert json.loads(message.msg) == record(7, "warning")
    assert raw.isascii()


def test_structured_data_values_are_escaped_and_header_fields_kept_printable() -> None:
    odd = {**record(1), "request_id": 'a"b]c\\d', "service": "ev ents", "event": "ñandú\nx"}
    raw = format_rfc5424(odd, hostname="my host", default_service=None)
    message = parse(raw)

    assert message.structured[SD_ID]["request_id"] == 'a"b]c\\d'
    assert message.app == "tripbot-ev_ents"
    assert message.hostname == "my_host"
    assert json.loads(message.msg)["event"] == "ñandú\nx"
    assert b"\n" not in raw


def test_levels_map_to_syslog_severities_and_records_without_service_use_the_default() -> None:
    severities = {
        level: parse(format_rfc5424({"level": level}, hostname="h")).priority - 8
        for level in ("debug", "info", "warning", "error", "critical")
    }
    assert severities == {"debug": 7, "info": 6, "warning": 4, "error": 3, "critical": 2}
    bare = parse(format_rfc5424({"event": "x"}, hostname="h", default_service="gear"))
    assert bare.app == "tripbot-gear"
    assert parse(format_rfc5424({"event": "x"}, hostname="h")).app == "tripbot"


@pytest.mark.parametrize("protocol", ["udp", "tcp", "tls"])
def test_records_arrive_in_order_with_service_level_and_request_id(
    protocol: Protocol, tmp_path: Path, receivers: list[Receiver]
) -> None:
    receiver = start_receiver(receivers, protocol, tmp_path)
    forwarder = forwarder_to(receiver)
    for n in range(50):
        forwarder.submit(record(n, "error" if n % 10 == 0 else "info"))

    messages = receiver.wait_for(50)
    forwarder.close()
    assert [m.sequence for m in messages] == list(range(1, 51))
    assert {m.app for m in messages} == {"tripbot-ledger"}
    assert {m.hostname for m in messages} == {"test-host"}
    assert messages[10].structured[SD_ID] == {
        "service": "ledger",
        "level": "error",
        "request_id": "req-000010",
    }
    assert messages[10].priority == 11
    assert (forwarder.sent, forwarder.dropped) == (50, 0)


def test_newline_framing_for_hosts_that_want_it(tmp_path: Path, receivers: list[Receiver]) -> None:
    receiver = start_receiver(receivers, "tls", tmp_path, framing="newline")
    forwarder = forwarder_to(receiver)
    for n in range(5):
        forwarder.submit(record(n))
    assert len(receiver.wait_for(5)) == 5
    forwarder.close()


@pytest.mark.parametrize("protocol", ["tcp", "tls"])
def test_a_host_that_goes_away_and_comes_back_gets_what_fit_in_the_queue(
    protocol: Protocol, tmp_path: Path, receivers: list[Receiver]
) -> None:
    receiver = start_receiver(receivers, protocol, tmp_path)
    forwarder = forwarder_to(receiver, queue_size=20)
    for n in range(10):
        forwarder.submit(record(n))
    assert len(receiver.wait_for(10)) == 10

    receiver.stop()
    for n in range(10, 60):  # 50 records while the host is away; 20 fit in the queue
        forwarder.submit(record(n))
    dropped_while_away = forwarder.dropped
    receiver.start()
    assert len(receiver.wait_for(60 - dropped_while_away)) == 60 - dropped_while_away
    for n in range(60, 70):  # and 10 more once it is back and caught up
        forwarder.submit(record(n))

    messages = receiver.wait_for(70 - dropped_while_away)
    forwarder.close()
    received = {m.sequence for m in messages}
    lost = set(range(1, 71)) - received
    assert dropped_while_away >= 50 - 20 - 1  # the queue, plus the one the sender holds
    assert forwarder.dropped == dropped_while_away
    assert len(lost) == forwarder.dropped  # every missing record was counted as dropped
    assert set(range(61, 71)) <= received  # the host gets what is logged after it is back
    assert len(messages) == len(received)  # nothing twice


def test_udp_records_sent_while_the_host_is_away_are_lost_but_nothing_waits(
    tmp_path: Path, receivers: list[Receiver]
) -> None:
    receiver = start_receiver(receivers, "udp", tmp_path)
    forwarder = forwarder_to(receiver)
    forwarder.submit(record(0))
    assert len(receiver.wait_for(1)) == 1
    receiver.stop()
    for n in range(1, 21):
        forwarder.submit(record(n))
    while forwarder.queued:  # the sender goes on sending into the void
        threading.Event().wait(0.01)
    receiver.start()
    forwarder.submit(record(21))
    messages = receiver.wait_for(2)
    forwarder.close()
    assert messages[-1].sequence == 22
    assert forwarder.dropped == 0  # UDP cannot know: the loss is silent, as RFC 5426 says


def test_logging_never_waits_for_a_host_that_stops_reading(tmp_path: Path) -> None:
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen()
    target = SyslogTarget("127.0.0.1", stuck.getsockname()[1], "tcp", queue_size=100)
    forwarder = SyslogForwarder(target)

    def log_a_lot() -> None:
        big = {**record(0), "payload": "x" * 4000}
        for _ in range(5000):  # 20 MB: far more than the socket buffers hold
            forwarder.submit(big)

    writer = threading.Thread(target=log_a_lot)
    writer.start()
    writer.join(timeout=60)
    assert not writer.is_alive(), "logging blocked on a host that does not read"
    assert forwarder.dropped > 0
    stuck.close()
    forwarder.close(timeout=15)


def test_a_service_forwards_its_own_logs_over_tls(
    tmp_path: Path, receivers: list[Receiver]
) -> None:
    receiver = start_receiver(receivers, "tls", tmp_path)
    env = production_environment(
        TRIPBOT_LOG_LEVEL="INFO",
        TRIPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'events.db'}",
        TRIPBOT_SYSLOG_HOST="127.0.0.1",
        TRIPBOT_SYSLOG_PORT=str(receiver.port),
        TRIPBOT_SYSLOG_PROTOCOL="tls",
        TRIPBOT_SYSLOG_CA_FILE=str(receiver.ca_file),
    )
    process = Process("events", ["serve", "events"], env, free_port(), tmp_path / "events.log")
    process.start()
    try:
        answer = httpx.get(process.url + "/users/me", headers={"X-Request-ID": "trace-me-123"})
        assert answer.status_code == 401
        traced = receiver.wait_until(
            lambda m: m.structured[SD_ID].get("request_id") == "trace-me-123"
        )
    finally:
        process.stop()
    assert traced, "the request's access log did not reach the syslog host"
    access = traced[-1]
    assert access.app == "tripbot-events"
    assert access.structured[SD_ID]["service"] == "events"
    assert access.structured[SD_ID]["level"] == "info"
    assert json.loads(access.msg)["status"] == 401
    stdout = [json.loads(line) for line in process.log.read_text().splitlines() if line[:1] == "{"]
    assert any(line.get("request_id") == "trace-me-123" for line in stdout)


def test_a_service_whose_log_host_is_gone_still_answers_every_request(tmp_path: Path) -> None:
    dead_port = free_port()
    env = production_environment(
        TRIPBOT_LOG_LEVEL="INFO",
        TRIPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'events.db'}",
        TRIPBOT_SYSLOG_HOST="127.0.0.1",
        TRIPBOT_SYSLOG_PORT=str(dead_port),
        TRIPBOT_SYSLOG_PROTOCOL="tcp",
        TRIPBOT_SYSLOG_QUEUE_SIZE="10",
    )
    process = Process("events", ["serve", "events"], env, free_port(), tmp_path / "events.log")
    process.start()
    try:
        with httpx.Client(base_url=process.url) as http:
            statuses = [http.get("/users/me").status_code for _ in range(50)]
            metrics = http.get("/metrics").text
    finally:
        process.stop()
    assert statuses == [401] * 50
    dropped = [
        line for line in metrics.splitlines() if line.startswith("tripbot_log_records_dropped")
    ]
    assert dropped
    assert float(dropped[0].split()[-1]) > 0
