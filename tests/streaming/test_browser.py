"""Chromium with fake camera and microphone: the host's studio goes live over WHIP, an
investor's viewer page in another context plays it (WHEP), and the investor's question
appears in the host's moderation panel."""

from pathlib import Path

import httpx
import pytest

from expo.demo import DEMO_PASSWORD
from tests.conftest import ServerProcess, seeded_env

pytestmark = pytest.mark.e2e
FRAMES_DECODED = """async () => {
    const stats = await document.querySelector('[data-pitch-viewer]').peer.getStats();
    let decoded = 0;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') decoded = r.framesDecoded; });
    return decoded; }"""


@pytest.fixture(scope="module")
def pitch_server(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("pitch-server")
    server = ServerProcess(seeded_env("sqlite", directory), directory / "server.log")
    yield server
    server.stop()


def signed_in(browser, server: ServerProcess, email: str):
    context = browser.new_context(bypass_csp=True)  # wait_for_function evaluates strings
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page, errors


def go_live_and_watch(studio, viewer, base: str, pitch_id: int) -> None:
    """The host's studio goes live (fake camera) and the viewer page plays the pitch."""
    studio.goto(f"{base}/pitches/{pitch_id}/studio?lang=en")
    studio.wait_for_function("() => document.querySelector('[data-camera]').options.length > 0")
    studio.click("[data-go-live]")
    studio.wait_for_selector("[data-studio-state][data-state=live]", timeout=20000)
    viewer.goto(f"{base}/pitches/{pitch_id}?lang=en")
    viewer.wait_for_function("() => document.querySelector('[data-player]').videoWidth > 0", timeout=25000)


def jinshan_pitch(server: ServerProcess) -> int:
    listing = httpx.get(server.url + "/api/pitches?lang=en").json()["pitches"]
    return next(p["id"] for p in listing if "Jinshan" in p["title"])


def test_studio_goes_live_viewer_plays_and_question_reaches_host(browser, pitch_server: ServerProcess) -> None:
    pitch_id = jinshan_pitch(pitch_server)
    host_context, studio, host_errors = signed_in(browser, pitch_server, "team@expo.example")  # its team's pitch
    viewer_context, viewer, viewer_errors = signed_in(browser, pitch_server, "investor@expo.example")
    try:
        go_live_and_watch(studio, viewer, pitch_server.url, pitch_id)
        first = viewer.evaluate(FRAMES_DECODED)
        viewer.wait_for_timeout(1500)
        assert viewer.evaluate(FRAMES_DECODED) > first > 0
        studio.wait_for_function("() => document.querySelector('[data-viewers]').textContent.trim() === '1'")

        viewer.fill("#qa-text", "What is the land price per square metre?")
        viewer.click("[data-qa-form] button[type=submit]")
        studio.wait_for_selector(".question-text:has-text('land price per square metre')", timeout=10000)
        viewer.wait_for_selector(".question-text:has-text('land price per square metre')")

        studio.click(".question .button:has-text('Mark answered')")
        viewer.wait_for_selector(".question.answered")
        assert host_errors == [] and viewer_errors == []
    finally:
        viewer_context.close()
        host_context.close()


def test_pages_in_japanese_and_arabic_at_phone_width(browser, pitch_server: ServerProcess, tmp_path: Path) -> None:
    pitch_id = jinshan_pitch(pitch_server)
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    try:
        for code in ("ja", "ar"):
            page.goto(f"{pitch_server.url}/pitches/{pitch_id}?lang={code}")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.goto(f"{pitch_server.url}/pitches?lang={code}")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()
