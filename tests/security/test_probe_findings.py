"""Regression tests for the findings of the outside security probe (issue #12, item 3): each
failed (a 500, a dropped socket, a bypass) before its fix."""

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from booths.models import Booth, ChatMessage
from expo.accounts import service
from expo.accounts.models import PasswordReset, User, UserSession
from expo.agenda.models import PitchSession
from expo.app import create_app
from expo.db import Database
from expo.demo import DEMO_PASSWORD
from expo.settings import Settings
from streaming import pitches
from streaming.models import Question
from tests.conftest import make_settings
from tests.helpers import DEMO_USERS, csrf_from, login_as, run, seed_demo

HUGE = 2**63


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Settings:
    seed_demo(database_url)
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
def app(demo: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo), base_url="http://127.0.0.1") as client:
        yield client


def query(url: str, statement):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        db = Database(url)
        try:
            async with db.session() as session:
                result = await session.execute(statement)
                await session.commit()
                try:
                    return result.all()
                except Exception:  # noqa: BLE001 - an UPDATE returns no rows
                    return None
        finally:
            await db.close()

    return run(go())


def first_pitch(url: str, *, team: bool = False) -> int:
    where = PitchSession.team_id.is_not(None) if team else PitchSession.team_id.is_(None)
    return query(url, select(PitchSession.id).where(where).order_by(PitchSession.id).limit(1))[0][0]


def closed_with(client: TestClient, url: str, **headers: str) -> tuple[int, str]:
    """Connects, then reads: the (code, reason) the server closed with after accepting (a
    refusal before accepting is an HTTP 403 to a browser, and fails here)."""
    accepted = False
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(url, headers=headers) as socket:
            accepted = True
            socket.send_text('{"type": "ping"}')
            socket.receive_text()
            socket.receive_text()
    assert accepted, f"{url} was refused at the handshake (HTTP 403), not closed with a code"
    return closed.value.code, closed.value.reason


# ---- 500s ---------------------------------------------------------------------------------


def test_path_ids_past_any_database_id_answer_404_on_pitch_routes(app: TestClient) -> None:
    login_as(app, "organizer")
    paths = [f"/pitches/{HUGE}", f"/pitches/{HUGE}/studio", f"/pitches/{HUGE}/replay.webm", f"/booths/{HUGE}"]
    assert [app.get(p).status_code for p in paths] == [404, 404, 404, 404]
    whip = app.post(f"/pitches/{HUGE}/whip", content=b"v=0", headers={"content-type": "application/sdp"})
    assert whip.status_code == 404


def test_socket_handshakes_with_huge_ids_close_4404_after_accepting(app: TestClient) -> None:
    login_as(app, "investor")
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    assert closed_with(app, f"/ws/pitches/{HUGE}", cookie=cookie)[0] == 4404
    assert closed_with(app, f"/ws/booths/{HUGE}/chat", cookie=cookie)[0] == 4404


def test_a_bearer_token_naming_a_huge_pitch_id_is_401_not_500(app: TestClient, demo: Settings) -> None:
    pitch = first_pitch(demo.database_url)
    response = app.post(
        f"/pitches/{pitch}/whip",
        content=b"v=0\r\n",
        headers={"content-type": "application/sdp", "authorization": "Bearer 99999999999999999999.abc"},
    )
    assert response.status_code == 401


def test_the_interpreter_page_renders_for_a_granted_interpreter(app: TestClient, demo: Settings) -> None:
    pitch = first_pitch(demo.database_url)
    investor = query(demo.database_url, select(User.id).where(User.email == DEMO_USERS["investor"]))[0][0]

    async def grant() -> None:
        db = Database(demo.database_url)
        try:
            async with db.session() as session:
                await pitches.grant_interpreter(session, pitch, investor, "ja")
                await session.commit()
        finally:
            await db.close()

    run(grant())
    login_as(app, "investor")
    for lang in ("en", "id", "ar"):
        page = app.get(f"/pitches/{pitch}/interpret?lang={lang}")
        assert page.status_code == 200, page.text[:300]
        assert "日本語" in page.text


# ---- bodies and CSRF ------------------------------------------------------------------------


def test_a_30_mb_anonymous_upload_to_login_is_refused_before_it_is_read(app: TestClient) -> None:
    sent = []

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n'
        for _ in range(30):
            sent.append(1)
            yield b"x" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    response = app.post(
        "/login",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(30 * 1024 * 1024 + 100)},
    )
    assert response.status_code == 413
    assert len(sent) <= 1  # answered from the Content-Length: the body was not read


