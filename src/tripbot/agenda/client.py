"""Typed client of the agenda service, for the gateway, the bot and other services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tripbot.agenda import OPERATIONS
from tripbot.agenda import service as use_cases
from tripbot.agenda.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityUpdate,
    CalendarFile,
    ConflictOut,
    FeedTokenOut,
    NowNextOut,
    PlaceCreate,
    PlaceOut,
    PlaceUpdate,
)
from tripbot.platform.client import ServiceClient


class AgendaClient(ServiceClient):
    """Calls the agenda service for one principal."""

    service = "agenda"
    operations = OPERATIONS
    feed = use_cases.feed

    def places(self, event_id: int) -> list[PlaceOut]:
        """An event's places."""
        return self.get_list(PlaceOut, f"/events/{event_id}/places")

    def add_place(self, event_id: int, data: PlaceCreate) -> PlaceOut:
        """Give an event a new place."""
        return self.send_model("POST", PlaceOut, f"/events/{event_id}/places", data)

    def change_place(self, event_id: int, place_id: int, data: PlaceUpdate) -> PlaceOut:
        """Change a place."""
        return self.send_model("PATCH", PlaceOut, f"/events/{event_id}/places/{place_id}", data)

    def remove_place(self, event_id: int, place_id: int) -> None:
        """Remove a place no activity uses."""
        self.request("DELETE", f"/events/{event_id}/places/{place_id}")

    def activities(
        self, event_id: int, *, day: date | None = None, place_id: int | None = None
    ) -> list[ActivityOut]:
        """An event's activities, of one day (in the event's time zone) and/or place."""
        params: dict[str, Any] = {}
        if day is not None:
            params["day"] = day.isoformat()
        if place_id is not None:
            params["place_id"] = place_id
        return self.get_list(ActivityOut, f"/events/{event_id}/activities", params)

    def add_activity(self, event_id: int, data: ActivityCreate) -> ActivityOut:
        """Put an activity on the timetable."""
        return self.send_model("POST", ActivityOut, f"/events/{event_id}/activities", data)

    def activity(self, event_id: int, activity_id: int) -> ActivityOut:
        """One activity."""
        return self.get_model(ActivityOut, f"/events/{event_id}/activities/{activity_id}")

    def change_activity(self, event_id: int, activity_id: int, data: ActivityUpdate) -> ActivityOut:
        """Change an activity (fields set in ``data`` only)."""
        return self.send_model(
            "PATCH", ActivityOut, f"/events/{event_id}/activities/{activity_id}", data
        )

    def cancel_activity(self, event_id: int, activity_id: int) -> ActivityOut:
        """Cancel an activity."""
        return self.send_model(
            "POST", ActivityOut, f"/events/{event_id}/activities/{activity_id}/cancel", {}
        )

    def remove_activity(self, event_id: int, activity_id: int) -> None:
        """Delete an activity."""
        self.request("DELETE", f"/events/{event_id}/activities/{activity_id}")

    def conflicts(self, event_id: int) -> list[ConflictOut]:
        """What in the timetable deserves a warning."""
        return self.get_list(ConflictOut, f"/events/{event_id}/agenda/conflicts")

    def now(self, event_id: int, *, at: datetime | None = None, limit: int = 3) -> NowNextOut:
        """What is happening at an instant (now by default) and what comes next."""
        params: dict[str, Any] = {"limit": limit}
        if at is not None:
            params["at"] = at.isoformat()
        return self.get_model(NowNextOut, f"/events/{event_id}/agenda/now", params)

    def feed_token(self, event_id: int) -> FeedTokenOut:
        """The principal's calendar feed token (NotFound if they have none)."""
        return self.get_model(FeedTokenOut, f"/events/{event_id}/agenda/feed-token")

    def issue_feed_token(self, event_id: int) -> FeedTokenOut:
        """A new calendar feed token; the previous one stops working."""
        return self.send_model("POST", FeedTokenOut, f"/events/{event_id}/agenda/feed-token", {})

    def revoke_feed_token(self, event_id: int) -> None:
        """Stop the principal's calendar feed token from working."""
        self.request("DELETE", f"/events/{event_id}/agenda/feed-token")

    def calendar(
        self, event_id: int, *, token: str | None = None, if_none_match: str | None = None
    ) -> CalendarFile:
        """The agenda as iCalendar; ``body`` is None when ``if_none_match`` is current."""
        response = self.request(
            "GET",
            f"/events/{event_id}/agenda.ics",
            params={"token": token} if token is not None else None,
            headers={"If-None-Match": if_none_match} if if_none_match else None,
        )
        etag = response.headers.get("ETag", "").removeprefix("W/").strip('"')
        return CalendarFile(etag=etag, body=response.text if response.status_code == 200 else None)

    def schedule(self, event_id: int) -> dict[str, Any]:
        """The agenda as a frab/c3voc schedule document."""
        document: dict[str, Any] = self.request("GET", f"/events/{event_id}/agenda.json").json()
        return document
