"""My agenda lists the pitch sessions a visitor added from the programme, beside meetings."""

from starlette.testclient import TestClient

from tests.helpers import DEMO_USERS, login, session_csrf


def test_a_session_added_from_the_programme_shows_on_my_agenda(demo_app: TestClient) -> None:
    login(demo_app, DEMO_USERS["investor"])
    schedule = demo_app.get("/schedule.json").json()
    rooms = schedule["schedule"]["conference"]["days"][0]["rooms"]
    talks = [t for talks in rooms.values() for t in talks]
    pitch_id = int(talks[0]["id"])
    marker = f'data-pitch="{pitch_id}"'
    assert marker not in demo_app.get("/meetings?lang=en").text

    added = demo_app.post(
        f"/schedule/{pitch_id}/agenda", data={"csrf_token": session_csrf(demo_app)}, follow_redirects=False
    )

    assert added.status_code == 303
    page = demo_app.get("/meetings?lang=en").text
    assert marker in page
    item = page[page.index(marker) :]
    assert f'href="/pitches/{pitch_id}"' in item and f'href="/schedule/{pitch_id}.ics"' in item
    assert "Pitch sessions you added" in page
