"""The public REST API of an event's ledger: entries, budget, balances and settlement."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, request

from tripbot.gateway import auth
from tripbot.gateway.uploads import allows_upload
from tripbot.ledger.client import Download, LedgerClient
from tripbot.ledger.schemas import (
    CSV_RESPONSES,
    RECEIPT_RESPONSES,
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
    FileUpload,
    Idempotency,
    ImportQuery,
    ImportReport,
    LedgerExport,
    LedgerSettings,
    PageQuery,
    ReceiptOut,
    Report,
    Reversal,
    SettingsUpdate,
    Settlement,
    SettlementRecord,
    SettlementRecorded,
    upload_limit,
)
from tripbot.platform.web import current_settings

bp = APIBlueprint("api_ledger", __name__, url_prefix="/api/v1", tag="Ledger")
BASE = "/events/<int:event_id>/ledger"
UPLOADS = ("api_ledger.attach_receipt", "api_ledger.import_entries")


@bp.before_request
def _upload_limit() -> None:
    # A receipt may be larger than other bodies; the limit is set before the body is read.
    if request.endpoint in UPLOADS:
        request.max_content_length = upload_limit(current_settings())


def _ledger(event_id: int) -> LedgerClient:
    """The ledger service, acting for the caller with their role in the event (404 if none)."""
    auth.require_user()
    return auth.services().ledger(auth.event_principal(event_id))


def _download(file: Download) -> Response:
    response = Response(file.content, content_type=file.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=file.filename)
    return response


@bp.post(f"{BASE}/entries")
@bp.input(EntryCreate, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut, status_code=201)
def record_entry(event_id: int, data: EntryCreate, headers: Idempotency) -> EntryOut:
    """Record an entry. Left out: today, the event's currency, paid (or collected) by you and,
    for an expense, split equally among every member. Participants record shared expenses
    they paid; organizers, any kind. Send an `Idempotency-Key` to retry safely."""
    return _ledger(event_id).record_entry(event_id, data, headers.idempotency_key)


@bp.get(f"{BASE}/entries")
@bp.input(EntryQuery, location="query", arg_name="query")
@bp.output(EntryPage)
def entries(event_id: int, query: EntryQuery) -> EntryPage:
    """Entries, newest first, filtered by kind, category, party, dates or words; paged."""
    return _ledger(event_id).entries(event_id, query)


@bp.get(f"{BASE}/entries/<int:entry_id>")
@bp.output(EntryDetail)
def entry(event_id: int, entry_id: int) -> EntryDetail:
    """An entry with every revision (who, when, what changed) and its double entry."""
    return _ledger(event_id).entry(event_id, entry_id)


@bp.patch(f"{BASE}/entries/<int:entry_id>")
@bp.input(EntryCorrection, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut)
def correct_entry(
    event_id: int, entry_id: int, data: EntryCorrection, headers: Idempotency
) -> EntryOut:
    """Correct an entry: the fields given replace the current ones in a new revision."""
    return _ledger(event_id).correct_entry(event_id, entry_id, data, headers.idempotency_key)


@bp.post(f"{BASE}/entries/<int:entry_id>/reverse")
@bp.input(Reversal, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut)
def reverse_entry(event_id: int, entry_id: int, data: Reversal, headers: Idempotency) -> EntryOut:
    """Reverse an entry (how an entry is deleted; its history stays)."""
    return _ledger(event_id).reverse_entry(event_id, entry_id, data, headers.idempotency_key)


@bp.post(f"{BASE}/entries/<int:entry_id>/receipts")
@allows_upload("ledger_max_receipt_bytes")
@bp.input(FileUpload, location="files", arg_name="upload")
@bp.output(ReceiptOut, status_code=201)
def attach_receipt(event_id: int, entry_id: int, upload: FileUpload) -> ReceiptOut:
    """Attach a receipt: a PNG, JPEG or WebP image or a PDF, multipart field `file`."""
    file = upload.file
    return _ledger(event_id).attach_receipt(
        event_id,
        entry_id,
        file.filename or "receipt",
        file.read(),
        file.mimetype or "application/octet-stream",
    )


@bp.get(f"{BASE}/entries/<int:entry_id>/receipts/<int:receipt_id>")
@bp.doc(responses=RECEIPT_RESPONSES)
def receipt(event_id: int, entry_id: int, receipt_id: int) -> Response:
    """Download a receipt."""
    return _download(_ledger(event_id).receipt(event_id, entry_id, receipt_id))


@bp.get(f"{BASE}/budget")
@bp.output(BudgetOut)
def budget(event_id: int) -> BudgetOut:
    """The budget: the amount planned per kind and category."""
    return _ledger(event_id).budget(event_id)


@bp.put(f"{BASE}/budget")
@bp.input(BudgetUpdate, arg_name="data")
@bp.output(BudgetOut)
def set_budget(event_id: int, data: BudgetUpdate) -> BudgetOut:
    """Replace the budget (organizers)."""
    return _ledger(event_id).set_budget(event_id, data)


@bp.get(f"{BASE}/settings")
@bp.output(LedgerSettings)
def settings(event_id: int) -> LedgerSettings:
    """The ledger's currency and who may read its report."""
    return _ledger(event_id).settings(event_id)


