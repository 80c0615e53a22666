"""Chromium with fake camera and microphone: the demo investor (English, desktop) and the
demo team member (Arabic, 360 px phone layout) join the meeting room that the demo opens
now, each sees the other's video (frames decoded growing), chat reaches the other side, and
the investor's after-meeting answer is stored (and recorded for the deal pipeline)."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from expo.accounts.models import User
from expo.activity import Event
from expo.db import Database, utcnow
from expo.demo import DEMO_PASSWORD
from expo.meetings import Meeting
from streaming.models import MeetingOutcome
from tests.conftest import ServerProcess, seeded_env
from tests.helpers import run

pytestmark = pytest.mark.e2e

DECODED = """() => {
    const peers = [...document.querySelector('[data-room]').roomPeers.values()];
    return Promise.all(peers.map((p) => p.pc.getStats())).then((all) => {
        let decoded = 0;
        all.forEach((stats) => stats.forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') decoded += r.framesDecoded || 0;
        }));
        return decoded;
    });
}"""
REMOTE_VIDEO = (
    "() => [...document.querySelectorAll('[data-tiles] .tile:not(.self) video')].some((v) => v.videoWidth > 0)"
)


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("room-server")
    server = ServerProcess(seeded_env("sqlite", directory), directory / "server.log")
    yield server
    server.stop()


async def demo_meeting(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            investor = await session.scalar(select(User).where(User.email == "investor@expo.example"))
            now = utcnow()
            return int(
                await session.scalar(
                    select(Meeting.id).where(
                        Meeting.investor_user_id == investor.id,
                        Meeting.starts_at <= now + timedelta(minutes=5),
                        Meeting.ends_at >= now,
                    )
                )
            )
    finally:
        await db.close()


async def stored(url: str, meeting_id: int) -> tuple[list[tuple[str, bool, int | None, str]], list[dict]]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.scalars(select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting_id))).all()
            events = (
                await session.scalars(
                    select(Event).where(Event.kind == "meeting.outcome", Event.subject_id == meeting_id)
                )
            ).all()
            return [(r.side, r.held, r.rating, r.next_step) for r in rows], [e.data for e in events]
    finally:
        await db.close()


def signed_in(browser, server: ServerProcess, email: str, lang: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/login?lang={lang}")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/")
    return context, page, errors


def test_investor_and_team_see_each_other_chat_and_the_outcome_is_stored(
    browser, room_server: ServerProcess, tmp_path: Path
) -> None:
    database = _database_of(room_server)
    meeting_id = run(demo_meeting(database))
    investor_context, investor, investor_errors = signed_in(browser, room_server, "investor@expo.example", "en", 1280)
    team_context, team, team_errors = signed_in(browser, room_server, "team@expo.example", "ar", 360)
    try:
        for page, lang in ((investor, "en"), (team, "ar")):
            page.goto(f"{room_server.url}/meetings/{meeting_id}/room?lang={lang}")
            page.wait_for_function("() => document.querySelector('[data-camera]').options.length > 0", timeout=15000)
            page.wait_for_function("() => document.querySelector('[data-level]') !== null")
        assert team.evaluate("document.documentElement.dir") == "rtl"
        assert team.evaluate("document.querySelector('[data-preview]').playsInline") is True
        investor.click("[data-join]")
        team.click("[data-join]")
        for page in (investor, team):
            page.wait_for_function(REMOTE_VIDEO, timeout=25000)
            first = page.evaluate(DECODED)
            page.wait_for_timeout(1500)
            assert page.evaluate(DECODED) > first > 0
        assert team.evaluate("document.documentElement.scrollWidth") <= 360
        team.screenshot(path=str(tmp_path / "room-ar-360.png"), full_page=True)

        investor.fill("#room-chat-text", "Could you share the trial timeline?")
        investor.click("[data-chat-form] button[type=submit]")
        team.wait_for_selector(".chat-text:has-text('Could you share the trial timeline?')", timeout=10000)

        investor.click("[data-leave]")
        investor.wait_for_selector("[data-after]:not([hidden])")
        investor.check("[data-after] input[name=held][value=yes]")
        investor.check("[data-after] input[name=rating][value='4']")
        investor.select_option("[data-after] select[name=next_step]", "site_visit")
        investor.click("[data-after] button[type=submit]")
        investor.wait_for_selector("[data-outcome-saved]")
        assert investor_errors == [] and team_errors == []
    finally:
        investor_context.close()
        team_context.close()
    rows, events = run(stored(database, meeting_id))
    assert rows == [("investor", True, 4, "site_visit")]
    assert [{k: v for k, v in e.items() if k != "reported_by"} for e in events] == [
        {"held": True, "rating": 4, "next_step": "site_visit", "side": "investor"}
    ]


def _database_of(server: ServerProcess) -> str:
    return f"sqlite+aiosqlite:///{server.log_path.parent}/expo.db"
