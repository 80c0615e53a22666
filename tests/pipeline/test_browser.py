"""Chromium against a real server with the demo: a host moves a deal on the board to signed,
refused until the countersigned agreement is attached, the city office confirms it, and the
month's ranking counts it."""

import re
from pathlib import Path

import pytest

from expo.demo import DEMO_PASSWORD
from expo.pipeline.documents import DEMO_FILES
from tests.conftest import ServerProcess

pytestmark = pytest.mark.e2e
WAIT = 15_000


def sign_in(browser, server: ServerProcess, email: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith((server.url, "data:")) else None)
    page.goto(f"{server.url}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, problems


def signed_in_ranking(page, server: ServerProcess, district_id: int) -> float:  # type: ignore[no-untyped-def]
    data = page.request.get(f"{server.url}/api/pipeline/ranking").json()
    return next(r["figures"]["signed"] for r in data["rows"] if r["district_id"] == district_id)


def test_host_moves_a_deal_to_signed_and_the_city_confirms_it(
    browser, live_server: ServerProcess, tmp_path: Path
) -> None:
    host, page, problems = sign_in(browser, live_server, "host@expo.example")
    try:
        page.goto(f"{live_server.url}/pipeline")
        card = page.locator('.column[data-stage="negotiating"] .deal-card').first
        deal_id = int(card.get_attribute("data-deal"))
        card.locator("select[name=stage]").select_option("signed")
        card.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        missing = page.locator("ul.missing").inner_text()
        assert "countersigned agreement" in missing  # refused, naming what is missing
        assert page.locator(".stage-now").inner_text() == "Negotiating"
        district_id = int(
            page.request.get(f"{live_server.url}/api/pipeline/deals?limit=500").json()["deals"][0]["district_id"]
        )

        # attach the countersigned agreement, date it, complete the facts signed needs
        page.select_option("#doc-kind", "countersigned")
        page.set_input_files("#doc-file", str(DEMO_FILES / "agreement.pdf"))
        page.click("#documents button[type=submit]")
        page.wait_for_url(re.compile(rf".*/pipeline/deals/{deal_id}.*"), timeout=WAIT)
        page.fill("#countersigned_on", "2026-11-30")
        page.click("#signing button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.fill("#amount_agreed", "80000000")
        page.fill("#jobs", "150")
        page.click("text=Save the facts")
        page.wait_for_load_state("networkidle")
        assert page.locator(".form-error").count() == 0

        page.goto(f"{live_server.url}/pipeline")
        card = page.locator(f'.deal-card[data-deal="{deal_id}"]')
        card.locator("select[name=stage]").select_option("signed")
        card.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/pipeline$"), timeout=WAIT)
        moved = page.locator(f'.column[data-stage="signed"] .deal-card[data-deal="{deal_id}"]')
        assert "Awaiting" in moved.locator(".badge.awaiting").inner_text()
        assert problems == []
    finally:
        host.close()

    office, page, problems = sign_in(browser, live_server, "organizer@expo.example")
    try:
        before = signed_in_ranking(page, live_server, district_id)
        page.goto(f"{live_server.url}/pipeline/deals/{deal_id}?lang=en")
        page.click("#confirm-button")
        page.wait_for_load_state("networkidle")
        assert page.locator(".badge.awaiting").count() == 0
        assert signed_in_ranking(page, live_server, district_id) == before + 1
        page.goto(f"{live_server.url}/pipeline/numbers?lang=en#ranking")
        assert page.locator("table.ranking tbody tr").count() == 7
        assert problems == []
    finally:
        office.close()
