"""The room's pages per role and per meeting: the parties get the room, others 403, a forged
id 404, before/after the window a page saying when; the after-meeting form stores one answer
per side and records ``meeting.outcome`` (what the deal pipeline reads), bad answers list
every problem; a side brings one guest, who may then enter; the organizer's figures."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from expo.activity import Event
from expo.app import create_app
from expo.db import Database
from expo.settings import Settings
from streaming.models import MeetingOutcome, RoomGuest
from tests.helpers import login, run, session_csrf
from tests.streaming.rooms_setup import PASSWORD, MeetingSetup, make_meeting


@pytest.fixture
def app_client(settings: Settings):  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def as_(client: TestClient, setup: MeetingSetup, who: str) -> None:
    client.cookies.clear()
    login(client, setup.emails[who], PASSWORD)


async def query(url: str, statement):  # type: ignore[no-untyped-def]
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.scalars(statement)).all())
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("who", "status"),
    [("investor", 200), ("team", 200), ("team2", 200), ("outsider", 403), ("organizer", 403), ("guest", 403)],
)
def test_room_page_per_role(app_client: TestClient, settings: Settings, who: str, status: int) -> None:
    setup = run(make_meeting(settings.database_url))
    as_(app_client, setup, who)
    page = app_client.get(f"/meetings/{setup.meeting_id}/room")
    assert page.status_code == status
    if status == 200:
        assert 'data-ws="/ws/meetings/' in page.text and "playsinline" in page.text and "<script>" not in page.text


def test_signed_out_visitors_are_sent_to_sign_in_and_forged_ids_are_404(
    app_client: TestClient, settings: Settings
) -> None:
    setup = run(make_meeting(settings.database_url))
    signed_out = app_client.get(
        f"/meetings/{setup.meeting_id}/room", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    as_(app_client, setup, "investor")
    assert app_client.get(f"/meetings/{setup.meeting_id + 999}/room").status_code == 404
    assert app_client.get(f"/meetings/{setup.meeting_id + 999}/outcome").status_code == 404


def test_before_and_after_the_window_the_page_says_when(app_client: TestClient, settings: Settings) -> None:
    early = run(make_meeting(settings.database_url, starts_in=timedelta(minutes=30)))
    as_(app_client, early, "investor")
    page = app_client.get(f"/meetings/{early.meeting_id}/room?lang=en")
    assert page.status_code == 200 and "The room is not open yet." in page.text and "room.js" not in page.text
    late = run(make_meeting(settings.database_url, starts_in=timedelta(minutes=-60)))
    as_(app_client, late, "team")
    page = app_client.get(f"/meetings/{late.meeting_id}/room?lang=en")
    assert page.status_code == 200 and "room has closed" in page.text
    assert f'href="/meetings/{late.meeting_id}/outcome"' in page.text


def test_the_outcome_is_stored_per_side_and_recorded_for_the_pipeline(
    app_client: TestClient, settings: Settings
) -> None:
    url = settings.database_url
    setup = run(make_meeting(url, starts_in=timedelta(minutes=-40)))
    as_(app_client, setup, "investor")
    token = session_csrf(app_client)
    target = f"/meetings/{setup.meeting_id}/outcome"
    bad = app_client.post(target, data={"csrf_token": token, "held": "yes", "rating": "9", "next_step": "merger"})
    assert bad.status_code == 400
    assert "Choose how useful it was, from 1 to 5." in bad.text and "Choose a next step." in bad.text
    assert app_client.post(target, data={"held": "yes"}, follow_redirects=False).status_code == 403  # no CSRF token
    for rating, step in (("3", "send_documents"), ("5", "term_sheet")):
        saved = app_client.post(
            target,
            data={"csrf_token": token, "held": "yes", "rating": rating, "next_step": step},
            follow_redirects=False,
        )
        assert saved.status_code == 303
    as_(app_client, setup, "team2")
    token = session_csrf(app_client)
    no_show = app_client.post(target, data={"csrf_token": token, "held": "no"}, follow_redirects=False)
    assert no_show.status_code == 303
    rows = run(query(url, select(MeetingOutcome).where(MeetingOutcome.meeting_id == setup.meeting_id)))
    assert sorted((r.side, r.held, r.rating, r.next_step) for r in rows) == [
        ("investor", True, 5, "term_sheet"),
        ("team", False, None, "none"),
    ]
    events = run(query(url, select(Event).where(Event.kind == "meeting.outcome", Event.subject_id == setup.meeting_id)))
    investor, team2 = setup.user_ids["investor"], setup.user_ids["team2"]
    assert [(e.user_id, e.team_id, e.district_id, e.data) for e in sorted(events, key=lambda e: e.id)] == [
        (
            investor,
            setup.team_id,
            setup.district_id,
            {"held": True, "rating": 3, "next_step": "send_documents", "side": "investor", "reported_by": investor},
        ),
        (
            investor,
            setup.team_id,
            setup.district_id,
            {"held": True, "rating": 5, "next_step": "term_sheet", "side": "investor", "reported_by": investor},
        ),
        (  # about the meeting's investor, whoever answered (the pipeline matches deals by investor)
            investor,
            setup.team_id,
            setup.district_id,
            {"held": False, "rating": None, "next_step": "none", "side": "team", "reported_by": team2},
        ),
    ]
    as_(app_client, setup, "outsider")
    assert app_client.post(target, data={"csrf_token": session_csrf(app_client), "held": "no"}).status_code == 403


def test_a_side_brings_one_guest_who_may_then_enter(app_client: TestClient, settings: Settings) -> None:
    url = settings.database_url
    setup = run(make_meeting(url))
    as_(app_client, setup, "investor")
    token = session_csrf(app_client)
    invite = f"/meetings/{setup.meeting_id}/room/guests"
    missing = app_client.post(invite, data={"csrf_token": token, "email": "nobody@rooms.test"}, follow_redirects=False)
    assert missing.headers["location"].endswith("?error=no_account#guests")
    ok = app_client.post(invite, data={"csrf_token": token, "email": setup.emails["guest"]}, follow_redirects=False)
    assert ok.status_code == 303 and "error" not in ok.headers["location"]
    second = app_client.post(
        invite, data={"csrf_token": token, "email": setup.emails["outsider"]}, follow_redirects=False
    )
    assert second.headers["location"].endswith("?error=guest_taken#guests")
    guests = run(query(url, select(RoomGuest).where(RoomGuest.meeting_id == setup.meeting_id)))
    assert [(g.side, g.user_id) for g in guests] == [("investor", setup.user_ids["guest"])]
    as_(app_client, setup, "guest")
    page = app_client.get(f"/meetings/{setup.meeting_id}/room?lang=en")
    assert page.status_code == 200 and "Bring a colleague" not in page.text


def test_organizer_figures_per_district(app_client: TestClient, settings: Settings) -> None:
    setup = run(make_meeting(settings.database_url, starts_in=timedelta(minutes=-40)))
    as_(app_client, setup, "investor")
    app_client.post(
        f"/meetings/{setup.meeting_id}/outcome",
        data={"csrf_token": session_csrf(app_client), "held": "no"},
        follow_redirects=False,
    )
    assert app_client.get("/organizer/rooms").status_code == 403
    as_(app_client, setup, "organizer")
    page = app_client.get("/organizer/rooms?lang=en")
    assert page.status_code == 200
    row = page.text.split(f"District {setup.emails['investor'].split('-', 1)[1].split('@')[0]}")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells == ["1", "0", "0", "1", "–", "0", "0"]  # booked, in progress, held, no-shows, rating, direct, relayed
