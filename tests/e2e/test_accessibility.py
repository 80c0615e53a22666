"""Automated accessibility checks (axe-core, WCAG 2 A/AA rules) of the public pages, in a
left-to-right and a right-to-left language, at desktop and phone widths."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import ServerProcess

pytestmark = pytest.mark.e2e

PAGES = [
    "/",
    "/login",
    "/register",
    "/forgot",
    "/halls/district-jinshan-bio",
    "/halls/sector-biomedicine",
    "/no-such-page",
]


@pytest.mark.parametrize("lang", ["ja", "ar"])
@pytest.mark.parametrize("width", [1280, 360])
def test_public_pages_have_no_wcag_a_or_aa_violations(
    lang: str, width: int, browser, live_server: ServerProcess
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    axe = Axe()
    found: list[str] = []
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(f"{live_server.url}{path}?lang={lang}")
            result = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
            assert len(result.response["passes"]) > 5  # axe really ran
            found += [f"{path}: {v['id']} {v['nodes'][0]['target']}" for v in result.response["violations"]]
    finally:
        context.close()
    assert found == []
