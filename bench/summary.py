"""Write bench/RESULTS.md from every bench/results/*.json: one row per measured claim.

Each benchmark writes its own keys, so each row says explicitly where its numbers are; a
results file that is missing (the benchmark was not run) gives rows that say so. Run last by
`make bench`, or alone: `.venv/bin/python bench/summary.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
OUT = BENCH / "RESULTS.md"
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Row:
    """One claim: where its number and its peer's (or floor's) are in a results file."""

    what: str
    ours: Path_ | Callable[[dict[str, Any]], Any]
    peer_name: str = ""
    peer: Path_ | Callable[[dict[str, Any]], Any] | None = None


def _at(data: Any, path: Path_) -> Any:
    for key in path:
        found = isinstance(data, dict) and key in data
        indexed = isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data)
        if not (found or indexed):
            return None
        data = data[key]
    return data


def _value(data: dict[str, Any], where: Path_ | Callable[[dict[str, Any]], Any] | None) -> Any:
    if where is None:
        return None
    if callable(where):
        try:
            return where(data)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None
    return _at(data, where)


def _cpu_rows(prefix: str) -> list[Row]:
    """The servers' CPU per request of the read mix and of `/api/v1/me` against `/healthz`."""
    rows = []
    for mode, said in (("embedded_sqlite", "embedded"), ("distributed_postgresql", "distributed")):
        for phase, what in (("mix", "read mix"), ("me", "`/api/v1/me`")):
            rows.append(
                Row(
                    f"{prefix}Gateway {what}, {said}: server CPU per request (ms)",
                    (mode, phase, "server_cpu_ms_per_request"),
                    "floor: /healthz, same servers",
                    (mode, "floor_healthz", "server_cpu_ms_per_request"),
                )
            )
    return rows


def _startup_rows(prefix: str) -> list[Row]:
    """`tripbot run`'s start on up-to-date databases, and its memory then."""
    return [
        Row(
            f"{prefix}`tripbot run` start on up-to-date databases to healthy gateway (s)",
            ("start_s",),
            "bare Flask app on waitress",
            ("floor_flask_waitress_start_s",),
        ),
        Row(f"{prefix}`tripbot run` CPU until healthy, up-to-date databases (s)", ("start_cpu_s",)),
        Row(f"{prefix}`tripbot run` memory after start (MiB)", ("rss_after_start_mib",)),
    ]


def _calls_rows(prefix: str) -> list[Row]:
    """What the gear item page, the event page and the overview cost inside one process."""
    rows = []
    for page, said in (
        ("web: gear item page", "Gear item page"),
        ("web: event page", "Event page"),
        ("api: event overview", "Event overview (API)"),
    ):
        for count, what in (
            ("internal_calls", "internal calls"),
            ("transactions", "transactions"),
            ("sql_statements", "SQL statements"),
        ):
            rows.append(
                Row(
                    f"{prefix}{said}, embedded (SQLite): {what}",
                    ("counted", "sqlite", "identity cache on", page, count),
                )
            )
    return rows


def _slowest_call_p99(section: str) -> Callable[[dict[str, Any]], Any]:
    def found(data: dict[str, Any]) -> Any:
        fan_out = data["distributed_postgresql"][section]
        return fan_out["calls"][fan_out["slowest_call"]]["p99_ms"]

    return found


