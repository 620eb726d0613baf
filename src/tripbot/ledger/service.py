"""Use cases of the ledger service. Each runs in one unit of work and raises domain errors.

Event-scoped calls carry the caller's role in the event (the gateway puts it in the token). What
the ledger needs from the events service (the event's currency, dates and members) is asked
before the unit of work begins, so no lock is held while another service answers.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import ValidationError
from sqlalchemy import Select, case, delete, exists, func, or_, select

from tripbot.events.schemas import EventOut, MemberOut
from tripbot.ledger import csvio, rules, store
from tripbot.ledger.models import (
    Allocation,
    AuditRecord,
    Balance,
    Book,
    BudgetLine,
    Entry,
    Receipt,
    Revision,
)
from tripbot.ledger.money import MAX_AMOUNT, MoneyError, format_minor, parse_decimal, to_minor
from tripbot.ledger.rules import Context, Plan, party_key
from tripbot.ledger.schemas import (
    TREASURY,
    AuditOut,
    AuditPage,
    Balances,
    BudgetLineOut,
    BudgetOut,
    BudgetUpdate,
    CategoryLine,
    DayPoint,
    EntryCorrection,
    EntryCreate,
    EntryDetail,
    EntryOut,
    EntryPage,
    EntryQuery,
    FieldProblem,
    HolderCash,
    ImportLine,
    ImportReport,
    KindTotal,
    LedgerExport,
    LedgerSettings,
    MemberBalance,
    PageQuery,
    PartyAmount,
    PartyRef,
    ReceiptOut,
    Report,
    ReportTotals,
    Reversal,
    SettingsUpdate,
    Settlement,
    SettlementRecord,
    SettlementRecorded,
    TransferOut,
)
from tripbot.ledger.settle import Transfer, settle
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from tripbot.platform.identity import EVENT_ROLE_RANK, Principal

RECEIPT_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
"""The receipts accepted, by their first bytes: type and file extension (WebP is RIFF…WEBP)."""
KIND_ORDER = ("sale", "donation", "sponsorship", "investment", "purchase", "expense", "transfer")
"""The order kinds are reported in: income, capital, costs, internal."""


class Events(Protocol):
    """What the ledger asks the events service (its typed client is one)."""

    def event(self, event_id: int) -> EventOut:
        """The event, as the asker sees it."""
        ...

    def members(self, event_id: int) -> list[MemberOut]:
        """The event's members."""
        ...


@dataclass(frozen=True)
class Upload:
    """A file someone sent: its name as they gave it, and its bytes."""

    filename: str
    content: bytes


# ---- who may do what --------------------------------------------------------------------------


def _member(principal: Principal, event_id: int, action: Message) -> int:
    principal.require_event_role(event_id, "participant", action)
    return principal.require_user()


def _organizer(principal: Principal, event_id: int, action: Message) -> int:
    principal.require_event_role(event_id, "organizer", action)
    return principal.require_user()


def _is_organizer(principal: Principal) -> bool:
    return EVENT_ROLE_RANK.get(principal.event_role or "", 0) >= EVENT_ROLE_RANK["organizer"]


def _sees_all(principal: Principal, book: Book | None) -> bool:
    return _is_organizer(principal) or (book is not None and book.visibility == "members")


Shared = Literal["budget", "report", "audit trail", "export"]
_KEPT_BACK: dict[Shared, Message] = {
    "budget": Message(
        "the organizers keep the budget to themselves; ask them to share it with members"
    ),
    "report": Message(
        "the organizers keep the report to themselves; ask them to share it with members"
    ),
    "audit trail": Message(
        "the organizers keep the audit trail to themselves; ask them to share it with members"
    ),
    "export": Message(
        "the organizers keep the export to themselves; ask them to share it with members"
    ),
}
"""The refusal to show participants a report the organizers did not share, by report (one
whole sentence each, so that each translates as a whole)."""

Change = Literal["correct", "reverse"]
_NOT_YOURS: dict[Change, Message] = {
    "correct": Message("a participant may correct only the entries they recorded"),
    "reverse": Message("a participant may reverse only the entries they recorded"),
}
"""The refusal to let a participant change an entry someone else recorded, by change."""


def _require_report(principal: Principal, book: Book | None, what: Shared) -> None:
    if not _sees_all(principal, book):
        raise PermissionDenied(_KEPT_BACK[what])


