"""Structured logging: short readable lines on a terminal, one JSON object per line otherwise,
with the request id bound in, and optionally the same records forwarded to a syslog host
(RFC 5424 over UDP, TCP or TLS).

Forwarding never blocks the code that logs: records go to a bounded in-memory queue that a
background thread drains; when the queue is full (the host has been away too long) new records
are dropped and counted. The thread reconnects with exponential backoff. The first failure to
reach the host and every recovery are written once to stderr (a log host that cannot be reached
cannot be told so), and the destination's state is a metric and part of ``/readyz``.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import logging
import os
import queue
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

import structlog

from tripbot.platform.metrics import (
    LOG_DESTINATION_UP,
    LOG_RECORDS_DROPPED,
    LOG_RECORDS_FORWARDED,
)
from tripbot.platform.settings import Settings

_configured = False

FACILITY_USER = 1
SEVERITY = {
    "critical": 2,
    "exception": 3,
    "error": 3,
    "warning": 4,
    "warn": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}
SD_ID = "tripbot@32473"
"""SD-ID of TripBot's structured data. RFC 5424 private SD-IDs carry an IANA enterprise number;
TripBot has none, so it uses 32473, the number RFC 5612 sets aside for documentation."""
UDP_MAX_BYTES = 1024
"""Longest datagram sent: Papertrail's limit, and RFC 5426's safe size on any IPv4 path."""
STREAM_MAX_BYTES = 64 * 1024
"""Longest record sent over TCP or TLS (Papertrail accepts up to 100 000 bytes)."""
CONNECT_TIMEOUT = 5.0
SEND_TIMEOUT = 10.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
QUIET_LIBRARIES = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "waitress.queue": logging.ERROR,
    "alembic.runtime.plugins": logging.WARNING,
}
"""Libraries whose lines repeat what TripBot logs itself (httpx's "HTTP Request: ..." is a
second record of every internal call; waitress' queue depth is in the request durations), and
the lowest level of theirs that is written."""


@dataclass(frozen=True)
class SyslogTarget:
    """Where and how log records are forwarded."""

    host: str
    port: int
    protocol: Literal["udp", "tcp", "tls"] = "tls"
    framing: Literal["octet-counting", "newline"] = "octet-counting"
    ca_file: Path | None = None
    queue_size: int = 10_000


def syslog_target(settings: Settings) -> SyslogTarget | None:
    """The syslog host the settings name, if any."""
    if not settings.syslog_host:
        return None
    return SyslogTarget(
        host=settings.syslog_host,
        port=settings.syslog_port,
        protocol=settings.syslog_protocol,
        framing=settings.syslog_framing,
        ca_file=settings.syslog_ca_file,
        queue_size=settings.syslog_queue_size,
    )


def _header_field(value: object, limit: int) -> str:
    """An RFC 5424 header field: printable US-ASCII without spaces, or the nil value ``-``."""
    text = "".join(c if 33 <= ord(c) <= 126 else "_" for c in str(value or ""))[:limit]
    return text or "-"


def _param_value(value: object) -> str:
    r"""An SD-PARAM value with ``"``, ``\`` and ``]`` escaped as RFC 5424 section 6.3.3 asks."""
    text = str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _timestamp(value: object) -> str:
    """The record's RFC 3339 UTC timestamp (microseconds at most), or now."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_rfc5424(
    record: Mapping[str, Any],
    *,
    hostname: str,
    default_service: str | None = None,
    procid: int | None = None,
    sequence: int | None = None,
) -> bytes:
    """One record as an RFC 5424 message: the service as APP-NAME, the level as severity,
    service, level and request id as structured data, and the JSON record as MSG (ASCII)."""
    level = str(record.get("level", "info")).lower()
    service = record.get("service") or default_service
    priority = FACILITY_USER * 8 + SEVERITY.get(level, SEVERITY["info"])
    params = {"service": service or "-", "level": level}
    if record.get("request_id"):
        params["request_id"] = record["request_id"]
    structured = f"[{SD_ID}" + "".join(f' {k}="{_param_value(v)}"' for k, v in params.items())
    structured += "]"
    if sequence is not None:
        structured += f'[meta sequenceId="{sequence}"]'
    header = " ".join(
        (
            f"<{priority}>1",
            _timestamp(record.get("timestamp")),
            _header_field(hostname, 255),
            _header_field(f"tripbot-{service}" if service else "tripbot", 48),
            _header_field(procid if procid is not None else os.getpid(), 128),
            "-",
        )
    )
    message = json.dumps(record, default=str, ensure_ascii=True, separators=(",", ":"))
    return f"{header} {structured} {message}".encode("ascii")


class Transport(Protocol):
    """A connection to the syslog host."""

    def send(self, message: bytes) -> None:
        """Send one message, or raise OSError."""

    def close(self) -> None:
        """Release the connection."""


class UdpTransport:
    """One datagram per message (RFC 5426), truncated to ``UDP_MAX_BYTES``."""

    def __init__(self, host: str, port: int) -> None:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self._address = address
        self._socket = socket.socket(family, kind, proto)

    def send(self, message: bytes) -> None:
        """Send a datagram; nothing tells whether it arrived."""
        self._socket.sendto(message[:UDP_MAX_BYTES], self._address)

    def close(self) -> None:
        """Close the socket."""
        self._socket.close()


class StreamTransport:
    """TCP (RFC 6587) or TLS (RFC 5425), each message framed by its length or a newline."""

    def __init__(self, target: SyslogTarget) -> None:
        sock = socket.create_connection((target.host, target.port), timeout=CONNECT_TIMEOUT)
        if target.protocol == "tls":
            context = ssl.create_default_context(
                cafile=str(target.ca_file) if target.ca_file else None
            )
            try:
                sock = context.wrap_socket(sock, server_hostname=target.host)
            except (OSError, ssl.SSLError):
                sock.close()
                raise
        sock.settimeout(SEND_TIMEOUT)
        self._socket = sock
        self._newline = target.framing == "newline"

    def send(self, message: bytes) -> None:
        """Send one framed message, after checking that the host has not hung up."""
        if self._host_hung_up():
            raise ConnectionResetError("the syslog host closed the connection")
        message = message[:STREAM_MAX_BYTES]
        frame = message + b"\n" if self._newline else b"%d %s" % (len(message), message)
        self._socket.sendall(frame)

    def _host_hung_up(self) -> bool:
        """Whether the host closed the connection (a syslog host never sends data; TLS 1.3 may
        send session tickets after the handshake, which are no reason to reconnect)."""
        readable, _, _ = select.select([self._socket], [], [], 0)
        if not readable:
            return False
        self._socket.setblocking(False)
        try:
            return not self._socket.recv(4096)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        except OSError:
            return True
        finally:
            self._socket.settimeout(SEND_TIMEOUT)

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(OSError):
            self._socket.close()


def connect(target: SyslogTarget) -> Transport:
    """A new connection to the syslog host."""
    if target.protocol == "udp":
        return UdpTransport(target.host, target.port)
    return StreamTransport(target)


class SyslogForwarder:
    """Forwards records to a syslog host from a background thread; never blocks the caller."""

    def __init__(
        self,
        target: SyslogTarget,
        *,
        default_service: str | None = None,
        hostname: str | None = None,
        connector: Callable[[SyslogTarget], Transport] = connect,
        stderr: TextIO | None = None,
    ) -> None:
        self.target = target
        self.default_service = default_service
        self.hostname = hostname or socket.gethostname()
        self.dropped = 0
        self.sent = 0
        self.degraded = False
        """Whether the last attempt to reach the host failed."""
        self._failed_since: float | None = None
        self._dropped_at_last_send = 0
        self._stderr = stderr if stderr is not None else sys.stderr
        self._connector = connector
        self._queue: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue(target.queue_size)
        self._sequence = itertools.count(1)
        self._drop_lock = threading.Lock()
        self._stopping = threading.Event()
        self._transport: Transport | None = None
        self._thread = threading.Thread(target=self._run, name="syslog-forwarder", daemon=True)
        self._thread.start()

    def submit(self, record: Mapping[str, Any]) -> None:
        """Queue a record for the host; if the queue is full, drop it and count it."""
        try:
            self._queue.put_nowait((next(self._sequence), dict(record)))
        except queue.Full:
            self._count_drop()

    def _count_drop(self) -> None:
        with self._drop_lock:
            self.dropped += 1
        LOG_RECORDS_DROPPED.inc()

    @property
    def queued(self) -> int:
        """Records waiting to be sent."""
        return self._queue.qsize()

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued for at most ``timeout`` seconds, then stop."""
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._forward()
        finally:
            if self._transport is not None:
                self._transport.close()

    def _forward(self) -> None:
        backoff = BACKOFF_FIRST
        pending: bytes | None = None
        while True:
            if pending is None:
                try:
                    sequence, record = self._queue.get(timeout=0.2)
                except queue.Empty:
                    if self._stopping.is_set():
                        return
                    continue
                try:
                    pending = self._encode(sequence, record)
                except Exception:  # a record that cannot be encoded is dropped, never fatal
                    self._count_drop()
                    continue
            try:
                if self._transport is None:
                    self._transport = self._connector(self.target)
                self._transport.send(pending)
            except OSError as error:
                if self._transport is not None:
                    self._transport.close()
                    self._transport = None
                self._failed(error)
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            pending = None
            backoff = BACKOFF_FIRST
            self.sent += 1
            LOG_RECORDS_FORWARDED.inc()
            if self.degraded or self._failed_since is None:
                self._recovered()
            self._dropped_at_last_send = self.dropped

    @property
    def _where(self) -> str:
        return f"{self.target.protocol}://{self.target.host}:{self.target.port}"

    def _say(self, line: str) -> None:
        """One line on stderr, never through logging (whose records are what is failing)."""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.write(f"tripbot[{os.getpid()}]: {line}\n")
            self._stderr.flush()

    def _failed(self, error: OSError) -> None:
        """The host could not be reached: said once per outage, not once per retry."""
        LOG_DESTINATION_UP.labels(self._where).set(0)
        if self.degraded:
            return
        self.degraded = True
        self._failed_since = time.monotonic()
        self._say(
            f"cannot send logs to the syslog host {self._where}: {error}. Retrying with backoff; "
            f"up to {self.target.queue_size} records wait, newer ones are dropped and counted "
            "(tripbot_log_records_dropped_total). Logs still go to stdout."
        )

    def _recovered(self) -> None:
        """A record reached the host: said once if it had been failing."""
        LOG_DESTINATION_UP.labels(self._where).set(1)
        if self._failed_since is None:
            self._failed_since = 0.0  # reached at the first try: nothing to say
            return
        if not self.degraded:
            return
        self.degraded = False
        away = time.monotonic() - self._failed_since
        self._say(
            f"logs reach the syslog host {self._where} again after {away:.0f} s; "
            f"{self.dropped - self._dropped_at_last_send} records were dropped meanwhile."
        )

    def _encode(self, sequence: int, record: dict[str, Any]) -> bytes:
        return format_rfc5424(
            record,
            hostname=self.hostname,
            default_service=self.default_service,
            sequence=(sequence - 1) % 2_147_483_647 + 1,
        )


_forwarder: SyslogForwarder | None = None


def active_forwarder() -> SyslogForwarder | None:
    """The process's syslog forwarder, if logs are forwarded."""
    return _forwarder


def log_destination() -> Literal["off", "ok", "degraded"]:
    """The state of the syslog host: not configured, reached, or failing (records wait)."""
    if _forwarder is None:
        return "off"
    return "degraded" if _forwarder.degraded else "ok"


def _forward(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Hand the record to the process's forwarder (a new one after a fork)."""
    if _forwarder is not None:
        _forwarder.submit(event_dict)
    return event_dict


def _new_forwarder_after_fork() -> None:
    """A forked worker gets a forwarder of its own: the parent's thread does not exist in it,
    and its queue and locks may have been copied mid-use."""
    global _forwarder  # noqa: PLW0603 - the process's one forwarder
    if _forwarder is not None:
        _forwarder = SyslogForwarder(_forwarder.target, default_service=_forwarder.default_service)
        atexit.register(_forwarder.close)


def _with_service(service: str) -> structlog.typing.Processor:
    def add_service(
        _logger: object, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


CONSOLE_HIDDEN = frozenset({"timestamp", "level", "event", "request_id", "service", "component"})
"""Fields a terminal line leaves out: the time and level are written in front, and the request
id, service and component matter when records of many processes are searched (JSON keeps them)."""
LEVEL_COLOURS = {"warning": "33", "error": "31", "critical": "31", "exception": "31"}


class ShortLines:
    """One short line per record for a person at a terminal: the local time, the level when it
    is not ``info``, then what happened; a request as ``12:03:04 GET /events/1 200 12 ms``."""

    def __init__(self, *, colours: bool) -> None:
        self.colours = colours

    def __call__(self, _logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> str:
        """The record as one line (an exception's traceback follows on its own lines)."""
        record = dict(event_dict)
        level = str(record.get("level", "info")).lower()
        words = [_local_clock(record.get("timestamp"))]
        if level != "info":
            words.append(self._paint(level.upper(), LEVEL_COLOURS.get(level, "2")))
        traceback = record.pop("exception", None)
        if record.get("event") == "request" and {"method", "path", "status"} <= record.keys():
            words += [str(record.pop("method")), str(record.pop("path")), str(record.pop("status"))]
            duration = record.pop("duration_ms", None)
            if isinstance(duration, int | float):
                words.append(f"{duration:.0f} ms")
        else:
            words.append(str(record.get("event", "")))
        words += [f"{key}={value}" for key, value in record.items() if key not in CONSOLE_HIDDEN]
        line = " ".join(words)
        return f"{line}\n{traceback}" if traceback else line

    def _paint(self, text: str, colour: str) -> str:
        return f"\x1b[{colour}m{text}\x1b[0m" if self.colours else text


def _local_clock(timestamp: object) -> str:
    """The record's time as HH:MM:SS on the machine's clock (what the person sees elsewhere)."""
    if isinstance(timestamp, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(timestamp).astimezone().strftime("%H:%M:%S")
    return datetime.now().astimezone().strftime("%H:%M:%S")


def renderer_for(fmt: str, stream: TextIO) -> Any:
    """JSON lines, or short readable lines; ``auto``: short lines on a terminal only."""
    terminal = stream.isatty()
    if fmt == "console" or (fmt == "auto" and terminal):
        return ShortLines(colours=terminal)
    return structlog.processors.JSONRenderer()


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    *,
    service: str | None = None,
    syslog: SyslogTarget | None = None,
) -> None:
    """Set up structlog and the standard library's root logger once per process.

    ``fmt`` is ``json``, ``console`` or ``auto`` (console on a terminal, JSON otherwise);
    ``service`` names the records of a process that runs one service; ``syslog`` forwards
    every record there too (always as JSON, whatever stdout gets).
    """
    global _configured, _forwarder  # noqa: PLW0603 - process-wide logging is configured once
    if _configured:
        return
    _configured = True
    renderer = renderer_for(fmt, sys.stdout)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if service:
        shared.append(_with_service(service))
    tail: list[Any] = [structlog.processors.format_exc_info]
    if syslog is not None:
        _forwarder = SyslogForwarder(syslog, default_service=service)
        atexit.register(_forwarder.close)
        os.register_at_fork(after_in_child=_new_forwarder_after_fork)
        tail.append(_forward)
    structlog.configure(
        processors=[*shared, *tail, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tail,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for library, lowest in QUIET_LIBRARIES.items():
        logging.getLogger(library).setLevel(max(lowest, root.level))
    logging.getLogger("alembic.runtime.migration").addFilter(_only_alembic_upgrades)


def _only_alembic_upgrades(record: logging.LogRecord) -> bool:
    """Alembic's "Running upgrade ..." lines, not the two it writes at every start."""
    return not str(record.msg).startswith(("Context impl", "Will assume"))


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A structured logger named after its component."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(component=name)
    return logger
