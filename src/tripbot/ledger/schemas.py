"""What the ledger service accepts and answers: the schemas its API and its client share.

Amounts travel as decimal strings ("23.50") in the currency they are in, never as JSON numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from apiflask.fields import UploadFile
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from tripbot.events.schemas import CurrencyCode
from tripbot.platform.errors import message_record
from tripbot.platform.idempotency import MAX_KEY_LENGTH
from tripbot.platform.schemas import Input
from tripbot.platform.settings import Settings

Kind = Literal["purchase", "sale", "investment", "donation", "sponsorship", "expense", "transfer"]
KINDS: tuple[Kind, ...] = (
    "purchase",
    "sale",
    "investment",
    "donation",
    "sponsorship",
    "expense",
    "transfer",
)
BudgetKind = Literal["purchase", "sale", "investment", "donation", "sponsorship", "expense"]
SplitMethod = Literal["equal", "shares", "exact", "percent"]
Visibility = Literal["organizers", "members"]
EntryState = Literal["active", "reversed"]
RevisionAction = Literal["created", "corrected", "reversed"]
TREASURY = "treasury"

MAX_USER_ID = 2**31 - 1
MAX_PARTIES = 200
"""Most payers or collectors on one entry."""
MAX_SPLIT = 10_000
"""Most members one split can name (an equal split among everyone can leave them out)."""

_DECIMAL = re.compile(r"[+-]?\d{1,15}(\.\d{1,12})?")


def _decimal_text(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "decimal_text",
            'write amounts as decimal strings such as "23.50", never as JSON numbers',
        )
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        raise PydanticCustomError(
            "decimal_text", '{text} is not a decimal number such as "23.50"', {"text": text[:40]}
        )
    return text


DecimalText = Annotated[
    str,
    PlainValidator(_decimal_text),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL.pattern, "examples": ["23.50"]}),
]
"""A decimal number written as a string, e.g. ``"23.50"``; JSON numbers are refused."""
UserId = Annotated[int, Field(ge=1, le=MAX_USER_ID)]


def _party(value: object) -> int | str:
    if value == TREASURY:
        return TREASURY
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_USER_ID:
        return value
    raise PydanticCustomError("party", 'name a member by user id, or "treasury"')


Party = Annotated[
    int | Literal["treasury"],
    PlainValidator(_party),
    WithJsonSchema(
        {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "const": TREASURY}]}
    ),
]
"""A member's user id, or ``"treasury"``: the event's own purse."""
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Counterparty = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


MULTIPART_SLACK = 64 * 1024
"""Room for the multipart envelope around an uploaded file."""

RECEIPT_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "application/pdf")
"""The media types a receipt is served as (told by its first bytes when it was attached)."""
RECEIPT_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "The receipt's bytes, as an attachment",
        "content": {kind: {"schema": {"type": "string"}} for kind in RECEIPT_MEDIA_TYPES},
    }
}
CSV_RESPONSES: dict[int | str, Any] = {
    200: {
        "description": "The active entries as CSV, in the columns the import reads",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def upload_limit(settings: Settings) -> int:
    """The largest body a ledger upload endpoint reads: a receipt or a CSV file, and its
    multipart envelope (the receipt's own limit is checked on its bytes)."""
    return max(settings.ledger_max_receipt_bytes, settings.max_body_bytes) + MULTIPART_SLACK


class Idempotency(BaseModel):
    """``Idempotency-Key``: send the same key when retrying; the change happens once."""

    model_config = ConfigDict(extra="ignore")

    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_KEY_LENGTH)


