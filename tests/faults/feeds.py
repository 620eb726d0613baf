"""Reading a service's outbox feed the way TripBot's own readers do (with a system token,
signed with the system's private key)."""

from __future__ import annotations

from typing import Any

import httpx

from tripbot.platform.identity import SYSTEM, Destination, TokenSigner
from tripbot.platform.keys import private_key


def feed_entries(
    service: str, service_url: str, signing_key: str, event_id: int | None = None
) -> list[dict[str, Any]]:
    """Every change a service's ``/feed`` gives, page after page from the start, in feed order.

    The hook for "every outbox event reaches the bot exactly once": compare what a reader
    (the bot) received against this list.
    """
    signer = TokenSigner("system", private_key(signing_key))
    entries: list[dict[str, Any]] = []
    cursor = 0
    with httpx.Client(base_url=service_url, timeout=10) as http:
        while True:
            params: dict[str, Any] = {"after": cursor, "limit": 100}
            if event_id is not None:
                params["event_id"] = event_id
            signed = signer.header(SYSTEM, Destination.of(service, "GET", "/feed"))
            page = http.get("/feed", params=params, headers={"Authorization": signed})
            page.raise_for_status()
            body = page.json()
            entries.extend(body["entries"])
            if not body["entries"]:
                return entries
            cursor = body["cursor"]


def assert_exactly_once_in_order(entries: list[dict[str, Any]]) -> None:
    """Feed ids strictly increase: no change is given twice or out of order."""
    ids = [entry["id"] for entry in entries]
    assert ids == sorted(set(ids)), ids
