"""Bot numbers: handler latency of /balance on an event with 20,000 ledger entries and of /route
over 10,000 routes, and the time to catch up 1,000 pending notifications within Telegram's limits.

- Handler time: the real bot (python-telegram-bot) over the in-process fake Telegram transport,
  the services real and embedded; each sample is one `Application.process_update` of a fresh
  update, rate limits off (Telegram itself is not part of the number). The floor is /help, which
  asks no service: the bot's own work per update (duplicate check, account lookup, language).
- Data: the ledger event is seeded like bench/ledger.py (50 members, 20,000 shared expenses by
  CSV import through the public API); the 10,000 routes are bulk-inserted like bench/routes.py.
- Catch-up: 50 groups each following its own event, the bot's feed cursors set, then 20 ledger
  entries per event recorded (round robin, as groups active at the same time write them); one
  `Notifier.run_once` sends the 1,000 notifications through the REAL limits (TelegramLimits with
  the default settings: 30/s overall, 1/s per chat, 20/min per group). The gaps Telegram saw are
  checked from the fake transport's clock. A single group is measured too (40 notifications:
  past the group's burst, each waits for the 20/min).

Run: `.venv/bin/python bench/bot.py [--backends sqlite,postgresql]` (about five minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.databases import TestDatabases, postgres_unavailable_reason  # noqa: E402

from ledger import bills, seed_tripbot  # noqa: E402  (bench/ledger.py: the same 20,000 bills)
from routes import seed_catalogue  # noqa: E402  (bench/routes.py: the same catalogue)
from tripbot.bot import service as store  # noqa: E402
from tripbot.bot.app import build_application  # noqa: E402
from tripbot.bot.conversation import BotRuntime  # noqa: E402
from tripbot.bot.link import TelegramLink  # noqa: E402
from tripbot.bot.notifications import Notifier  # noqa: E402
from tripbot.bot.runner import receive_updates  # noqa: E402
from tripbot.bot.transport import FakeTelegram, TelegramUser, Updates  # noqa: E402
from tripbot.clients import Services  # noqa: E402
from tripbot.platform.db import Database  # noqa: E402
from tripbot.platform.identity import Principal  # noqa: E402
from tripbot.platform.logging import configure_logging  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import System, build_embedded  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"  # noqa: S105 - the fake transport accepts any token
ROUTES = 10_000
RUNS, WARMUP = 40, 3
GROUPS, PER_GROUP = 50, 20
SINGLE_GROUP = 40
ROUTE_SEARCHES = ("/route sierra 5", "/route ruta 9999", "/route sierra", "/route nowhere")
_telegram_ids = itertools.count(90_000_001)


@dataclass
class Bot:
    """The bot over the fake transport, on its own event loop."""

    application: Any
    telegram: FakeTelegram
    updates: Updates
    runtime: BotRuntime
    loop: asyncio.AbstractEventLoop

    def say(self, user: TelegramUser, text: str, chat_id: int | None = None) -> list[str]:
        """Feed one message; the texts the bot answered."""
        before = len(self.telegram.sent)
        self.loop.run_until_complete(
            self.application.process_update(self.updates.message(user, text, chat_id=chat_id))
        )
        return [s.text for s in self.telegram.sent[before:] if s.method.startswith("send")]

    def close(self) -> None:
        """Shut the application down."""
        self.loop.run_until_complete(self.application.shutdown())
        self.loop.close()


def a_bot(system: System, database: Database, *, limits: bool) -> Bot:
    """The bot as `tripbot bot` builds it, over the fake transport."""
    services: Services = system.gateway.extensions["tripbot.services"]
    runtime = BotRuntime(system.settings, services, database)
    telegram = FakeTelegram()
    application = build_application(
        runtime, token=TOKEN, request=telegram, limits=limits, notifications=False
    )
    loop = asyncio.new_event_loop()
    loop.run_until_complete(application.initialize())
    return Bot(application, telegram, Updates(application.bot, next(_telegram_ids)), runtime, loop)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, min and max of millisecond samples, rounded."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(ordered[0], 2),
        "max_ms": round(ordered[-1], 2),
        "runs": len(ordered),
    }


def handler_ms(bot: Bot, user: TelegramUser, texts: tuple[str, ...]) -> list[float]:
    """Milliseconds of process_update for each text in turn, RUNS rounds after WARMUP."""
    samples = []
    for round_ in range(WARMUP + RUNS):
        for text in texts:
            update = bot.updates.message(user, text)
            started = time.perf_counter()
            bot.loop.run_until_complete(bot.application.process_update(update))
            if round_ >= WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    return samples


def expense_ms(bot: Bot, user: TelegramUser) -> list[float]:
    """Milliseconds of the press that records an expense (Everyone: the entry, then the
    person's balance), RUNS times after WARMUP; each after its own /gasto."""
    samples = []
    for round_ in range(WARMUP + RUNS):
        before = len(bot.telegram.sent)
        bot.loop.run_until_complete(
            bot.application.process_update(bot.updates.message(user, f"/gasto 5 pan {round_}"))
        )
        question = bot.telegram.sent[before]
        press = bot.updates.press(user, question, "Everyone")
        started = time.perf_counter()
        bot.loop.run_until_complete(bot.application.process_update(press))
        if round_ >= WARMUP:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


# ---- data ---------------------------------------------------------------------------------------


def linked_user(http: httpx.Client, bot: Bot, headers: dict[str, str]) -> TelegramUser:
    """A Telegram account linked to the person ``headers`` authenticate, the way people do it."""
    code = http.post("/api/v1/me/telegram/link-code", headers=headers)
    code.raise_for_status()
    user = TelegramUser(id=next(_telegram_ids), language_code="en")
    answer = bot.say(user, f"/start {code.json()['code']}")
    if not answer or "Linked" not in answer[0]:
        raise RuntimeError(f"could not link: {answer}")
    return user


def login(http: httpx.Client, email: str) -> dict[str, str]:
    """A bearer token of a person seeded by bench/ledger.py."""
    token = http.post("/api/v1/auth/token", json={"email": email, "password": "bench password 1"})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['token']}"}