class FileUpload(BaseModel):
    """A file sent as multipart/form-data under the name ``file``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile


class PartyAmount(Input):
    """Someone who paid or collected, and how much (left out: all of it, when alone)."""

    party: Party
    amount: DecimalText | None = None


class SplitPart(Input):
    """A member who bears part of a cost: ``value`` is their shares, exact amount or percent."""

    user_id: UserId
    value: DecimalText | None = None


class Split(Input):
    """How a cost is shared among chosen members."""

    method: SplitMethod = "equal"
    among: list[SplitPart] = Field(min_length=1, max_length=MAX_SPLIT)


class EntryCreate(Input):
    """A new entry. Left out: today, the book's currency, paid or collected by you, and (for an
    expense) split equally among every member."""

    kind: Kind = "expense"
    description: Description
    amount: DecimalText
    date: dt.date | None = None
    counterparty: Counterparty = ""
    category: Category = ""
    currency: CurrencyCode | None = None
    rate: DecimalText | None = Field(
        None, description="Book currency units per unit of `currency`, as you were charged."
    )
    in_kind: bool = Field(False, description="A donation or sponsorship in goods, at this value.")
    paid_by: list[PartyAmount] | None = Field(None, max_length=MAX_PARTIES)
    received_by: list[PartyAmount] | None = Field(None, max_length=MAX_PARTIES)
    split: Split | None = None


class EntryCorrection(Input):
    """A correction: the fields given replace the current revision's, the rest stay as they are."""

    kind: Kind | None = None
    description: Description | None = None
    amount: DecimalText | None = None
    date: dt.date | None = None
    counterparty: Counterparty | None = None
    category: Category | None = None
    currency: CurrencyCode | None = None
    rate: DecimalText | None = None
    in_kind: bool | None = None
    paid_by: list[PartyAmount] | None = Field(None, max_length=MAX_PARTIES)
    received_by: list[PartyAmount] | None = Field(None, max_length=MAX_PARTIES)
    split: Split | None = None
    reason: Reason = ""


class Reversal(Input):
    """Why an entry is reversed (its history stays)."""

    reason: Reason = ""


class DisputeIn(Input):
    """Why a member says an entry that charges them is wrong."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Resolution(Input):
    """Why an organizer lets a disputed entry stand."""

    reason: Reason = ""


class EntryQuery(Input):
    """Filters and paging of the entries list."""

    kind: Kind | None = None
    category: Category | None = None
    party: Party | None = Field(None, description="Entries that involve this member (or treasury).")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str | None = Field(None, max_length=100, description="Words in the description.")
    state: Literal["active", "reversed", "all"] = "active"
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class PageQuery(Input):
    """Paging of a list, newest first."""

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class ImportQuery(Input):
    """``dry_run``: check every line and report, store nothing."""

    dry_run: bool = False


class ExportQuery(Input):
    """``spreadsheet``: the form a spreadsheet opens as columns in the caller's language."""

    spreadsheet: bool = Field(
        False,
        description="UTF-8 with a byte order mark, and in Spanish `;` between cells and a "
        "decimal comma, as Excel and LibreOffice open it; the import reads both forms.",
    )


class PartyShare(BaseModel):
    """Who paid or collected how much, in the entry's currency and the book's."""

    party: int | Literal["treasury"]
    name: str
    amount: str
    book_amount: str


class SplitShare(BaseModel):
    """A member's part of a cost: what they gave (shares, percent, amount) and what it came to."""

    user_id: int
    name: str
    value: str | None
    amount: str
    book_amount: str


class SplitOut(BaseModel):
    """How a cost was shared."""

    method: SplitMethod
    among: list[SplitShare]


class ReceiptOut(BaseModel):
    """An attached receipt, without its bytes."""

    id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: int
    uploaded_at: dt.datetime


class LegOut(BaseModel):
    """One side of the double entry of the current revision, in the book's currency."""

    account: Literal["member", "treasury", "result", "capital"]
    user_id: int | None
    amount: str


class EntryOut(BaseModel):
    """An entry as its current revision says."""

    id: int
    event_id: int
    revision: int
    state: EntryState
    kind: Kind
    date: dt.date
    description: str
    code: str | None = Field(
        None,
        description="What the ledger itself recorded it for (`settle-up`); the description is "
        "then said in the caller's language.",
    )
    counterparty: str
    category: str
    amount: str
    currency: str
    rate: str | None
    book_amount: str
    book_currency: str
    in_kind: bool
    paid_by: list[PartyShare]
    received_by: list[PartyShare]
    split: SplitOut | None
    receipts: list[ReceiptOut]
    created_by: int
    created_at: dt.datetime
    updated_by: int
    updated_at: dt.datetime
    disputed: bool = Field(
        False,
        description="A member it charges says it is wrong; the organizers have not yet "
        "confirmed or reversed it.",
    )


class RevisionOut(BaseModel):
    """One step of an entry's history: who, when, what changed and why."""

    number: int
    action: RevisionAction
    author_id: int
    author_name: str
    recorded_at: dt.datetime
    reason: str
    changes: dict[str, list[str]] = Field(description="field: [before, after]")


class DisputeOut(BaseModel):
    """A member's dispute of an entry, and how the organizers settled it."""

    raised_by: int
    raised_by_name: str
    reason: str
    raised_at: dt.datetime
    resolved_by: int | None
    resolved_at: dt.datetime | None
    outcome: Literal["confirmed", "reversed"] | None


