"""The public API of an event's ledger: every endpoint's happy path, its bad input (exact status,
problem type and detail, nothing stored) and who may call it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.builders import Cast, a_cast_in, an_expense
from tests.problems import assert_problem, invalid_fields
from tripbot.ledger.models import Entry, Receipt, Revision
from tripbot.system import System

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _url(cast: Cast, tail: str = "") -> str:
    return f"/api/v1/events/{cast.event['id']}/ledger{tail}"


def _count(system: System, model: Any) -> int:
    with system.databases["ledger"].unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _post(
    http: httpx.Client, cast: Cast, who: str, tail: str, key: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {**cast.person(who).headers, **({"Idempotency-Key": key} if key else {})}
    return http.post(_url(cast, tail), headers=headers, **kwargs)


# ---- entries ------------------------------------------------------------------------------------


def test_the_bot_records_an_expense_with_two_fields_and_retries_safely(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    headers = {**cast.participant.headers, "Idempotency-Key": "telegram-update-77"}
    body = {"amount": "23.50", "description": "fuel"}
    first = http.post(_url(cast, "/entries"), json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = http.post(_url(cast, "/entries"), json=body, headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    entry = first.json()
    assert (entry["kind"], entry["amount"], entry["currency"], entry["paid_by"][0]["party"]) == (
        "expense",
        "23.50",
        "EUR",
        cast.participant.id,
    )
    assert len(entry["split"]["among"]) == 3
    assert _count(system, Entry) == 1
    reused = http.post(_url(cast, "/entries"), json={**body, "amount": "5"}, headers=headers)
    assert_problem(reused, 422, "invalid-input", "already used for a different request")
    assert _count(system, Entry) == 1


def bad(
    body: dict[str, Any],
    field: str,
    detail: str,
    *,
    id: str,
) -> tuple[str, dict[str, Any], str, str]:
    """A bad entry, what field it is about and what the detail says."""
    return (id, body, field, detail)


BAD_ENTRIES = [
    bad({"amount": 23.5}, "amount", "decimal strings", id="json-float"),
    bad({"amount": 23}, "amount", "decimal strings", id="json-integer"),
    bad({"amount": "23,50"}, "amount", "is not a decimal number", id="comma"),
    bad({"amount": "1e3"}, "amount", "is not a decimal number", id="exponent"),
    bad({"amount": "0"}, "amount", "must not be zero", id="zero"),
    bad({"amount": "0.00"}, "amount", "must not be zero", id="zero-cents"),
    bad({"kind": "purchase", "amount": "-1"}, "amount", "more than zero", id="negative"),
    bad({"amount": "5000000000"}, "amount", "over the largest amount", id="over-large"),
    bad({"amount": "23.505"}, "amount", "at most 2 decimals", id="decimals"),
    bad({"currency": "EUX"}, "currency", "unknown currency", id="unknown-currency"),
    bad({"currency": "USD"}, "rate", "how many EUR one USD", id="no-rate"),
    bad({"date": "2031-01-01"}, "date", "far outside the event", id="far-date"),
    bad({"date": "tomorrow"}, "date", "date", id="unreadable-date"),
    bad({"kind": "refund"}, "kind", "Input should be", id="unknown-kind"),
    bad({"description": " "}, "description", "at least 1", id="blank-description"),
    bad({"description": "x" * 201}, "description", "at most 200", id="long-description"),
    bad({"payer": 1}, "payer", "Extra inputs", id="unknown-field"),
    bad({"description": "a\x00b"}, "description", "NUL", id="nul"),
    bad(
        {
            "kind": "purchase",
            "paid_by": [
                {"party": "treasury", "amount": "10"},
                {"party": "OWNER", "amount": "10"},
            ],
        },
        "paid_by",
        "add up to 20.00, not 23.50",
        id="payers-mismatch",
    ),
    bad(
        {
            "split": {
                "method": "percent",
                "among": [
                    {"user_id": "OWNER", "value": "60"},
                    {"user_id": "PARTICIPANT", "value": "30"},
                ],
            }
        },
        "split.among",
        "percentages add up to 90, not 100",
        id="percent-90",
    ),
    bad(
        {"split": {"among": [{"user_id": "OUTSIDER"}]}},
        "split.among",
        "is not a member of this event",
        id="split-outsider",
    ),
]


def test_recording_an_entry_refuses_bad_input_and_stores_nothing(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    ids = {"OWNER": cast.owner.id, "PARTICIPANT": cast.participant.id, "OUTSIDER": cast.outsider.id}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return ids.get(value, value) if isinstance(value, str) else value

    for case, body, field, detail in BAD_ENTRIES:
        payload = {"description": "fuel", "amount": "23.50", **fill(body)}
        answer = _post(http, cast, "owner", "/entries", json=payload)
        assert answer.status_code == 422, (case, answer.text)
        problem = assert_problem(answer, 422, "invalid-input", detail)
        assert field in invalid_fields(problem) | {problem.get("field")}, case
    assert _count(system, Entry) == 0


def test_the_problems_of_an_entry_are_told_in_the_callers_language(
    http: httpx.Client, cast: Cast
) -> None:
    body = {
        "description": "x",
        "amount": "0",
        "split": {"method": "percent", "among": [{"user_id": cast.participant.id}]},
    }
    headers = {**cast.person("owner").headers, "Accept-Language": "es"}

    answer = http.post(_url(cast, "/entries"), json=body, headers=headers)

    problem = assert_problem(answer, 422, "invalid-input")
    assert problem["detail"] == "amount: no puede ser cero"
    # The fields' own messages stay in English for the programs that match them.
    assert problem["errors"][0]["messages"] == ["must not be zero"]
    english = http.post(_url(cast, "/entries"), json=body, headers=cast.person("owner").headers)
    assert english.json()["detail"] == "amount: must not be zero"


def test_a_split_among_non_members_names_them(http: httpx.Client, cast: Cast) -> None:
    body = {
        "description": "x",
        "amount": "9",
        "split": {"among": [{"user_id": cast.outsider.id}, {"user_id": 999999}]},
    }
    problem = assert_problem(
        _post(http, cast, "owner", "/entries", json=body), 422, "invalid-input"
    )
    assert f"users {cast.outsider.id}, 999999 are not members of this event" in problem["detail"]


def test_entries_are_listed_with_filters_and_pages(http: httpx.Client, cast: Cast) -> None:
    for n in range(5):
        an_expense(http, cast.event, cast.owner, description=f"fuel {n}", category="transport")
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="purchase",
        paid_by=[{"party": "treasury"}],
        description="bread",
        category="food",
    )
    listed = http.get(
        _url(cast, "/entries"),
        params={"limit": 2, "offset": 1, "category": "transport"},
        headers=cast.owner.headers,
    )
    assert listed.status_code == 200
    page = listed.json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 1, 2)
    found = http.get(
        _url(cast, "/entries"),
        params={"q": "BREAD", "party": "treasury"},
        headers=cast.owner.headers,
    ).json()
    assert [e["description"] for e in found["items"]] == ["bread"]
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"date_from": "May"}, "date_from"),
        ({"colour": "red"}, "colour"),
        ({"party": "bank"}, "party"),
    ):
        problem = assert_problem(
            http.get(_url(cast, "/entries"), params=params, headers=cast.owner.headers),
            422,
            "invalid-input",
        )
        assert field in invalid_fields(problem)


def test_an_entry_is_corrected_and_reversed_with_its_history(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    entry = an_expense(http, cast.event, cast.participant)
    url = _url(cast, f"/entries/{entry['id']}")
    fixed = http.patch(
        url, json={"amount": "25.00", "reason": "ticket"}, headers=cast.organizer.headers
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["revision"], fixed.json()["amount"]) == (2, "25.00")
    assert_problem(
        http.patch(url, json={"amount": 25}, headers=cast.organizer.headers),
        422,
        "invalid-input",
        "decimal strings",
    )
    assert_problem(
        http.patch(url, json={"amount": "25.00"}, headers=cast.organizer.headers),
        409,
        "conflict",
        "changes nothing",
    )
    assert_problem(
        http.patch(url, json={"color": "red"}, headers=cast.organizer.headers), 422, "invalid-input"
    )
    assert_problem(
        http.patch(url, json={"amount": "0.001"}, headers=cast.organizer.headers),
        422,
        "invalid-input",
        "at most 2 decimals",
    )
    reversed_ = http.post(
        f"{url}/reverse", json={"reason": "duplicate"}, headers=cast.owner.headers
    )
    assert (reversed_.status_code, reversed_.json()["state"]) == (200, "reversed")
    assert_problem(
        http.post(f"{url}/reverse", json={}, headers=cast.owner.headers),
        409,
        "conflict",
        "was reversed",
    )
    detail = http.get(url, headers=cast.owner.headers).json()
    assert [(r["number"], r["action"], r["reason"]) for r in detail["revisions"]] == [
        (1, "created", ""),
        (2, "corrected", "ticket"),
        (3, "reversed", "duplicate"),
    ]
    assert _count(system, Revision) == 3
    assert_problem(
        http.get(_url(cast, "/entries/999999"), headers=cast.owner.headers),
        404,
        "not-found",
        "no entry 999999",
    )
    assert_problem(
        http.get(_url(cast, "/entries/99999999999"), headers=cast.owner.headers), 404, "not-found"
    )


# ---- receipts -----------------------------------------------------------------------------------


RECEIPTS = [
    (PNG, "image/png", ".png"),
    (JPEG, "image/jpeg", ".jpg"),
    (WEBP, "image/webp", ".webp"),
    (PDF, "application/pdf", ".pdf"),
]


def test_a_receipt_is_kept_with_the_type_its_bytes_say_and_downloaded_as_an_attachment(
    http: httpx.Client, cast: Cast
) -> None:
    entry = an_expense(http, cast.event, cast.participant)
    sent_ids = []
    for content, content_type, extension in RECEIPTS:
        files = {"file": ("../../ticket gasolinera.txt", content, "text/plain")}
        sent = _post(http, cast, "participant", f"/entries/{entry['id']}/receipts", files=files)
        assert sent.status_code == 201, sent.text
        receipt = sent.json()
        assert (receipt["content_type"], receipt["size"], receipt["filename"]) == (
            content_type,
            len(content),
            f"ticket gasolinera{extension}",
        )
        url = _url(cast, f"/entries/{entry['id']}/receipts/{receipt['id']}")
        got = http.get(url, headers=cast.owner.headers)
        assert (got.status_code, got.content) == (200, content)
        assert got.headers["Content-Type"] == content_type
        assert got.headers["Content-Disposition"].startswith("attachment")
        sent_ids.append(receipt["id"])
    listed = http.get(_url(cast, f"/entries/{entry['id']}"), headers=cast.owner.headers).json()
    assert [r["id"] for r in listed["receipts"]] == sent_ids


def test_receipts_of_the_wrong_type_or_size_are_refused(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    entry = an_expense(http, cast.event, cast.owner)
    tail = f"/entries/{entry['id']}/receipts"
    wrong = _post(
        http,
        cast,
        "owner",
        tail,
        files={"file": ("ticket.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert_problem(wrong, 422, "invalid-input", "must be a PNG, JPEG or WebP image or a PDF")
    empty = _post(http, cast, "owner", tail, files={"file": ("ticket.png", b"", "image/png")})
    assert_problem(empty, 422, "invalid-input")
    limit = system.settings.ledger_max_receipt_bytes
    over = _post(
        http,
        cast,
        "owner",
        tail,
        files={"file": ("big.png", PNG + b"\x00" * (limit - len(PNG) + 1), "image/png")},
    )
    assert_problem(over, 413, "payload-too-large", f"at most {limit} bytes")
    huge = _post(
        http,
        cast,
        "owner",
        tail,
        files={"file": ("huge.png", PNG + b"\x00" * (limit + 200_000), "image/png")},
    )
    assert_problem(huge, 413, "payload-too-large")
    missing = _post(http, cast, "owner", tail, data={"nothing": "here"})
    assert_problem(missing, 422, "invalid-input")
    assert_problem(
        _post(
            http,
            cast,
            "owner",
            "/entries/999999/receipts",
            files={"file": ("t.png", PNG, "image/png")},
        ),
        404,
        "not-found",
    )
    assert _count(system, Receipt) == 0
    other = an_expense(http, cast.event, cast.owner)
    assert_problem(
        _post(
            http,
            cast,
            "participant",
            f"/entries/{other['id']}/receipts",
            files={"file": ("t.png", PNG, "image/png")},
        ),
        403,
        "permission-denied",
    )
    assert_problem(
        http.get(_url(cast, f"/entries/{entry['id']}/receipts/1"), headers=cast.owner.headers),
        404,
        "not-found",
    )


# ---- budget, settings, report, balances, settlement, audit ------------------------------------


def test_the_budget_is_set_by_organizers_and_checked(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    lines = [
        {"kind": "purchase", "category": "food", "planned": "200"},
        {"kind": "sponsorship", "planned": "500.5"},
    ]
    saved = http.put(_url(cast, "/budget"), json={"lines": lines}, headers=cast.organizer.headers)
    assert saved.status_code == 200, saved.text
    assert [(x["kind"], x["category"], x["planned"]) for x in saved.json()["lines"]] == [
        ("purchase", "food", "200.00"),
        ("sponsorship", "", "500.50"),
    ]
    for bad, detail in (
        ([{"kind": "purchase", "planned": "-1"}], "must be from 0"),
        ([{"kind": "purchase", "planned": "1.001"}], "at most 2 decimals"),
        (
            [{"kind": "sale", "planned": "1"}, {"kind": "sale", "planned": "2"}],
            "already planned above",
        ),
        ([{"kind": "transfer", "planned": "1"}], "Input should be"),
        ([{"kind": "sale", "planned": 1}], "decimal strings"),
    ):
        answer = http.put(_url(cast, "/budget"), json={"lines": bad}, headers=cast.owner.headers)
        assert_problem(answer, 422, "invalid-input", detail)
    assert len(http.get(_url(cast, "/budget"), headers=cast.owner.headers).json()["lines"]) == 2
    assert_problem(
        http.put(_url(cast, "/budget"), json={"lines": []}, headers=cast.participant.headers),
        403,
        "permission-denied",
    )
    assert_problem(
        http.get(_url(cast, "/budget"), headers=cast.participant.headers),
        403,
        "permission-denied",
        "keep the budget",
    )


def test_the_report_setting_opens_the_report_to_members(http: httpx.Client, cast: Cast) -> None:
    an_expense(
        http,
        cast.event,
        cast.owner,
        kind="sponsorship",
        amount="300",
        received_by=[{"party": "treasury"}],
    )
    assert_problem(
        http.get(_url(cast, "/report"), headers=cast.participant.headers), 403, "permission-denied"
    )
    settings = http.get(_url(cast, "/settings"), headers=cast.participant.headers).json()
    assert settings == {"currency": "EUR", "visibility": "organizers"}
    assert_problem(
        http.patch(
            _url(cast, "/settings"),
            json={"visibility": "members"},
            headers=cast.participant.headers,
        ),
        403,
        "permission-denied",
    )
    assert_problem(
        http.patch(
            _url(cast, "/settings"), json={"visibility": "world"}, headers=cast.owner.headers
        ),
        422,
        "invalid-input",
    )
    changed = http.patch(
        _url(cast, "/settings"), json={"visibility": "members"}, headers=cast.organizer.headers
    )
    assert changed.json()["visibility"] == "members"
    report = http.get(_url(cast, "/report"), headers=cast.participant.headers)
    assert report.status_code == 200
    assert (report.json()["income"], report.json()["cash"][0]["party"]) == ("300.00", "treasury")


def test_balances_and_settlement_bring_everyone_to_zero(http: httpx.Client, cast: Cast) -> None:
    an_expense(http, cast.event, cast.participant, amount="90")
    balances = http.get(_url(cast, "/balances"), headers=cast.owner.headers).json()
    assert balances["total"] == "0.00"
    assert {m["user_id"]: m["balance"] for m in balances["members"]}[cast.participant.id] == "60.00"
    mine = http.get(_url(cast, "/balances"), headers=cast.participant.headers).json()
    assert (mine["complete"], [m["balance"] for m in mine["members"]]) == (False, ["60.00"])
    suggestion = http.get(_url(cast, "/settlement"), headers=cast.owner.headers).json()
    assert [
        (t["payer"]["party"], t["payee"]["party"], t["amount"]) for t in suggestion["transfers"]
    ] == [
        (cast.owner.id, cast.participant.id, "30.00"),
        (cast.organizer.id, cast.participant.id, "30.00"),
    ]
    shown = [
        {"payer": t["payer"]["party"], "payee": t["payee"]["party"], "amount": t["amount"]}
        for t in suggestion["transfers"]
    ]
    stale = [{**shown[0], "amount": "29.99"}, shown[1]]
    assert_problem(
        _post(http, cast, "owner", "/settlement", json={"transfers": stale}),
        409,
        "conflict",
        "balances changed",
    )
    assert_problem(
        _post(http, cast, "participant", "/settlement", json={}), 403, "permission-denied"
    )
    assert_problem(
        _post(
            http,
            cast,
            "owner",
            "/settlement",
            json={"transfers": [{"payer": 1, "payee": 2, "amount": 3}]},
        ),
        422,
        "invalid-input",
    )
    done = _post(
        http,
        cast,
        "owner",
        "/settlement",
        json={"transfers": shown},
        key="settle-1",
    )
    assert done.status_code == 201, done.text
    assert len(done.json()["entry_ids"]) == 2
    after = http.get(_url(cast, "/balances"), headers=cast.owner.headers).json()
    assert {m["balance"] for m in after["members"]} == {"0.00"}
    assert_problem(
        _post(http, cast, "owner", "/settlement", json={}), 409, "conflict", "settled already"
    )


def test_the_audit_trail_lists_everything_newest_first(http: httpx.Client, cast: Cast) -> None:
    entry = an_expense(http, cast.event, cast.owner)
    http.patch(
        _url(cast, f"/entries/{entry['id']}"),
        json={"description": "diesel"},
        headers=cast.owner.headers,
    )
    http.put(
        _url(cast, "/budget"),
        json={"lines": [{"kind": "expense", "planned": "50"}]},
        headers=cast.owner.headers,
    )
    trail = http.get(
        _url(cast, "/audit"), params={"limit": 2}, headers=cast.organizer.headers
    ).json()
    assert (trail["total"], [a["action"] for a in trail["items"]]) == (
        3,
        ["budget.changed", "entry.corrected"],
    )
    assert trail["items"][1]["summary"]["changes"]["description"] == ["fuel", "diesel"]
    assert_problem(
        http.get(_url(cast, "/audit"), params={"limit": -1}, headers=cast.owner.headers),
        422,
        "invalid-input",
    )
    assert_problem(
        http.get(_url(cast, "/audit"), headers=cast.participant.headers), 403, "permission-denied"
    )


# ---- export and import --------------------------------------------------------------------------


def test_exports_and_a_spreadsheet_import_with_its_line_report(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="12.00", category="food")
    as_csv = http.get(_url(cast, "/export.csv"), headers=cast.owner.headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert (
        as_csv.headers["Content-Disposition"]
        == f"attachment; filename=ledger-{cast.event['id']}.csv"
    )
    assert as_csv.text.startswith("entry_id,revision,date,kind,description")
    as_json = http.get(_url(cast, "/export.json"), headers=cast.owner.headers).json()
    assert (len(as_json["entries"]), as_json["settings"]["currency"]) == (1, "EUR")

    files = {"file": ("ledger.csv", as_csv.content, "text/csv")}
    checked = _post(http, cast, "owner", "/import", params={"dry_run": "true"}, files=files)
    assert (checked.status_code, checked.json()["dry_run"], checked.json()["created"]) == (
        200,
        True,
        0,
    )
    imported = _post(
        http,
        cast,
        "owner",
        "/import",
        files=files,
        key="import-1",
    )
    assert (imported.status_code, imported.json()["created"]) == (201, 1)
    again = _post(
        http,
        cast,
        "owner",
        "/import",
        files=files,
        key="import-1",
    )
    assert again.json() == imported.json()
    assert _count(system, Entry) == 2

    bad = "description,amount,kind\nBread,3.50,purchase\nMilk,abc,purchase\nWine,2,party\n"
    answer = _post(
        http, cast, "owner", "/import", files={"file": ("bad.csv", bad.encode(), "text/csv")}
    )
    problem = assert_problem(
        answer,
        422,
        "invalid-input",
        "2 of 3 lines have problems, nothing was imported; line 3: amount",
    )
    assert [(line["line"], line["errors"][0]["field"]) for line in problem["lines"]] == [
        (3, "amount"),
        (4, "kind"),
    ]
    for content, detail in (
        (b"nothing,useful\n1,2\n", "must name the columns"),
        (b"description,amount,colour\nx,1,red\n", "unknown column 'colour'"),
        (b"description,amount\n", "no entries"),
    ):
        assert_problem(
            _post(http, cast, "owner", "/import", files={"file": ("x.csv", content, "text/csv")}),
            422,
            "invalid-input",
            detail,
        )
    assert_problem(
        _post(http, cast, "owner", "/import", data={"file": "inline"}), 422, "invalid-input"
    )
    assert_problem(
        _post(http, cast, "participant", "/import", files=files), 403, "permission-denied"
    )
    assert _count(system, Entry) == 2


# ---- who may call what --------------------------------------------------------------------------

READS = ["/entries", "/balances", "/settlement", "/settings"]
REPORT_READS = ["/report", "/budget", "/audit", "/export.json", "/export.csv"]


CHANGES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/entries", {"description": "x", "amount": "1"}),
    ("PATCH", "/entries/1", {"amount": "2"}),
    ("POST", "/entries/1/reverse", {}),
    ("PUT", "/budget", {"lines": []}),
    ("PATCH", "/settings", {"visibility": "members"}),
    ("POST", "/settlement", {}),
]


def test_nobody_outside_the_event_sees_or_changes_its_ledger(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    for tail in READS + REPORT_READS:
        assert_problem(http.get(_url(cast, tail)), 401, "not-authenticated")
        assert_problem(http.get(_url(cast, tail), headers=cast.outsider.headers), 404, "not-found")
        elsewhere = f"/api/v1/events/999999/ledger{tail}"
        assert_problem(http.get(elsewhere, headers=cast.owner.headers), 404, "not-found")
    for method, tail, body in CHANGES:
        assert_problem(http.request(method, _url(cast, tail), json=body), 401, "not-authenticated")
        answer = http.request(method, _url(cast, tail), json=body, headers=cast.outsider.headers)
        assert_problem(answer, 404, "not-found")
    assert _count(system, Entry) == 0


def test_members_read_what_concerns_them_and_organizers_the_report(
    http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.participant)
    expected = {"owner": 200, "organizer": 200, "participant": 403}
    for who, status in expected.items():
        headers = cast.person(who).headers
        for tail in READS:
            assert http.get(_url(cast, tail), headers=headers).status_code == 200, (who, tail)
        for tail in REPORT_READS:
            assert http.get(_url(cast, tail), headers=headers).status_code == status, (who, tail)


def test_a_participant_refused_an_export_is_told_about_the_export(
    http: httpx.Client, cast: Cast
) -> None:
    """Each refused report names itself, not the budget it happens to be built from."""
    an_expense(http, cast.event, cast.participant)
    for tail in ("/export.json", "/export.csv"):
        english = http.get(_url(cast, tail), headers=cast.participant.headers)
        body = assert_problem(english, 403, "permission-denied", "keep the export to themselves")
        assert "budget" not in body["detail"], body
        spanish = {**cast.participant.headers, "Accept-Language": "es"}
        answer = http.get(_url(cast, tail), headers=spanish)
        assert_problem(answer, 403, "permission-denied", "se reservan la exportación")


def test_only_organizers_record_event_money(http: httpx.Client, cast: Cast) -> None:
    body: dict[str, Any] = {"kind": "purchase", "description": "tent", "amount": "80"}
    body["paid_by"] = [{"party": "treasury"}]
    for who, status in (("owner", 201), ("organizer", 201), ("participant", 403)):
        assert _post(http, cast, who, "/entries", json=body).status_code == status, who


def test_a_participant_may_not_say_someone_else_paid(http: httpx.Client, cast: Cast) -> None:
    body = {"description": "x", "amount": "5", "paid_by": [{"party": cast.owner.id}]}
    assert_problem(
        _post(http, cast, "participant", "/entries", json=body),
        403,
        "permission-denied",
        "they paid themselves",
    )


def test_a_participant_records_a_payment_they_made_once_however_often_it_is_sent(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    an_expense(http, cast.event, cast.owner, amount="30")
    body = {"to": cast.owner.id, "amount": "4.00"}
    first = _post(http, cast, "participant", "/payments", key="pay-77", json=body)
    assert first.status_code == 201, first.text
    again = _post(http, cast, "participant", "/payments", key="pay-77", json=body)
    assert again.json() == first.json()
    payment = first.json()
    assert (payment["kind"], payment["code"], payment["amount"]) == (
        "transfer",
        "settle-up",
        "4.00",
    )
    assert [p["party"] for p in payment["paid_by"]] == [cast.participant.id]
    assert [p["party"] for p in payment["received_by"]] == [cast.owner.id]
    mine = http.get(_url(cast, "/settlement"), headers=cast.participant.headers).json()
    assert [(t["payee"]["party"], t["amount"]) for t in mine["transfers"]] == [
        (cast.owner.id, "6.00")
    ]
    assert _count(system, Entry) == 2


def test_a_bad_payment_is_told_in_the_callers_language_and_stores_nothing(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    headers = {**cast.participant.headers, "Accept-Language": "es"}
    to_self = {"to": cast.participant.id, "amount": "5"}
    answer = http.post(_url(cast, "/payments"), json=to_self, headers=headers)
    problem = assert_problem(answer, 422, "invalid-input")
    assert "received_by" in invalid_fields(problem) | {problem.get("field")}
    assert "nadie puede transferirse dinero a sí mismo" in problem["detail"]
    for body in ({"to": cast.owner.id, "amount": 5}, {"to": "nobody", "amount": "5"}):
        assert http.post(_url(cast, "/payments"), json=body, headers=headers).status_code == 422
    outsider = http.post(
        _url(cast, "/payments"),
        json={"to": cast.owner.id, "amount": "5"},
        headers=cast.outsider.headers,
    )
    assert_problem(outsider, 404, "not-found")
    assert _count(system, Entry) == 0


def test_every_ledger_endpoint_is_in_the_openapi_document(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    base = "/api/v1/events/{event_id}/ledger"
    expected = {
        "/entries": {"get", "post"},
        "/entries/{entry_id}": {"get", "patch"},
        "/entries/{entry_id}/reverse": {"post"},
        "/entries/{entry_id}/receipts": {"post"},
        "/entries/{entry_id}/receipts/{receipt_id}": {"get"},
        "/budget": {"get", "put"},
        "/settings": {"get", "patch"},
        "/report": {"get"},
        "/balances": {"get"},
        "/settlement": {"get", "post"},
        "/payments": {"post"},
        "/audit": {"get"},
        "/export.csv": {"get"},
        "/export.json": {"get"},
        "/import": {"post"},
    }
    for tail, methods in expected.items():
        assert set(spec["paths"][base + tail]) >= methods, tail
    schemas = spec["components"]["schemas"]
    assert {"EntryCreate", "EntryOut", "Balances", "Settlement", "Report", "ImportReport"} <= set(
        schemas
    )
    parameters = spec["paths"][base + "/entries"]["post"]["parameters"]
    assert any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters)
