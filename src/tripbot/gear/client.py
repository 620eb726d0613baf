"""Typed client of the gear service, for the gateway, the bot and other services."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tripbot.gear import OPERATIONS
from tripbot.gear import service as use_cases
from tripbot.gear.schemas import (
    Availability,
    CheckIn,
    CheckOut,
    HistoryOut,
    ImportResult,
    ItemCreate,
    ItemOut,
    ItemQuery,
    ItemUpdate,
    LoanOut,
    LoanQuery,
    PackingEntryCreate,
    PackingEntryOut,
    PackingEntryUpdate,
    PackingListOut,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
    UnitCreate,
    UnitOut,
    UnitUpdate,
    WindowQuery,
)
from tripbot.platform.client import ServiceClient
from tripbot.platform.idempotency import IDEMPOTENCY_HEADER


def _params(query: BaseModel) -> dict[str, Any]:
    return query.model_dump(mode="json", exclude_none=True)


class GearClient(ServiceClient):
    """Calls the gear service for one principal."""

    service = "gear"
    operations = OPERATIONS
    feed = use_cases.feed

    # ---- inventory

    def items(self, query: ItemQuery | None = None) -> list[ItemOut]:
        """The club's gear or an event's, with free counts over a window of days."""
        return self.get_list(ItemOut, "/items", _params(query or ItemQuery()))

    def create_item(self, data: ItemCreate) -> ItemOut:
        """Add gear."""
        return self.send_model("POST", ItemOut, "/items", data)

    def item(self, item_id: int) -> ItemOut:
        """One item and its stock."""
        return self.get_model(ItemOut, f"/items/{item_id}")

    def update_item(self, item_id: int, data: ItemUpdate) -> ItemOut:
        """Change an item."""
        return self.send_model("PATCH", ItemOut, f"/items/{item_id}", data)

    def retire_item(self, item_id: int) -> None:
        """Retire an item."""
        self.request("DELETE", f"/items/{item_id}")

    def export_items(self, event_id: int | None = None) -> str:
        """The inventory as CSV text."""
        params = {} if event_id is None else {"event_id": event_id}
        return self.request("GET", "/items.csv", params=params).text

    def import_items(self, data: bytes, event_id: int | None = None) -> ImportResult:
        """Add the items of an inventory CSV, all or none."""
        params = {} if event_id is None else {"event_id": event_id}
        response = self.request(
            "POST", "/items.csv", params=params, content=data, headers={"Content-Type": "text/csv"}
        )
        return ImportResult.model_validate(response.json())

    def photo(self, item_id: int) -> tuple[str, bytes]:
        """An item's photo: its content type and bytes."""
        response = self.request("GET", f"/items/{item_id}/photo")
        return response.headers.get("Content-Type", "application/octet-stream"), response.content

    def set_photo(self, item_id: int, data: bytes, content_type: str) -> ItemOut:
        """Give an item a photo."""
        response = self.request(
            "PUT", f"/items/{item_id}/photo", content=data, headers={"Content-Type": content_type}
        )
        return ItemOut.model_validate(response.json())

    def delete_photo(self, item_id: int) -> None:
        """Remove an item's photo."""
        self.request("DELETE", f"/items/{item_id}/photo")

    def availability(self, item_id: int, window: WindowQuery) -> Availability:
        """What is free of an item, day by day."""
        return self.get_model(Availability, f"/items/{item_id}/availability", _params(window))

    def history(self, item_id: int, unit_id: int | None = None) -> list[HistoryOut]:
        """What happened to an item or one of its units, newest first."""
        params = {} if unit_id is None else {"unit_id": unit_id}
        return self.get_list(HistoryOut, f"/items/{item_id}/history", params)

    def units(self, item_id: int) -> list[UnitOut]:
        """An item's units."""
        return self.get_list(UnitOut, f"/items/{item_id}/units")

    def add_unit(self, item_id: int, data: UnitCreate) -> UnitOut:
        """Add a unit to an item tracked by units."""
        return self.send_model("POST", UnitOut, f"/items/{item_id}/units", data)

    def update_unit(self, item_id: int, unit_id: int, data: UnitUpdate) -> UnitOut:
        """Relabel a unit or change its condition."""
        return self.send_model("PATCH", UnitOut, f"/items/{item_id}/units/{unit_id}", data)

    def retire_unit(self, item_id: int, unit_id: int) -> None:
        """Retire a unit for good."""
        self.request("DELETE", f"/items/{item_id}/units/{unit_id}")

    # ---- reservations and loans

    def reserve(
        self, data: ReservationCreate, idempotency_key: str | None = None
    ) -> ReservationOut:
        """Book gear for a range of days; Conflict (with ``available``) if not enough is free."""
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        response = self.request(
            "POST",
            "/reservations",
            json=data.model_dump(mode="json", exclude_unset=True),
            headers=headers,
        )
        return ReservationOut.model_validate(response.json())

    def reservations(self, query: ReservationQuery | None = None) -> list[ReservationOut]:
        """Reservations: one's own, an event's, or the club's (keepers)."""
        return self.get_list(ReservationOut, "/reservations", _params(query or ReservationQuery()))

    def reservation(self, reservation_id: int) -> ReservationOut:
        """One reservation."""
        return self.get_model(ReservationOut, f"/reservations/{reservation_id}")

    def cancel(self, reservation_id: int) -> ReservationOut:
        """Cancel a reservation not yet checked out."""
        return self.send_model("POST", ReservationOut, f"/reservations/{reservation_id}/cancel", {})

    def check_out(self, data: CheckOut) -> list[LoanOut]:
        """Hand gear out."""
        response = self.request(
            "POST", "/loans", json=data.model_dump(mode="json", exclude_unset=True)
        )
        return [LoanOut.model_validate(loan) for loan in response.json()]

    def check_in(self, loan_id: int, data: CheckIn) -> LoanOut:
        """Take gear back."""
        return self.send_model("POST", LoanOut, f"/loans/{loan_id}/check-in", data)

    def loans(self, query: LoanQuery | None = None) -> list[LoanOut]:
        """Loans: one's own, an event's, or the club's (keepers)."""
        return self.get_list(LoanOut, "/loans", _params(query or LoanQuery()))

    def overdue(self) -> list[LoanOut]:
        """Loans past their last day that the principal may see."""
        return self.get_list(LoanOut, "/loans/overdue")

    # ---- packing lists

    def packing_list(self, event_id: int) -> PackingListOut:
        """An event's packing list with its weights."""
        return self.get_model(PackingListOut, f"/events/{event_id}/packing-list")

    def add_entry(self, event_id: int, data: PackingEntryCreate) -> PackingEntryOut:
        """Add a line to an event's packing list."""
        return self.send_model("POST", PackingEntryOut, f"/events/{event_id}/packing-list", data)

    def update_entry(
        self, event_id: int, entry_id: int, data: PackingEntryUpdate
    ) -> PackingEntryOut:
        """Change a line of an event's packing list."""
        path = f"/events/{event_id}/packing-list/{entry_id}"
        return self.send_model("PATCH", PackingEntryOut, path, data)

    def remove_entry(self, event_id: int, entry_id: int) -> None:
        """Remove a line from an event's packing list."""
        self.request("DELETE", f"/events/{event_id}/packing-list/{entry_id}")

    def export_packing_list(self, event_id: int) -> str:
        """An event's packing list as LighterPack CSV text."""
        return self.request("GET", f"/events/{event_id}/packing-list.csv").text

    def import_packing_list(self, event_id: int, data: bytes) -> ImportResult:
        """Add the lines of a LighterPack CSV to an event's packing list, all or none."""
        response = self.request(
            "POST",
            f"/events/{event_id}/packing-list.csv",
            content=data,
            headers={"Content-Type": "text/csv"},
        )
        return ImportResult.model_validate(response.json())