class EntryDetail(EntryOut):
    """An entry with its whole history and its current double entry."""

    revisions: list[RevisionOut]
    legs: list[LegOut]
    disputes: list[DisputeOut] = Field(default_factory=list)


class EntryPage(BaseModel):
    """A page of entries, newest first, and how many match in all."""

    items: list[EntryOut]
    total: int
    limit: int
    offset: int


class BudgetLineIn(Input):
    """The amount planned for a kind of entry in a category (book currency)."""

    kind: BudgetKind
    category: Category = ""
    planned: DecimalText


class BudgetUpdate(Input):
    """The whole budget: it replaces the previous one."""

    lines: list[BudgetLineIn] = Field(max_length=500)


class BudgetLineOut(BaseModel):
    """A planned amount."""

    kind: BudgetKind
    category: str
    planned: str


class BudgetOut(BaseModel):
    """An event's budget, in the book's currency."""

    currency: str
    lines: list[BudgetLineOut]


class LedgerSettings(BaseModel):
    """An event ledger's settings: its currency and who may read its report."""

    currency: str
    visibility: Visibility = Field(
        description="organizers: participants see only what involves them; members: everyone "
        "sees the report, balances, settlement and audit trail"
    )


class SettingsUpdate(Input):
    """Who may read the report besides the organizers."""

    visibility: Visibility


class MemberBalance(BaseModel):
    """What a member is owed (positive) or owes (negative)."""

    user_id: int
    name: str
    balance: str


class Balances(BaseModel):
    """Every member's balance, the treasury's and the event's own; they always sum to zero.

    ``complete`` is false when the asker may see only their own balance.
    """

    currency: str
    members: list[MemberBalance]
    treasury: str | None
    event: str | None
    total: str | None
    complete: bool


class PartyRef(BaseModel):
    """A member or the treasury, with a name to show."""

    party: int | Literal["treasury"]
    name: str


class TransferOut(BaseModel):
    """A suggested payment."""

    payer: PartyRef
    payee: PartyRef
    amount: str


class Settlement(BaseModel):
    """The fewest transfers that settle every member (the treasury keeps the event's money)."""

    currency: str
    transfers: list[TransferOut]
    complete: bool
    treasury_keeper: PartyRef | None = Field(
        None,
        description="The member who keeps the treasury's money, so a transfer to or from the "
        "treasury names a person: the event's owner. Present when a transfer involves it.",
    )


class TransferIn(Input):
    """A suggested transfer, as it was shown."""

    payer: Party
    payee: Party
    amount: DecimalText


class SettlementRecord(Input):
    """Record the suggested transfers as done; ``transfers`` (what was shown) must still be the
    current suggestion."""

    transfers: list[TransferIn] | None = Field(None, max_length=MAX_SPLIT)
    date: dt.date | None = None


class PaymentCreate(Input):
    """A payment you made to a member or to the treasury, settling part of what you owe (a
    transfer from you, recorded as a settle-up payment). Left out: the date is today."""

    to: Party
    amount: DecimalText
    date: dt.date | None = None


class SettlementRecorded(BaseModel):
    """The transfers recorded, each as a transfer entry."""

    currency: str
    transfers: list[TransferOut]
    entry_ids: list[int]


class KindTotal(BaseModel):
    """The sum of the active entries of one kind."""

    kind: Kind
    total: str
    count: int


class CategoryLine(BaseModel):
    """Budget vs actual for a kind of entry in a category."""

    kind: Kind
    category: str
    planned: str | None
    actual: str
    difference: str | None = Field(description="actual - planned")


class HolderCash(BaseModel):
    """The event's money a holder has (positive) or has advanced (negative)."""

    party: int | Literal["treasury"]
    name: str
    cash: str


class DayPoint(BaseModel):
    """One day with entries: its income and costs, and the event's cash at the end of it."""

    date: dt.date
    income: str
    costs: str
    cash: str


class Report(BaseModel):
    """An event's money at a glance, in the book's currency."""

    currency: str
    totals: list[KindTotal]
    categories: list[CategoryLine]
    income: str
    costs: str = Field(
        description="What the event itself bore: purchases without a split (shared expenses "
        "are the members', in `shared_costs`)"
    )
    net_result: str = Field(
        description="income - costs (investments, in-kind and shared costs apart); with "
        "`investments` it is the event's own balance in the balances"
    )
    shared_costs: str = Field(
        "0",
        description="Expenses and purchases split among members: they move the members' "
        "balances, not the event's result",
    )
    investments: str
    in_kind: str
    cash_total: str
    cash: list[HolderCash]
    over_time: list[DayPoint]


