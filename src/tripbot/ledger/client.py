"""Typed client of the ledger service, for the gateway, the bot and other services."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from werkzeug.http import parse_options_header

from tripbot.ledger.schemas import (
    AuditPage,
    Balances,
    BudgetOut,
    BudgetUpdate,
    EntryCorrection,
    EntryCreate,
    EntryDetail,
    EntryOut,
    EntryPage,
    EntryQuery,
    ImportReport,
    LedgerExport,
    LedgerSettings,
    OpenPosition,
    PageQuery,
    ReceiptOut,
    Report,
    ReportTotals,
    Reversal,
    SettingsUpdate,
    Settlement,
    SettlementRecord,
    SettlementRecorded,
)
from tripbot.platform.client import ServiceClient
from tripbot.platform.idempotency import IDEMPOTENCY_HEADER


@dataclass(frozen=True)
class Download:
    """A file the ledger gives back: its bytes, type and name."""

    content: bytes
    content_type: str
    filename: str


def _key(key: str | None) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: key} if key else {}


class LedgerClient(ServiceClient):
    """Calls the ledger service for one principal (with their role in the event)."""

    @staticmethod
    def _base(event_id: int) -> str:
        return f"/events/{event_id}/ledger"

    def record_entry(self, event_id: int, data: EntryCreate, key: str | None = None) -> EntryOut:
        """Record an entry; retries with the same ``key`` record it once."""
        body = data.model_dump(mode="json", exclude_unset=True)
        answer = self.request(
            "POST", f"{self._base(event_id)}/entries", json=body, headers=_key(key)
        )
        return EntryOut.model_validate(answer.json())

    def entries(self, event_id: int, query: EntryQuery | None = None) -> EntryPage:
        """A page of entries, newest first."""
        params = (query or EntryQuery()).model_dump(mode="json", exclude_defaults=True)
        return self.get_model(EntryPage, f"{self._base(event_id)}/entries", params)

    def entry(self, event_id: int, entry_id: int) -> EntryDetail:
        """An entry with its revisions."""
        return self.get_model(EntryDetail, f"{self._base(event_id)}/entries/{entry_id}")

    def correct_entry(
        self, event_id: int, entry_id: int, data: EntryCorrection, key: str | None = None
    ) -> EntryOut:
        """Correct an entry (a new revision)."""
        body = data.model_dump(mode="json", exclude_unset=True)
        path = f"{self._base(event_id)}/entries/{entry_id}"
        return EntryOut.model_validate(
            self.request("PATCH", path, json=body, headers=_key(key)).json()
        )

    def reverse_entry(
        self, event_id: int, entry_id: int, data: Reversal, key: str | None = None
    ) -> EntryOut:
        """Reverse an entry."""
        path = f"{self._base(event_id)}/entries/{entry_id}/reverse"
        body = data.model_dump(mode="json")
        return EntryOut.model_validate(
            self.request("POST", path, json=body, headers=_key(key)).json()
        )

    def attach_receipt(
        self, event_id: int, entry_id: int, filename: str, content: bytes, content_type: str
    ) -> ReceiptOut:
        """Attach a receipt to an entry."""
        path = f"{self._base(event_id)}/entries/{entry_id}/receipts"
        files = {"file": (filename, content, content_type)}
        return ReceiptOut.model_validate(self.request("POST", path, files=files).json())

    def receipt(self, event_id: int, entry_id: int, receipt_id: int) -> Download:
        """A receipt's bytes."""
        path = f"{self._base(event_id)}/entries/{entry_id}/receipts/{receipt_id}"
        return _download(self.request("GET", path))

    def budget(self, event_id: int) -> BudgetOut:
        """The budget."""
        return self.get_model(BudgetOut, f"{self._base(event_id)}/budget")

    def set_budget(self, event_id: int, data: BudgetUpdate) -> BudgetOut:
        """Replace the budget."""
        return self.send_model("PUT", BudgetOut, f"{self._base(event_id)}/budget", data)

    def settings(self, event_id: int) -> LedgerSettings:
        """The ledger's settings."""
        return self.get_model(LedgerSettings, f"{self._base(event_id)}/settings")

    def change_settings(self, event_id: int, data: SettingsUpdate) -> LedgerSettings:
        """Change who may read the report."""
        return self.send_model("PATCH", LedgerSettings, f"{self._base(event_id)}/settings", data)

    def balances(self, event_id: int) -> Balances:
        """Every member's balance."""
        return self.get_model(Balances, f"{self._base(event_id)}/balances")

    def open_positions(self) -> list[OpenPosition]:
        """The events where the principal has money open, member or not any more."""
        return self.get_list(OpenPosition, "/ledger/positions")

    def settlement(self, event_id: int) -> Settlement:
        """The suggested transfers."""
        return self.get_model(Settlement, f"{self._base(event_id)}/settlement")

    def settle_up(
        self, event_id: int, data: SettlementRecord, key: str | None = None
    ) -> SettlementRecorded:
        """Record the suggested transfers."""
        body = data.model_dump(mode="json", exclude_unset=True)
        path = f"{self._base(event_id)}/settlement"
        return SettlementRecorded.model_validate(
            self.request("POST", path, json=body, headers=_key(key)).json()
        )

    def report(self, event_id: int) -> Report:
        """The report."""
        return self.get_model(Report, f"{self._base(event_id)}/report")

    def report_totals(self, event_id: int) -> ReportTotals:
        """The report's bottom line: income, costs and net result."""
        return self.get_model(ReportTotals, f"{self._base(event_id)}/report/totals")

    def audit(self, event_id: int, query: PageQuery | None = None) -> AuditPage:
        """A page of the audit trail."""
        params = (query or PageQuery()).model_dump(mode="json")
        return self.get_model(AuditPage, f"{self._base(event_id)}/audit", params)

    def export_json(self, event_id: int) -> LedgerExport:
        """Everything, as JSON."""
        return self.get_model(LedgerExport, f"{self._base(event_id)}/export.json")

    def export_csv(self, event_id: int) -> Download:
        """The active entries as CSV."""
        return _download(self.request("GET", f"{self._base(event_id)}/export.csv"))

    def import_csv(
        self,
        event_id: int,
        filename: str,
        content: bytes,
        dry_run: bool = False,
        key: str | None = None,
    ) -> ImportReport:
        """Import entries from a CSV file; a problem on any line stores nothing."""
        answer = self.request(
            "POST",
            f"{self._base(event_id)}/import",
            params={"dry_run": "true" if dry_run else "false"},
            files={"file": (filename, content, "text/csv")},
            headers=_key(key),
        )
        return ImportReport.model_validate(answer.json())


def _download(response: httpx.Response) -> Download:
    _, options = parse_options_header(response.headers.get("Content-Disposition", ""))
    return Download(
        content=response.content,
        content_type=response.headers.get("Content-Type", "application/octet-stream"),
        filename=options.get("filename") or "download",
    )