def seed_routes(database: Database) -> None:
    """10,000 routes in the catalogue, as bench/routes.py writes them."""
    seed_catalogue(database, ROUTES)


@contextmanager
def embedded(backend: str) -> Iterator[tuple[System, Database, httpx.Client]]:
    """The whole system in process on fresh databases of a backend, and a client of its API."""
    with tempfile.TemporaryDirectory() as tmp:
        databases = TestDatabases(backend, Path(tmp))
        settings = Settings(env="test", data_dir=Path(tmp), service_timeout=60.0)
        system = build_embedded(settings, databases.urls, run_migrations=False)
        transport = httpx.WSGITransport(app=system.gateway)
        try:
            with httpx.Client(transport=transport, base_url="http://bench", timeout=600) as http:
                yield system, databases.databases["bot"], http
        finally:
            system.close()
            databases.drop()


# ---- handler latency ----------------------------------------------------------------------------


def latency(backend: str) -> dict[str, Any]:
    """Handler latency of /balance (20,000 entries) and /route (10,000 routes) on a backend."""
    with embedded(backend) as (system, database, http):
        started = time.perf_counter()
        event_id, owner = seed_tripbot(http, bills())
        seed_routes(system.databases["routes"])
        load_s = time.perf_counter() - started
        bot = a_bot(system, database, limits=False)
        try:
            organizer = linked_user(http, bot, owner)
            participant = linked_user(http, bot, login(http, "m01@bench.example"))
            shown = {
                "balance_organizer": bot.say(organizer, "/balance")[0],
                "balance_participant": bot.say(participant, "/balance")[0],
                "saldo_participant": bot.say(participant, "/saldo")[0],
                "gasto_participant": bot.say(participant, "/gasto 5 pan")[0].splitlines()[0],
                "route": bot.say(organizer, ROUTE_SEARCHES[0])[0].splitlines()[0],
            }
            recording = expense_ms(bot, participant)
            result: dict[str, Any] = {
                "load_s": round(load_s, 1),
                "floor_help": percentiles(handler_ms(bot, organizer, ("/help",))),
                "balance_organizer": percentiles(handler_ms(bot, organizer, ("/balance",))),
                "balance_participant": percentiles(handler_ms(bot, participant, ("/balance",))),
                "saldo_participant": percentiles(handler_ms(bot, participant, ("/saldo",))),
                "gasto_participant": percentiles(handler_ms(bot, participant, ("/gasto 5 pan",))),
                "gasto_everyone_press": percentiles(recording),
                "route": percentiles(handler_ms(bot, organizer, ROUTE_SEARCHES)),
                "route_searches": list(ROUTE_SEARCHES),
                "ledger_calls": ledger_calls(system, http, owner, event_id),
                "answers": shown,
            }
        finally:
            bot.close()
    for name in (
        "balance_organizer",
        "balance_participant",
        "saldo_participant",
        "gasto_participant",
        "gasto_everyone_press",
        "route",
    ):
        result[f"{name}_p50_over_floor"] = round(
            result[name]["p50_ms"] / result["floor_help"]["p50_ms"], 1
        )
    return result


