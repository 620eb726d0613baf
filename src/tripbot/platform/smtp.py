"""Where TripBot hands its mail over: the server named by ``TRIPBOT_SMTP_URL``."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["plain", "starttls", "tls"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
"""The URL schemes of ``TRIPBOT_SMTP_URL``: how the connection is secured, and its usual port."""


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to hand mail over: from ``smtp://``, ``smtp+starttls://`` or ``smtps://``."""

    security: Security
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """The target a URL names, or ValueError saying what is wrong with it."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError("the SMTP URL must start with smtp://, smtp+starttls:// or smtps://")
        if not parts.hostname:
            raise ValueError("the SMTP URL names no host")
        try:
            port = parts.port
        except ValueError as error:
            raise ValueError("the SMTP URL's port is not a port number") from error
        security, default_port = SCHEMES[parts.scheme]
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(security, parts.hostname, port or default_port, username, password)

    def connect(self, timeout: float) -> smtplib.SMTP:
        """An open, secured and logged-in SMTP connection."""
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username is not None:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client
