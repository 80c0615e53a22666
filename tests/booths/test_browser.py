"""The issue's browser test, in a real Chromium: an investor reading Japanese finds a
biomedicine project by search, opens its booth, downloads a document, chats with an online
staff member (a second browser context) who then sees the lead; a message sent while the
staff are offline is in the inbox afterwards; coming back loses nothing. On PostgreSQL +
Redis it runs with the staff and the investor on two different server processes."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from expo.demo import DEMO_PASSWORD
from tests.conftest import PG_URL, REDIS_URL, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
WAIT = 15_000


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/(\?.*)?$|.*/profile.*|.*/booths.*"), timeout=WAIT)


@pytest.fixture
def second_server(
    request: pytest.FixtureRequest, live_server: ServerProcess, tmp_path: Path
) -> Iterator[ServerProcess]:
    """Another server process on the PostgreSQL database and Redis of ``live_server``
    (not a fresh database: the session's server keeps running on it)."""
    if request.node.callspec.params.get("live_server") != "postgres" or not (PG_URL and REDIS_URL):
        pytest.skip("two processes need PostgreSQL and Redis (EXPO_TEST_DATABASE_URL/REDIS_URL)")
    env = {
        "EXPO_DATABASE_URL": PG_URL,
        "EXPO_REDIS_URL": REDIS_URL,
        "EXPO_VAR_DIR": str(tmp_path / "var"),
        "EXPO_SECRET_KEY": "e2e-secret-key",
        "EXPO_LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(env, tmp_path / "second.log")
    yield server
    server.stop()


def scenario(browser, staff_base: str, investor_base: str, tmp_path: Path) -> None:
    tag = f" #{tmp_path.name[-8:]}"  # the session's servers are shared: make each run's text unique
    first, offline, reply = (
        "バイオ医薬の投資について相談できますか？" + tag,
        "オフラインの間のメッセージです" + tag,
        "お待たせしました。資料をお送りします。" + tag,
    )
    staff_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    investor_ctx = browser.new_context(locale="ja-JP", accept_downloads=True, viewport={"width": 1200, "height": 900})
    try:
        investor = investor_ctx.new_page()
        sign_in(investor, investor_base, "investor@expo.example")
        investor.goto(f"{investor_base}/projects")
        investor.fill("#f-q", "抗体")
        investor.press("#f-q", "Enter")
        investor.get_by_role("link", name="ノバ抗体医薬").first.click()
        investor.click("a.button[href^='/booths/']")
        booth_id = int(re.search(r"/booths/(\d+)", investor.url).group(1))

        staff = staff_ctx.new_page()
        sign_in(staff, staff_base, "team@expo.example")
        staff.goto(f"{staff_base}/booths/{booth_id}/inbox")
        staff.wait_for_selector("#chat[data-connected=yes]", timeout=WAIT)

        with investor.expect_download() as download:
            investor.click("a.doc")
        assert download.value.suggested_filename == "investment-handbook.pdf"
        download.value.save_as(tmp_path / "handbook.pdf")
        assert (tmp_path / "handbook.pdf").read_bytes().startswith(b"%PDF-")

        investor.reload()
        investor.wait_for_selector("#chat[data-connected=yes]", timeout=WAIT)
        investor.wait_for_function(
            "() => document.querySelector('.chat-status').textContent.includes('1')", timeout=WAIT
        )
        investor.fill("#chat-input", first)
        investor.press("#chat-input", "Enter")
        staff.get_by_text(first).wait_for(timeout=WAIT)
        mine = investor.locator(".msg.mine", has_text=first)
        mine.wait_for(timeout=WAIT)
        assert mine.locator(".who").inner_text().startswith("あなた")  # "You"
        investor.reload()  # the history comes back over the socket: still "You", not the own name
        mine.wait_for(timeout=WAIT)
        assert mine.locator(".who").inner_text().startswith("あなた")
        investor.wait_for_selector("#chat[data-connected=yes]", timeout=WAIT)

        staff.goto(f"{staff_base}/booths/{booth_id}/leads")
        assert "Kenji Watanabe" in staff.inner_text("table.leads")
        staff.close()  # the booth's staff go offline

        investor.wait_for_function(
            "() => !document.querySelector('.chat-status').textContent.includes('1')", timeout=WAIT
        )
        investor.fill("#chat-input", offline)
        investor.press("#chat-input", "Enter")
        investor.wait_for_selector(".msg.notice", timeout=WAIT)
        investor.fill("#chat-input", "追伸：資料をお送りください。")
        investor.press("#chat-input", "Enter")
        investor.locator(".msg.mine", has_text="追伸").wait_for(timeout=WAIT)
        investor.wait_for_timeout(300)  # the notice frame follows the ack
        assert investor.locator(".msg.notice").count() == 1  # said once, not per message
        investor.close()

        staff = staff_ctx.new_page()
        staff.goto(f"{staff_base}/booths/{booth_id}/inbox")
        staff.click("nav.threads a:has-text('Kenji Watanabe')")
        staff.get_by_text(offline).wait_for(timeout=WAIT)
        staff.wait_for_selector("#chat[data-connected=yes]", timeout=WAIT)
        staff.fill("#chat-input", reply)
        staff.press("#chat-input", "Enter")
        staff.wait_for_selector(f".msg.mine:has-text('{reply}')", timeout=WAIT)

        investor = investor_ctx.new_page()  # back at the booth: nothing was lost, in order
        investor.goto(f"{investor_base}/booths/{booth_id}#chat")
        investor.get_by_text(reply).wait_for(timeout=WAIT)
        log = investor.inner_text(".chat-log")
        order = [log.index(t) for t in (first, offline, reply)]
        assert order == sorted(order)
    finally:
        staff_ctx.close()
        investor_ctx.close()


def test_investor_in_japanese_finds_chats_and_staff_sees_the_lead(browser, live_server, tmp_path) -> None:
    scenario(browser, live_server.url, live_server.url, tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
def test_the_same_across_two_server_processes(browser, live_server, second_server, tmp_path) -> None:
    scenario(browser, live_server.url, second_server.url, tmp_path)