ROWS: dict[str, list[Row]] = {
    "foundation.json": [
        Row(
            "`tripbot run` cold start to healthy gateway (s)",
            ("cold_start_s",),
            "bare Flask app on waitress",
            ("floor_flask_waitress_start_s",),
        ),
        Row("`tripbot run` memory after start (MiB)", ("rss_after_start_mib",)),
        Row(
            "e2e club scenario, distributed on PostgreSQL (s)",
            ("scenario_distributed_s",),
            "same scenario embedded on SQLite",
            ("scenario_embedded_s",),
        ),
    ],
    "routes.json": [
        Row(
            "Import a 50,000-point noisy GPX (s)",
            ("import_s",),
            "gpxpy 1.6.2 (parse, length, uphill, simplify)",
            ("gpxpy_s",),
        ),
        Row(
            "Import a 50,000-point GPX (s)",
            ("import_s",),
            "floor: bare lxml parse",
            ("floor_lxml_parse_s",),
        ),
        Row(
            "Ascent error against the true profile (%)",
            ("our_ascent_error_pct",),
            "gpxpy 1.6.2",
            ("gpxpy_ascent_error_pct",),
        ),
        Row("Catalogue search over 10,000 routes, p50 (ms)", ("search_10k_p50_ms",)),
        *(
            Row(
                f"Import the same 50,000-point walk as {label} (s)",
                ("formats", kind, "import_s"),
                f"floor: {floor}",
                ("formats", kind, "floor_s"),
            )
            for kind, label, floor in (
                ("kml", "KML (gx:Track)", "bare lxml parse"),
                ("kmz", "KMZ", "unzip + bare lxml parse"),
                ("tcx", "TCX", "bare lxml parse"),
                ("fit", "FIT", "bare fitdecode decode"),
                ("geojson", "GeoJSON", "json.loads"),
            )
        ),
        Row("Peak memory importing a 48 MB FIT file (MiB)", ("fit_memory", "peak_rss_mib")),
        Row(
            "Peak memory, six parallel 19.5 MB GPX uploads (MiB)",
            ("parallel_uploads", "after", "peak_rss_mib"),
            "the code before streaming",
            ("parallel_uploads", "before", "peak_rss_mib"),
        ),
    ],
    "gear.json": [
        Row(
            "Availability, 2,000 items x 50,000 reservations, SQLite p50 (ms)",
            ("sqlite_availability", "use_case_p50_ms"),
            "floor: the raw SQL alone",
            ("sqlite_availability", "raw_sql_p50_ms"),
        ),
        Row(
            "Availability, same data, PostgreSQL p50 (ms)",
            ("postgresql_availability", "use_case_p50_ms"),
            "floor: the raw SQL alone",
            ("postgresql_availability", "raw_sql_p50_ms"),
        ),
        Row(
            "Reservations made per second, 20 racing clients, PostgreSQL (0 overbooked)",
            ("postgresql_concurrency", "reservations_per_s"),
        ),
    ],
    "ledger.json": [
        Row(
            "Balances + settlement, 20,000 entries, 50 members, p50 (ms)",
            ("tripbot", "p50_ms"),
            "I Hate Money 7.2.1",
            ("ihatemoney_7_2_1", "p50_ms"),
        ),
        Row(
            "Balances, 20,000 entries, p50 (ms)",
            ("tripbot", "balances_p50_ms"),
            "floor: the ledger settings endpoint",
            ("tripbot", "floor_settings_p50_ms"),
        ),
    ],
    "agenda.json": [
        Row(
            "iCalendar feed of 2,000 activities, use case (ms)",
            ("use_case_render_ms",),
            "naive icalendar-library rendering",
            ("floor_naive_icalendar_ms",),
        ),
        Row(
            "Calendar poll answered 304 over HTTP (ms)",
            ("gateway_http_304_ms",),
            "full 200 answer",
            ("gateway_http_200_ms",),
        ),
    ],
    "deploy.json": [
        Row(
            "Syslog over TLS, host away for 1,000 of 3,000 records: lost without a count",
            ("syslog_outage", "tls", "lost_uncounted"),
        ),
        Row(
            "Syslog over TLS: one log call while the host is away, p99 (us)",
            ("syslog_outage", "tls", "log_call_p99_us"),
        ),
        Row(
            "`tripbot serve gateway` to ready on an up-to-date database (s)",
            ("serve_to_ready", "gateway", "up_to_date_database_s"),
        ),
    ],
    "load.json": [
        Row(
            "Gateway read mix, embedded (SQLite), 16 concurrent: throughput (req/s)",
            ("embedded_sqlite", "mix", "throughput_rps"),
            "floor: gateway /healthz, same server and generator",
            ("embedded_sqlite", "floor_healthz", "throughput_rps"),
        ),
        Row(
            "Gateway read mix, embedded: p99 (ms)",
            ("embedded_sqlite", "mix", "p99_ms"),
            "floor: /healthz p99",
            ("embedded_sqlite", "floor_healthz", "p99_ms"),
        ),
        Row(
            "Gateway read mix, distributed (PostgreSQL), 16 concurrent: throughput (req/s)",
            ("distributed_postgresql", "mix", "throughput_rps"),
            "floor: gateway /healthz, same server and generator",
            ("distributed_postgresql", "floor_healthz", "throughput_rps"),
        ),
        Row(
            "Gateway read mix, distributed: p99 (ms)",
            ("distributed_postgresql", "mix", "p99_ms"),
            "floor: /healthz p99",
            ("distributed_postgresql", "floor_healthz", "p99_ms"),
        ),
        Row(
            "Event overview p99, distributed, 16 concurrent (ms)",
            ("distributed_postgresql", "fan_out", "overview", "p99_ms"),
            "slowest call it makes, sent alone to its service, 16 concurrent",
            _slowest_call_p99("fan_out"),
        ),
        Row(
            "Event overview p99, distributed, one at a time (ms)",
            ("distributed_postgresql", "fan_out_one_at_a_time", "overview", "p99_ms"),
            "slowest call it makes, sent alone, one at a time",
            _slowest_call_p99("fan_out_one_at_a_time"),
        ),
        Row(
            "Event overview p99 at the gateway, distributed, 16 concurrent (ms)",
            ("distributed_postgresql", "fan_out", "inside_the_overview", "overview_p99_ms"),
            "the slowest call each overview made, timed by its service (same requests)",
            ("distributed_postgresql", "fan_out", "inside_the_overview", "slowest_call_p99_ms"),
        ),
        Row(
            "Event overview p99 at the gateway, distributed, one at a time (ms)",
            (
                "distributed_postgresql",
                "fan_out_one_at_a_time",
                "inside_the_overview",
                "overview_p99_ms",
            ),
            "the slowest call each overview made, timed by its service (same requests)",
            (
                "distributed_postgresql",
                "fan_out_one_at_a_time",
                "inside_the_overview",
                "slowest_call_p99_ms",
            ),
        ),
        *_cpu_rows(""),
    ],
    "load-before.json": _cpu_rows("Before (issue 14): "),
    "load-lean-before.json": _cpu_rows("Before the lean reads (issue 14, same run): "),
    "startup.json": _startup_rows(""),
    "startup-before.json": _startup_rows("Before (issue 14): "),
    "startup-lean-before.json": _startup_rows("Before the lean imports (issue 14, same run): "),
    "calls.json": _calls_rows(""),
    "calls-before.json": _calls_rows("Before the lean reads (issue 14): "),
    "release.json": [
        Row("Wheel size (bytes; built web assets and catalogues inside)", ("wheel_bytes",)),
        Row(
            "`pip install` of the wheel to the first page served (s)",
            ("install_to_first_page_s",),
            "floor: same dependencies, a bare Flask page",
            ("floor_install_to_first_page_s",),
        ),
    ],
    "bot.json": [
        Row(
            "Bot /balance handler, 20,000 entries, participant, SQLite p50 (ms)",
            ("handler", "sqlite", "balance_participant", "p50_ms"),
            "floor: /help, no service call",
            ("handler", "sqlite", "floor_help", "p50_ms"),
        ),
        Row(
            "Bot /balance handler, organizer (with the report's totals), SQLite p95 (ms)",
            ("handler", "sqlite", "balance_organizer", "p95_ms"),
            "floor: /help p95",
            ("handler", "sqlite", "floor_help", "p95_ms"),
        ),
        Row(
            "Bot /route handler over 10,000 routes, SQLite p50 (ms)",
            ("handler", "sqlite", "route", "p50_ms"),
            "floor: /help",
            ("handler", "sqlite", "floor_help", "p50_ms"),
        ),
        Row(
            "Bot /balance handler, organizer, PostgreSQL p50 (ms)",
            ("handler", "postgresql", "balance_organizer", "p50_ms"),
            "floor: /help",
            ("handler", "postgresql", "floor_help", "p50_ms"),
        ),
        Row(
            "Catch up 1,000 pending notifications (50 groups x 20), real limits (s)",
            ("catch_up", "catch_up_s"),
            "floor: 1,000 at Telegram's 30 messages/s",
            lambda data: data["catch_up"]["sent"] / 30,
        ),
        Row(
            "Most messages Telegram saw to one group in any minute (limit 20)",
            ("single_group", "telegram_saw", "most_per_group_in_any_minute"),
        ),
        Row(
            "Bot /saldo handler, 20,000 entries, participant, SQLite p95 (ms)",
            ("handler", "sqlite", "saldo_participant", "p95_ms"),
            "floor: /help p95",
            ("handler", "sqlite", "floor_help", "p95_ms"),
        ),
        Row(
            "Bot /gasto handler (up to who shares it), participant, SQLite p95 (ms)",
            ("handler", "sqlite", "gasto_participant", "p95_ms"),
            "floor: /help p95",
            ("handler", "sqlite", "floor_help", "p95_ms"),
        ),
        Row(
            "Telegram back after 60 s down: first reply delivered (s)",
            ("reconnect", "while_running_after_60s", "reply_s"),
            "first notification delivered",
            ("reconnect", "while_running_after_60s", "notification_s"),
        ),
        Row(
            "`tripbot bot console` start to its first answer: CPU time, median of 7 (s)",
            ("console_start", "cpu_median_s"),
            "wall time, quietest of the 7",
            ("console_start", "min_s"),
        ),
    ],
    "logs.json": [
        Row(
            "Syslog records a day from an idle embedded instance (INFO)",
            ("embedded", "idle_records_per_day"),
        ),
        Row(
            "Syslog records per 1,000 requests, embedded", ("embedded", "records_per_1000_requests")
        ),
        Row(
            "Syslog records a day from an idle distributed instance",
            ("distributed", "idle_records_per_day"),
        ),
        Row(
            "Syslog records per 1,000 requests, distributed",
            ("distributed", "records_per_1000_requests"),
        ),
    ],
    "logs-before.json": [
        Row("Before: syslog records a day, idle embedded", ("embedded", "idle_records_per_day")),
        Row(
            "Before: syslog records per 1,000 requests, embedded",
            ("embedded", "records_per_1000_requests"),
        ),
        Row(
            "Before: syslog records a day, idle distributed",
            ("distributed", "idle_records_per_day"),
        ),
        Row(
            "Before: syslog records per 1,000 requests, distributed",
            ("distributed", "records_per_1000_requests"),
        ),
    ],
    "login_timing.json": [
        Row(
            "Wrong password for an email with an account, API, median (s)",
            ("api", "known_median_s"),
            "same for an email without one",
            ("api", "unknown_median_s"),
        ),
        Row(
            "Wrong password for an email with an account, web form, median (s)",
            ("web", "known_median_s"),
            "same for an email without one",
            ("web", "unknown_median_s"),
        ),
    ],
    "hung.json": [
        Row(
            "Unrelated request p99 while the agenda service hangs, distributed (ms)",
            ("distributed", "agenda_hung", "by_kind", "events", "p99_ms"),
            "the same request while it answers",
            ("distributed", "normal", "by_kind", "events", "p99_ms"),
        ),
        Row(
            "Route search p99 while the agenda service hangs, distributed (ms)",
            ("distributed", "agenda_hung", "by_kind", "routes", "p99_ms"),
            "the same search while it answers",
            ("distributed", "normal", "by_kind", "routes", "p99_ms"),
        ),
        Row(
            "Health answer while the agenda service hangs (s)",
            ("distributed", "health_hung", "seconds"),
            "health while every service answers",
            ("distributed", "health_normal", "seconds"),
        ),
    ],
    "serve.json": [
        Row(
            "`tripbot serve events`, gunicorn, a worker per core (req/s)",
            ("gunicorn", "throughput_rps"),
            "peer: one waitress process",
            ("waitress", "throughput_rps"),
        ),
    ],
}
"""Every results file and its rows; a benchmark that adds a file adds its rows here."""


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _machine(data: dict[str, Any]) -> str:
    machine = data.get("machine")
    if isinstance(machine, dict):  # deploy.json keeps it as an object
        text = f"{machine.get('cpus', '?')} cores, Python {machine.get('python', '?')}"
        load = machine.get("load_average_at_start")
        load = load[0] if isinstance(load, list) and load else load
    else:
        text = str(machine or "—")
        load = data.get("load_average_at_start", data.get("load_average_1m_at_start"))
    # Other work on the machine moves every number: say how busy it was.
    return f"{text}, load {load:.1f}" if isinstance(load, int | float) else text


