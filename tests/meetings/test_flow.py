"""The matchmaking flow through HTTP as people use it: the demo's first start, request →
accept → book → agenda, .ics and notifications (bell, mail in the recipient's language),
and the refusals: duplicates, caps, hidden teams, forged ids."""

import re
from datetime import timedelta

from sqlalchemy import func, select
from starlette.testclient import TestClient

from expo.db import Database, utcnow
from expo.meetings import requests as meeting_requests
from expo.meetings.models import Meeting, Request, TeamProfile
from expo.meetings.notify import Notifier
from expo.outbox import Mail
from i18n import Catalogs
from tests.helpers import login, run, session_csrf

SOPHIE = "sophie.martin@investor.example"
NOVA = 1  # the demo's first team, Nova Antibody (team@expo.example is its member)


def post(client: TestClient, path: str, data: dict[str, object]) -> object:
    return client.post(path, data={**data, "csrf_token": session_csrf(client)}, follow_redirects=False)


def test_the_demo_investor_sees_suggestions_a_pending_request_and_a_meeting(demo_app: TestClient) -> None:
    login(demo_app, "investor@expo.example")
    suggestions = demo_app.get("/api/suggestions").json()
    assert suggestions["side"] == "investor"
    first = suggestions["suggestions"][0]
    assert first["id"] == NOVA and first["mark"] == "must"
    assert {"sector", "ticket", "language", "region"} <= set(first["codes"])
    assert len(first["reasons"]) == len(first["codes"])
    agenda = demo_app.get("/meetings")
    assert agenda.status_code == 200
    assert 'data-status="pending"' in agenda.text
    meetings = demo_app.get("/api/meetings").json()["meetings"]
    booked = next(m for m in meetings if m["status"] == "booked" and m["team_id"] == NOVA)
    assert re.fullmatch(r"東京 .+ · 上海 .+", booked["local_times"])  # ja: the investor's locale and both zones
    assert booked["room_url"].endswith(f"/meetings/{booked['id']}/room")


