"""Telegram without Telegram: an in-process Bot API at python-telegram-bot's ``BaseRequest``
boundary, and builders of the updates Telegram would send.

The tests and ``tripbot bot console`` run the bot's real handlers over it; nothing else of
TripBot is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._bot import Bot
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT_ID = 7_000_000_001
BOT_USERNAME = "tripbot_test_bot"


@dataclass
class Sent:
    """One call the bot made to the Bot API, as Telegram received it."""

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        """The chat the call went to."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        """What the message says (text or caption)."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (label, callback data or URL), row after row."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = (markup or {}).get("inline_keyboard", [])
        return [
            (button["text"], button.get("callback_data") or button.get("url", ""))
            for row in rows
            for button in row
        ]


class FakeTelegram(BaseRequest):
    """Answers the Bot API calls the bot makes, like Telegram would, and records them."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._message_ids = itertools.count(1)
        self._refusals: list[tuple[str, int]] = []
        self._updates: asyncio.Queue[dict[str, Any]] | None = None
        self.unreachable = False
        """While true, every call fails as when the network or Telegram is down."""
        self.token_refused = False
        """While true, Telegram answers that the token is no bot's (401)."""
        self._waiting: list[dict[str, Any]] = []
        self._arrived: asyncio.Event | None = None

    def deliver(self, update: Update) -> None:
        """Keep an update for the bot's next getUpdates, as Telegram keeps what people send."""
        self._waiting.append(update.to_dict())
        if self._arrived is not None:
            self._arrived.set()

    @property
    def read_timeout(self) -> float | None:
        """Answers come at once."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def refuse_next(self, method: str, retry_after: int) -> None:
        """Make the next call of ``method`` fail with Telegram's 429 "retry after"."""
        self._refusals.append((method, retry_after))

    def break_next(self, method: str) -> None:
        """Make the next call of ``method`` fail as a network error would (a 502)."""
        self._refusals.append((method, 0))

    def messages(self, chat_id: int | None = None) -> list[Sent]:
        """What was sent to chats (to one chat if given), oldest first."""
        return [
            call
            for call in self.sent
            if call.method.startswith("send") and (chat_id is None or call.chat_id == chat_id)
        ]

    def clear(self) -> None:
        """Forget what was sent."""
        self.sent.clear()

    async def do_request(  # noqa: PLR0917 - PTB's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call."""
        name = url.rsplit("/", 1)[-1]
        if self.unreachable:
            raise NetworkError("httpx.ConnectError: [Errno 101] Network is unreachable")
        if self.token_refused:
            return 401, _json({"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = dict(request_data.parameters) if request_data else {}
        for index, (refused, retry_after) in enumerate(self._refusals):
            if refused == name and not retry_after:
                del self._refusals[index]
                return 502, _json({"ok": False, "error_code": 502, "description": "Bad Gateway"})
            if refused == name:
                del self._refusals[index]
                return 429, _json(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after},
                    }
                )
        if name == "getUpdates":
            return 200, _json({"ok": True, "result": await self._long_poll(params)})
        files = {}
        if request_data is not None and request_data.contains_files:
            for key, (filename, content, _mime) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[key] = (str(filename), data)
        self.sent.append(Sent(name, params, time.monotonic(), files))
        return 200, _json({"ok": True, "result": self._result(name, params, files)})

    async def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Updates kept for the bot, waiting for one as long as it asked (long polling)."""
        offset = int(params.get("offset") or 0)
        self._waiting = [u for u in self._waiting if u["update_id"] >= offset]
        if not self._waiting:
            self._arrived = self._arrived or asyncio.Event()
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout") or 0))
        if self.unreachable:
            raise NetworkError("httpx.ReadError: the connection was lost")
        return list(self._waiting)

    def _result(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "TripBot",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return []
        if method.startswith("send") or method.startswith("edit"):
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": _chat(int(params.get("chat_id", 0))),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "TripBot"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendLocation":
                message["location"] = {
                    "latitude": params["latitude"],
                    "longitude": params["longitude"],
                }
            if method == "sendDocument":
                filename = next(iter(files.values()))[0] if files else "file"
                message["document"] = {
                    "file_id": f"doc{message['message_id']}",
                    "file_unique_id": f"u{message['message_id']}",
                    "file_name": filename,
                }
            return message
        return True


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": f"Group {-chat_id}"}
    return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}


@dataclass
class TelegramUser:
    """Someone on Telegram, as updates describe them."""

    id: int
    first_name: str = "Ana"
    language_code: str = "es"
    username: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The user object of the Bot API."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data


class Updates:
    """Builds the updates Telegram sends: messages, commands, button presses."""

    def __init__(self, bot: Bot, first_update_id: int = 1) -> None:
        self._bot = bot
        self._ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1_000_000)

    def message(
        self,
        user: TelegramUser,
        text: str,
        *,
        chat_id: int | None = None,
        chat_title: str = "Club",
        update_id: int | None = None,
    ) -> Update:
        """A text message (a command if it starts with '/') in a private chat or a group."""
        chat_id = user.id if chat_id is None else chat_id
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "supergroup", "title": chat_title}
            if chat_id < 0
            else {"id": chat_id, "type": "private", "first_name": user.first_name}
        )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update({"message": message}, update_id)

    def press(
        self, user: TelegramUser, sent: Sent, label: str, *, update_id: int | None = None
    ) -> Update:
        """Someone presses the button with ``label`` under a message the bot sent."""
        data = dict(sent.buttons).get(label)
        if data is None:
            raise LookupError(f"no button {label!r} under {sent.text!r}: {sent.buttons}")
        chat_id = sent.chat_id or user.id
        message = {
            "message_id": next(self._message_ids),
            "date": int(sent.at),
            "chat": _chat(chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "TripBot"},
            "text": sent.text,
        }
        query = {
            "id": str(next(self._message_ids)),
            "from": user.as_json(),
            "chat_instance": str(chat_id),
            "data": data,
            "message": message,
        }
        return self._update({"callback_query": query}, update_id)

    def _update(self, body: dict[str, Any], update_id: int | None) -> Update:
        body["update_id"] = next(self._ids) if update_id is None else update_id
        update = Update.de_json(body, self._bot)
        assert update is not None
        return update
