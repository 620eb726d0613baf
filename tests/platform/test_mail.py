"""The mail outbox and its sender, through a real SMTP server on loopback, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, select

from tests.mailserver import MailServer, mail_server
from tripbot.platform.db import Database, utcnow
from tripbot.platform.mail import Mail, MailSender, compose, enqueue, mail_outbox_table
from tripbot.platform.smtp import SmtpTarget

SENDER = "Club de Montaña <tripbot@club.example>"
SPANISH = "Reunión en el refugio: ¿llevas crampones? Señal débil, café 3,50 €"


class Clock:
    """A clock the test moves forward, past the sender's backoff."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move on."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def outbox(scratch_database: Database) -> Table:
    metadata = MetaData()
    table = mail_outbox_table(metadata)
    metadata.create_all(scratch_database.engine)
    return table


@pytest.fixture
def server() -> Iterator[MailServer]:
    with mail_server() as running:
        yield running


def _queue(database: Database, outbox: Table, count: int, *, commit: bool = True) -> None:
    with database.unit_of_work() as uow:
        for n in range(count):
            mail = Mail(
                f"persona{n}@example.org",
                f"{SPANISH} #{n}",
                f"{SPANISH}\nhttps://tripbot.example/x/{n}",
                f"<p>{SPANISH}</p><p><a href='https://tripbot.example/x/{n}'>enlace</a></p>",
                "test",
                {"List-Unsubscribe": "<https://tripbot.example/u/1>"},
            )
            enqueue(uow.session, outbox, mail, "club.example")
        if commit:
            uow.commit()


def _sender(database: Database, outbox: Table, server: MailServer, clock: Clock) -> MailSender:
    return MailSender(database, outbox, SmtpTarget.parse(server.url), SENDER, clock=clock)


def _states(database: Database, outbox: Table) -> list[tuple[int, bool]]:
    with database.engine.connect() as connection:
        rows = connection.execute(select(outbox.c.attempts, outbox.c.sent_at).order_by(outbox.c.id))
        return [(attempts, sent is not None) for attempts, sent in rows]


@pytest.mark.parametrize(
    ("url", "security", "port", "user"),
    [
        ("smtp://mail.example", "plain", 25, None),
        ("smtp+starttls://ana%40club:p%3Ass@mail.example:2587", "starttls", 2587, "ana@club"),
        ("smtps://ana:secret@mail.example", "tls", 465, "ana"),
    ],
)
def test_smtp_urls_say_how_to_connect(url: str, security: str, port: int, user: str) -> None:
    target = SmtpTarget.parse(url)
    assert (target.security, target.host, target.port, target.username) == (
        security,
        "mail.example",
        port,
        user,
    )
    assert "secret" not in repr(target)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://mail.example:99999"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpTarget.parse(url)


def test_a_queued_mail_arrives_once_with_both_parts_in_utf8(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 1)
    sender = _sender(scratch_database, outbox, server, Clock())

    assert sender.run_once() == 1
    assert sender.run_once() == 0

    (received,) = server.wait_for(1)
    message = received.message
    assert received.recipients == ["persona0@example.org"]
    assert message["Subject"] == f"{SPANISH} #0"
    assert message["From"] == SENDER
    assert message["Message-ID"].endswith("@club.example>")
    assert message["Date"]
    assert message["List-Unsubscribe"] == "<https://tripbot.example/u/1>"
    assert message.get_content_type() == "multipart/alternative"
    assert received.part("plain").strip().endswith("https://tripbot.example/x/0")
    assert SPANISH in received.part("plain")
    assert "<a href='https://tripbot.example/x/0'>enlace</a>" in received.part("html")
    assert _states(scratch_database, outbox) == [(1, True)]


def test_a_mail_of_a_rolled_back_change_is_never_sent(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 1, commit=False)
    assert _sender(scratch_database, outbox, server, Clock()).run_once() == 0
    assert server.received == []


def test_a_server_that_is_down_loses_nothing_and_doubles_nothing(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 5)
    clock = Clock()
    sender = _sender(scratch_database, outbox, server, clock)
    server.stop()

    assert sender.run_once() == 0  # refused connection: each mail waits 30 s
    assert _states(scratch_database, outbox) == [(1, False)] * 5
    clock.advance(10)
    assert sender.run_once() == 0  # not due yet: no try at all
    assert _states(scratch_database, outbox) == [(1, False)] * 5
    clock.advance(25)
    assert sender.run_once() == 0  # second try, still down: now 60 s
    assert _states(scratch_database, outbox) == [(2, False)] * 5

    server.start()
    clock.advance(59)
    assert sender.run_once() == 0  # back, but the backoff still runs
    clock.advance(2)
    assert sender.run_once() == 5
    assert sender.run_once() == 0
    received = server.wait_for(5)
    assert sorted(r.recipients[0] for r in received) == [
        f"persona{n}@example.org" for n in range(5)
    ]
    assert len({r.message["Message-ID"] for r in received}) == 5
    assert _states(scratch_database, outbox) == [(3, True)] * 5


def test_a_temporary_refusal_is_tried_again(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 2)
    clock = Clock()
    sender = _sender(scratch_database, outbox, server, clock)
    server.refusing = True

    assert sender.run_once() == 0
    server.refusing = False
    clock.advance(31)

    assert sender.run_once() == 2
    assert len(server.wait_for(2)) == 2


def test_a_mail_is_given_up_after_days_of_trying(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 1)
    clock = Clock()
    sender = _sender(scratch_database, outbox, server, clock)
    server.stop()
    clock.advance(3 * 24 * 3600)

    sender.run_once()
    server.start()
    clock.advance(3600)

    assert sender.run_once() == 0
    with scratch_database.engine.connect() as connection:
        failed = connection.scalar(select(outbox.c.failed_at))
    assert failed is not None


def test_only_the_holder_of_the_lease_sends(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    _queue(scratch_database, outbox, 20)
    senders = [_sender(scratch_database, outbox, server, Clock()) for _ in range(2)]
    holding = [sender.lease.acquire() for sender in senders]
    assert holding == [True, False]
    for sender in senders:
        sender.start(0.01)
    try:
        received = server.wait_for(20)
    finally:
        for sender in senders:
            sender.stop()
    assert len(received) == 20
    assert len({r.message["Message-ID"] for r in received}) == 20


def test_compose_encodes_spanish_headers() -> None:
    row = {
        "recipient": "ana@example.org",
        "subject": SPANISH,
        "created_at": utcnow(),
        "message_id": "<1@club.example>",
        "headers": {},
        "text": SPANISH,
        "html": f"<p>{SPANISH}</p>",
    }
    raw = compose(row, SENDER).as_bytes()
    assert raw.isascii()  # encoded words and transfer encodings, never raw 8-bit
    assert b"=?utf-8?" in raw


def test_a_mail_that_cannot_be_written_fails_alone(
    scratch_database: Database, outbox: Table, server: MailServer
) -> None:
    with scratch_database.unit_of_work() as uow:
        bad = Mail("ana@example.org", "Hola", "x", "<p>x</p>", "test", {"X-Bad": "a\nBcc: b"})
        enqueue(uow.session, outbox, bad, "club.example")
        uow.commit()
    _queue(scratch_database, outbox, 1)
    sender = _sender(scratch_database, outbox, server, Clock())

    assert sender.run_once() == 1
    (received,) = server.wait_for(1)
    assert received.recipients == ["persona0@example.org"]
    with scratch_database.engine.connect() as connection:
        failed = connection.execute(select(outbox.c.failed_at, outbox.c.last_error)).first()
    assert failed is not None
    assert failed.failed_at is not None
