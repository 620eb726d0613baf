"""A real syslog receiver on loopback (UDP, TCP or TLS), parsing RFC 5424 messages it gets."""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import trustme

RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<timestamp>\S+) (?P<hostname>\S+) (?P<app>\S+) (?P<procid>\S+) "
    r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+) (?P<msg>.*)",
    re.DOTALL,
)
SD_ELEMENT = re.compile(r"\[(?P<id>[^ \]]+)(?P<params>(?: [^= ]+=\"(?:[^\"\\]|\\.)*\")*)\]")
SD_PARAM = re.compile(r" (?P<name>[^= ]+)=\"(?P<value>(?:[^\"\\]|\\.)*)\"")


@dataclass
class Message:
    """One RFC 5424 message as received."""

    priority: int
    timestamp: str
    hostname: str
    app: str
    procid: str
    msgid: str
    structured: dict[str, dict[str, str]]
    msg: str

    @property
    def sequence(self) -> int:
        """The sender's ``meta sequenceId``."""
        return int(self.structured["meta"]["sequenceId"])


def parse(raw: bytes) -> Message:
    """Parse one message; fails the test if it is not RFC 5424."""
    match = RFC5424.fullmatch(raw.decode("utf-8"))
    assert match, f"not an RFC 5424 message: {raw!r}"
    structured: dict[str, dict[str, str]] = {}
    if match["sd"] != "-":
        for element in SD_ELEMENT.finditer(match["sd"]):
            structured[element["id"]] = {
                p["name"]: re.sub(r"\\(.)", r"\1", p["value"])
                for p in SD_PARAM.finditer(element["params"])
            }
    return Message(
        priority=int(match["pri"]),
        timestamp=match["timestamp"],
        hostname=match["hostname"],
        app=match["app"],
        procid=match["procid"],
        msgid=match["msgid"],
        structured=structured,
        msg=match["msg"],
    )


def split_octet_counted(buffer: bytearray) -> list[bytes]:
    """Take the complete ``LEN SP MSG`` frames off the front of a TCP buffer."""
    frames: list[bytes] = []
    while True:
        space = buffer.find(b" ")
        if space <= 0:
            return frames
        length = int(buffer[:space])
        end = space + 1 + length
        if len(buffer) < end:
            return frames
        frames.append(bytes(buffer[space + 1 : end]))
        del buffer[:end]


@dataclass
class Receiver:
    """A syslog server on 127.0.0.1 that keeps every message it gets; stop and start it again
    on the same port to play a log host that goes away and comes back."""

    protocol: Literal["udp", "tcp", "tls"]
    certificates: Path | None = None
    framing: Literal["octet-counting", "newline"] = "octet-counting"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    _server: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _connections: list[socket.socket] = field(default_factory=list)
    _running: threading.Event = field(default_factory=threading.Event)
    _context: ssl.SSLContext | None = None
    _ca: trustme.CA | None = None

    @property
    def ca_file(self) -> Path:
        """The CA certificate a client must trust (TLS only)."""
        assert self.certificates is not None
        return self.certificates / "ca.pem"

    def start(self) -> Receiver:
        """Listen (on the same port as before, if it ran already)."""
        if self.protocol == "tls" and self._context is None:
            assert self.certificates is not None
            self._ca = trustme.CA()
            self._ca.cert_pem.write_to_path(str(self.ca_file))
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
        kind = socket.SOCK_DGRAM if self.protocol == "udp" else socket.SOCK_STREAM
        server = socket.socket(socket.AF_INET, kind)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        self.port = server.getsockname()[1]
        if kind == socket.SOCK_STREAM:
            server.listen()
        server.settimeout(0.1)
        self._server = server
        self._running.set()
        target = self._datagrams if self.protocol == "udp" else self._accept
        self._spawn(target)
        return self

    def stop(self) -> None:
        """Close every connection and stop listening: the log host is gone."""
        self._running.clear()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        if self._server is not None:
            self._server.close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Message]:
        """The messages received, once there are at least ``count`` (or when time is up)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.messages)

    def wait_until(self, wanted: Callable[[Message], bool], timeout: float = 15.0) -> list[Message]:
        """The messages ``wanted`` picks, once there is one (or when time is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in list(self.messages) if wanted(m)]
            if found:
                return found
            time.sleep(0.01)
        return []

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _datagrams(self) -> None:
        assert self._server is not None
        while self._running.is_set():
            try:
                data = self._server.recv(65536)
            except TimeoutError:
                continue
            self.messages.append(parse(data))

    def _accept(self) -> None:
        assert self._server is not None
        while self._running.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            if self._context is not None:
                connection.settimeout(5)
                try:
                    connection = self._context.wrap_socket(connection, server_side=True)
                except (OSError, ssl.SSLError):
                    connection.close()
                    continue
            connection.settimeout(0.1)
            self._connections.append(connection)
            self._spawn(self._read, connection)

    def _read(self, connection: socket.socket) -> None:
        buffer = bytearray()
        while self._running.is_set():
            try:
                data = connection.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError:
                return
            if not data:
                return
            buffer += data
            if self.framing == "newline":
                *frames, rest = bytes(buffer).split(b"\n")
                buffer[:] = rest
            else:
                frames = split_octet_counted(buffer)
            self.messages.extend(parse(frame) for frame in frames)