class ReportTotals(BaseModel):
    """The report's bottom line alone: what came in, what went out, the difference."""

    currency: str
    income: str
    costs: str = Field(description="What the event itself bore (shared costs apart)")
    net_result: str = Field(
        description="income - costs (investments, in-kind and shared costs apart)"
    )
    shared_costs: str = Field(
        "0", description="Expenses and purchases split among members (not the event's)"
    )


class AuditOut(BaseModel):
    """One thing someone did to the ledger."""

    id: int
    at: dt.datetime
    actor_id: int
    actor_name: str
    action: str
    entry_id: int | None
    revision: int | None
    summary: dict[str, Any]


class AuditPage(BaseModel):
    """A page of the audit trail, newest first."""

    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class FieldProblem(BaseModel):
    """What is wrong with one field: in English, and as a message id with its values (absent
    for a problem of the schema itself, whose ``values`` then hold pydantic's error ``type``)."""

    field: str
    message: str
    message_id: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, field: str, message: str) -> FieldProblem:
        """The problem a message says about a field."""
        return cls(field=field, message=str(message), **message_record(message))

    @classmethod
    def of_schema(cls, field: str, detail: Mapping[str, Any]) -> FieldProblem:
        """A problem pydantic found (its English, and its error type as the code to say it by)."""
        message = str(detail["msg"]).removeprefix("Value error, ")
        context = {k: v for k, v in (detail.get("ctx") or {}).items() if isinstance(v, int | str)}
        return cls(field=field, message=message, values={"type": detail["type"], **context})


class ImportLine(BaseModel):
    """The outcome of one CSV line: the entry it made, or what is wrong with it."""

    line: int
    entry_id: int | None
    description: str
    errors: list[FieldProblem]


class ImportReport(BaseModel):
    """The outcome of a CSV import, line by line."""

    dry_run: bool
    created: int
    lines: list[ImportLine]


class LedgerExport(BaseModel):
    """Everything in an event's ledger, for keeping or moving elsewhere."""

    event_id: int
    exported_at: dt.datetime
    settings: LedgerSettings
    budget: list[BudgetLineOut]
    balances: Balances
    entries: list[EntryDetail]


class OpenPosition(BaseModel):
    """Money a person has open in an event, member or not any more: their balance (positive:
    is owed) and the suggested transfers that involve them."""

    event_id: int
    currency: str
    balance: str
    transfers: list[TransferOut]


class AppImportQuery(Input):
    """How to import another app's export: look first (``dry_run``, the default) or store it;
    ``weights`` sets the weights the file does not say (or changes those it says)."""

    dry_run: bool = Field(True, description="Show what the import would do; store nothing.")
    weights: str = Field(
        "",
        max_length=4000,
        description="Weights by the names the file writes: `Pablo=2; Ana=1`.",
    )


class AppPerson(BaseModel):
    """A name the file writes, the member it is matched to (or a guest to add), and their
    balance before and after the import beside the app's own, where the file has it."""

    name: str
    user_id: int | None = Field(description="The member the name is matched to; null: a guest.")
    member_name: str | None
    guest: bool
    weight: str | None = Field(description="The weight their parts are worked out by, if any.")
    weight_known: bool
    before: str
    after: str
    source: str | None = Field(description="The app's own balance, where the file says it.")
    agrees: bool | None = Field(
        description="Whether what the import adds to their balance is the app's own balance."
    )


class AppMove(BaseModel):
    """Who paid (or bears, or received) how much of one line."""

    name: str
    amount: str


class AppLine(BaseModel):
    """A line of the file and what it becomes, or why it cannot be carried over."""

    line: int
    description: str
    kind: str
    date: dt.date | None
    amount: str | None
    currency: str
    paid: list[AppMove]
    shares: list[AppMove] = Field(description="Who bears it (a transfer: who received it).")
    entry_id: int | None
    problems: list[FieldProblem] = Field(description="Why it is not carried over (none: it is).")


class AppImportReport(BaseModel):
    """What an import from another app does (``dry_run``) or did."""

    dry_run: bool
    format: str
    format_name: str
    currency: str
    people: list[AppPerson]
    lines: list[AppLine]
    carried: int
    left_out: int
    created: int
