"""The Copy buttons copy, and say so, even when the browser refuses the clipboard API; when
nothing can copy, the text is left selected and the person told to copy it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems, press_copy
from tests.builders import PASSWORD, a_person

pytestmark = pytest.mark.browser

# What Chromium does to a clipboard write from a document without focus.
REFUSE_CLIPBOARD_WRITES = """
if (navigator.clipboard) {
  navigator.clipboard.writeText = () =>
    Promise.reject(new DOMException("Document is not focused."));
}
"""
NOTHING_COPIES = REFUSE_CLIPBOARD_WRITES + "document.execCommand = () => false;\n"


def _telegram_page(
    chromium: Browser, live_server: LiveServer, problems: Problems, init_script: str | None
) -> tuple[Page, str]:
    """Ana's account page with a fresh Telegram link code, and the code."""
    with httpx.Client(base_url=live_server.url) as http:
        a_person(http, email="ana@club.example")
    context = problems.watch(chromium.new_context(base_url=live_server.url, locale="es-ES"))
    context.set_default_timeout(5000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", "ana@club.example")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    page.goto("/account")
    page.click("#telegram-link-form button[type=submit]")
    code = (page.locator("#telegram-deep-link").get_attribute("href") or "").rsplit("=", 1)[1]
    return page, code


@pytest.mark.parametrize("clipboard_api", ["allowed", "refused"])
def test_the_copy_button_copies_the_telegram_message_and_says_so(
    chromium: Browser, live_server: LiveServer, problems: Problems, clipboard_api: str
) -> None:
    init_script = REFUSE_CLIPBOARD_WRITES if clipboard_api == "refused" else None
    page, code = _telegram_page(chromium, live_server, problems, init_script)

    press_copy(page, "button[data-copy=telegram-start]", f"/start {code}")

    expect(page.locator("#toast-container .toast")).to_contain_text("Copiado")
    page.context.close()
    assert problems.messages == []


def test_when_nothing_can_copy_the_text_is_selected_and_the_person_told(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    page, code = _telegram_page(chromium, live_server, problems, NOTHING_COPIES)
    page.bring_to_front()

    page.click("button[data-copy=telegram-start]")

    expect(page.locator("#toast-container .toast")).to_contain_text("pulsa Ctrl+C")
    selected = page.evaluate(
        "() => { const e = document.activeElement;"
        " return [e.id, e.value.slice(e.selectionStart, e.selectionEnd)]; }"
    )
    assert selected == ["telegram-start", f"/start {code}"]
    page.context.close()
    assert problems.messages == []
