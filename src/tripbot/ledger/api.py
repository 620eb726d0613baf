"""HTTP interface of the ledger service: thin handlers over the use cases."""

from __future__ import annotations

from collections.abc import Mapping

from apiflask import APIBlueprint, APIFlask
from flask import Response, request

from tripbot.events.client import EventsClient
from tripbot.ledger import positions, service
from tripbot.ledger.models import outbox
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
    upload_limit,
)
from tripbot.platform.client import ServiceConnection, peer
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.outbox import feed_blueprint
from tripbot.platform.settings import Settings
from tripbot.platform.web import (
    create_service_app,
    current_database,
    current_principal,
    current_settings,
    list_of,
)

bp = APIBlueprint("ledger", __name__, tag="Ledger", url_prefix="/events/<int:event_id>/ledger")
UPLOADS = ("ledger.attach_receipt", "ledger.import_entries")


def _uow() -> UnitOfWork:
    return current_database().unit_of_work()


def _events() -> EventsClient:
    return peer(EventsClient, "events")


def _upload(upload: FileUpload) -> service.Upload:
    return service.Upload(upload.file.filename or "", upload.file.read())


@bp.before_request
def _upload_limit() -> None:
    # A receipt may be larger than other bodies; the limit is set before the body is read.
    if request.endpoint in UPLOADS:
        request.max_content_length = upload_limit(current_settings())


@bp.post("/entries")
@bp.input(EntryCreate, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut, status_code=201)
def record_entry(event_id: int, data: EntryCreate, headers: Idempotency) -> EntryOut:
    """Record an entry."""
    return service.record_entry(
        _uow(), current_principal(), event_id, data, events=_events(), key=headers.idempotency_key
    )


@bp.get("/entries")
@bp.input(EntryQuery, location="query", arg_name="query")
@bp.output(EntryPage)
def list_entries(event_id: int, query: EntryQuery) -> EntryPage:
    """A page of entries."""
    return service.list_entries(_uow(), current_principal(), event_id, query)


@bp.get("/entries/<int:entry_id>")
@bp.output(EntryDetail)
def get_entry(event_id: int, entry_id: int) -> EntryDetail:
    """An entry with its revisions."""
    return service.get_entry(_uow(), current_principal(), event_id, entry_id)


@bp.patch("/entries/<int:entry_id>")
@bp.input(EntryCorrection, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut)
def correct_entry(
    event_id: int, entry_id: int, data: EntryCorrection, headers: Idempotency
) -> EntryOut:
    """Correct an entry (a new revision)."""
    return service.correct_entry(
        _uow(),
        current_principal(),
        event_id,
        entry_id,
        data,
        events=_events(),
        key=headers.idempotency_key,
    )