def test_request_accept_book_and_both_sides_see_it(demo_app: TestClient, demo_settings: object) -> None:
    login(demo_app, SOPHIE)
    sent = post(demo_app, "/meetings/requests", {"other_id": NOVA, "message": "Bonjour"})
    assert sent.status_code == 303
    request_id = int(re.search(r"/meetings/requests/(\d+)", sent.headers["location"]).group(1))
    again = post(demo_app, "/meetings/requests", {"other_id": NOVA, "message": ""})
    assert again.status_code == 409  # one open request per pair, however often the form is sent

    demo_app.cookies.clear()
    login(demo_app, "team@expo.example")
    page = demo_app.get(f"/meetings/requests/{request_id}")
    assert "Bonjour" in page.text and f"/meetings/requests/{request_id}/accept" in page.text
    cookie = "; ".join(f"{k}={v}" for k, v in demo_app.cookies.items())
    with demo_app.websocket_connect("/ws/live", headers={"cookie": cookie}) as socket:
        socket.send_text('{"type": "hello"}')
        frames = [socket.receive_json(), socket.receive_json()]
    assert {"type": "notifications", "unread": 3} in frames  # the demo's two + Sophie's request
    assert post(demo_app, f"/meetings/requests/{request_id}/accept", {}).status_code == 303

    demo_app.cookies.clear()
    login(demo_app, SOPHIE)
    page = demo_app.get(f"/meetings/requests/{request_id}")
    slot_id = re.search(r'<select id="slot" name="slot_id"><option value="(\d+)"', page.text).group(1)
    booked = post(demo_app, f"/meetings/requests/{request_id}/book", {"slot_id": slot_id})
    assert booked.status_code == 303
    meeting_id = int(re.search(r"/meetings/(\d+)", booked.headers["location"]).group(1))
    mine = next(m for m in demo_app.get("/api/meetings").json()["meetings"] if m["id"] == meeting_id)
    assert re.fullmatch(r".+ in Paris · .+ in Shanghai", mine["local_times"])
    ics = demo_app.get(f"/meetings/{meeting_id}/meeting.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and mine["uid"] in ics.text

    demo_app.cookies.clear()
    login(demo_app, "team@expo.example")
    theirs = next(m for m in demo_app.get("/api/meetings").json()["meetings"] if m["id"] == meeting_id)
    assert theirs["starts_at"] == mine["starts_at"]
    assert re.fullmatch(r"巴黎.+ · 上海.+", theirs["local_times"])  # zh_Hans: the team member's locale

    async def check() -> tuple[str, int, list[str]]:
        db = Database(demo_settings.database_url)  # type: ignore[attr-defined]
        try:
            async with db.session() as session:
                status = await session.scalar(select(Request.status).where(Request.id == request_id))
                count = await session.scalar(select(func.count()).select_from(Meeting).where(Meeting.id == meeting_id))
                subjects = list((await session.scalars(select(Mail.subject).order_by(Mail.id))).all())
            return str(status), int(count or 0), subjects
        finally:
            await db.close()

    status, count, subjects = run(check())
    assert (status, count) == ("booked", 1)
    assert "Sophie Martin (Rive Gauche Santé)请求与您会面" in subjects  # to the team, in Chinese
    assert any(s.startswith("Meeting with Nova Antibody Therapeutics booked: ") for s in subjects)  # to Sophie


def test_forged_ids_and_wrong_sides_are_refused(demo_app: TestClient) -> None:
    login(demo_app, "investor@expo.example")
    agenda = demo_app.get("/api/meetings").json()["meetings"]
    own = agenda[0]["id"]
    demo_app.cookies.clear()
    login(demo_app, SOPHIE)
    assert demo_app.get(f"/meetings/{own}").status_code == 404
    assert demo_app.get(f"/meetings/{own}/meeting.ics").status_code == 404
    assert post(demo_app, f"/meetings/{own}/cancel", {}).status_code == 404
    assert demo_app.get("/meetings/requests/1").status_code == 404  # Kenji's request
    sent = post(demo_app, "/meetings/requests", {"other_id": 6, "message": ""})
    request_id = int(sent.headers["location"].split("/")[3].split("?")[0])
    accept_own = post(demo_app, f"/meetings/requests/{request_id}/accept", {})
    assert accept_own.status_code == 403  # the sender cannot answer their own request
    assert post(demo_app, "/meetings/requests", {"other_id": "x"}).status_code == 422
    assert post(demo_app, "/meetings/requests", {"other_id": 99999}).status_code == 404
    assert post(demo_app, "/meetings/requests", {"other_id": 3, "message": "x" * 2001}).status_code == 422


def test_caps_hidden_teams_and_expiry(demo_settings: object, tmp_path: object) -> None:
    from expo.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(demo_settings.database_url, tmp_path / "v2", EXPO_MEETING_OPEN_REQUESTS=2)  # type: ignore[attr-defined,operator]

    async def hide(team_id: int) -> None:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                session.add(TeamProfile(team_id=team_id, hidden=True)) if await session.get(
                    TeamProfile, team_id
                ) is None else None
                profile = await session.get(TeamProfile, team_id)
                profile.hidden = True
                await session.commit()
        finally:
            await db.close()

    run(hide(5))
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        login(client, SOPHIE)
        assert post(client, "/meetings/requests", {"other_id": 5}).status_code == 409  # hidden
        assert post(client, "/meetings/requests", {"other_id": 3}).status_code == 303  # her 2nd open one
        capped = post(client, "/meetings/requests", {"other_id": 4})
        assert capped.status_code == 409
        assert "You have reached the most open requests allowed (2)" in capped.text

    async def expire() -> tuple[int, list[str]]:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                n = await meeting_requests.expire_due(session, Notifier(Catalogs().get), utcnow() + timedelta(days=15))
                states = list((await session.scalars(select(Request.status).order_by(Request.id))).all())
            return n, states
        finally:
            await db.close()

    expired, states = run(expire())
    assert expired >= 4  # the demo's pending/proposed ones and Sophie's
    assert "pending" not in states and "proposed" not in states