def _require_involved(uow: UnitOfWork, principal: Principal, book: Book, entry: Entry) -> None:
    """Participants who may not see everything see only the entries that involve them."""
    if _sees_all(principal, book):
        return
    me = principal.require_user()
    involved = entry.created_by == me or uow.session.scalar(
        select(
            exists().where(
                Allocation.revision_id == Revision.id,
                Revision.entry_id == entry.id,
                Allocation.user_id == me,
            )
        )
    )
    if not involved:
        raise NotFound(
            Message("there is no entry {entry_id} in event {event_id}"),
            entry_id=entry.id,
            event_id=entry.event_id,
        )


def _editable(principal: Principal, entry: Entry, action: Change) -> None:
    if entry.state == "reversed":
        raise Conflict(
            Message("entry {entry_id} was reversed; record a new entry instead"),
            entry_id=entry.id,
        )
    if not _is_organizer(principal) and entry.created_by != principal.require_user():
        raise PermissionDenied(_NOT_YOURS[action])


def _currency(uow: UnitOfWork, events: Events, event_id: int) -> str:
    book = store.find_book(uow, event_id)
    return book.currency if book else events.event(event_id).currency


def _context(
    event: EventOut,
    book: Book,
    members: Sequence[MemberOut],
    principal: Principal,
    also: dict[int, str] | None = None,
) -> Context:
    """What the rules need: the event's dates in its own time zone, who may take part, who asks.

    ``also`` are people who may appear though they are no longer members (those already in the
    entry being corrected, or in the balances being settled).
    """
    current = {m.user_id: m.display_name for m in members}
    return Context(
        book_currency=book.currency,
        starts_on=store.local_day(event.starts_at, event.timezone),
        ends_on=store.local_day(event.ends_at, event.timezone),
        today=store.local_day(utcnow(), event.timezone),
        members={**(also or {}), **current},
        current=frozenset(current),
        author=principal.require_user(),
        organizer=_is_organizer(principal),
    )


# ---- entries ----------------------------------------------------------------------------------