def ledger_calls(
    system: System, http: httpx.Client, owner: dict[str, str], event_id: int
) -> dict[str, float]:
    """p50 ms of the two ledger calls an organizer's /balance makes, straight to the service."""
    me = http.get("/api/v1/me", headers=owner).json()["id"]
    principal = Principal(user_id=me, event_id=event_id, event_role="owner")
    ledger = system.gateway.extensions["tripbot.services"].ledger(principal)
    found = {}
    for name, call in (("balances", ledger.balances), ("report", ledger.report)):
        samples = []
        for _ in range(10):
            started = time.perf_counter()
            call(event_id)
            samples.append((time.perf_counter() - started) * 1000)
        found[f"{name}_p50_ms"] = round(statistics.median(samples), 2)
    return found


# ---- notification catch-up ----------------------------------------------------------------------


def most_in_window(times: list[float], seconds: float) -> int:
    """The most calls made within any window of ``seconds``."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def kept_limits(telegram: FakeTelegram) -> dict[str, Any]:
    """What Telegram saw: messages, and the busiest second, chat second and group minute."""
    sent = [s for s in telegram.sent if s.method == "sendMessage"]
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in sent:
        by_chat[call.chat_id or 0].append(call.at)
    times = [call.at for call in sent]
    return {
        "messages": len(sent),
        "most_in_any_second": most_in_window(times, 1.0),
        "most_per_chat_in_any_second": max(most_in_window(t, 1.0) for t in by_chat.values()),
        "most_per_group_in_any_minute": max(most_in_window(t, 60.0) for t in by_chat.values()),
        "span_s": round(times[-1] - times[0], 2) if times else 0.0,
    }


def groups_with_events(
    system: System, http: httpx.Client, database: Database, owner: dict[str, str], count: int
) -> list[int]:
    """``count`` events of ``owner``, each followed by a group of its own; their ids."""
    me = http.get("/api/v1/me", headers=owner).json()["id"]
    event_ids = []
    for n in range(count):
        made = http.post(
            "/api/v1/events",
            json={
                "name": f"Outing {n}",
                "starts_at": "2027-06-01T08:00:00+02:00",
                "ends_at": "2027-06-01T20:00:00+02:00",
                "currency": "EUR",
            },
            headers=owner,
        )
        made.raise_for_status()
        event_ids.append(made.json()["id"])
        store.bind_chat(database.unit_of_work(), -1_000_000 - n, event_ids[-1], f"G{n}", me)
    return event_ids


def entries(http: httpx.Client, owner: dict[str, str], event_ids: list[int], each: int) -> None:
    """``each`` expenses in every event, round robin."""
    for n in range(each):
        for event_id in event_ids:
            recorded = http.post(
                f"/api/v1/events/{event_id}/ledger/entries",
                json={"description": f"fuel {n}", "amount": "23.50"},
                headers=owner,
            )
            recorded.raise_for_status()


def catch_up(groups: int, per_group: int) -> dict[str, Any]:
    """Seconds for one notification round to send ``groups`` x ``per_group`` pending notices."""
    with embedded("sqlite") as (system, database, http):
        owner = seed_owner(http)
        event_ids = groups_with_events(system, http, database, owner, groups)
        bot = a_bot(system, database, limits=True)
        notifier = Notifier(bot.runtime)
        try:
            bot.loop.run_until_complete(notifier.run_once(bot.application.bot))  # the cursors
            seeding = time.perf_counter()
            entries(http, owner, event_ids, per_group)
            seeded_s = time.perf_counter() - seeding
            started = time.perf_counter()
            sent = bot.loop.run_until_complete(notifier.run_once(bot.application.bot))
            elapsed = time.perf_counter() - started
            seen = kept_limits(bot.telegram)
        finally:
            bot.close()
    return {
        "groups": groups,
        "per_group": per_group,
        "sent": sent,
        "catch_up_s": round(elapsed, 2),
        "per_second": round(sent / elapsed, 2),
        "backlog_seeding_s": round(seeded_s, 1),
        "telegram_saw": seen,
    }


def seed_owner(http: httpx.Client) -> dict[str, str]:
    """Someone who organizes the outings."""
    body = {"email": "owner@bench.example", "password": "bench password 1", "display_name": "O"}
    http.post("/api/v1/auth/register", json=body).raise_for_status()
    return login(http, body["email"])


# ---- Telegram coming back ----------------------------------------------------------------------


def reconnect(outage_s: float, while_running: bool) -> dict[str, Any]:
    """Seconds from Telegram coming back to the first message delivered: a reply to a person
    who wrote during the outage (kept by Telegram, fetched by long polling) and a notification
    of an expense recorded during it. The real runner (connect's backoff, PTB's polling loop,
    the notifier's rounds) over the fake transport, whose every call fails during the outage
    as a network fault does."""
    with embedded("sqlite") as (system, database, http):
        owner = seed_owner(http)
        (event_id,) = groups_with_events(system, http, database, owner, 1)
        runtime = BotRuntime(
            system.settings.model_copy(update={"bot_feed_interval": 5.0}),
            system.gateway.extensions["tripbot.services"],
            database,
        )
        telegram, link = FakeTelegram(), TelegramLink()
        application = build_application(
            runtime, token=TOKEN, request=telegram, limits=False, link=link
        )
        person = TelegramUser(next(_telegram_ids), language_code="en")
        updates = Updates(application.bot, 900_000_000)
        loop = asyncio.new_event_loop()

        async def scenario() -> dict[str, float]:
            stopped = asyncio.Event()
            if not while_running:
                telegram.unreachable = True
            running = asyncio.create_task(
                receive_updates(application, runtime.settings, stopped, link, lambda _: None)
            )
            if while_running:
                while not link.connected or not telegram.sent:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(6)  # a notification round: the feeds' cursors are set
                telegram.unreachable = True
            else:
                await asyncio.sleep(1)
                await asyncio.to_thread(store.advance_feed, database.unit_of_work(), "ledger", 0)
            await asyncio.to_thread(entries, http, owner, [event_id], 1)
            telegram.deliver(updates.message(person, "/help"))
            await asyncio.sleep(outage_s)
            before = len(telegram.sent)
            telegram.unreachable = False
            back = time.monotonic()
            firsts: dict[str, float] = {}
            while len(firsts) < 2:
                for sent in telegram.sent[before:]:
                    if sent.method != "sendMessage":
                        continue
                    kind = "reply_s" if sent.chat_id == person.id else "notification_s"
                    firsts.setdefault(kind, round(sent.at - back, 2))
                await asyncio.sleep(0.02)
            stopped.set()
            await running
            return firsts

        try:
            return {"outage_s": outage_s, **loop.run_until_complete(scenario())}
        finally:
            loop.close()


def console_start(runs: int = 7) -> dict[str, Any]:
    """Seconds from `tripbot bot console` starting to its first answer (/help) and its end, on
    a data directory TripBot already made: wall time of every run (the quietest told from the
    busiest) and the CPU time the process used (what an idle machine would take)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    environment["TRIPBOT_ENV"] = "test"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "-m", "tripbot", "user", "create", "--email", "ana@club.example",
             "--name", "Ana", "--data-dir", tmp],
            input="a long password\na long password\n", text=True, env=environment,
            capture_output=True, check=True,
        )  # fmt: skip
        seconds, cpu = [], []
        for _ in range(runs):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            answered = subprocess.run(  # noqa: S603 - our own command line
                [sys.executable, "-m", "tripbot", "bot", "console", "--as", "ana@club.example",
                 "--data-dir", tmp],
                input="/help\n", text=True, env=environment, capture_output=True, check=True,
            )  # fmt: skip
            seconds.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU time barely depends on how busy the shared machine is: the idle machine's wall.
            cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
            assert "TripBot" in answered.stdout, answered.stdout
    return {
        "runs_s": [round(x, 2) for x in seconds],
        "min_s": round(min(seconds), 2),
        "median_s": round(statistics.median(seconds), 2),
        "cpu_runs_s": [round(x, 2) for x in cpu],
        "cpu_min_s": round(min(cpu), 2),
        "cpu_median_s": round(statistics.median(cpu), 2),
        "load_average": round(os.getloadavg()[0], 2),
    }