@bp.post("/entries/<int:entry_id>/reverse")
@bp.input(Reversal, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(EntryOut)
def reverse_entry(event_id: int, entry_id: int, data: Reversal, headers: Idempotency) -> EntryOut:
    """Reverse an entry."""
    return service.reverse_entry(
        _uow(), current_principal(), event_id, entry_id, data, key=headers.idempotency_key
    )


@bp.post("/entries/<int:entry_id>/receipts")
@bp.input(FileUpload, location="files", arg_name="upload")
@bp.output(ReceiptOut, status_code=201)
def attach_receipt(event_id: int, entry_id: int, upload: FileUpload) -> ReceiptOut:
    """Attach a receipt (PNG, JPEG, WebP or PDF)."""
    return service.attach_receipt(
        _uow(),
        current_principal(),
        event_id,
        entry_id,
        _upload(upload),
        limit=current_settings().ledger_max_receipt_bytes,
    )


@bp.get("/entries/<int:entry_id>/receipts/<int:receipt_id>")
@bp.doc(responses=RECEIPT_RESPONSES)
def receipt_file(event_id: int, entry_id: int, receipt_id: int) -> Response:
    """Download a receipt."""
    receipt, content = service.receipt_file(
        _uow(), current_principal(), event_id, entry_id, receipt_id
    )
    return attachment(content, receipt.content_type, receipt.filename)


@bp.get("/budget")
@bp.output(BudgetOut)
def budget(event_id: int) -> BudgetOut:
    """The budget."""
    return service.get_budget(_uow(), current_principal(), event_id, events=_events())


@bp.put("/budget")
@bp.input(BudgetUpdate, arg_name="data")
@bp.output(BudgetOut)
def set_budget(event_id: int, data: BudgetUpdate) -> BudgetOut:
    """Replace the budget."""
    return service.set_budget(_uow(), current_principal(), event_id, data, events=_events())


@bp.get("/settings")
@bp.output(LedgerSettings)
def settings(event_id: int) -> LedgerSettings:
    """The ledger's settings."""
    return service.get_settings(_uow(), current_principal(), event_id, events=_events())


@bp.patch("/settings")
@bp.input(SettingsUpdate, arg_name="data")
@bp.output(LedgerSettings)
def change_settings(event_id: int, data: SettingsUpdate) -> LedgerSettings:
    """Change who may read the report."""
    return service.change_settings(_uow(), current_principal(), event_id, data, events=_events())


@bp.get("/balances")
@bp.output(Balances)
def balances(event_id: int) -> Balances:
    """Every member's balance."""
    return service.balances(_uow(), current_principal(), event_id, events=_events())


@bp.get("/settlement")
@bp.output(Settlement)
def settlement(event_id: int) -> Settlement:
    """The suggested transfers."""
    return service.settlement(_uow(), current_principal(), event_id, events=_events())


@bp.post("/settlement")
@bp.input(SettlementRecord, arg_name="data")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(SettlementRecorded, status_code=201)
def settle_up(event_id: int, data: SettlementRecord, headers: Idempotency) -> SettlementRecorded:
    """Record the suggested transfers."""
    return service.settle_up(
        _uow(), current_principal(), event_id, data, events=_events(), key=headers.idempotency_key
    )


@bp.get("/report")
@bp.output(Report)
def report(event_id: int) -> Report:
    """The report."""
    return service.report(_uow(), current_principal(), event_id, events=_events())


@bp.get("/report/totals")
@bp.output(ReportTotals)
def report_totals(event_id: int) -> ReportTotals:
    """The report's bottom line: income, costs and net result."""
    return service.report_totals(_uow(), current_principal(), event_id, events=_events())


@bp.get("/audit")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(AuditPage)
def audit(event_id: int, query: PageQuery) -> AuditPage:
    """The audit trail."""
    return service.audit_trail(_uow(), current_principal(), event_id, query)


@bp.get("/export.json")
@bp.output(LedgerExport)
def export_json(event_id: int) -> LedgerExport:
    """Everything, as JSON."""
    return service.export_json(_uow(), current_principal(), event_id, events=_events())


@bp.get("/export.csv")
@bp.doc(responses=CSV_RESPONSES)
def export_csv(event_id: int) -> Response:
    """The entries as CSV."""
    text = service.export_csv(_uow(), current_principal(), event_id)
    return attachment(text.encode(), "text/csv; charset=utf-8", f"ledger-{event_id}.csv")


@bp.post("/import")
@bp.input(FileUpload, location="files", arg_name="upload")
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.input(Idempotency, location="headers", arg_name="headers")
@bp.output(ImportReport, status_code=201)
def import_entries(
    event_id: int, upload: FileUpload, query: ImportQuery, headers: Idempotency
) -> tuple[ImportReport, int]:
    """Import entries from CSV (``dry_run``: check only, 200)."""
    answer = service.import_csv(
        _uow(),
        current_principal(),
        event_id,
        _upload(upload),
        events=_events(),
        dry_run=query.dry_run,
        key=headers.idempotency_key,
    )
    return answer, 200 if answer.dry_run else 201


mine = APIBlueprint("ledger_mine", __name__, tag="Ledger", url_prefix="/ledger")


@mine.get("/positions")
@mine.output(list_of(OpenPosition))
def open_positions() -> list[OpenPosition]:
    """The events where the caller has money open, member or not any more."""
    return positions.open_positions(_uow(), current_principal())


def attachment(content: bytes, content_type: str, filename: str) -> Response:
    """A download: the bytes with their type, to be saved rather than shown."""
    response = Response(content, content_type=content_type)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


def create_app(
    settings: Settings, database: Database, peers: Mapping[str, ServiceConnection]
) -> APIFlask:
    """The ledger service application; it reaches the events service through ``peers``."""
    return create_service_app(
        "ledger", settings, database, [bp, mine, feed_blueprint(outbox)], peers
    )
