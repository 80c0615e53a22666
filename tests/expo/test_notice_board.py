"""Announcements stay visible after they are sent: a notice board on the lobby, and the
latest one handed to every newly opened page (shown as a banner until dismissed)."""

from starlette.testclient import TestClient

from tests.helpers import login_as, seed_demo, session_csrf


def test_lobby_notice_board_and_latest_on_welcome(client: TestClient, settings: object) -> None:
    seed_demo(settings.database_url)  # type: ignore[attr-defined]
    login_as(client, "organizer")
    token = session_csrf(client)
    for text in ("Hall B opens at 10:00", "The biomedicine pitch moved to stage 2"):
        sent = client.post("/organizer/announce", data={"csrf_token": token, "text_en": text}, follow_redirects=False)
        assert sent.status_code == 303
    with TestClient(client.app, base_url="http://127.0.0.1") as visitor:
        lobby = visitor.get("/?lang=en").text
        board = lobby[lobby.index('id="notices-title"') :]
        assert board.index("The biomedicine pitch moved") < board.index("Hall B opens at 10:00")  # newest first
        with visitor.websocket_connect("/ws/live") as socket:
            socket.send_json({"type": "hello"})
            welcome = socket.receive_json()
    assert welcome["type"] == "welcome"
    assert welcome["latest"]["text"] == "The biomedicine pitch moved to stage 2"
    assert welcome["latest"]["id"] == welcome["last_id"]
