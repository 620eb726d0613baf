"""A TripBot that sends email through a real SMTP server on loopback, for the mail tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from tests.conftest import make_settings
from tests.mailserver import MailServer, mail_server
from tripbot.events.api import mail_sender
from tripbot.platform.mail import MailSender
from tripbot.system import System, build_embedded


@dataclass
class Mailing:
    """A TripBot that sends email, the SMTP server it sends to, and its sender."""

    system: System
    server: MailServer
    sender: MailSender

    def deliver(self) -> int:
        """Run the sender once (as its background round does); how many mails went out."""
        return self.sender.run_once()


def build_system(tmp_path: Path, database_urls: dict[str, str], **overrides: object) -> System:
    settings = make_settings(tmp_path, public_url="http://testserver", **overrides)
    return build_embedded(settings, database_urls, run_migrations=False)


@pytest.fixture
def mailing(tmp_path: Path, database_urls: dict[str, str]) -> Iterator[Mailing]:
    with mail_server() as server:
        system = build_system(
            tmp_path,
            database_urls,
            smtp_url=server.url,
            mail_from="Club de Montaña <tripbot@club.example>",
        )
        sender = mail_sender(system.runtimes["events"])
        assert sender is not None
        yield Mailing(system, server, sender)
        system.close()


@pytest.fixture
def mail_http(mailing: Mailing) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=mailing.system.gateway), base_url="http://testserver"
    ) as session:
        yield session


@pytest.fixture
def mail_client(mailing: Mailing) -> FlaskClient:
    return mailing.system.gateway.test_client()
