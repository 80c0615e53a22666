"""The pitch programme in a real Chromium: the organizer adds a stage, accepts two
proposals, places them so that they overlap, sees the conflict in the timetable, moves one
by keyboard, publishes; a visitor in Tokyo reads the public programme in Japanese and
Tokyo time."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import ServerProcess, seeded_env
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    process = ServerProcess(seeded_env("sqlite", tmp_path), tmp_path / "server.log")
    yield process
    process.stop()


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    assert len(result.response["passes"]) > 5  # axe really ran
    return [f"{v['id']} {v['nodes'][0]['target']}" for v in result.response["violations"]]


def test_organizer_places_conflicting_sessions_fixes_and_publishes(browser, server: ServerProcess) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/login")
        page.fill("#email", "organizer@expo.example")
        page.fill("#password", DEMO_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()

        page.goto(server.url + "/organizer/programme/stages?lang=en")
        page.fill("#new-name_en", "Browser stage")
        page.fill("#new-slug", "browser-stage")
        page.fill("#new-opens", "09:00")
        page.fill("#new-closes", "18:00")
        page.click("text=Add the stage")
        page.wait_for_url(re.compile(r"saved=1"))

        page.goto(server.url + "/organizer/programme")
        proposals = page.locator("#proposals-title + ul a")
        first_url = proposals.first.get_attribute("href")
        assert first_url
        page.goto(server.url + first_url)
        page.click("button[value=accept]")
        # the declined demo proposal: accepted too
        declined_id = int(first_url.rsplit("/", 1)[1]) + 1
        page.goto(f"{server.url}/organizer/programme/sessions/{declined_id}")
        page.click("button[value=accept]")

        day = page.locator("#day").input_value() if page.locator("#day").count() else None
        for pitch_path, time in ((first_url, "10:00"), (f"/organizer/programme/sessions/{declined_id}", "10:15")):
            page.goto(server.url + pitch_path)
            page.select_option("#stage", label="Browser stage")
            if day:
                page.fill("#day", day)
            page.fill("#time", time)
            page.locator("#length").focus()
            page.keyboard.press("Enter")  # submits the form from the keyboard
            page.wait_for_url(re.compile(r"/organizer/programme\?day="))

        slots = page.locator(".agenda-slot.conflict")
        assert slots.count() >= 2
        assert "Two sessions overlap on this stage" in page.locator(".agenda-conflicts").inner_text()

        page.goto(f"{server.url}/organizer/programme/sessions/{declined_id}")
        page.locator("#time").fill("10:30")
        page.locator("#time").press("Enter")
        page.wait_for_url(re.compile(r"/organizer/programme\?day="))
        assert "Two sessions overlap on this stage" not in page.locator(".agenda-conflicts").inner_text()
        assert page.locator(f"#session-{declined_id}.conflict").count() == 0

        page.goto(server.url + "/organizer/programme/publish")
        assert page.locator(".diff-added").count() >= 2
        override = page.locator("input[name=override]")
        if override.count():  # conflicts of the demo's own sessions, if its clock made any
            override.check()
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"published=2"))
        assert "Version 2 is published." in page.locator("main").inner_text()
        page.goto(server.url + "/organizer/programme?lang=ar")
        assert violations(page) == []
        assert errors == []
    finally:
        context.close()

    visitor = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    page = visitor.new_page()
    try:
        page.goto(server.url + "/schedule")
        for _ in range(100):  # the page reloads once in the browser's zone
            if page.evaluate("document.body.dataset.timezone") == "Asia/Tokyo":
                break
            page.wait_for_timeout(100)
        assert page.evaluate("document.documentElement.lang") == "ja"
        first_id = first_url.rsplit("/", 1)[1]
        first = page.locator(f"#session-{first_id} .when").inner_text()
        second = page.locator(f"#session-{declined_id} .when").inner_text()
        assert first.startswith("11:00")  # 10:00 in Shanghai
        assert second.startswith("11:30")
        assert violations(page) == []
    finally:
        visitor.close()
