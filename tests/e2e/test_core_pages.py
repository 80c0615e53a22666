"""The core pages in a real Chromium against a real server (SQLite; PostgreSQL+Redis on CI)."""

import re

import pytest

from i18n import SHIPPED_LOCALES
from tests.conftest import ServerProcess

pytestmark = pytest.mark.e2e


def open_page(browser, server: ServerProcess, path: str, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "request",
        lambda r: (
            problems.append(f"foreign request {r.url}")
            if not r.url.startswith((server.url, server.url.replace("http", "ws"), "data:", "blob:"))
            else None
        ),
    )
    page.goto(server.url + path)
    return context, page, problems


@pytest.mark.parametrize("code", list(SHIPPED_LOCALES))
def test_lobby_renders_in_every_locale_with_lang_and_dir(code: str, browser, live_server: ServerProcess) -> None:
    context, page, problems = open_page(browser, live_server, f"/?lang={code}")
    try:
        info = SHIPPED_LOCALES[code]
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
            info.tag,
            info.direction,
        ]
        assert page.locator("h1").inner_text().strip()
        assert page.locator(".hall-grid a").count() >= 14
        page.wait_for_load_state("networkidle")
        assert problems == []
    finally:
        context.close()


def test_arabic_layout_mirrors(browser, live_server: ServerProcess) -> None:
    context, page, _ = open_page(browser, live_server, "/?lang=ar", viewport={"width": 1280, "height": 800})
    try:
        brand = page.locator(".brand").bounding_box()
        switch = page.locator(".lang-switch").bounding_box()
        assert brand["x"] > switch["x"]  # brand on the right, switcher on the left
    finally:
        context.close()


@pytest.mark.parametrize("code", ["en", "ar", "ja"])
def test_lobby_fits_a_360px_phone(code: str, browser, live_server: ServerProcess) -> None:
    context, page, _ = open_page(
        browser,
        live_server,
        f"/?lang={code}",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
    )
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_language_switcher_works_by_keyboard(browser, live_server: ServerProcess) -> None:
    context, page, _ = open_page(browser, live_server, "/?lang=en")
    try:
        page.locator(".lang-switch summary").focus()
        page.keyboard.press("Enter")
        page.locator('.lang-switch a[hreflang="ko"]').focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"lang=ko"))
        assert page.evaluate("document.documentElement.lang") == "ko"
    finally:
        context.close()


def test_anonymous_visitor_sees_times_in_the_browsers_zone(browser, live_server: ServerProcess) -> None:
    context, page, _ = open_page(browser, live_server, "/?lang=en", timezone_id="America/New_York")
    try:
        for _ in range(100):  # the page reloads once in the browser's zone
            if page.evaluate("document.body.dataset.timezone") == "America/New_York":
                break
            page.wait_for_timeout(100)
        assert "New York" in page.locator(".site-footer").inner_text()
    finally:
        context.close()


def test_investor_registers_and_signs_in_through_the_browser(browser, live_server: ServerProcess) -> None:
    context, page, problems = open_page(browser, live_server, "/register?lang=ja", timezone_id="Asia/Tokyo")
    try:
        page.fill("#name", "佐藤 花子")
        page.fill("#email", "hanako.e2e@example.jp")
        page.fill("#password", "hanako-password-1")
        page.fill("#organization", "Sato Holdings")
        page.select_option("#country", "JP")
        assert page.input_value("#timezone") == "Asia/Tokyo"
        page.check('input[name="sectors"][value="biomedicine"]')
        page.fill("#ticket_min", "500000")
        page.fill("#ticket_max", "3000000")
        page.check('input[name="consent"]')
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/?welcome=1")
        assert "佐藤 花子" in page.locator(".site-nav").inner_text()
        page.click(".site-nav button.link")  # sign out
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/login")
        page.fill("#email", "hanako.e2e@example.jp")
        page.fill("#password", "hanako-password-1")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        assert page.evaluate("document.documentElement.lang") == "ja"  # the profile's language
        assert problems == []
    finally:
        context.close()


def test_registration_errors_show_in_the_form(browser, live_server: ServerProcess) -> None:
    context, page, _ = open_page(browser, live_server, "/register?lang=en")
    try:
        page.fill("#email", "not-an-email")
        page.click("button[type=submit]")
        assert page.locator("#email-error").inner_text() == "Enter a valid email address."
        assert page.locator("#email").get_attribute("aria-invalid") == "true"
    finally:
        context.close()


def test_organizer_announcement_appears_live_on_open_pages(browser, live_server: ServerProcess) -> None:
    visitor, visitor_page, _ = open_page(browser, live_server, "/?lang=ja")
    organizer, page, _ = open_page(browser, live_server, "/login?lang=en")
    try:
        visitor_page.wait_for_timeout(500)  # the live socket connects
        page.fill("#email", "organizer@expo.example")
        page.fill("#password", "expo-demo-2026")
        page.click("button[type=submit]")
        page.goto(live_server.url + "/organizer/announce")
        page.fill("#text_en", "Pitches start in 5 minutes")
        page.fill("#text_ja", "まもなく路演が始まります")
        page.click('form[action="/organizer/announce"] button[type=submit]')
        announcement = visitor_page.locator(".announcement")
        announcement.wait_for(timeout=10000)
        assert "まもなく路演が始まります" in announcement.inner_text()
    finally:
        visitor.close()
        organizer.close()
