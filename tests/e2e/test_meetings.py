"""Matchmaking in a real Chromium: an investor in Seoul fills in her profile, sees a
suggestion with its reasons, marks her availability and requests a meeting; the team member
in Shanghai sees the bell count rise live, accepts; she books a slot; each of them sees the
meeting in their own zone (Seoul time for her, Shanghai time for him)."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ServerProcess, seeded_env
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    process = ServerProcess(seeded_env("sqlite", tmp_path), tmp_path / "server.log")
    yield process
    process.stop()


def sign_in(browser, server: ServerProcess, email: str, zone: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=zone, locale="en-US")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(server.url + "/profile")  # English from now on, whatever the demo account said
    page.select_option("#locale", "en")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_seoul_investor_and_shanghai_team_request_accept_and_book(browser, server: ServerProcess) -> None:
    investor_context, investor = sign_in(browser, server, "jiwoo.park@investor.example", "Asia/Seoul")
    team_context, team = sign_in(browser, server, "team@expo.example", "Asia/Shanghai")
    try:
        investor.goto(server.url + "/meetings/profile")
        investor.check("input[name=sectors][value=biomedicine]")
        investor.check("input[name=languages][value=en]")
        investor.click("main form.form-page button[type=submit]")
        investor.wait_for_url(re.compile(r"saved=1"))

        investor.goto(server.url + "/meetings/availability")
        boxes = investor.locator("form.availability input[type=checkbox]")
        for k in range(6):
            boxes.nth(k).check()
        investor.click("form.availability button[type=submit]")
        investor.wait_for_url(re.compile(r"saved=1"))

        investor.goto(server.url + "/meetings/suggestions")
        card = investor.locator("li.suggestion", has_text="Nova Antibody Therapeutics")
        reasons = card.locator(".reasons").inner_text()
        assert "both in Biomedicine" in reasons and "fits the" in reasons

        team.goto(server.url + "/meetings")
        bell = team.locator("[data-bell] [data-unread]")
        bell.wait_for(state="visible")
        before = int(bell.inner_text())

        card.locator("text=Request a meeting").click()
        investor.fill("#message", "Hello from Busan: can we talk about your phase II?")
        investor.click("text=Send the request")
        investor.wait_for_url(re.compile(r"/meetings/requests/\d+\?sent=1"))
        request_url = investor.url.split("?")[0]

        team.wait_for_function(
            "n => Number(document.querySelector('[data-bell] [data-unread]').textContent) === n", arg=before + 1
        )  # live over /ws/live, no reload
        team.goto(request_url)
        assert "Hello from Busan" in team.inner_text("main")
        team.click("#answer button:has-text('Accept')")
        team.wait_for_load_state()
        assert team.locator("[data-status]").first.get_attribute("data-status") == "accepted"

        investor.goto(request_url)
        investor.click("#book button[type=submit]")
        investor.wait_for_url(re.compile(r"/meetings/\d+\?booked=1"))
        meeting_url = investor.url.split("?")[0]
        when = investor.locator("[data-local-times]")
        starts = datetime.fromisoformat(when.get_attribute("datetime"))
        seoul = starts.astimezone(ZoneInfo("Asia/Seoul")).strftime("%-I:%M")
        shanghai = starts.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%-I:%M")
        assert re.search(rf"{seoul}\s[AP]M in Seoul · .+{shanghai}\s[AP]M in Shanghai", when.inner_text())
        assert "Korean Standard Time" in investor.inner_text("footer") or "Korea" in investor.inner_text("footer")

        team.goto(server.url + "/meetings")
        row = team.locator(f"li.meeting a[href='{meeting_url.replace(server.url, '')}']")
        assert row.count() == 1
        team.goto(meeting_url)
        assert team.locator("[data-local-times]").get_attribute("datetime") == when.get_attribute("datetime")
        assert "China" in team.inner_text("footer")
        # The other free times are listed in each viewer's own zone: the same slot, an hour apart.
        slot_id = team.locator("#move option").first.get_attribute("value")
        theirs = team.locator(f"#move option[value='{slot_id}']").inner_text()
        investor.goto(meeting_url)
        hers = investor.locator(f"#move option[value='{slot_id}']").inner_text()
        hour = re.compile(r"(\d{1,2}):(\d{2})")
        assert (int(hour.search(hers).group(1)) - int(hour.search(theirs).group(1))) % 12 == 1
        assert investor.errors == [] and team.errors == []
    finally:
        investor_context.close()
        team_context.close()
