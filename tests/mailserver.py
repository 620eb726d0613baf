"""A real SMTP server on loopback (aiosmtpd) for the mail tests and benchmarks: it keeps what it
received, can refuse for a while (451) and can be stopped and started again on its port, as a
mail server that goes down and comes back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


@dataclass
class Received:
    """One message the server accepted: who it was for, and the message."""

    recipients: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        """The text of the plain or html alternative."""
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None, subtype
        assert found.get_content_subtype() == subtype, subtype
        content: str = found.get_content()
        return content


@dataclass
class MailServer:
    """An SMTP server on 127.0.0.1 that accepts every message."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refusing: bool = False
    """While true, DATA is answered 451 (a temporary failure)."""
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Its TRIPBOT_SMTP_URL."""
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message."""
        if self.refusing:
            return "451 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen (again) on its port."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until started again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages, once at least ``count`` have arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} mails arrived"
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def mail_server() -> Iterator[MailServer]:
    """A running mail server, stopped at the end."""
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class LoggingServer(MailServer):
    """A mail server that also writes each message's Message-ID on a line of a file (for a
    server in a process of its own, as the benchmark runs it)."""

    def __init__(self, port: int, log: str) -> None:
        super().__init__(port=port)
        self.log = log

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message and log its Message-ID."""
        answer = await super().handle_DATA(server, session, envelope)
        with open(self.log, "a", encoding="utf-8") as out:
            out.write(f"{self.received[-1].message['Message-ID']}\n")
        return answer


if __name__ == "__main__":  # python -m tests.mailserver PORT LOG: serve until killed
    import sys

    LoggingServer(int(sys.argv[1]), sys.argv[2]).start()
    threading.Event().wait()
