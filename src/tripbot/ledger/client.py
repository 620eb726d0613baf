"""Typed client of the ledger service, for the gateway, the bot and other services: its
operations, reached over HTTP or in process."""

from __future__ import annotations

from tripbot.ledger import OPERATIONS
from tripbot.ledger import service as ledger
from tripbot.platform.client import ServiceClient
from tripbot.platform.operations import Download

__all__ = ["Download", "LedgerClient"]


class LedgerClient(ServiceClient):
    """Calls the ledger service for one principal (with their role in the event)."""

    service = "ledger"
    operations = OPERATIONS

    record_entry = ledger.entries.record_entry
    entries = ledger.entries.entries
    entry = ledger.entries.entry
    correct_entry = ledger.entries.correct_entry
    reverse_entry = ledger.entries.reverse_entry
    dispute_entry = ledger.disputes.dispute_entry
    confirm_entry = ledger.disputes.confirm_entry
    attach_receipt = ledger.receipts.attach_receipt
    receipt = ledger.receipts.receipt
    budget = ledger.budget.budget
    set_budget = ledger.budget.set_budget
    settings = ledger.budget.settings
    change_settings = ledger.budget.change_settings
    balances = ledger.balances.balances
    open_positions = ledger.positions.open_positions
    settlement = ledger.balances.settlement
    settle_up = ledger.balances.settle_up
    record_payment = ledger.payments.record_payment
    report = ledger.reports.report
    report_totals = ledger.reports.report_totals
    audit = ledger.reports.audit
    export_json = ledger.exports.export_json
    export_csv = ledger.exports.export_csv
    import_csv = ledger.exports.import_csv
    import_from_app = ledger.switching.import_from_app
    export_ihatemoney = ledger.switching.export_ihatemoney