def _date(data: dict[str, Any]) -> str:
    return str(data.get("date") or data.get("when") or "—")[:10]


def rows_of(name: str, rows: list[Row]) -> list[str]:
    """The table lines of one results file (``not run`` when it is missing or unreadable)."""
    try:
        data = json.loads((RESULTS / name).read_text())
    except FileNotFoundError:
        data = None
    except json.JSONDecodeError:
        data = {"machine": "unreadable results file"}
    lines = []
    for row in rows:
        if data is None:
            lines.append(f"| {row.what} | not run | {row.peer_name or '—'} | — | — | — |")
            continue
        ours, peer = _value(data, row.ours), _value(data, row.peer)
        numeric = isinstance(ours, int | float) and isinstance(peer, int | float) and peer
        ratio = f"{ours / peer:.3g}" if numeric else "—"
        peer_cell = f"{_number(peer)} ({row.peer_name})" if row.peer_name else "—"
        lines.append(
            f"| {row.what} | {_number(ours)} | {peer_cell} | {ratio} "
            f"| {_machine(data)} | {_date(data)} |"
        )
    return lines


def render() -> str:
    """The whole of RESULTS.md."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/summary.py` from `bench/results/*.json`; reproduce everything with",
        "`make bench` (each script also runs alone: `.venv/bin/python bench/<name>.py`). Peers",
        "and floors are measured in the same run as ours, on the same machine. **ratio** is",
        "ours ÷ peer (or floor): below 1 ours is smaller (for times: faster), above 1 larger.",
        "",
        "| what | ours | peer or floor | ratio | machine | date |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in ROWS.items():
        lines += rows_of(name, rows)
    unmapped = sorted(p.name for p in RESULTS.glob("*.json") if p.name not in ROWS)
    if unmapped:
        lines += ["", f"Results without rows here yet: {', '.join(unmapped)}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write bench/RESULTS.md."""
    OUT.write_text(render())
    print(OUT.read_text())


if __name__ == "__main__":
    main()
