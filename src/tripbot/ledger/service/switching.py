"""Switching from another app in one import, and leaving as easily: another app's export read as
that app wrote it, its names matched to the event's members (or added as guests), shown line by
line with everyone's balance before and after before anything is stored; and the ledger written
as a file ihatemoney imports.

Everything is stored in one transaction or nothing is. Guests are people of the events service:
they are added (by the organizer, through that service) just before the ledger's transaction, so
if storing then fails they stay as members without entries, and importing the same file again
matches them by name instead of adding them twice.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import ValidationError

from tripbot.events.schemas import GuestCreate, MemberOut
from tripbot.ledger import OPERATIONS, rules, store
from tripbot.ledger.formats import FORMATS, ForeignBook, FormatError, recognise
from tripbot.ledger.formats import ihatemoney as ihatemoney_format
from tripbot.ledger.formats.entries import Carried, carry, entry
from tripbot.ledger.money import MoneyError, format_minor, to_minor
from tripbot.ledger.rules import Context, Plan
from tripbot.ledger.schemas import (
    AppImportQuery,
    AppImportReport,
    AppLine,
    AppMove,
    AppPerson,
    FieldProblem,
)
from tripbot.ledger.service.access import (
    events_of,
    member,
    organizer,
    require_report,
    rules_context,
)
from tripbot.ledger.service.balances import sums
from tripbot.ledger.words import described
from tripbot.platform.errors import InvalidInput, Message
from tripbot.platform.operations import QUERY, Access, Call, Download, IdempotencyKey, Upload

PLACEHOLDER = 2**31 - 1
"""Ids of the guests still to add, counted down from the largest id, while only looking."""
DEFAULT_WEIGHT = Decimal(1)
"""The weight of someone the file does not weigh (what ihatemoney's own import takes)."""


def plain(text: str) -> str:
    """A name as it is compared: lower case, no accents, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Matching:
    """Each name of the file and the member it is (None: a guest to add)."""

    ids: dict[str, int | None]
    members: dict[int, str]


def match(people: Sequence[str], members: Sequence[MemberOut]) -> Matching:
    """Names matched to members case- and accent-insensitively; a name that fits nobody, or
    several members, becomes a guest."""
    by_name: dict[str, list[MemberOut]] = defaultdict(list)
    for m in members:
        by_name[plain(m.display_name)].append(m)
    ids: dict[str, int | None] = {}
    for name in people:
        found = by_name.get(plain(name), [])
        ids[name] = found[0].user_id if len(found) == 1 else None
    return Matching(ids, {m.user_id: m.display_name for m in members})


def _weights(book: ForeignBook, written: str) -> tuple[dict[str, Decimal], set[str]]:
    """The weights to share by: the file's, those the organizer set, 1 for the rest; and whose
    the file does not say and nobody set."""
    weights = {name: book.weights.get(name, DEFAULT_WEIGHT) for name in book.people}
    unknown = set(book.unknown_weights)
    by_plain = {plain(name): name for name in book.people}
    for chunk in written.split(";"):
        if not chunk.strip():
            continue
        name, _, value = chunk.partition("=")
        person = by_plain.get(plain(name))
        if person is None:
            raise InvalidInput(
                Message("weights: {name} is not a name in the file"),
                field="weights",
                name=repr(name.strip()),
            )
        try:
            weight = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            weight = Decimal(-1)
        if not weight.is_finite() or not 0 < weight <= 1000:
            raise InvalidInput(
                Message("weights: the weight of {name} must be a number above 0, up to 1000"),
                field="weights",
                name=repr(person),
            )
        weights[person] = weight
        unknown.discard(person)
    return weights, unknown


def _problem(field: str, message: Message) -> FieldProblem:
    return FieldProblem.of(field, message)


def _plans(
    carried: Sequence[Carried], ids: Mapping[str, int], context: Context, label: str
) -> list[tuple[Plan | None, list[FieldProblem]]]:
    """Each carried line checked by the ledger's rules: its plan, or why it is left out."""
    out: list[tuple[Plan | None, list[FieldProblem]]] = []
    for line in carried:
        if line.problem is not None:
            out.append((None, [_problem("line", line.problem)]))
            continue
        try:
            out.append((rules.plan(entry(line, ids, label), context), []))
        except ValidationError as error:
            problems = [
                FieldProblem.of_schema(".".join(str(p) for p in d["loc"]) or "line", d)
                for d in error.errors()
            ]
            out.append((None, problems))
        except InvalidInput as error:
            out.append(
                (
                    None,
                    [
                        FieldProblem(
                            field=e["field"],
                            message=" ".join(e["messages"]),
                            message_id=e.get("message_id"),
                            values=e.get("values") or {},
                        )
                        for e in error.extensions.get("errors", [])
                    ],
                )
            )
    return out


def _moves(pairs: Sequence[tuple[str, int]], currency: str) -> list[AppMove]:
    return [AppMove(name=n, amount=format_minor(a, currency)) for n, a in pairs]


@dataclass(frozen=True)
class _Look:
    """Everything the import would do."""

    book: ForeignBook
    matching: Matching
    ids: dict[str, int]
    carried: list[Carried]
    checked: list[tuple[Plan | None, list[FieldProblem]]]
    report: AppImportReport


def _look(
    book: ForeignBook,
    matching: Matching,
    weights_written: str,
    context: Context,
    before: Mapping[int, int],
) -> _Look:
    """The import worked out without storing anything (guests under placeholder ids)."""
    currency = context.book_currency
    weights, unknown = _weights(book, weights_written)
    ids: dict[str, int] = {}
    spare = PLACEHOLDER
    for name in book.people:
        found = matching.ids[name]
        if found is None:
            found, spare = spare, spare - 1
        ids[name] = found
    guests = {ids[n]: n for n in book.people if matching.ids[n] is None}
    context = Context(
        book_currency=context.book_currency,
        starts_on=context.starts_on,
        ends_on=context.ends_on,
        today=context.today,
        members={**context.members, **guests},
        current=context.current,
        author=context.author,
        organizer=True,
    )
    carried = carry(book, weights, currency)
    label = FORMATS[book.app]
    checked = _plans(carried, ids, context, label)
    after: dict[int, int] = defaultdict(int, before)
    for plan, _ in checked:
        for leg in plan.legs() if plan else ():
            if leg.account == "member" and leg.user_id is not None:
                after[leg.user_id] += leg.amount
    lines = [
        AppLine(
            line=c.line.number,
            description=c.line.description,
            kind=c.line.kind,
            date=c.line.day,
            amount=format_minor(sum(a for _, a in c.paid), c.currency) if c.paid else None,
            currency=c.currency,
            paid=_moves(c.paid, c.currency),
            shares=_moves(c.shares, c.currency),
            entry_id=None,
            problems=problems,
        )
        for c, (_, problems) in zip(carried, checked, strict=True)
    ]
    people = []
    for name in book.people:
        user = matching.ids[name]
        source = _source(book, name, currency)
        change = after[ids[name]] - before.get(ids[name], 0)
        people.append(
            AppPerson(
                name=name,
                user_id=user,
                member_name=matching.members.get(user) if user else None,
                guest=user is None,
                weight=f"{weights[name]:f}" if book.weights or book.unknown_weights else None,
                weight_known=name not in unknown,
                before=format_minor(before.get(ids[name], 0), currency),
                after=format_minor(after[ids[name]], currency),
                source=None if source is None else format_minor(source, currency),
                agrees=None if source is None else source == change,
            )
        )
    carried_count = sum(1 for plan, _ in checked if plan is not None)
    report = AppImportReport(
        dry_run=True,
        format=book.app,
        format_name=label,
        currency=currency,
        people=people,
        lines=lines,
        carried=carried_count,
        left_out=len(lines) - carried_count,
        created=0,
    )
    return _Look(book, matching, ids, carried, checked, report)


def _source(book: ForeignBook, name: str, currency: str) -> int | None:
    """The app's own balance of someone in minor units, where the file says it in the book's
    currency."""
    written = (book.balances or {}).get(name)
    if written is None or (book.currency or currency) != currency:
        return None
    try:
        return to_minor(written, currency)
    except MoneyError:
        return None


def _read(content: bytes) -> ForeignBook:
    try:
        return recognise(content)
    except FormatError as error:
        raise InvalidInput(error.message, field="file", **error.values) from error


@OPERATIONS.post(
    "/events/<int:event_id>/ledger/import-app",
    status=201,
    status_of=lambda answer: 200 if answer.dry_run else 201,
    upload_limit="ledger_max_receipt_bytes",
    access=Access.EVENT,
)
def import_from_app(
    call: Call,
    event_id: int,
    file: Upload,
    query: Annotated[AppImportQuery, QUERY],
    key: IdempotencyKey = None,
) -> AppImportReport:
    """Import another app's export as it comes (organizers), multipart field `file`.

    Reads ihatemoney's CSV and JSON, Splitwise's CSV, Spliit's CSV and JSON and Cospend's CSV,
    told apart by their content. Names are matched to members (case and accents aside) or
    become guests. `dry_run=true` (the default) stores nothing and answers what would happen:
    the names, every line and what it becomes or why it cannot be carried over, and every
    person's balance before and after beside the app's own where the file has it. With
    `dry_run=false` the guests are added and every line that can be carried is stored in one
    transaction.
    """
    organizer(call.principal, event_id, Message("import entries"))
    book = _read(file.content)
    events = events_of(call)
    event = events.event(event_id)
    matching = match(book.people, events.members(event_id))
    with call.unit_of_work() as uow:
        ledger = store.open_book(uow, event)
        names = store.sync_people(uow, event_id, events.members(event_id))
        before, _, _ = sums(uow, event_id)
        context = rules_context(event, ledger, events.members(event_id), call.principal, names)
        look = _look(book, matching, query.weights, context, before)
    if query.dry_run:
        return look.report
    if look.report.carried == 0:
        raise InvalidInput(Message("nothing in this file can be carried over"), field="file")
    payload = {"sha256": hashlib.sha256(file.content).hexdigest(), "weights": query.weights}
    with call.unit_of_work() as uow:
        # A retry answers as the first time, without adding anyone (nothing is claimed here:
        # this unit of work is not committed; the claim is made with the entries).
        earlier = store.replay(
            uow,
            call.principal,
            event_id,
            "import-app",
            key=key,
            payload=payload,
            model=AppImportReport,
        )
    if earlier is not None:
        return earlier
    ids = dict(matching.ids)
    names = dict(matching.members)
    for name in book.people:
        if ids[name] is None:
            # Two guests may share a name; each name of the file is the guest made for it.
            guest = events.add_guest(event_id, GuestCreate(display_name=name[:80]))
            ids[name], names[guest.user_id] = guest.user_id, guest.display_name
    matching = Matching(ids, names)
    return _store(call, event_id, _Asked(book, matching, query, key, payload))


@dataclass(frozen=True)
class _Asked:
    """What one import asks: the file read, its names matched, the weights, the request."""

    book: ForeignBook
    matching: Matching
    query: AppImportQuery
    key: str | None
    payload: dict[str, str]


def _store(call: Call, event_id: int, asked: _Asked) -> AppImportReport:
    """Store every line that can be carried, in one transaction."""
    author = call.principal.require_user()
    book, matching = asked.book, asked.matching
    events = events_of(call)
    event, members = events.event(event_id), events.members(event_id)
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        earlier = store.replay(
            uow,
            call.principal,
            event_id,
            "import-app",
            key=asked.key,
            payload=asked.payload,
            model=AppImportReport,
        )
        if earlier is not None:
            return earlier
        ledger = store.open_book(uow, event)
        names = store.sync_people(uow, event_id, members)
        before, _, _ = sums(uow, event_id)
        context = rules_context(event, ledger, members, call.principal, names)
        look = _look(book, matching, asked.query.weights, context, before)
        plans = [plan for plan, _ in look.checked if plan is not None]
        if not plans:
            raise InvalidInput(Message("nothing in this file can be carried over"), field="file")
        ids = store.new_entries(uow, event_id, author, len(plans))
        store.write_revisions(
            uow,
            event_id,
            author,
            [(i, 1, "created", p, "", {}) for i, p in zip(ids, plans, strict=True)],
        )
        made = iter(ids)
        lines = [
            line.model_copy(update={"entry_id": next(made)}) if plan is not None else line
            for line, (plan, _) in zip(look.report.lines, look.checked, strict=True)
        ]
        total = format_minor(sum(p.book_amount for p in plans), ledger.currency)
        summary = {
            "count": len(ids),
            "first_entry_id": ids[0],
            "last_entry_id": ids[-1],
            "total": total,
            "format": book.app,
        }
        store.audit(uow, event_id, author, "entries.imported", summary)
        store.changed(
            uow,
            "entries.imported",
            event_id,
            {
                **summary,
                "currency": ledger.currency,
                "by": author,
                "by_name": store.name_of(names, author),
            },
        )
        answer = look.report.model_copy(
            update={"dry_run": False, "lines": lines, "created": len(ids)}
        )
        store.remember(uow, call.principal, event_id, "import-app", key=asked.key, answer=answer)
        uow.commit()
        return answer


# ---- leaving: the ledger as a file ihatemoney imports ----------------------------------------


def _flows(legs: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """Who advanced money for whom in one entry: (creditor, debtor, amount) pairs that move each
    party by exactly its leg, creditors and debtors taken in order."""
    owed = [(n, a) for n, a in legs.items() if a > 0]
    owing = [(n, -a) for n, a in legs.items() if a < 0]
    pairs: list[tuple[str, str, int]] = []
    i = j = 0
    left_owed = owed[0][1] if owed else 0
    left_owing = owing[0][1] if owing else 0
    while i < len(owed) and j < len(owing):
        amount = min(left_owed, left_owing)
        pairs.append((owed[i][0], owing[j][0], amount))
        left_owed -= amount
        left_owing -= amount
        if left_owed == 0:
            i += 1
            left_owed = owed[i][1] if i < len(owed) else 0
        if left_owing == 0:
            j += 1
            left_owing = owing[j][1] if j < len(owing) else 0
    return pairs


def _label(party: int | None, names: Mapping[int, str]) -> str:
    if party is None:
        return TREASURY_NAME
    name = names.get(party) or f"#{party}"
    clash = sum(1 for other in names.values() if plain(other) == plain(name)) > 1
    return f"{name} #{party}" if clash else name


TREASURY_NAME = "Treasury"
"""Who the event's own money is in the file (ihatemoney knows only people)."""


def ihatemoney_bills(
    plan: Plan, names: Mapping[int, str], currency: str, what: str
) -> list[dict[str, object]]:
    """One entry as ihatemoney bills whose balances move exactly as the entry's legs do.

    ihatemoney splits a bill equally (weights are a person's, not a bill's), so a cost paid by one
    person is one bill per distinct part: those who bear the same part owe one bill together.
    Anything else (several payers, a transfer, money of the event) is one bill per who advanced
    money for whom.
    """
    day = plan.date.isoformat()
    shares = [s for s in plan.shares if s.book_amount]
    if (
        plan.kind in rules.OUTFLOWS
        and len(plan.paid) == 1
        and shares
        and plan.book_amount == sum(s.book_amount for s in shares)
    ):
        groups: dict[int, list[str]] = defaultdict(list)
        for share in shares:
            groups[share.book_amount].append(_label(share.party, names))
        payer = _label(plan.paid[0].party, names)
        return [
            ihatemoney_format.bill(
                what,
                "expense",
                format_minor(part * len(owers), currency),
                currency=currency,
                day=day,
                payer=payer,
                owers=owers,
            )
            for part, owers in groups.items()
        ]
    legs: dict[str, int] = defaultdict(int)
    for leg in plan.legs():
        # The event's own accounts are its treasury's, for an app that knows only people.
        party = leg.user_id if leg.account == "member" else None
        legs[_label(party, names)] += leg.amount
    kind = "transfer" if plan.kind == "transfer" else "expense"
    return [
        ihatemoney_format.bill(
            what,
            kind,
            format_minor(amount, currency),
            currency=currency,
            day=day,
            payer=creditor,
            owers=[debtor],
        )
        for creditor, debtor, amount in _flows(legs)
    ]


IHATEMONEY_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "The bills, as ihatemoney's *Import previously exported project* reads them",
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "what",
                            "bill_type",
                            "amount",
                            "currency",
                            "date",
                            "payer_name",
                            "payer_weight",
                            "owers",
                        ],
                        "properties": {
                            "what": {"type": "string"},
                            "bill_type": {"type": "string", "enum": ["Expense", "Reimbursement"]},
                            "amount": {"type": "number"},
                            "currency": {"type": "string"},
                            "date": {"type": "string", "format": "date"},
                            "payer_name": {"type": "string"},
                            "payer_weight": {"type": "number"},
                            "owers": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            }
        },
    }
}


