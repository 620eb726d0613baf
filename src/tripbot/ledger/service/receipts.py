"""Receipts attached to entries."""

from __future__ import annotations

from tripbot.ledger import OPERATIONS, store
from tripbot.ledger.models import (
    Receipt,
)
from tripbot.ledger.schemas import (
    RECEIPT_MEDIA_TYPES,
    ReceiptOut,
)
from tripbot.ledger.service.access import (
    is_organizer,
    member,
    require_involved,
)
from tripbot.platform.db import utcnow
from tripbot.platform.errors import (
    InvalidInput,
    Message,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from tripbot.platform.operations import Access, Call, Download, Upload

RECEIPT_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
"""The receipts accepted, by their first bytes: type and file extension (WebP is RIFF…WEBP)."""


def receipt_type(content: bytes) -> tuple[str, str] | None:
    """The content type and extension of a receipt, read from its first bytes (not its name)."""
    for magic, content_type, extension in RECEIPT_TYPES:
        if content.startswith(magic):
            return content_type, extension
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def _filename(name: str, extension: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?;').strip(" .")
    stem = cleaned.rsplit(".", 1)[0][:150] if "." in cleaned else cleaned[:150]
    return f"{stem or 'receipt'}{extension}"


@OPERATIONS.post(
    "/events/<int:event_id>/ledger/entries/<int:entry_id>/receipts",
    status=201,
    upload_limit="ledger_max_receipt_bytes",
    access=Access.EVENT,
)
def attach_receipt(call: Call, event_id: int, entry_id: int, file: Upload) -> ReceiptOut:
    """Attach a receipt: a PNG, JPEG or WebP image or a PDF, multipart field `file`.

    At most TRIPBOT_LEDGER_MAX_RECEIPT_BYTES bytes; its type is read from its bytes, not its
    name. Organizers attach to any entry, participants to their own.
    """
    uow = call.unit_of_work()
    principal = call.principal
    author = member(principal, event_id, Message("attach receipts"))
    upload, limit = file, call.settings.ledger_max_receipt_bytes
    content = upload.content
    if len(content) > limit:
        raise PayloadTooLarge(
            Message("a receipt may be at most {limit} bytes; this one has {size}"),
            field="file",
            limit=limit,
            size=len(content),
        )
    sniffed = receipt_type(content)
    if sniffed is None:
        raise InvalidInput(
            Message(
                "a receipt must be a PNG, JPEG or WebP image or a PDF; this file is none of them"
            ),
            field="file",
        )
    with uow:
        uow.lock_for_write()
        store.locked_book(uow, event_id)
        entry, _ = store.entry_row(uow, event_id, entry_id)
        if not is_organizer(principal) and entry.created_by != author:
            raise PermissionDenied(
                Message("a participant may attach receipts only to their own entries")
            )
        receipt = Receipt(
            entry_id=entry_id,
            event_id=event_id,
            filename=_filename(upload.filename, sniffed[1]),
            content_type=sniffed[0],
            size=len(content),
            data=content,
            uploaded_by=author,
            uploaded_at=utcnow(),
        )
        uow.session.add(receipt)
        uow.session.flush()
        summary = {"receipt_id": receipt.id, "filename": receipt.filename, "size": receipt.size}
        store.audit(uow, event_id, author, "receipt.attached", summary, entry_id=entry_id)
        store.changed(
            uow, "receipt.attached", event_id, {"entry_id": entry_id, "by": author, **summary}
        )
        answer = ReceiptOut.model_validate(receipt, from_attributes=True)
        uow.commit()
        return answer


@OPERATIONS.get(
    "/events/<int:event_id>/ledger/entries/<int:entry_id>/receipts/<int:receipt_id>",
    produces=RECEIPT_MEDIA_TYPES,
    access=Access.EVENT,
)
def receipt(call: Call, event_id: int, entry_id: int, receipt_id: int) -> Download:
    """Download a receipt (for those who may see its entry)."""
    uow = call.unit_of_work()
    principal = call.principal
    member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        stored = uow.session.get(Receipt, receipt_id)
        if book is None or stored is None or stored.entry_id != entry_id:
            raise NotFound(
                Message("entry {entry_id} has no receipt {receipt_id}"),
                entry_id=entry_id,
                receipt_id=receipt_id,
            )
        entry, _ = store.entry_row(uow, event_id, entry_id)
        require_involved(uow, principal, book, entry)
        return Download(stored.data, stored.content_type, stored.filename)