def record_entry(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    data: EntryCreate,
    *,
    events: Events,
    key: str | None = None,
) -> EntryOut:
    """Record an entry. Organizers record any kind; participants, shared expenses they paid.

    A retried request with the same ``key`` records nothing more and gets the same answer.
    """
    author = _member(principal, event_id, Message("record entries"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = data.model_dump(mode="json")
        earlier = store.replay(
            uow, principal, event_id, "record", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        names = store.sync_people(uow, event_id, members)
        plan = rules.plan(data, _context(event, book, members, principal))
        (entry_id,) = store.new_entries(uow, event_id, author, 1)
        store.write_revisions(uow, event_id, author, [(entry_id, 1, "created", plan, "", {})])
        summary = store.summary(plan, names)
        store.audit(uow, event_id, author, "entry.recorded", summary, entry_id=entry_id, revision=1)
        payload = store.change_payload(plan, entry_id, names, book, author)
        store.changed(uow, "entry.recorded", event_id, payload)
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "record", key=key, answer=answer)
        uow.commit()
        return answer


def _involving(user_id: int) -> Any:
    return or_(
        Entry.created_by == user_id,
        exists().where(Allocation.revision_id == Revision.id, Allocation.user_id == user_id),
    )


def _filtered(
    query: EntryQuery, event_id: int, principal: Principal, book: Book | None
) -> Select[Entry, Revision]:
    statement = (
        select(Entry, Revision).join(Revision, store.is_current()).where(Entry.event_id == event_id)
    )
    if query.state != "all":
        statement = statement.where(Entry.state == query.state)
    if query.kind:
        statement = statement.where(Revision.kind == query.kind)
    if query.category is not None:
        statement = statement.where(Revision.category == query.category)
    if query.date_from:
        statement = statement.where(Revision.date >= query.date_from)
    if query.date_to:
        statement = statement.where(Revision.date <= query.date_to)
    if query.q:
        escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Revision.description.ilike(f"%{escaped}%", escape="\\"))
    if query.party is not None:
        key = party_key(query.party)
        who = Allocation.user_id.is_(None) if key is None else Allocation.user_id == key
        statement = statement.where(exists().where(Allocation.revision_id == Revision.id, who))
    if not _sees_all(principal, book):
        statement = statement.where(_involving(principal.require_user()))
    return statement


def list_entries(
    uow: UnitOfWork, principal: Principal, event_id: int, query: EntryQuery
) -> EntryPage:
    """A page of an event's entries, newest first, with filters (participants see those that
    involve them, unless the organizers share everything)."""
    _member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            return EntryPage(items=[], total=0, limit=query.limit, offset=query.offset)
        statement = _filtered(query, event_id, principal, book)
        total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = uow.session.execute(
            statement.order_by(Revision.date.desc(), Entry.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        items = store.entries_out(uow, book.currency, list(rows))
        return EntryPage(items=items, total=total, limit=query.limit, offset=query.offset)


def get_entry(uow: UnitOfWork, principal: Principal, event_id: int, entry_id: int) -> EntryDetail:
    """One entry with its revisions and its current double entry."""
    _member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            raise NotFound(
                Message("there is no entry {entry_id} in event {event_id}"),
                entry_id=entry_id,
                event_id=event_id,
            )
        entry, revision = store.entry_row(uow, event_id, entry_id)
        _require_involved(uow, principal, book, entry)
        return store.details(uow, book.currency, [(entry, revision)])[0]


def _schema_problems(error: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            field=".".join(str(part) for part in detail["loc"]) or "body",
            message=str(detail["msg"]).removeprefix("Value error, "),
        )
        for detail in error.errors()
    ]


def _merge(before: dict[str, Any], correction: EntryCorrection) -> EntryCreate:
    """The current revision with the correction's fields laid over it."""
    given = correction.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    merged = {**before, **given}
    kind, in_kind = merged["kind"], merged["in_kind"]
    # What the new kind has no use for is dropped, unless the correction says it.
    unused = {
        "paid_by": kind in rules.INFLOWS or in_kind,
        "received_by": kind in rules.OUTFLOWS or in_kind,
        "split": kind not in rules.OUTFLOWS,
        "rate": merged["currency"] != before["currency"],
    }
    for name, drop in unused.items():
        if drop and name not in given:
            merged[name] = None
    try:
        return EntryCreate.model_validate({k: v for k, v in merged.items() if v is not None})
    except ValidationError as error:
        raise rules.invalid(_schema_problems(error)) from error


def correct_entry(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    entry_id: int,
    data: EntryCorrection,
    *,
    events: Events,
    key: str | None = None,
) -> EntryOut:
    """Correct an entry: a new revision that says who changed what, when and why; the previous
    revision's legs are reversed and the new ones written. Organizers correct any entry,
    participants those they recorded."""
    author = _member(principal, event_id, Message("correct entries"))
    event, members = events.event(event_id), events.members(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = {"entry_id": entry_id, **data.model_dump(mode="json", exclude_unset=True)}
        earlier = store.replay(
            uow, principal, event_id, "correct", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        entry, previous = store.entry_row(uow, event_id, entry_id, lock=True)
        _editable(principal, entry, "correct")
        names = store.sync_people(uow, event_id, members)
        old = store.plan_of(previous, store.allocations_of(uow, [previous.id])[previous.id])
        already = (*old.paid, *old.received, *old.shares)
        also = {s.party: store.name_of(names, s.party) for s in already if s.party is not None}
        context = _context(event, book, members, principal, also)
        new = rules.plan(_merge(store.as_input(old), data), context)
        old_words, new_words = store.summary(old, names), store.summary(new, names)
        changes = {k: [v, new_words[k]] for k, v in old_words.items() if v != new_words[k]}
        if not changes:
            raise Conflict(
                Message("the correction changes nothing in entry {entry_id}"), entry_id=entry_id
            )
        number = entry.revision + 1
        item = (entry_id, number, "corrected", new, data.reason, changes)
        (revision_id,) = store.write_revisions(uow, event_id, author, [item])
        store.reverse_legs(uow, event_id, previous.id, revision_id)
        entry.revision = number
        summary = {"changes": changes, "reason": data.reason}
        store.audit(
            uow, event_id, author, "entry.corrected", summary, entry_id=entry_id, revision=number
        )
        payload = {**store.change_payload(new, entry_id, names, book, author), **summary}
        store.changed(uow, "entry.corrected", event_id, {**payload, "revision": number})
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "correct", key=key, answer=answer)
        uow.commit()
        return answer


def reverse_entry(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    entry_id: int,
    data: Reversal,
    *,
    key: str | None = None,
) -> EntryOut:
    """Reverse an entry (the way to delete one): its legs are negated, its history stays."""
    author = _member(principal, event_id, Message("reverse entries"))
    with uow:
        uow.lock_for_write()
        book = store.locked_book(uow, event_id)
        payload = {"entry_id": entry_id, **data.model_dump(mode="json")}
        earlier = store.replay(
            uow, principal, event_id, "reverse", key=key, payload=payload, model=EntryOut
        )
        if earlier is not None:
            return earlier
        entry, previous = store.entry_row(uow, event_id, entry_id, lock=True)
        _editable(principal, entry, "reverse")
        plan = store.plan_of(previous, store.allocations_of(uow, [previous.id])[previous.id])
        number = entry.revision + 1
        item = (entry_id, number, "reversed", plan, data.reason, {"state": ["active", "reversed"]})
        (revision_id,) = store.write_revisions(uow, event_id, author, [item], legs=False)
        store.reverse_legs(uow, event_id, previous.id, revision_id)
        entry.revision, entry.state = number, "reversed"
        names = store.names_of(uow, event_id, [author])
        summary = {"reason": data.reason, **store.summary(plan, names)}
        store.audit(
            uow, event_id, author, "entry.reversed", summary, entry_id=entry_id, revision=number
        )
        payload = store.change_payload(plan, entry_id, names, book, author)
        store.changed(uow, "entry.reversed", event_id, {**payload, "reason": data.reason})
        answer = store.entry_out(uow, book, entry_id)
        store.remember(uow, principal, event_id, "reverse", key=key, answer=answer)
        uow.commit()
        return answer


# ---- receipts ---------------------------------------------------------------------------------


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


def attach_receipt(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    entry_id: int,
    upload: Upload,
    *,
    limit: int,
) -> ReceiptOut:
    """Attach a receipt (PNG, JPEG, WebP or PDF, at most ``limit`` bytes) to an entry; its type
    is read from its bytes. Organizers attach to any entry, participants to their own."""
    author = _member(principal, event_id, Message("attach receipts"))
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
        if not _is_organizer(principal) and entry.created_by != author:
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


def receipt_file(
    uow: UnitOfWork, principal: Principal, event_id: int, entry_id: int, receipt_id: int
) -> tuple[ReceiptOut, bytes]:
    """A receipt and its bytes, for those who may see its entry."""
    _member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        receipt = uow.session.get(Receipt, receipt_id)
        if book is None or receipt is None or receipt.entry_id != entry_id:
            raise NotFound(
                Message("entry {entry_id} has no receipt {receipt_id}"),
                entry_id=entry_id,
                receipt_id=receipt_id,
            )
        entry, _ = store.entry_row(uow, event_id, entry_id)
        _require_involved(uow, principal, book, entry)
        return ReceiptOut.model_validate(receipt, from_attributes=True), receipt.data


# ---- budget and settings ----------------------------------------------------------------------


def _budget_out(uow: UnitOfWork, event_id: int, currency: str) -> BudgetOut:
    lines = uow.session.scalars(
        select(BudgetLine)
        .where(BudgetLine.event_id == event_id)
        .order_by(BudgetLine.kind, BudgetLine.category)
    )
    return BudgetOut(
        currency=currency,
        lines=[
            BudgetLineOut.model_validate(
                {
                    "kind": line.kind,
                    "category": line.category,
                    "planned": format_minor(line.planned, currency),
                }
            )
            for line in lines
        ],
    )


def get_budget(
    uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events
) -> BudgetOut:
    """An event's budget (organizers, and members when the report is shared)."""
    _member(principal, event_id, Message("read the budget"))
    with uow:
        _require_report(principal, store.find_book(uow, event_id), "budget")
        return _budget_out(uow, event_id, _currency(uow, events, event_id))


def _planned(data: BudgetUpdate, currency: str) -> dict[tuple[str, str], int]:
    problems: list[FieldProblem] = []
    planned: dict[tuple[str, str], int] = {}
    for index, line in enumerate(data.lines):
        where = f"lines.{index}.planned"
        try:
            value = parse_decimal(line.planned)
            minor = to_minor(value, currency)
        except MoneyError as error:
            problems.append(FieldProblem(field=where, message=str(error)))
            continue
        if not 0 <= value <= MAX_AMOUNT:
            problems.append(FieldProblem(field=where, message=f"must be from 0 to {MAX_AMOUNT:,}"))
        if (line.kind, line.category) in planned:
            message = f"{line.kind} in category {line.category!r} is already planned above"
            problems.append(FieldProblem(field=f"lines.{index}", message=message))
        planned[(line.kind, line.category)] = minor
    if problems:
        raise rules.invalid(problems)
    return planned


def set_budget(
    uow: UnitOfWork, principal: Principal, event_id: int, data: BudgetUpdate, *, events: Events
) -> BudgetOut:
    """Replace an event's budget (organizers); before and after stay in the audit trail."""
    author = _organizer(principal, event_id, Message("change the budget"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        planned = _planned(data, book.currency)
        before = _budget_out(uow, event_id, book.currency)
        uow.session.execute(delete(BudgetLine).where(BudgetLine.event_id == event_id))
        uow.session.add_all(
            BudgetLine(event_id=event_id, kind=kind, category=category, planned=amount)
            for (kind, category), amount in planned.items()
        )
        uow.session.flush()
        after = _budget_out(uow, event_id, book.currency)
        summary = {
            "before": [line.model_dump() for line in before.lines],
            "after": [line.model_dump() for line in after.lines],
        }
        store.audit(uow, event_id, author, "budget.changed", summary)
        total = format_minor(sum(planned.values()), book.currency)
        store.changed(
            uow,
            "budget.changed",
            event_id,
            {
                "lines": len(planned),
                "planned_total": total,
                "currency": book.currency,
                "by": author,
            },
        )
        uow.commit()
        return after


def get_settings(
    uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events
) -> LedgerSettings:
    """An event ledger's currency and who may read its report."""
    _member(principal, event_id, Message("read the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        if book is None:
            return LedgerSettings(currency=events.event(event_id).currency, visibility="organizers")
        return LedgerSettings.model_validate(book, from_attributes=True)


def change_settings(
    uow: UnitOfWork, principal: Principal, event_id: int, data: SettingsUpdate, *, events: Events
) -> LedgerSettings:
    """Share the report with every member, or keep it to the organizers (organizers)."""
    author = _organizer(principal, event_id, Message("change who reads the report"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        if book.visibility != data.visibility:
            summary = {"visibility": [book.visibility, data.visibility]}
            book.visibility = data.visibility
            store.audit(uow, event_id, author, "settings.changed", summary)
            store.changed(
                uow,
                "ledger.settings_changed",
                event_id,
                {"visibility": data.visibility, "by": author},
            )
        uow.commit()
        return LedgerSettings.model_validate(book, from_attributes=True)


# ---- balances and settlement ------------------------------------------------------------------


def _sums(uow: UnitOfWork, event_id: int) -> tuple[dict[int, int], int, int]:
    """Every member's balance, the treasury's and the event's own: one read of the running
    totals, however many entries there are."""
    rows = uow.session.execute(
        select(Balance.account, Balance.user_id, Balance.amount).where(Balance.event_id == event_id)
    )
    members: dict[int, int] = {}
    treasury = own = 0
    for account, user_id, amount in rows:
        if account == "member":
            members[user_id] = amount
        elif account == "treasury":
            treasury = amount
        else:
            own += amount
    return members, treasury, own


def balances(uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events) -> Balances:
    """Each member's balance (positive: is owed), the treasury's and the event's own; their sum
    is always exactly zero. Participants see only their own unless the report is shared."""
    me = _member(principal, event_id, Message("read balances"))
    with uow:
        book = store.find_book(uow, event_id)
        everyone = _sees_all(principal, book)
        currency = book.currency if book else events.event(event_id).currency
        members, treasury, own = _sums(uow, event_id)
        names = store.names_of(uow, event_id, None if everyone else [me])
        ids = sorted(set(names) | set(members), key=lambda i: (names.get(i, "").casefold(), i))
        listed = [
            MemberBalance(
                user_id=i,
                name=store.name_of(names, i),
                balance=format_minor(members.get(i, 0), currency),
            )
            for i in (ids if everyone else [me])
        ]
        if not everyone:
            return Balances(
                currency=currency,
                members=listed,
                treasury=None,
                event=None,
                total=None,
                complete=False,
            )
        return Balances(
            currency=currency,
            members=listed,
            treasury=format_minor(treasury, currency),
            event=format_minor(own, currency),
            total=format_minor(sum(members.values()) + treasury + own, currency),
            complete=True,
        )


def _suggest(uow: UnitOfWork, event_id: int) -> list[Transfer[int | None]]:
    members, _, _ = _sums(uow, event_id)
    # The treasury keeps the event's own money: it takes what members hold for the event and
    # pays what they advanced for it, so settling brings every member to zero.
    parties: list[tuple[int | None, int]] = [(None, -sum(members.values()))]
    parties += sorted(members.items())
    order = {key: rank for rank, (key, _) in enumerate(parties)}
    return settle(parties, order)


def _transfers_out(
    transfers: Sequence[Transfer[int | None]], names: dict[int, str], currency: str
) -> list[TransferOut]:
    def ref(party: int | None) -> PartyRef:
        return PartyRef(party=store.party_of(party), name=store.name_of(names, party))

    return [
        TransferOut(payer=ref(t.payer), payee=ref(t.payee), amount=format_minor(t.amount, currency))
        for t in transfers
    ]


def settlement(
    uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events
) -> Settlement:
    """The fewest transfers (largest debtor pays largest creditor) that settle every member;
    participants see those that involve them unless the report is shared."""
    me = _member(principal, event_id, Message("read the settlement"))
    with uow:
        book = store.find_book(uow, event_id)
        everyone = _sees_all(principal, book)
        if book is None:
            currency = events.event(event_id).currency
            return Settlement(currency=currency, transfers=[], complete=everyone)
        transfers = _suggest(uow, event_id)
        if not everyone:
            transfers = [t for t in transfers if me in (t.payer, t.payee)]
        names = store.names_of(uow, event_id, [p for t in transfers for p in (t.payer, t.payee)])
        shown = _transfers_out(transfers, names, book.currency)
        return Settlement(currency=book.currency, transfers=shown, complete=everyone)


def _canonical(text: str, currency: str) -> str:
    try:
        return format_minor(to_minor(parse_decimal(text), currency), currency)
    except MoneyError:
        return text


def settle_up(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    data: SettlementRecord,
    *,
    events: Events,
    key: str | None = None,
) -> SettlementRecorded:
    """Record the suggested transfers as done (organizers): each becomes a transfer entry and
    every member's balance comes to zero. ``data.transfers``, when given, must be the current
    suggestion (what the organizer saw), or nothing is recorded."""
    author = _organizer(principal, event_id, Message("record settlements"))
    event = events.event(event_id)
    with uow:
        uow.lock_for_write()
        book = store.open_book(uow, event)
        payload = data.model_dump(mode="json")
        earlier = store.replay(
            uow, principal, event_id, "settle", key=key, payload=payload, model=SettlementRecorded
        )
        if earlier is not None:
            return earlier
        transfers = _suggest(uow, event_id)
        if not transfers:
            raise Conflict(Message("everyone is settled already"))
        names = store.names_of(uow, event_id)
        shown = _transfers_out(transfers, names, book.currency)
        if data.transfers is not None:
            expected = [(t.payer.party, t.payee.party, t.amount) for t in shown]
            given = [
                (t.payer, t.payee, _canonical(t.amount, book.currency)) for t in data.transfers
            ]
            if given != expected:
                raise Conflict(
                    Message(
                        "the balances changed since these transfers were suggested; "
                        "look at the new suggestion and record that one"
                    )
                )
        context = _context(event, book, [], principal, names)
        # Settling up long after the event is still possible: the transfers are then dated
        # on the last day entries of this event may have.
        day = data.date or min(context.today, context.ends_on + rules.DATE_MARGIN)
        plans = [
            rules.plan(
                EntryCreate(
                    kind="transfer",
                    description="Settle-up",
                    amount=format_minor(t.amount, book.currency),
                    date=day,
                    paid_by=[PartyAmount(party=store.party_of(t.payer))],
                    received_by=[PartyAmount(party=store.party_of(t.payee))],
                ),
                context,
            )
            for t in transfers
        ]
        ids = store.new_entries(uow, event_id, author, len(plans))
        items: list[store.RevisionItem] = [
            (i, 1, "created", p, "", {}) for i, p in zip(ids, plans, strict=True)
        ]
        store.write_revisions(uow, event_id, author, items)
        answer = SettlementRecorded(currency=book.currency, transfers=shown, entry_ids=ids)
        summary = {"transfers": [t.model_dump() for t in shown], "entry_ids": ids}
        store.audit(uow, event_id, author, "settlement.recorded", summary)
        said = [
            {
                "payer": t.payer.name,
                "payer_id": t.payer.party,
                "payee": t.payee.name,
                "payee_id": t.payee.party,
                "amount": t.amount,
            }
            for t in shown
        ]
        store.changed(
            uow,
            "settlement.recorded",
            event_id,
            {
                "currency": book.currency,
                "transfers": said,
                "by": author,
                "by_name": store.name_of(names, author),
            },
        )
        store.remember(uow, principal, event_id, "settle", key=key, answer=answer)
        uow.commit()
        return answer


# ---- report and audit -------------------------------------------------------------------------


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


_CASH_FLOW = case(
    (Allocation.role == "received", Allocation.book_amount), else_=-Allocation.book_amount
)
"""Money into a holder's hands (collected) is positive, out of them (paid) negative."""


def _category_lines(
    actual: dict[tuple[str, str], int],
    planned: dict[tuple[str, str], int],
    money: Callable[[int], str],
) -> list[CategoryLine]:
    lines = []
    for kind, category in sorted(
        set(actual) | set(planned), key=lambda kc: (_kind_rank(kc[0]), kc[1].casefold())
    ):
        done = actual.get((kind, category), 0)
        plan = planned.get((kind, category))
        lines.append(
            CategoryLine.model_validate(
                {
                    "kind": kind,
                    "category": category,
                    "planned": None if plan is None else money(plan),
                    "actual": money(done),
                    "difference": None if plan is None else money(done - plan),
                }
            )
        )
    return lines


def _holders(
    uow: UnitOfWork, event_id: int, money: Callable[[int], str]
) -> tuple[list[HolderCash], int]:
    rows = uow.session.execute(
        select(Allocation.user_id, func.sum(_CASH_FLOW))
        .join(Revision, Revision.id == Allocation.revision_id)
        .join(Entry, store.is_active_current())
        .where(Revision.event_id == event_id, Allocation.role != "share")
        .group_by(Allocation.user_id)
    ).all()
    names = store.names_of(uow, event_id, [user_id for user_id, _ in rows])
    holders = [
        HolderCash(
            party=store.party_of(user_id),
            name=store.name_of(names, user_id),
            cash=money(int(total or 0)),
        )
        for user_id, total in rows
    ]
    total = sum(int(amount or 0) for _, amount in rows)
    return sorted(holders, key=lambda h: (h.party != TREASURY, h.name.casefold())), total


def _over_time(uow: UnitOfWork, event_id: int, money: Callable[[int], str]) -> list[DayPoint]:
    days: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_day = uow.session.execute(
        select(Revision.date, Revision.kind, func.sum(Revision.book_amount))
        .join(Entry, store.is_active_current())
        .where(Revision.event_id == event_id, Revision.in_kind.is_(False))
        .group_by(Revision.date, Revision.kind)
    )
    for day, kind, amount in by_day:
        if kind in rules.INCOME:
            days[day][0] += int(amount or 0)
        elif kind in rules.OUTFLOWS:
            days[day][1] += int(amount or 0)
    cash_by_day = uow.session.execute(
        select(Revision.date, func.sum(_CASH_FLOW))
        .join(Revision, Revision.id == Allocation.revision_id)
        .join(Entry, store.is_active_current())
        .where(Revision.event_id == event_id, Allocation.role != "share")
        .group_by(Revision.date)
    )
    for day, amount in cash_by_day:
        days[day][2] += int(amount or 0)
    points, running = [], 0
    for day in sorted(days):
        income, costs, cash = days[day]
        running += cash
        points.append(
            DayPoint(date=day, income=money(income), costs=money(costs), cash=money(running))
        )
    return points


def _grouped(
    uow: UnitOfWork, event_id: int
) -> tuple[dict[str, list[int]], dict[tuple[str, str], int], dict[str, int]]:
    """The active entries summed by the database: per kind (amount, count), per budget line,
    and per use (in-kind apart)."""
    grouped = uow.session.execute(
        select(
            Revision.kind,
            Revision.category,
            Revision.in_kind,
            func.sum(Revision.book_amount),
            func.count(),
        )
        .join(Entry, store.is_active_current())
        .where(Revision.event_id == event_id)
        .group_by(Revision.kind, Revision.category, Revision.in_kind)
    ).all()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    actual: dict[tuple[str, str], int] = defaultdict(int)
    by_use: dict[str, int] = defaultdict(int)
    for kind, category, in_kind, summed, count in grouped:
        amount = int(summed or 0)
        totals[kind][0] += amount
        totals[kind][1] += count
        if kind != "transfer":  # money moving inside the group is no budget line
            actual[(kind, category)] += amount
        by_use["in_kind" if in_kind else kind] += amount
    return totals, actual, by_use


def report_totals(
    uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events
) -> ReportTotals:
    """The report's bottom line (income, costs, net result), for who may read the report;
    one aggregate query, for the overview and the bot."""
    _member(principal, event_id, Message("read the report"))
    with uow:
        book = store.find_book(uow, event_id)
        _require_report(principal, book, "report")
        currency = book.currency if book else events.event(event_id).currency
        _totals, _actual, by_use = _grouped(uow, event_id)
        income = sum(by_use[k] for k in rules.INCOME)
        costs = sum(by_use[k] for k in rules.OUTFLOWS)
        return ReportTotals(
            currency=currency,
            income=format_minor(income, currency),
            costs=format_minor(costs, currency),
            net_result=format_minor(income - costs, currency),
        )


def report(uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events) -> Report:
    """Totals per kind and category against the budget, the net result, who holds the event's
    cash and how it went over time; all aggregated by the database."""
    _member(principal, event_id, Message("read the report"))
    with uow:
        book = store.find_book(uow, event_id)
        _require_report(principal, book, "report")
        currency = book.currency if book else events.event(event_id).currency

        def money(minor: int) -> str:
            return format_minor(minor, currency)

        totals, actual, by_use = _grouped(uow, event_id)
        income = sum(by_use[k] for k in rules.INCOME)
        costs = sum(by_use[k] for k in rules.OUTFLOWS)
        planned = {
            (line.kind, line.category): line.planned
            for line in uow.session.scalars(
                select(BudgetLine).where(BudgetLine.event_id == event_id)
            )
        }
        holders, cash_total = _holders(uow, event_id, money)
        kinds = sorted(totals, key=_kind_rank)
        return Report(
            currency=currency,
            totals=[
                KindTotal.model_validate(
                    {"kind": k, "total": money(totals[k][0]), "count": totals[k][1]}
                )
                for k in kinds
            ],
            categories=_category_lines(actual, planned, money),
            income=money(income),
            costs=money(costs),
            net_result=money(income - costs),
            investments=money(by_use["investment"]),
            in_kind=money(by_use["in_kind"]),
            cash_total=money(cash_total),
            cash=holders,
            over_time=_over_time(uow, event_id, money),
        )


def audit_trail(
    uow: UnitOfWork, principal: Principal, event_id: int, query: PageQuery
) -> AuditPage:
    """Everything done to an event's ledger, newest first (organizers, and members when the
    report is shared)."""
    _member(principal, event_id, Message("read the audit trail"))
    with uow:
        _require_report(principal, store.find_book(uow, event_id), "audit trail")
        condition = AuditRecord.event_id == event_id
        total = (
            uow.session.scalar(select(func.count()).select_from(AuditRecord).where(condition)) or 0
        )
        records = list(
            uow.session.scalars(
                select(AuditRecord)
                .where(condition)
                .order_by(AuditRecord.id.desc())
                .limit(query.limit)
                .offset(query.offset)
            )
        )
        names = store.names_of(uow, event_id, [r.actor_id for r in records])
        items = [
            AuditOut(
                id=r.id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=store.name_of(names, r.actor_id),
                action=r.action,
                entry_id=r.entry_id,
                revision=r.revision,
                summary=r.summary,
            )
            for r in records
        ]
        return AuditPage(items=items, total=total, limit=query.limit, offset=query.offset)


# ---- export and import ------------------------------------------------------------------------


def export_json(
    uow: UnitOfWork, principal: Principal, event_id: int, *, events: Events
) -> LedgerExport:
    """Everything in an event's ledger: settings, budget, balances, every entry with its history
    (organizers, and members when the report is shared)."""
    budget = get_budget(uow, principal, event_id, events=events)
    settings = get_settings(uow, principal, event_id, events=events)
    sums = balances(uow, principal, event_id, events=events)
    with uow:
        entries = store.details(uow, settings.currency, store.all_current(uow, event_id))
    return LedgerExport(
        event_id=event_id,
        exported_at=utcnow(),
        settings=settings,
        budget=budget.lines,
        balances=sums,
        entries=entries,
    )


def export_csv(uow: UnitOfWork, principal: Principal, event_id: int) -> str:
    """The active entries as CSV, one line each, in the columns the import reads (organizers,
    and members when the report is shared)."""
    _member(principal, event_id, Message("export the ledger"))
    with uow:
        book = store.find_book(uow, event_id)
        _require_report(principal, book, "export")
        if book is None:
            return csvio.write([])
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
        return csvio.write(lines)


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
                    FieldProblem(field=e["field"], message=" ".join(e["messages"]))
                    for e in error.extensions.get("errors", [])
                ]
        lines.append(
            ImportLine(line=line.line, entry_id=None, description=line.description, errors=problems)
        )
    return lines, plans


def import_csv(
    uow: UnitOfWork,
    principal: Principal,
    event_id: int,
    upload: Upload,
    *,
    events: Events,
    dry_run: bool = False,
    key: str | None = None,
) -> ImportReport:
    """Import entries from a spreadsheet's CSV (organizers). Every line is checked; if any has a
    problem nothing is stored and the answer lists each problem by line and column."""
    author = _organizer(principal, event_id, Message("import entries"))
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
        lines, plans = _import_lines(parsed, _context(event, book, members, principal, names))
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