def test_multipart_csrf_is_checked_without_reading_files(app: TestClient, demo: Settings) -> None:
    team = query(demo.database_url, select(User.team_id).where(User.email == DEMO_USERS["team"]))[0][0]
    booth_id = query(demo.database_url, select(Booth.id).where(Booth.team_id == team).limit(1))[0][0]
    login_as(app, "team")
    token = csrf_from(app, "/forgot")
    file_first = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n'
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode() + b"\r\n--b--\r\n"
    )
    refused = app.post(
        f"/booths/{booth_id}/documents", content=file_first, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert refused.status_code == 403  # the token must come before any file
    wrong = b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nnope\r\n--b--\r\n'
    assert (
        app.post(
            f"/booths/{booth_id}/documents", content=wrong, headers={"content-type": "multipart/form-data; boundary=b"}
        ).status_code
        == 403
    )


# ---- limits per person -----------------------------------------------------------------------


def test_eight_sockets_of_one_investor_store_at_most_three_questions(app: TestClient, demo: Settings) -> None:
    pitch = first_pitch(demo.database_url)
    login_as(app, "investor")
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    sockets = [app.websocket_connect(f"/ws/pitches/{pitch}", headers={"cookie": cookie}) for _ in range(8)]
    opened = [s.__enter__() for s in sockets]
    try:
        for socket in opened:
            socket.receive_json()  # snapshot
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda s: s.send_json({"type": "ask", "text": f"Question {id(s)}"}), opened))
        time.sleep(1.0)
    finally:
        for socket in sockets:
            socket.__exit__(None, None, None)
    stored = query(demo.database_url, select(func.count()).select_from(Question).where(Question.pitch_id == pitch))
    assert stored[0][0] == 3


def test_five_chat_sockets_of_one_investor_share_one_message_budget(app: TestClient, demo: Settings) -> None:
    booth = query(demo.database_url, select(Booth.id).where(Booth.status == "published").limit(1))[0][0]
    login_as(app, "investor")
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    sockets = [app.websocket_connect(f"/ws/booths/{booth}/chat", headers={"cookie": cookie}) for _ in range(5)]
    opened = [s.__enter__() for s in sockets]
    acked = 0
    try:
        for socket in opened:
            socket.receive_json()  # welcome
        for socket in opened:
            for n in range(8):
                socket.send_json({"type": "send", "body": f"hello {n}", "client_id": str(n)})
        for socket in opened:
            for _ in range(8):
                frame = socket.receive_json()
                while frame["type"] not in ("ack", "error"):
                    frame = socket.receive_json()
                acked += frame["type"] == "ack"
    finally:
        for socket in sockets:
            socket.__exit__(None, None, None)
    stored = query(demo.database_url, select(func.count()).select_from(ChatMessage))
    assert acked <= 10  # a burst of 8 for the person (plus what trickles in meanwhile), not 40
    assert acked > 0 and stored[0][0] >= acked


# ---- accounts --------------------------------------------------------------------------------


