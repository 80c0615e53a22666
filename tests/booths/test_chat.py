"""Booth chat over the WebSocket: stored before delivery, staff and visitor, offline
inbox, reconnect with the last id, bad frames and flooding, who may connect."""

import time

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from booths.chat_socket import BURST
from tests.booths.test_pages import NOVA, PENDING
from tests.helpers import login_as


def cookie_of(client: TestClient, role: str) -> str:
    client.cookies.clear()
    login_as(client, role)
    value = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    client.cookies.clear()
    return value


def socket(client: TestClient, booth: int, cookie: str):
    return client.websocket_connect(f"/ws/booths/{booth}/chat", headers={"cookie": cookie})


def until(ws, kind: str) -> dict:
    for _ in range(50):
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def test_visitor_message_reaches_online_staff_and_survives_in_the_inbox(
    app_client: TestClient, booths: dict[str, int]
) -> None:
    nova = booths[NOVA]
    staff_cookie, investor_cookie = cookie_of(app_client, "team"), cookie_of(app_client, "investor")
    with socket(app_client, nova, investor_cookie) as visitor:
        welcome = visitor.receive_json()
        assert (welcome["type"], welcome["role"], welcome["staff_online"]) == ("welcome", "visitor", 0)
        visitor.send_json({"type": "send", "body": "Anyone there?", "client_id": "a1"})
        ack = until(visitor, "ack")
        assert ack["client_id"] == "a1"
        notice = until(visitor, "notice")
        assert notice["code"] == "staff_offline" and "受信箱" in notice["message"]  # Kenji reads ja
        with socket(app_client, nova, staff_cookie) as staff:
            assert until(staff, "welcome")["role"] == "staff"
            assert until(visitor, "presence")["staff_online"] == 1
            staff.send_json({"type": "hello", "last_id": ack["id"] - 1})
            missed = until(staff, "message")
            assert (missed["id"], missed["body"], missed["from_staff"]) == (ack["id"], "Anyone there?", False)
            staff.send_json({"type": "send", "thread_id": missed["thread_id"], "body": "Yes, hello!"})
            reply = until(visitor, "message")
            assert (reply["body"], reply["from_staff"], reply["sender"]) == ("Yes, hello!", True, "Dr. Xu Lei")
            visitor.send_json({"type": "send", "body": "Great <b>news</b>"})
            live = until(staff, "message")
            while live["from_staff"]:  # staff also receive their own reply, then the visitor's
                live = until(staff, "message")
            assert live["body"] == "Great <b>news</b>"
    inbox = app_client.get(f"/booths/{nova}/inbox", headers={"cookie": staff_cookie}).text
    assert "Kenji Watanabe" in inbox


def test_reconnect_with_last_id_gets_exactly_what_was_missed(app_client: TestClient, booths: dict[str, int]) -> None:
    nova = booths[NOVA]
    staff_cookie, investor_cookie = cookie_of(app_client, "team"), cookie_of(app_client, "investor")
    with socket(app_client, nova, investor_cookie) as visitor:
        until(visitor, "welcome")
        visitor.send_json({"type": "send", "body": "first"})
        last_seen = until(visitor, "ack")["id"]
        thread_id = until(visitor, "message")["thread_id"]
    with socket(app_client, nova, staff_cookie) as staff:
        until(staff, "welcome")
        for body in ("one", "two", "three"):
            staff.send_json({"type": "send", "thread_id": thread_id, "body": body})
            until(staff, "ack")
    with socket(app_client, nova, investor_cookie) as visitor:
        until(visitor, "welcome")
        visitor.send_json({"type": "hello", "last_id": last_seen})
        got = []
        while (frame := visitor.receive_json())["type"] != "synced":
            got.append(frame["body"])
        assert got == ["one", "two", "three"]


def test_bad_frames_get_error_frames_and_the_socket_stays_open(app_client: TestClient, booths: dict[str, int]) -> None:
    investor_cookie = cookie_of(app_client, "investor")
    bad = [
        ("not json", "bad_json"),
        ('["send"]', "unknown_type"),
        ('{"type": "shout"}', "unknown_type"),
        ('{"type": "send", "body": ""}', "bad_body"),
        ('{"type": "send", "body": 5}', "bad_body"),
        ('{"type": "send", "body": "' + "x" * 5000 + '"}', "too_large"),
        ('{"type": "send", "body": "bell\\u0007"}', "bad_body"),
        ('{"type": "hello", "last_id": -1}', "bad_last_id"),
        ('{"type": "hello", "last_id": true}', "bad_last_id"),
    ]
    with socket(app_client, booths[NOVA], investor_cookie) as visitor:
        until(visitor, "welcome")
        for raw, code in bad:
            visitor.send_text(raw)
            frame = visitor.receive_json()
            assert (frame["type"], frame["code"]) == ("error", code), raw
        visitor.send_bytes(b"\x00\x01")
        assert visitor.receive_json()["code"] == "binary"
        visitor.send_json({"type": "send", "body": "still here"})
        assert until(visitor, "ack")["id"] > 0


def test_flooding_is_rate_limited_per_connection(app_client: TestClient, booths: dict[str, int]) -> None:
    investor_cookie = cookie_of(app_client, "investor")
    with socket(app_client, booths[NOVA], investor_cookie) as visitor:
        until(visitor, "welcome")
        for i in range(BURST + 5):
            visitor.send_json({"type": "send", "body": f"spam {i}"})
        codes = []
        while len(codes) < BURST + 5:
            frame = visitor.receive_json()
            if frame["type"] in ("ack", "error"):
                codes.append(frame["type"] if frame["type"] == "ack" else frame["code"])
        assert codes.count("ack") == BURST and codes.count("rate_limited") == 5
        visitor.send_json({"type": "ping"})
        assert until(visitor, "pong") == {"type": "pong"}


@pytest.mark.parametrize(
    ("role", "booth", "code"),
    [
        ("anonymous", NOVA, 4401),
        ("host", NOVA, 4403),
        ("investor", PENDING, 4404),
        ("organizer", "nope", 4404),
    ],
)
def test_who_may_open_a_booth_chat(
    app_client: TestClient, booths: dict[str, int], role: str, booth: str, code: int
) -> None:
    cookie = cookie_of(app_client, role) if role != "anonymous" else ""
    with pytest.raises(WebSocketDisconnect) as closed:
        with socket(app_client, booths.get(booth, 99999), cookie) as ws:
            ws.receive_json()
    assert closed.value.code == code


def test_staff_of_a_booth_and_organizers_connect_as_staff(app_client: TestClient, booths: dict[str, int]) -> None:
    for role, booth in (("team", NOVA), ("host", "district-jinshan-bio"), ("organizer", NOVA)):
        with socket(app_client, booths[booth], cookie_of(app_client, role)) as ws:
            assert until(ws, "welcome")["role"] == "staff"
    # Each staff socket's server side records its leave (a database write, then a presence
    # message) after the client has gone; give it time, or the app's shutdown can cut that
    # write off mid-way and the event loop never finishes closing (a hang, not a failure).
    time.sleep(1.0)
