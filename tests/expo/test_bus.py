"""The bus: in-process and Redis implementations, and two server processes sharing Redis."""

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import websockets

from expo.bus import LocalBus, RedisBus
from tests.conftest import REDIS_URL, ServerProcess, seeded_env

BUSES = ["local"] + (["redis"] if REDIS_URL else [])


def make(kind: str) -> LocalBus | RedisBus:
    return LocalBus() if kind == "local" else RedisBus(REDIS_URL or "")


@pytest.mark.anyio
@pytest.mark.parametrize("kind", BUSES)
async def test_subscribers_get_messages_of_their_channel_only(kind: str) -> None:
    bus = make(kind)
    await bus.start()
    try:
        async with (
            bus.subscribe("test:a") as a1,
            bus.subscribe("test:a") as a2,
            bus.subscribe("test:b") as b,
        ):
            await asyncio.sleep(0.1)  # let Redis register the subscriptions
            await bus.publish("test:a", {"n": 1, "text": "你好"})
            await bus.publish("test:b", {"n": 2})
            got = [await asyncio.wait_for(s.get(), 5) for s in (a1, a2, b)]
        assert got == [{"n": 1, "text": "你好"}, {"n": 1, "text": "你好"}, {"n": 2}]
        assert await bus.ping()
    finally:
        await bus.close()


@pytest.mark.anyio
@pytest.mark.skipif(not REDIS_URL, reason="needs EXPO_TEST_REDIS_URL (set by .ci/run)")
async def test_redis_channels_are_scoped_to_the_database_number() -> None:
    """Redis pub/sub ignores the database number; the bus doesn't: an expo on db N never hears
    one on db N+1 publishing on the same channel, and one on db N does."""
    base = REDIS_URL or ""
    number = int(base.rsplit("/", 1)[1] or 0) if base.count("/") >= 3 else 0
    root = base.rsplit("/", 1)[0] if base.count("/") >= 3 else base
    same, other, publisher = RedisBus(f"{root}/{number}"), RedisBus(f"{root}/{(number + 1) % 16}"), RedisBus(base)
    for bus in (same, other, publisher):
        await bus.start()
    try:
        async with same.subscribe("test:scoped") as heard, other.subscribe("test:scoped") as elsewhere:
            await asyncio.sleep(0.1)
            await publisher.publish("test:scoped", {"n": 1})
            assert await asyncio.wait_for(heard.get(), 5) == {"n": 1}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(elsewhere.get(), 0.5)
    finally:
        for bus in (same, other, publisher):
            await bus.close()


@pytest.mark.anyio
async def test_a_slow_subscriber_loses_its_oldest_messages_not_the_others() -> None:
    bus = LocalBus()
    async with bus.subscribe("c") as slow:
        for n in range(1005):
            await bus.publish("c", {"n": n})
        first = await slow.get()
    assert (first, slow.dropped) == ({"n": 5}, 5)


@pytest.mark.anyio
async def test_redis_bus_reports_down_when_redis_is_unreachable() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0")
    await bus.start()
    try:
        assert await bus.ping() is False
    finally:
        await bus.close()


async def _organizer_announces(base: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = await client.post(
            "/login",
            data={
                "email": "organizer@expo.example",
                "password": "expo-demo-2026",
                "csrf_token": token,
            },
        )
        assert done.status_code in (200, 303)
        page = await client.get("/organizer/announce")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        sent = await client.post(
            "/organizer/announce",
            data={"text_en": text, "text_ja": "お知らせ", "csrf_token": token},
        )
        assert sent.status_code in (200, 303)


@pytest.mark.skipif(not REDIS_URL, reason="needs EXPO_TEST_REDIS_URL (set by .ci/run)")
def test_two_server_processes_share_messages_through_redis(tmp_path: Path) -> None:
    kind = "postgres" if __import__("os").environ.get("EXPO_TEST_DATABASE_URL") else "sqlite"
    env = seeded_env(kind, tmp_path, REDIS_URL)
    one = ServerProcess(env, tmp_path / "one.log")
    two = ServerProcess(env, tmp_path / "two.log")
    try:

        async def scenario() -> dict[str, object]:
            ws_url = two.url.replace("http", "ws") + "/ws/live"
            async with websockets.connect(ws_url, additional_headers={"Accept-Language": "ja"}) as socket:
                await socket.send(json.dumps({"type": "hello"}))
                welcome = json.loads(await asyncio.wait_for(socket.recv(), 5))
                assert welcome["type"] == "welcome"
                await _organizer_announces(one.url, "Doors open in 10 minutes")
                return json.loads(await asyncio.wait_for(socket.recv(), 10))

        message = asyncio.run(scenario())
    finally:
        one.stop()
        two.stop()
    assert (message["type"], message["text"], message["lang"]) == ("announcement", "お知らせ", "ja")


def test_live_socket_answers_bad_frames_with_errors_and_stays_open(client) -> None:
    with client.websocket_connect("/ws/live") as socket:
        socket.send_text("not json")
        assert socket.receive_json() == {"type": "error", "code": "bad_json", "message": "frame is not JSON"}
        socket.send_text(json.dumps({"type": "launch"}))
        assert socket.receive_json()["type"] == "error"
        socket.send_text(json.dumps({"type": "hello", "last_id": "1; DROP TABLE"}))
        assert socket.receive_json() == {
            "type": "error",
            "message": "last_id must be a non-negative integer",
        }
        socket.send_text("x" * 5000)
        assert socket.receive_json() == {
            "type": "error",
            "code": "too_large",
            "message": "frames are limited to 4096 characters",
        }
        socket.send_text(json.dumps({"type": "ping"}))
        assert socket.receive_json() == {"type": "pong"}
        socket.send_text(json.dumps({"type": "hello", "last_id": 0}))
        socket.send_text(json.dumps({"type": "ping"}))
        assert socket.receive_json() == {"type": "pong"}  # nothing announced yet: no backlog
