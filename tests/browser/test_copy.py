"""The Copy buttons copy, and say so, even when the browser refuses the clipboard API."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveServer, Problems, expect_clipboard
from tests.builders import PASSWORD, a_person

pytestmark = pytest.mark.browser

# What Chromium does to a clipboard write from a document without focus.
REFUSE_CLIPBOARD_WRITES = """
if (navigator.clipboard) {
  navigator.clipboard.writeText = () =>
    Promise.reject(new DOMException("Document is not focused."));
}
"""


@pytest.mark.parametrize("clipboard_api", ["allowed", "refused"])
def test_the_copy_button_copies_the_telegram_message_and_says_so(
    chromium: Browser, live_server: LiveServer, problems: Problems, clipboard_api: str
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        a_person(http, email="ana@club.example")
    context = problems.watch(chromium.new_context(base_url=live_server.url, locale="es-ES"))
    context.set_default_timeout(5000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    if clipboard_api == "refused":
        context.add_init_script(REFUSE_CLIPBOARD_WRITES)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", "ana@club.example")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))

    page.goto("/account")
    page.click("#telegram-link-form button[type=submit]")
    code = (page.locator("#telegram-deep-link").get_attribute("href") or "").rsplit("=", 1)[1]
    page.click("button[data-copy=telegram-start]")

    expect(page.locator("#toast-container .toast")).to_contain_text("Copiado")
    expect_clipboard(page, f"/start {code}")
    context.close()
    assert problems.messages == []