# ---- main ---------------------------------------------------------------------------------------


def timed(label: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one part, saying how long it took."""
    print(f"… {label}", flush=True)
    started = time.perf_counter()
    result = work()
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return result


def main() -> None:
    """Measure, print a summary, write bench/results/bot.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--parts", default="handler,catch_up,reconnect,console")
    options = parser.parse_args()
    parts = set(options.parts.split(","))
    configure_logging("WARNING", "json")
    backends = [b for b in options.backends.split(",") if b]
    if "postgresql" in backends and postgres_unavailable_reason():
        print(f"skipping PostgreSQL: {postgres_unavailable_reason()}")
        backends.remove("postgresql")
    result: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "entries": len(bills()),
        "routes": ROUTES,
        "handler": {},
    }
    earlier = ROOT / "bench" / "results" / "bot.json"
    if parts != {"handler", "catch_up", "reconnect", "console"} and earlier.exists():
        kept = json.loads(earlier.read_text())  # the parts not run are kept
        result = {**kept, **result, "handler": dict(kept.get("handler", {}))}
    for backend in backends if "handler" in parts else []:
        result["handler"][backend] = timed(
            f"handler latency on {backend}", partial(latency, backend)
        )
    if "catch_up" in parts:
        result["catch_up"] = timed(
            f"catch-up of {GROUPS} x {PER_GROUP}", partial(catch_up, GROUPS, PER_GROUP)
        )
        result["single_group"] = timed(
            f"one group x {SINGLE_GROUP}", partial(catch_up, 1, SINGLE_GROUP)
        )
        single = result["single_group"]["telegram_saw"]
        # Past the burst a group gets one message every 3 s (20/min): 1,000 notices to one group.
        result["single_group_1000_estimate_s"] = round(
            single["span_s"] + (GROUPS * PER_GROUP - SINGLE_GROUP) * 60 / 20
        )
    if "reconnect" in parts:
        result["reconnect"] = {
            "at_start_after_10s": timed(
                "back after 10 s down at start", partial(reconnect, 10, False)
            ),
            "while_running_after_10s": timed("back after 10 s down", partial(reconnect, 10, True)),
            "while_running_after_60s": timed("back after 60 s down", partial(reconnect, 60, True)),
        }
    if "console" in parts:
        result["console_start"] = timed("console start", console_start)
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    summary(result)
    (ROOT / "bench" / "results" / "bot.json").write_text(json.dumps(result, indent=2) + "\n")


