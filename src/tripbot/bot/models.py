"""Tables of the bot: chat bindings, processed updates, feed cursors, languages, reminders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tripbot.platform.db import UTCDateTime, new_metadata, utcnow
from tripbot.platform.replay import used_token_table

metadata = new_metadata()
used_tokens = used_token_table(metadata)


class Base(DeclarativeBase):
    """Tables of the bot share this metadata and no service's."""

    metadata = metadata


class ChatBinding(Base):
    """A Telegram group chat that follows one event: it gets its notifications."""

    __tablename__ = "chat_bindings"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    chat_title: Mapped[str] = mapped_column(String(255), default="")
    bound_by: Mapped[int] = mapped_column(Integer)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedUpdate(Base):
    """An update already handled: Telegram delivers at least once, we act at most once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FeedCursor(Base):
    """How far the bot has read a service's change feed."""

    __tablename__ = "feed_cursors"

    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatTold(Base):
    """The last change of a service's feed a chat was told of: a round interrupted half-way
    resumes after it, so nobody is told twice."""

    __tablename__ = "chats_told"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class ChatLanguage(Base):
    """A language chosen with /lang for a person (private) or a group chat."""

    __tablename__ = "chat_languages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(5))


class SentReminder(Base):
    """A reminder already sent (an event about to start, a loan overdue), so none goes twice."""

    __tablename__ = "sent_reminders"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    moment: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
