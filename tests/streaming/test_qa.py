"""Q&A over the pitch socket: ask (written, then published), vote once, the rate limit,
moderation by hosts only, hidden questions kept from investors, reconnect snapshot."""

import pytest
from starlette.testclient import TestClient

from tests.helpers import login, seed_demo


def cookie_of(client: TestClient, email: str | None) -> str:
    """Signs ``email`` in (None: anonymous) and returns the session cookie header value."""
    client.cookies.clear()
    if email:
        login(client, email)
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def socket(client: TestClient, path: str, cookie: str | None = None):  # noqa: ANN201
    """The test client does not send its cookies on WebSocket requests: pass them along."""
    if cookie is None:
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return client.websocket_connect(path, headers={"cookie": cookie})


@pytest.fixture
def demo_client(settings, database_url):  # noqa: ANN001
    seed_demo(database_url)
    from expo.app import create_app

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def jinshan(client: TestClient) -> int:
    listing = client.get("/api/pitches?lang=en").json()["pitches"]
    return next(p["id"] for p in listing if "Jinshan" in p["title"])


def test_question_is_stored_published_voted_and_moderated(demo_client: TestClient) -> None:
    pitch = jinshan(demo_client)
    as_investor = cookie_of(demo_client, "investor@expo.example")
    as_host = cookie_of(demo_client, "team@expo.example")  # the Jinshan pitch is its team's
    path = f"/ws/pitches/{pitch}"
    with socket(demo_client, path, as_investor) as investor, socket(demo_client, path, as_host) as host:
        snapshot = investor.receive_json()
        assert (snapshot["type"], snapshot["host"], snapshot["questions"]) == ("snapshot", False, [])
        assert host.receive_json()["host"] is True
        investor.send_json({"type": "ask", "text": "  How long   does approval take? "})
        asked = investor.receive_json()
        assert (asked["type"], asked["text"], asked["votes"], asked["state"]) == (
            "question",
            "How long does approval take?",
            0,
            "open",
        )
        assert host.receive_json()["id"] == asked["id"]
        investor.send_json({"type": "vote", "id": asked["id"]})
        both = sorted((investor.receive_json(), investor.receive_json()), key=lambda m: m["type"])
        assert [m["type"] for m in both] == ["question", "voted"] and both[0]["votes"] == 1
        investor.send_json({"type": "vote", "id": asked["id"]})
        assert investor.receive_json()["code"] == "voted"
        investor.send_json({"type": "moderate", "id": asked["id"], "state": "hidden"})
        assert investor.receive_json()["code"] == "forbidden"
        host.receive_json()  # the vote
        host.send_json({"type": "moderate", "id": asked["id"], "state": "hidden"})
        assert host.receive_json()["state"] == "hidden"
        assert investor.receive_json() == {"type": "removed", "id": asked["id"]}
    with socket(demo_client, path, as_investor) as again:  # reconnect: from the database
        assert again.receive_json()["questions"] == []
    with socket(demo_client, path, as_host) as again:
        assert [q["state"] for q in again.receive_json()["questions"]] == ["hidden"]


def test_rate_limit_and_bad_frames_answer_errors(demo_client: TestClient) -> None:
    pitch = jinshan(demo_client)
    with socket(demo_client, f"/ws/pitches/{pitch}") as anonymous:
        anonymous.receive_json()
        anonymous.send_json({"type": "ask", "text": "hello"})
        assert anonymous.receive_json()["code"] == "sign_in"
    login(demo_client, "investor@expo.example")
    with socket(demo_client, f"/ws/pitches/{pitch}?lang=ja") as conn:
        conn.receive_json()
        for n in range(3):
            conn.send_json({"type": "ask", "text": f"question {n}"})
            got = conn.receive_json()
            assert got["type"] == "question", got
        conn.send_json({"type": "ask", "text": "one more"})
        refused = conn.receive_json()
        assert refused["code"] == "rate_limited" and refused["message"] != ""
        conn.send_text("not json")
        assert conn.receive_json()["code"] == "bad_frame"
        conn.send_json({"type": "ask", "text": "x" * 501})
        assert conn.receive_json()["code"] == "too_long"
        conn.send_json({"type": "ping"})
        assert conn.receive_json() == {"type": "pong"}


def test_studio_is_for_the_pitchs_hosts_only(demo_client: TestClient) -> None:
    pitch = jinshan(demo_client)
    login(demo_client, "host.xiyuan-hitech@expo.example")
    assert demo_client.get(f"/pitches/{pitch}/studio").status_code == 403
    # A team's pitch is the team's, even for its own district's host (as with booths).
    login(demo_client, "host@expo.example")
    assert demo_client.get(f"/pitches/{pitch}/studio").status_code == 403
    login(demo_client, "team@expo.example")
    page = demo_client.get(f"/pitches/{pitch}/studio?lang=en")
    assert page.status_code == 200
    assert f"/pitches/{pitch}/whip" in page.text and 'data-token="' in page.text


def test_cli_prints_the_publisher_token(demo_client: TestClient, settings, capsys, monkeypatch) -> None:  # noqa: ANN001
    from expo.cli import main

    pitch = jinshan(demo_client)
    monkeypatch.setenv("EXPO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EXPO_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("EXPO_VAR_DIR", str(settings.var_dir))
    assert main(["pitch", "token", str(pitch)]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith(f"{pitch}.")
    login(demo_client, "team@expo.example")
    assert f'data-token="{token}"' in demo_client.get(f"/pitches/{pitch}/studio").text
    assert main(["pitch", "token", "9999"]) == 2
    assert main(["pitch", "token", str(pitch), "--viewer"]) == 0
    viewer = capsys.readouterr().out.strip()
    assert viewer.startswith(f"v{pitch}.") and viewer.split(".")[1] != token.split(".")[1]
