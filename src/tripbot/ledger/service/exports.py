"""Everything in a ledger out as JSON or CSV, and entries in from a spreadsheet."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated

from tripbot.ledger import OPERATIONS, csvio, rules, store
from tripbot.ledger.money import format_minor
from tripbot.ledger.rules import Context, Plan
from tripbot.ledger.schemas import (
    ExportQuery,
    FieldProblem,
    ImportLine,
    ImportQuery,
    ImportReport,
    LedgerExport,
)
from tripbot.ledger.service.access import (
    events_of,
    member,
    organizer,
    require_report,
    rules_context,
)
from tripbot.ledger.service.balances import balances
from tripbot.ledger.service.budget import budget, settings
from tripbot.platform.db import utcnow
from tripbot.platform.errors import (
    InvalidInput,
    Message,
)
from tripbot.platform.language import current_language
from tripbot.platform.operations import QUERY, Access, Call, Download, IdempotencyKey, Upload


@OPERATIONS.get("/events/<int:event_id>/ledger/export.json", access=Access.EVENT)
def export_json(call: Call, event_id: int) -> LedgerExport:
    """Everything in the ledger, with every entry's history.

    Settings, budget, balances and every entry; organizers, and members when the report is
    shared.
    """
    member(call.principal, event_id, Message("export the ledger"))
    with call.unit_of_work() as uow:
        # The export's own refusal, before the budget would give its own.
        require_report(call.principal, store.find_book(uow, event_id), "export")
    lines = budget(call, event_id).lines
    kept = settings(call, event_id)
    sums = balances(call, event_id)
    with call.unit_of_work() as uow:
        entries = store.details(uow, kept.currency, store.all_current(uow, event_id))
    return LedgerExport(
        event_id=event_id,
        exported_at=utcnow(),
        settings=kept,
        budget=lines,
        balances=sums,
        entries=entries,
    )


_PLAIN_EXPORT = ExportQuery()


@OPERATIONS.get(
    "/events/<int:event_id>/ledger/export.csv", produces="text/csv", access=Access.EVENT
)
def export_csv(
    call: Call, event_id: int, query: Annotated[ExportQuery, QUERY] = _PLAIN_EXPORT
) -> Download:
    """The active entries as CSV, in the columns the import reads.

    `spreadsheet=true`: the form a spreadsheet opens as columns in the caller's language (a byte
    order mark; in Spanish `;` between cells and decimal commas). The import reads both.
    """
    dialect = csvio.spreadsheet_dialect(current_language()) if query.spreadsheet else csvio.PLAIN
    uow = call.unit_of_work()
    principal = call.principal
    member(principal, event_id, Message("export the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        require_report(principal, book, "export")
        if book is None:
            return _csv(csvio.write([], dialect), event_id)
        rows = [(e, r) for e, r in store.all_current(uow, event_id) if e.state == "active"]
        allocations = store.allocations_of(uow, [r.id for _, r in rows])
        names = store.names_of(uow, event_id)
        lines = [
            csvio.row(
                entry.id,
                revision.number,
                store.plan_of(revision, allocations[revision.id]),
                names,
                book.currency,
            )
            for entry, revision in rows
        ]
        return _csv(csvio.write(lines, dialect), event_id)


def _csv(text: str, event_id: int) -> Download:
    return Download(text.encode(), "text/csv; charset=utf-8", f"ledger-{event_id}.csv")


def _import_lines(
    parsed: Sequence[csvio.ParsedLine], context: Context
) -> tuple[list[ImportLine], list[Plan]]:
    lines: list[ImportLine] = []
    plans: list[Plan] = []
    for line in parsed:
        problems = list(line.problems)
        if line.entry is not None:
            try:
                plans.append(rules.plan(line.entry, context))
            except InvalidInput as error:
                problems += [
                    FieldProblem(
                        field=e["field"],
                        message=" ".join(e["messages"]),
                        message_id=e.get("message_id"),
                        values=e.get("values") or {},
                    )
                    for e in error.extensions.get("errors", [])
                ]
        lines.append(
            ImportLine(line=line.line, entry_id=None, description=line.description, errors=problems)
        )
    return lines, plans


@OPERATIONS.post(
    "/events/<int:event_id>/ledger/import",
    status=201,
    status_of=lambda answer: 200 if answer.dry_run else 201,
    upload_limit="ledger_max_receipt_bytes",
    access=Access.EVENT,
)
def import_csv(
    call: Call,
    event_id: int,
    file: Upload,
    query: Annotated[ImportQuery, QUERY],
    key: IdempotencyKey = None,
) -> ImportReport:
    """Import entries from a spreadsheet's CSV (organizers), multipart field `file`.

    Any line with a problem stores nothing; the 422 answer lists every problem by line and column.
    `dry_run=true` checks without storing (200).
    """
    uow = call.unit_of_work()
    principal = call.principal
    events = events_of(call)
    upload, dry_run = file, query.dry_run
    author = organizer(principal, event_id, Message("import entries"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        digest = hashlib.sha256(upload.content).hexdigest()
        earlier = store.replay(
            uow,
            principal,
            event_id,
            "import",
            key=key,
            payload={"sha256": digest, "dry_run": dry_run},
            model=ImportReport,
        )
        if earlier is not None:
            return earlier
        names = store.sync_people(uow, event_id, members)
        try:
            parsed = csvio.parse(upload.content, names)
        except csvio.CsvError as error:
            raise InvalidInput(error.message, field="file", **error.values) from error
        lines, plans = _import_lines(parsed, rules_context(event, book, members, principal, names))
        wrong = [line for line in lines if line.errors]
        if wrong:
            first = wrong[0]
            raise InvalidInput(
                Message(
                    "{wrong} of {total} lines have problems, nothing was imported; "
                    "line {line}: {column}: {problem}"
                ),
                field="file",
                lines=[line.model_dump() for line in wrong],
                wrong=len(wrong),
                total=len(lines),
                line=first.line,
                column=first.errors[0].field,
                problem=first.errors[0].message,
            )
        if dry_run:
            return ImportReport(dry_run=True, created=0, lines=lines)
        ids = store.new_entries(uow, event_id, author, len(plans))
        items: list[store.RevisionItem] = [
            (i, 1, "created", p, "", {}) for i, p in zip(ids, plans, strict=True)
        ]
        store.write_revisions(uow, event_id, author, items)
        lines = [
            line.model_copy(update={"entry_id": i}) for line, i in zip(lines, ids, strict=True)
        ]
        total = format_minor(sum(p.book_amount for p in plans), book.currency)
        summary = {"count": len(ids), "first_entry_id": ids[0], "last_entry_id": ids[-1]}
        store.audit(uow, event_id, author, "entries.imported", {**summary, "total": total})
        store.changed(
            uow,
            "entries.imported",
            event_id,
            {
                **summary,
                "total": total,
                "currency": book.currency,
                "by": author,
                "by_name": store.name_of(names, author),
            },
        )
        answer = ImportReport(dry_run=False, created=len(ids), lines=lines)
        store.remember(uow, principal, event_id, "import", key=key, answer=answer)
        uow.commit()
        return answer