def _attempt(demo: Settings, address: str, password: str) -> int:
    with TestClient(create_app(demo), base_url="http://127.0.0.1", client=(address, 4000)) as client:
        token = csrf_from(client)
        response = client.post(
            "/login",
            data={"email": DEMO_USERS["investor"], "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        return response.status_code


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(demo: Settings) -> None:
    demo = make_settings(demo.database_url, demo.var_dir, EXPO_LOGIN_RATE="3")
    # One app lifespan (one limiter), two addresses: the test client's address is switched.
    with TestClient(create_app(demo), base_url="http://127.0.0.1", client=("203.0.113.9", 4000)) as client:
        token = csrf_from(client)
        form = {"email": DEMO_USERS["investor"], "csrf_token": token}
        codes = [client.post("/login", data={**form, "password": "wrong"}).status_code for _ in range(4)]
        right = client.post("/login", data={**form, "password": DEMO_PASSWORD}, follow_redirects=False)
        assert (codes, right.status_code) == ([401, 401, 401, 429], 429)  # this address, this account
        client._transport.client = ("198.51.100.7", 4000)  # the owner, elsewhere
        owner = client.post("/login", data={**form, "password": DEMO_PASSWORD}, follow_redirects=False)
        assert owner.status_code == 303  # slowed, not locked


def test_an_account_under_attack_answers_at_once_with_retry_after_and_lets_the_owner_in(demo: Settings) -> None:
    """Many addresses spend the account's budget; then each address may try once a second:
    a faster attempt gets 429 + Retry-After at once (it used to wait 1 s on the server,
    holding its connection, and then answer 401); the owner elsewhere still gets in."""
    demo = make_settings(demo.database_url, demo.var_dir, EXPO_LOGIN_RATE="3")
    with TestClient(create_app(demo), base_url="http://127.0.0.1", client=("203.0.113.1", 4000)) as client:
        token = csrf_from(client)
        form = {"email": DEMO_USERS["investor"], "csrf_token": token}

        def attempt(address: str, password: str = "wrong"):  # type: ignore[no-untyped-def]
            client._transport.client = (address, 4000)  # noqa: SLF001
            return client.post("/login", data={**form, "password": password}, follow_redirects=False)

        spent = [attempt(f"203.0.113.{n}").status_code for n in range(1, 4)]  # the account's budget of 3
        first, hurried = attempt("203.0.113.50"), attempt("203.0.113.50")
        time.sleep(1.1)  # the pace: one attempt a second per address
        later = attempt("203.0.113.50")
        owner = attempt("198.51.100.7", DEMO_PASSWORD)  # last: a sign-in renews the CSRF token
    assert spent == [401, 401, 401]
    assert first.status_code == 401
    assert (hurried.status_code, hurried.headers.get("retry-after")) == (429, "1")
    assert "wait a second" in hurried.text
    assert owner.status_code == 303  # slowed, not locked
    assert later.status_code == 401


def test_logout_ends_the_session_server_side(app: TestClient) -> None:
    login_as(app, "investor")
    stolen = dict(app.cookies.items())
    assert app.get("/profile", follow_redirects=False).status_code == 200
    app.post("/logout", headers={"x-csrf-token": csrf_from(app, "/profile")}, follow_redirects=False)
    app.cookies.clear()
    for name, value in stolen.items():
        app.cookies.set(name, value)
    assert app.get("/profile", follow_redirects=False).status_code == 401  # the old cookie is signed out


def test_a_password_reset_voids_every_outstanding_link(demo: Settings) -> None:
    async def two_links() -> tuple[str, str]:
        db = Database(demo.database_url)
        try:
            async with db.session() as session:
                _, older = await service.request_reset(session, DEMO_USERS["host"])  # type: ignore[misc]
                _, newer = await service.request_reset(session, DEMO_USERS["host"])  # type: ignore[misc]
                await session.commit()
            async with db.session() as session:
                await service.reset_password(session, newer, "a-new-long-password-1")
            return older, newer
        finally:
            await db.close()

    older, _ = run(two_links())

    async def use_older() -> str:
        db = Database(demo.database_url)
        try:
            async with db.session() as session:
                try:
                    await service.reset_password(session, older, "another-long-password-2")
                except service.InvalidInput as exc:
                    return str(exc.errors)
                return "accepted"
        finally:
            await db.close()

    assert "not valid" in run(use_older())
    unused = query(
        demo.database_url, select(func.count()).select_from(PasswordReset).where(PasswordReset.used_at.is_(None))
    )
    assert unused[0][0] == 0


# ---- sockets ---------------------------------------------------------------------------------


def test_sockets_from_a_foreign_origin_are_refused(app: TestClient, demo: Settings) -> None:
    login_as(app, "investor")
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    pitch = first_pitch(demo.database_url)
    for url in ("/ws/live", f"/ws/pitches/{pitch}"):
        assert closed_with(app, url, cookie=cookie, origin="https://evil.example.org") == (4403, "origin")
        with app.websocket_connect(
            url, headers={"cookie": cookie, "origin": "http://testserver"}
        ) as socket:  # the Host of test sockets
            socket.send_text('{"type": "ping"}')
            frames = [socket.receive_json()]  # the socket's own first frames (a bell, a state) may come first
            while {"type": "pong"} not in frames and len(frames) < 6:
                frames.append(socket.receive_json())
            assert {"type": "pong"} in frames, frames


def test_refused_chat_sockets_close_with_the_documented_codes(app: TestClient, demo: Settings) -> None:
    unpublished = query(demo.database_url, select(Booth.id).where(Booth.status != "published").limit(1))
    published = query(demo.database_url, select(Booth.id).where(Booth.status == "published").limit(1))[0][0]
    assert closed_with(app, f"/ws/booths/{published}/chat")[0] == 4401
    login_as(app, "investor")
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    if unpublished:
        assert closed_with(app, f"/ws/booths/{unpublished[0][0]}/chat", cookie=cookie)[0] == 4404
    app.cookies.clear()
    login_as(app, "host")  # a district host at another district's (or a team's) booth: not its staff
    cookie = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    host_district = query(demo.database_url, select(User.district_id).where(User.email == DEMO_USERS["host"]))[0][0]
    other = query(
        demo.database_url,
        select(Booth.id).where(Booth.status == "published", Booth.district_id != host_district).limit(1),
    )[0][0]
    assert closed_with(app, f"/ws/booths/{other}/chat", cookie=cookie)[0] == 4403


BAD_FRAMES = [
    json.dumps({"type": "hello", "last_id": HUGE}),
    json.dumps({"type": "read", "last_id": HUGE, "thread_id": HUGE}),
    json.dumps({"type": "send", "body": "hi", "thread_id": HUGE}),
    '{"type": "send", "body": "\\ud800"}',
    '{"type": "vote", "id": 9223372036854775808}',
    '{"type": "moderate", "id": 9223372036854775808, "state": "hidden"}',
    '{"type": "ask", "text": "\\udfff lone"}',
    "[1, 2",
    "null",
]


def _survives(socket, frames: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    codes = []
    for raw in frames:
        socket.send_text(raw)
        reply = socket.receive_json()
        while reply["type"] not in ("error", "synced"):
            reply = socket.receive_json()
        codes.append(reply.get("code", reply["type"]))
    socket.send_bytes(b"\x00\x01binary")
    reply = socket.receive_json()
    while reply["type"] != "error":
        reply = socket.receive_json()
    codes.append(reply["type"])
    socket.send_text('{"type": "ping"}')
    reply = socket.receive_json()
    while reply["type"] != "pong":
        reply = socket.receive_json()
    return codes


def test_bad_frames_get_an_error_frame_and_the_socket_survives(app: TestClient, demo: Settings) -> None:
    booth = query(demo.database_url, select(Booth.id).where(Booth.status == "published").limit(1))[0][0]
    pitch = first_pitch(demo.database_url)
    login_as(app, "organizer")  # staff everywhere: moderate and thread_id are looked at
    cookie = {"cookie": "; ".join(f"{k}={v}" for k, v in app.cookies.items())}
    with app.websocket_connect(f"/ws/booths/{booth}/chat", headers=cookie) as socket:
        socket.receive_json()  # welcome
        codes = _survives(socket, BAD_FRAMES)
    assert all(code not in ("synced",) for code in codes[:3]) and codes[-1] == "error"
    with app.websocket_connect(f"/ws/pitches/{pitch}", headers=cookie) as socket:
        socket.receive_json()  # snapshot
        assert _survives(socket, BAD_FRAMES[4:])[-1] == "error"
    with app.websocket_connect("/ws/live", headers=cookie) as socket:
        assert _survives(socket, BAD_FRAMES[:1] + BAD_FRAMES[3:4])[-1] == "error"


# ---- metrics, studio rule ------------------------------------------------------------------------


def test_metrics_answer_loopback_or_the_token_only(demo: Settings) -> None:
    app = create_app(make_settings(demo.database_url, demo.var_dir, EXPO_METRICS_TOKEN=""))
    with TestClient(app, client=("203.0.113.5", 1)) as outside:
        assert outside.get("/metrics").status_code == 403
    with TestClient(app, client=("127.0.0.1", 1)) as local:
        assert local.get("/metrics").status_code == 200


def test_a_district_host_cannot_open_a_team_pitch_studio_in_their_district(app: TestClient, demo: Settings) -> None:
    url = demo.database_url
    host_district = query(url, select(User.district_id).where(User.email == DEMO_USERS["host"]))[0][0]
    team_pitch = first_pitch(url, team=True)
    query(url, update(PitchSession).where(PitchSession.id == team_pitch).values(district_id=host_district))
    own = query(url, select(PitchSession.id).where(PitchSession.team_id.is_(None)).limit(1))[0][0]
    query(url, update(PitchSession).where(PitchSession.id == own).values(district_id=host_district))
    login_as(app, "host")
    token = csrf_from(app, "/profile")
    assert app.get(f"/pitches/{team_pitch}/studio").status_code == 403
    assert app.post(f"/pitches/{team_pitch}/token", headers={"x-csrf-token": token}).status_code == 403
    assert app.get(f"/pitches/{own}/studio").status_code == 200


def test_a_device_is_signed_out_from_another_one(demo: Settings) -> None:
    app = create_app(demo)
    with (
        TestClient(
            app, base_url="http://127.0.0.1", headers={"user-agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0"}
        ) as laptop,
        TestClient(
            app, base_url="http://127.0.0.1", headers={"user-agent": "Mozilla/5.0 (iPhone) Safari/604.1"}
        ) as phone,
    ):
        login_as(laptop, "investor")
        login_as(phone, "investor")
        page = laptop.get("/profile?lang=en").text
        assert "Firefox · Windows" in page and "Safari · iPhone" in page and "This device" in page
        rows = query(
            demo.database_url, select(UserSession.id, UserSession.user_agent).where(UserSession.revoked_at.is_(None))
        )
        phone_row = next(row_id for row_id, agent in rows if "iPhone" in agent)
        token = csrf_from(laptop, "/profile")
        ended = laptop.post(f"/profile/sessions/{phone_row}/end", data={"csrf_token": token}, follow_redirects=False)
        assert ended.status_code == 303
        assert phone.get("/profile", follow_redirects=False).status_code == 401  # the phone is signed out
        assert laptop.get("/profile", follow_redirects=False).status_code == 200
        again = laptop.post(f"/profile/sessions/{phone_row}/end", data={"csrf_token": token}, follow_redirects=False)
        assert again.status_code == 404