@bp.patch(f"{BASE}/settings")
@bp.input(SettingsUpdate, arg_name="data")
@bp.output(LedgerSettings)
def change_settings(event_id: int, data: SettingsUpdate) -> LedgerSettings:
    """Share the report with every member, or keep it to organizers (organizers)."""
    return _ledger(event_id).change_settings(event_id, data)


@bp.get(f"{BASE}/report")
@bp.output(Report)
def report(event_id: int) -> Report:
    """Totals per kind and category, budget vs actual, net result, cash by holder and over
    time."""
    return _ledger(event_id).report(event_id)


@bp.get(f"{BASE}/balances")
@bp.output(Balances)
def balances(event_id: int) -> Balances:
    """Each member's balance (positive: is owed), the treasury's and the event's own."""
    return _ledger(event_id).balances(event_id)


@bp.get(f"{BASE}/settlement")
@bp.output(Settlement)
def settlement(event_id: int) -> Settlement:
    """The fewest transfers that settle every member."""
    return _ledger(event_id).settlement(event_id)


@bp.post(f"{BASE}/settlement")
@bp.input(SettlementRecord, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(SettlementRecorded, status_code=201)
def settle_up(event_id: int, data: SettlementRecord, headers: Idempotency) -> SettlementRecorded:
    """Record the suggested transfers as done (organizers); balances come to zero."""
    return _ledger(event_id).settle_up(event_id, data, headers.idempotency_key)


@bp.get(f"{BASE}/audit")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(AuditPage)
def audit(event_id: int, query: PageQuery) -> AuditPage:
    """Everything done to the ledger, newest first."""
    return _ledger(event_id).audit(event_id, query)


@bp.get(f"{BASE}/export.json")
@bp.output(LedgerExport)
def export_json(event_id: int) -> LedgerExport:
    """Everything in the ledger, with every entry's history."""
    return _ledger(event_id).export_json(event_id)


@bp.get(f"{BASE}/export.csv")
@bp.doc(responses=CSV_RESPONSES)
def export_csv(event_id: int) -> Response:
    """The active entries as CSV."""
    return _download(_ledger(event_id).export_csv(event_id))


@bp.post(f"{BASE}/import")
@allows_upload("ledger_max_receipt_bytes")
@bp.input(FileUpload, location="files", arg_name="upload")
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(ImportReport, status_code=201)
def import_entries(
    event_id: int, upload: FileUpload, query: ImportQuery, headers: Idempotency
) -> tuple[ImportReport, int]:
    """Import entries from a spreadsheet's CSV (organizers), multipart field `file`. Any line
    with a problem stores nothing; the 422 answer lists every problem by line and column.
    `dry_run=true` checks without storing (200)."""
    file = upload.file
    answer = _ledger(event_id).import_csv(
        event_id, file.filename or "import.csv", file.read(), query.dry_run, headers.idempotency_key
    )
    return answer, 200 if answer.dry_run else 201
