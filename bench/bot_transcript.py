"""A transcript of the situations of issue 17, in Spanish and English: what was typed, what the
bot answered. The real handlers over the fake Telegram transport, every service real (embedded,
SQLite in a temporary directory); people, events and money made through the public API.

Run: `.venv/bin/python bench/bot_transcript.py` (writes bench/results/bot_transcript.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import Person, a_member, a_person, an_event, an_expense  # noqa: E402

from tripbot.bot.app import build_application  # noqa: E402
from tripbot.bot.conversation import BotRuntime  # noqa: E402
from tripbot.bot.notifications import Notifier  # noqa: E402
from tripbot.bot.transport import BOT_USERNAME, FakeTelegram, Sent, TelegramUser, Updates  # noqa: E402
from tripbot.platform.logging import configure_logging  # noqa: E402
from tripbot.platform.settings import Settings  # noqa: E402
from tripbot.system import build_bot, build_embedded  # noqa: E402

GROUP = -1_009_001
TOKEN = "1:transcript"  # noqa: S105 - the fake transport accepts any token
Row = tuple[str, str, str]


class Chat:
    """The bot over the fake transport; each exchange is written down."""

    def __init__(self, runtime: BotRuntime) -> None:
        self.telegram = FakeTelegram()
        self.application = build_application(
            runtime, token=TOKEN, request=self.telegram, limits=False, notifications=False
        )
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.application.initialize())
        self.updates = Updates(self.application.bot, 1)
        self.notifier = Notifier(runtime)
        self.rows: list[Row] = []

    def _run(self, update: Any) -> list[Sent]:
        before = len(self.telegram.sent)
        self.loop.run_until_complete(self.application.process_update(update))
        shown = ("send", "editMessage", "answerCallbackQuery")
        return [
            s
            for s in self.telegram.sent[before:]
            if s.method.startswith(shown) and (s.method != "answerCallbackQuery" or s.text)
        ]

    def say(self, situation: str, who: TelegramUser, text: str, chat: int | None = None) -> Sent:
        """Someone writes; the row is kept; the last message with buttons is returned."""
        sent = self._run(self.updates.message(who, text, chat_id=chat))
        where = " (group)" if chat and chat < 0 else ""
        self.rows.append((situation, f"`{text}`{where}", _shown(sent)))
        return next((s for s in reversed(sent) if s.buttons), sent[-1] if sent else None)  # type: ignore[return-value]

    def press(self, situation: str, who: TelegramUser, sent: Sent, label: str) -> Sent:
        """Someone presses a button; the row is kept."""
        answer = self._run(self.updates.press(who, sent, label))
        self.rows.append((situation, f"press [{label}]", _shown(answer)))
        return next((s for s in reversed(answer) if s.buttons), answer[-1] if answer else None)  # type: ignore[return-value]

    def notify(self, situation: str) -> None:
        """One notification round; what the group was told is kept."""
        before = len(self.telegram.sent)
        self.loop.run_until_complete(self.notifier.run_once(self.application.bot))
        sent = [s for s in self.telegram.sent[before:] if s.method == "sendMessage"]
        self.rows.append((situation, "(a notification round)", _shown(sent)))


def _shown(sent: list[Sent]) -> str:
    if not sent:
        return "*(no answer)*"
    parts = []
    for s in sent:
        text = s.text.replace("\n", " / ").replace("|", "\\|")
        if s.method == "answerCallbackQuery":
            text = f"(pop-up to the presser only) {text}"
        elif s.method.startswith("editMessage"):
            text = f"(message changed) {text}"
        buttons = " ".join(f"[{label}]" for label, _ in s.buttons if not label.startswith("✓"))
        parts.append(f"{text} {buttons}".strip())
    return " ⏎ ".join(parts)


def transcript(  # noqa: PLR0915 - one script of situations, read top to bottom
    http: httpx.Client, chat: Chat, language: str, services: Any
) -> None:
    """Every situation once, in one language."""
    es = language == "es"
    t: Callable[[str, str], str] = lambda spanish, english: spanish if es else english  # noqa: E731
    ids = iter(range(70_000_000 + (0 if es else 1000), 80_000_000))

    def linked(person: Person, name: str) -> TelegramUser:
        who = TelegramUser(next(ids), name, language)
        code = http.post("/api/v1/me/telegram/link-code", headers=person.headers).json()["code"]
        chat._run(chat.updates.message(who, f"/start {code}"))
        http.patch(
            "/api/v1/me", json={"language": language, "display_name": name}, headers=person.headers
        )
        return who

    now = datetime.now(UTC).replace(microsecond=0)
    marta = a_person(http)
    trip = an_event(
        http, marta, name=t("Travesía de Picos", "Picos crossing"),
        starts_at=(now - timedelta(hours=2)).isoformat(),
        ends_at=(now + timedelta(days=3)).isoformat(),
    )  # fmt: skip
    other = an_event(http, marta, name=t("Gredos", "Gredos"),
                     starts_at=(now + timedelta(days=30)).isoformat(),
                     ends_at=(now + timedelta(days=31)).isoformat())  # fmt: skip
    pedro = a_member(http, trip, marta, "participant")
    marta_tg, pedro_tg = linked(marta, "Marta"), linked(pedro, "Pedro")
    stranger = TelegramUser(next(ids), "Luis", language)
    situation = t

    # 1. Silence
    chat.say(
        situation("Texto sin orden, chat privado", "Plain words, private chat"),
        marta_tg,
        t("hola", "hello"),
    )
    chat.say(situation("Orden desconocida", "Unknown command"), marta_tg, "/foo")
    near = chat.say(
        situation("Orden casi bien", "Near-miss command"),
        marta_tg,
        t("/gastos 5 pan", "/expence 5 bread"),
    )
    which = chat.press(
        situation("… su botón la ejecuta", "… its button runs it"),
        marta_tg,
        near,
        t("/gasto 5 pan", "/expense 5 bread"),
    )
    chat.press(
        situation(
            "… y el evento elegido la termina (con su importe)",
            "… and choosing the event finishes it (amount kept)",
        ),
        marta_tg,
        which,
        trip["name"],
    )
    chat.say(
        situation("Orden sin barra", "Command without the slash"),
        marta_tg,
        t("gasto 5 pan", "expense 5 bread"),
    )
    chat.say(
        situation("Conversación en un grupo", "Talk in a group"),
        marta_tg,
        t("hola a todos", "hi all"),
        GROUP,
    )
    chat.say(
        situation(
            "Orden mal escrita dirigida al bot en un grupo",
            "Mistyped command to the bot in a group",
        ),
        marta_tg,
        f"/foo@{BOT_USERNAME}",
        GROUP,
    )
    # 2. Which event, in a group following none, as a participant
    asked = chat.say(
        situation(
            "Grupo sin evento: ¿qué evento? (solo los del que pregunta)",
            "Group following no event: which event? (the asker's own)",
        ),
        marta_tg,
        t("/saldo", "/balance"),
        GROUP,
    )
    chat.press(
        situation("Otra persona pulsa esos botones", "Someone else presses them"),
        pedro_tg,
        asked,
        trip["name"],
    )
    chat.press(
        situation("Quien preguntó elige", "The asker chooses"), marta_tg, asked, trip["name"]
    )
    # bind the group for what follows
    bound = chat.say(
        situation("Vincular el grupo", "Binding the group"),
        marta_tg,
        t("/vincular", "/bind"),
        GROUP,
    )
    chat.press(situation("… al evento", "… to the event"), marta_tg, bound, trip["name"])
    chat.loop.run_until_complete(chat.notifier.run_once(chat.application.bot))  # feeds' ends
    # 9. Amounts
    two = chat.say(
        situation("Importe ambiguo", "Ambiguous amount"),
        marta_tg,
        t("/gasto 1.000 alquiler", "/expense 1,000 rent"),
    )
    chat.press(situation("… se elige", "… chosen"), marta_tg, two, t("Cancelar", "Cancel"))
    for typed in (
        t("/gasto 1.000,50 alquiler", "/expense 1,000.50 rent"),
        t("/gasto 23€ cena", "/expense 23€ dinner"),
        t("/gasto €23 cena", "/expense €23 dinner"),
        t("/gasto 23 € cena", "/expense 23 € dinner"),
    ):
        q = chat.say(
            situation("Importe como se escribe", "Amount as people write it"), marta_tg, typed
        )
        chat.press(situation("… Cancelar", "… Cancel"), marta_tg, q, t("Cancelar", "Cancel"))
    # 6. Someone else presses a pending expense's buttons in the group
    pending = chat.say(
        situation("Gasto pendiente en el grupo", "Pending expense in the group"),
        marta_tg,
        t("/gasto 12 pan", "/expense 12 bread"),
        GROUP,
    )
    chat.press(
        situation("Otra persona pulsa Todos", "Someone else presses Everyone"),
        pedro_tg,
        pending,
        t("Todos", "Everyone"),
    )
    chat.press(
        situation(
            "Quien lo pidió marca a alguien (mensaje cambiado)",
            "The asker ticks someone (message changed)",
        ),
        marta_tg,
        pending,
        "Marta",
    )
    chat.press(
        situation("… y pulsa Todos", "… and presses Everyone"),
        marta_tg,
        pending,
        t("Todos", "Everyone"),
    )
    chat.notify(
        situation("Notificación del gasto al grupo", "The expense's notification to the group")
    )
    # 8/10. Dates
    chat.say(
        situation("Fecha española", "A date"),
        marta_tg,
        t("/material tienda 21-12", "/gear tent Dec 21"),
    )
    chat.say(
        situation("Fecha relativa", "A relative date"),
        marta_tg,
        t("/material tienda pasado mañana", "/gear tent tomorrow"),
    )
    chat.say(
        situation("Día de la semana", "A weekday"),
        marta_tg,
        t("/material tienda el sábado", "/gear tent on Saturday"),
    )
    back = chat.say(
        situation("Intervalo al revés", "Range backwards"),
        marta_tg,
        t("/material tienda del 23 al 21 de diciembre", "/gear tent from Dec 23 to Dec 21"),
    )
    chat.press(
        situation("… se acepta el arreglo", "… the fix accepted"),
        marta_tg,
        back,
        back.buttons[0][0],
    )
    chat.say(
        situation("Intervalo demasiado largo", "Range too long"),
        marta_tg,
        t("/material tienda del 1 de enero al 31 de diciembre", "/gear tent from Jan 1 to Dec 31"),
    )
    chat.say(
        situation("Día que no existe", "A day that does not exist"),
        marta_tg,
        t("/material tienda 31/02", "/gear tent 31/02"),
    )
    # 7. Quantities
    http.post(
        "/api/v1/gear/items",
        json={
            "name": t("Mosquetón", "Carabiner"),
            "category": "Climbing",
            "quantity": 12,
            "event_id": trip["id"],
        },
        headers=marta.headers,
    )
    days = chat.say(
        situation("Reservar: días", "Reserve: days"),
        marta_tg,
        t("/reservar mosquetón", "/reserve carabiner"),
    )
    chat.press(
        situation("… cantidad (hasta 7 en botones)", "… how many (up to 7 on buttons)"),
        marta_tg,
        days,
        days.buttons[-2][0],
    )
    chat.say(situation("… se escribe un número mayor", "… a larger number typed"), marta_tg, "9")
    # 7. /join with a used invitation when already in
    code = http.post(
        f"/api/v1/events/{other['id']}/invitations",
        json={"role": "participant"},
        headers=marta.headers,
    ).json()["code"]
    chat.say(
        situation("Unirse con una invitación", "Joining with an invitation"),
        pedro_tg,
        f"{t('/unirme', '/join')} {code}",
    )
    chat.say(
        situation("La misma invitación, usada, estando dentro", "The same, used, already in"),
        pedro_tg,
        f"{t('/unirme', '/join')} {code}",
    )
    # 5. Unlinked people
    chat.say(situation("Sin vincular: /start", "Unlinked: /start"), stranger, "/start")
    chat.say(
        situation("Sin vincular: /ruta", "Unlinked: /route"),
        stranger,
        t("/ruta cares", "/route cares"),
    )
    # 11. Locale
    chat.say(
        situation("El evento (zona horaria por su lugar)", "The event (time zone by place)"),
        marta_tg,
        t("/evento", "/event"),
        GROUP,
    )
    chat.say(
        situation("Hoy (fecha larga)", "Today (long date)"), marta_tg, t("/hoy", "/today"), GROUP
    )
    # 4. Leaving with money open
    an_expense(http, trip, pedro, amount="9.00", description=t("pan", "bread"))
    leave = chat.say(
        situation("Salir con dinero pendiente", "Leaving with money open"),
        pedro_tg,
        t("/salir", "/leave"),
        GROUP,
    )
    chat.press(
        situation("… liquidar antes", "… settle first"),
        pedro_tg,
        leave,
        t("Liquidar antes", "Settle first"),
    )
    chat.press(
        situation("… salir de todos modos", "… leave anyway"),
        pedro_tg,
        leave,
        t("Salir de todos modos", "Leave anyway"),
    )
    chat.say(
        situation("Quien salió ve lo que le deben", "Who left sees what is owed"),
        pedro_tg,
        t("/saldo", "/balance"),
    )
    chat.say(
        situation("… y lo que se liquida", "… and the settlement"),
        pedro_tg,
        t("/liquidar", "/settle"),
    )
    chat.say(
        situation("La organizadora ve que le debe", "The organizer sees she owes him"),
        marta_tg,
        t("/liquidar", "/settle"),
        GROUP,
    )


def main() -> None:
    """Write the transcript table of both languages."""
    configure_logging("ERROR", "json")
    out = ["# Bot transcript (issue 17)", "", __doc__.split("\n\n")[0], ""]
    for language in ("es", "en"):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(env="test", data_dir=Path(tmp))
            system = build_embedded(settings)
            services = system.gateway.extensions["tripbot.services"]
            runtime = build_bot(settings, services)
            with httpx.Client(
                transport=httpx.WSGITransport(app=system.gateway), base_url="http://t"
            ) as http:
                chat = Chat(runtime)
                transcript(http, chat, language, services)
                chat.loop.run_until_complete(chat.application.shutdown())
            system.close()
        out += [
            f"## {'Español' if language == 'es' else 'English'}",
            "",
            "| situation | typed | the bot answered |",
            "|---|---|---|",
        ]
        out += [f"| {s} | {typed} | {answer} |" for s, typed, answer in chat.rows]
        out.append("")
    target = ROOT / "bench" / "results" / "bot_transcript.md"
    target.write_text("\n".join(out))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