@OPERATIONS.get(
    "/events/<int:event_id>/ledger/export-ihatemoney.json",
    produces="application/json",
    access=Access.EVENT,
    responses=IHATEMONEY_RESPONSES,
)
def export_ihatemoney(call: Call, event_id: int) -> Download:
    """The active entries as a file ihatemoney imports (*Import previously exported project*).

    Each entry becomes bills whose balances in ihatemoney are exactly the ledger's: when one
    person paid, one bill per distinct part (one bill when every part is equal), otherwise one
    per who advanced money for whom. The event's own money is a person called *Treasury*.
    """
    member(call.principal, event_id, Message("export the ledger"))
    with call.unit_of_work() as uow:
        book = store.find_book(uow, event_id)
        require_report(call.principal, book, "export")
        bills: list[dict[str, object]] = []
        if book is not None:
            rows = [(e, r) for e, r in store.all_current(uow, event_id) if e.state == "active"]
            allocations = store.allocations_of(uow, [r.id for _, r in rows])
            names = store.names_of(uow, event_id)
            for _, revision in rows:
                plan = store.plan_of(revision, allocations[revision.id])
                what = described(plan.description, plan.code)
                bills += ihatemoney_bills(plan, names, book.currency, what)
    return Download(
        ihatemoney_format.write_json(bills),
        "application/json",
        f"ledger-{event_id}-ihatemoney.json",
    )
