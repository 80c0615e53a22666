"""Issue 16 in a real Chromium, in one session to keep CI short: the map's pins take their
sector's colour (read from the rendered SVG) and its labels stay inside the map, the list
under it has 44 px rows on a phone; hall team cards are links to their booths; each bad
upload (.txt, a fake .pdf, an .exe, no file, too large) shows its message under the file
field with the typed title and use kept."""

import re

import pytest

from booths.uploads import DEMO_FILES
from tests.booths.test_browser import WAIT, sign_in
from tests.conftest import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PIN_COLOURS = """() => {
  const bySector = {};
  for (const pin of document.querySelectorAll("svg a.pin")) {
    const sector = [...pin.classList].find((c) => c.startsWith("sector-"));
    (bySector[sector] ||= new Set()).add(getComputedStyle(pin.querySelector("circle.mark")).fill);
  }
  const legend = {};
  for (const li of document.querySelectorAll(".legend li")) {
    const sector = [...li.classList].find((c) => c.startsWith("sector-"));
    legend[sector] = getComputedStyle(li.querySelector(".swatch")).backgroundColor;
  }
  return { pins: Object.fromEntries(Object.entries(bySector).map(([k, v]) => [k, [...v]])), legend };
}"""

LABELS_INSIDE = """() => [...document.querySelectorAll("svg text.label")].every((t) => {
  const box = t.getBBox();
  return box.x >= 0 && box.x + box.width <= 1000;
})"""


def test_map_colours_hall_links_and_upload_errors_on_the_form(browser, live_server: ServerProcess) -> None:
    base = live_server.url
    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/map?lang=ar")
        colours = page.evaluate(PIN_COLOURS)
        assert len(colours["pins"]) >= 5
        for sector, fills in colours["pins"].items():
            assert fills == [colours["legend"][sector]], sector  # one colour per sector, the legend's
        assert len({fills[0] for fills in colours["pins"].values()}) == len(colours["pins"])  # all different
        assert page.evaluate(LABELS_INSIDE)
        page.goto(f"{base}/map?lang=en")
        assert page.evaluate(LABELS_INSIDE)  # "East Bay Economic Development Zone" wraps inside

        page.set_viewport_size({"width": 360, "height": 800})
        heights = page.eval_on_selector_all(".map-list a", "els => els.map((a) => a.getBoundingClientRect().height)")
        assert heights and min(heights) >= 44

        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/halls/district-jinshan-bio?lang=zh_Hant")
        cards = page.locator("a.card.team")
        assert cards.count() >= 1
        name = cards.first.locator("h3").inner_text()
        cards.first.click()
        page.wait_for_url(re.compile(r".*/booths/\d+$"), timeout=WAIT)
        assert name.split("\n")[0] in page.locator("h1").inner_text()

        sign_in(page, base, "team@expo.example")
        page.goto(f"{base}/booths/mine")
        page.click("a[href$='/edit']")
        edit_url = page.url.split("?")[0] + "?lang=ja"
        cases = [
            ("notes.txt", b"just some text\n", "text/plain", "PDF"),
            ("deck.pdf", b"not really a pdf, only text" * 10, "application/pdf", "deck.pdf"),
            ("setup.exe", b"MZ\x90\x00" + b"\x00" * 2000, "application/octet-stream", "PDF"),
            (None, b"", "", "ファイルを選んで"),
        ]
        for filename, content, mime, expected in cases:
            page.goto(edit_url)
            page.fill("#doc-title", "投資資料 2027")
            page.select_option("#role", "banner")
            if filename:
                page.set_input_files("#file", files=[{"name": filename, "mimeType": mime, "buffer": content}])
            else:
                page.eval_on_selector("#file", "el => el.removeAttribute('required')")
            page.click("form.upload-form button[type=submit]")
            page.wait_for_selector("#file-error:not([hidden])", timeout=WAIT)
            assert expected in page.inner_text("#file-error"), filename
            assert page.input_value("#doc-title") == "投資資料 2027"
            assert page.eval_on_selector("#role", "el => el.value") == "banner"
            assert page.url.startswith(edit_url.split("/edit")[0])  # the editor, not an error page

        page.goto(edit_url)  # too large: refused before sending, next to the field
        limit = int(page.get_attribute("form.upload-form", "data-max-bytes"))
        big = (DEMO_FILES / "handbook.pdf").read_bytes() + b"\x00" * limit
        page.set_input_files("#file", files=[{"name": "big.pdf", "mimeType": "application/pdf", "buffer": big}])
        page.fill("#doc-title", "大きな資料")
        page.click("form.upload-form button[type=submit]")
        page.wait_for_selector("#file-error:not([hidden])", timeout=WAIT)
        assert "MB" in page.inner_text("#file-error") and page.input_value("#doc-title") == "大きな資料"
    finally:
        context.close()
