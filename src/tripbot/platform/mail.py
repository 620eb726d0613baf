"""Email: a mail outbox written in the same transaction as the change that calls for a mail,
and a sender that delivers it through SMTP in the background, retrying with backoff.

A mail server that is down loses nothing (the row waits, its next try later each time), and a
mail is never handed over twice by TripBot: exactly one process sends (the sender's lease, as
the feed followers have) and each row is marked sent in its own transaction as soon as the
server accepted it. The one window left is a crash between the server's acceptance and that
commit: the retry then carries the same Message-ID, by which mail programs drop duplicates.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from tripbot.platform.db import Database, UTCDateTime, utcnow
from tripbot.platform.lease import Lease, lease_for
from tripbot.platform.logging import get_logger
from tripbot.platform.smtp import SmtpTarget

log = get_logger("tripbot.mail")

BATCH = 50
"""Mails taken per round: a round sends them over one SMTP connection."""


def sender_domain(address: str) -> str:
    """The domain of a From address (``TripBot <noreply@club.example>`` → ``club.example``)."""
    return parseaddr(address)[1].rpartition("@")[2] or "tripbot.invalid"


def mail_outbox_table(metadata: MetaData) -> Table:
    """The mail outbox of a service, on that service's own metadata (its migrations create it)."""
    return Table(
        "mail_outbox",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("message_id", String(250), nullable=False, unique=True),
        Column("kind", String(40), nullable=False),
        Column("recipient", String(254), nullable=False),
        Column("subject", String(300), nullable=False),
        Column("text", Text, nullable=False),
        Column("html", Text, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("failed_at", UTCDateTime, nullable=True),
        Column("last_error", String(300), nullable=True),
        sqlite_autoincrement=True,
    )


@dataclass(frozen=True)
class Mail:
    """One mail to one person, already worded: a subject, a plain text and an HTML body."""

    recipient: str
    subject: str
    text: str
    html: str
    kind: str
    headers: Mapping[str, str] = field(default_factory=dict)


def enqueue(session: Session, outbox: Table, mail: Mail, domain: str) -> str:
    """Queue a mail in the caller's transaction (it is sent once that commits); its Message-ID."""
    message_id = make_msgid(domain=domain)
    now = utcnow()
    session.execute(
        insert(outbox).values(
            message_id=message_id,
            kind=mail.kind,
            recipient=mail.recipient,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            headers=dict(mail.headers),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    return message_id


def compose(row: Mapping[str, Any], sender: str) -> EmailMessage:
    """The message of an outbox row: plain text and HTML alternatives, UTF-8 throughout."""
    message = EmailMessage()  # the default policy encodes non-ASCII headers (RFC 2047) and bodies
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    message["Message-ID"] = row["message_id"]
    for name, value in dict(row["headers"]).items():
        message[name] = value
    # Quoted-printable: 7-bit safe through any relay, and the Spanish stays readable in the raw.
    message.set_content(row["text"], cte="quoted-printable")
    message.add_alternative(row["html"], subtype="html", cte="quoted-printable")
    return message


def _permanent(error: Exception) -> bool:
    """Whether the server refused the mail for good (5xx): trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


class MailSender:
    """Sends the outbox's due mails; one process at a time (the lease) in the background."""

    def __init__(
        self,
        database: Database,
        outbox: Table,
        target: SmtpTarget,
        sender: str,
        *,
        lease: Lease | None = None,
        backoff: float = 30.0,
        max_backoff: float = 3600.0,
        give_up_after: timedelta = timedelta(days=3),
        timeout: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.target = target
        self.sender = sender
        self.lease = lease or lease_for(database, "mail-sender")
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_after = give_up_after
        self.timeout = timeout
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _due(self) -> list[Mapping[str, Any]]:
        table = self.outbox
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(
                    table.c.sent_at.is_(None),
                    table.c.failed_at.is_(None),
                    table.c.next_attempt_at <= self.clock(),
                )
                .order_by(table.c.id)
                .limit(BATCH)
            )
            return [dict(row) for row in rows.mappings()]

    def _mark(self, row_id: int, **values: Any) -> None:
        with self.database.engine.begin() as connection:
            connection.execute(
                update(self.outbox).where(self.outbox.c.id == row_id).values(**values)
            )

    def _postpone(self, row: Mapping[str, Any], error: Exception) -> None:
        """Try again later, each time twice as late (up to ``max_backoff``); give up after
        ``give_up_after``, saying so in the log."""
        attempts = int(row["attempts"]) + 1
        now = self.clock()
        reason = f"{type(error).__name__}: {error}"[:300]
        if now - row["created_at"] >= self.give_up_after:
            log.error("mail.given_up", message_id=row["message_id"], kind=row["kind"], error=reason)
            self._mark(row["id"], attempts=attempts, failed_at=now, last_error=reason)
            return
        delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
        self._mark(
            row["id"],
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=reason,
        )

    def run_once(self) -> int:
        """Send every mail that is due; the number the server accepted."""
        due = self._due()
        if not due:
            return 0
        try:
            client = self.target.connect(self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail.server_unavailable", error=str(error), waiting=len(due))
            for row in due:
                self._postpone(row, error)
            return 0
        sent = 0
        try:
            for index, row in enumerate(due):
                try:
                    message = compose(row, self.sender)
                except ValueError as error:  # a header that cannot be written: never sendable
                    log.error("mail.unwritable", message_id=row["message_id"], error=str(error))
                    self._mark(row["id"], failed_at=self.clock(), last_error=str(error)[:300])
                    continue
                try:
                    client.send_message(message)
                except (OSError, smtplib.SMTPException) as error:
                    if _permanent(error):
                        log.error("mail.refused", message_id=row["message_id"], error=str(error))
                        self._mark(row["id"], failed_at=self.clock(), last_error=str(error)[:300])
                        continue
                    # The connection is gone or the server is busy: the rest wait as well.
                    log.warning("mail.send_failed", message_id=row["message_id"], error=str(error))
                    for waiting in due[index:]:
                        self._postpone(waiting, error)
                    break
                # Marked at once, in its own transaction: a crash later resends none of these.
                self._mark(row["id"], sent_at=self.clock(), attempts=int(row["attempts"]) + 1)
                sent += 1
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        if sent:
            log.info("mail.sent", count=sent)
        return sent

    def start(self, interval: float) -> threading.Thread:
        """Send in a background thread, a round every ``interval`` seconds while this process
        holds the lease, until stopped."""

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    self._round()
                    self._stop.wait(interval)
            finally:
                self.lease.release()

        thread = threading.Thread(target=loop, name="mail-sender", daemon=True)
        thread.start()
        self._thread = thread
        return thread

    def _round(self) -> None:
        try:
            if self.lease.acquire():
                self.run_once()
        except Exception:  # the database is away: try again next round
            log.exception("mail.round_failed")

    def stop(self, wait: float = 10.0) -> None:
        """Stop the background rounds, waiting up to ``wait`` seconds for the round under way
        to end and the lease to be released."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)