def summary(result: dict[str, Any]) -> None:
    """Print the numbers people ask for."""
    print(f"\n{result['machine']}, load {result['load_average_at_start']}")
    names = (
        "floor_help",
        "balance_organizer",
        "balance_participant",
        "saldo_participant",
        "gasto_participant",
        "gasto_everyone_press",
        "route",
    )
    for backend, numbers in result["handler"].items():
        for name in names:
            p = numbers.get(name)
            if p:
                print(
                    f"{backend:10} {name:20} p50 {p['p50_ms']:7.2f} ms   p95 {p['p95_ms']:7.2f} ms"
                )
        print(f"{backend:10} ledger calls alone    {numbers['ledger_calls']}")
    for name in ("catch_up", "single_group"):
        c = result.get(name)
        if not c:
            continue
        saw = c["telegram_saw"]
        print(
            f"{name:12} {c['sent']} notices in {c['catch_up_s']} s ({c['per_second']}/s); "
            f"busiest second {saw['most_in_any_second']}, "
            f"chat second {saw['most_per_chat_in_any_second']}, "
            f"group minute {saw['most_per_group_in_any_minute']}"
        )
    if "single_group_1000_estimate_s" in result:
        print(f"1,000 notices to one group: about {result['single_group_1000_estimate_s']} s")
    for name, numbers in result.get("reconnect", {}).items():
        print(f"Telegram back ({name}): {numbers}")
    if "console_start" in result:
        print(f"console start: {result['console_start']}")


if __name__ == "__main__":
    main()
