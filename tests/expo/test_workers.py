"""`expo serve --workers N`: refused where it cannot be right (SQLite, no Redis); for real on
PostgreSQL + Redis, two worker processes answer on one port, a WebSocket message crosses from
one to the other, and a worker told to stop (SIGTERM) is not ready any more and tells its
sockets to reconnect before it closes them with 1012."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import PG_URL, REDIS_URL, ROOT, free_port, seeded_env

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _serve(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "expo", "serve", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_several_workers_are_refused_on_sqlite_and_without_redis(tmp_path: Path) -> None:
    base = {"EXPO_VAR_DIR": str(tmp_path / "var"), "EXPO_SECRET_KEY": "k", "EXPO_LOG_LEVEL": "WARNING"}
    on_sqlite = _serve(
        {**base, "EXPO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/expo.db", "EXPO_REDIS_URL": "redis://x/0"},
        "--workers",
        "2",
    )
    assert on_sqlite.returncode == 2
    assert "SQLite takes one writing process" in on_sqlite.stderr
    without_redis = _serve(
        {**base, "EXPO_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}, "--workers", "3"
    )
    assert without_redis.returncode == 2
    assert "--workers 3" in without_redis.stderr and "EXPO_REDIS_URL" in without_redis.stderr
    assert _serve(base, "--workers", "0").returncode == 2


async def _announce(base: str, text: str) -> str:
    """An organizer's announcement, through whichever worker takes the connection; returns
    that worker's pid."""
    async with httpx.AsyncClient(base_url=base) as client:
        token = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
        await client.post(
            "/login",
            data={"email": "organizer@expo.example", "password": "expo-demo-2026", "csrf_token": token},
        )
        token = CSRF.search((await client.get("/organizer/announce")).text).group(1)  # type: ignore[union-attr]
        sent = await client.post("/organizer/announce", data={"text_en": text, "csrf_token": token})
        assert sent.status_code in (200, 303)
        return sent.headers["x-expo-worker"]


async def _next(socket: websockets.ClientConnection, kind: str) -> dict[str, object]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] == kind:
            return message


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs EXPO_TEST_DATABASE_URL and EXPO_TEST_REDIS_URL")
def test_two_workers_share_one_port_and_a_socket_message_crosses_between_them(tmp_path: Path) -> None:
    env = seeded_env("postgres", tmp_path, REDIS_URL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "expo", "serve", "--workers", "2"],
        env={**os.environ, **env, "EXPO_PORT": str(port), "EXPO_HOST": "127.0.0.1"},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            try:
                with httpx.Client(base_url=base, timeout=2) as probe:  # a new connection each time
                    health = probe.get("/healthz")
                    if health.status_code == 200:
                        pids.add(health.json()["pid"])
                        assert health.headers["x-expo-worker"] == str(health.json()["pid"])
            except httpx.HTTPError:
                time.sleep(0.2)
        assert len(pids) == 2, (tmp_path / "serve.log").read_text()[-2000:]

        async def scenario() -> dict[str, object]:
            url = base.replace("http", "ws") + "/ws/live"
            by_worker: dict[str, websockets.ClientConnection] = {}
            spare = []
            for _ in range(40):  # the kernel spreads connections over the workers' accepts
                socket = await websockets.connect(url)
                worker = socket.response.headers["x-expo-worker"]
                if worker in by_worker:
                    spare.append(socket)
                else:
                    by_worker[worker] = socket
                if len(by_worker) == 2:
                    break
            assert len(by_worker) == 2
            for socket in by_worker.values():
                await socket.send(json.dumps({"type": "hello"}))
                await _next(socket, "welcome")
            sender = await _announce(base, "Doors open in 10 minutes")
            got = {worker: await _next(socket, "announcement") for worker, socket in by_worker.items()}

            # SIGTERM to one worker: /readyz on a connection it holds says "draining", its
            # socket gets the reconnect frame, then close code 1012; the other worker stays.
            stopping = next(iter(by_worker))
            async with httpx.AsyncClient(base_url=base) as held:
                for _ in range(40):
                    ready = await held.get("/readyz")
                    if ready.headers["x-expo-worker"] == stopping:
                        break
                    await held.aclose()
                    held = httpx.AsyncClient(base_url=base)
                assert (ready.status_code, ready.json()["status"]) == (200, "ready")
                os.kill(int(stopping), signal.SIGTERM)
                reconnect = await _next(by_worker[stopping], "reconnect")
                draining = await held.get("/readyz")
                await held.aclose()
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(by_worker[stopping].recv(), 10)
            for socket in [*by_worker.values(), *spare]:
                await socket.close()
            return {
                "sender": sender,
                "texts": {w: m["text"] for w, m in got.items()},
                "reconnect": reconnect,
                "draining": (draining.status_code, draining.json()["status"], draining.json()["pid"]),
                "close_code": closed.value.rcvd.code if closed.value.rcvd else None,
                "stopping": stopping,
                "workers": sorted(by_worker),
            }

        result = asyncio.run(scenario())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    assert result["sender"] in result["workers"]  # so one socket was on the other worker
    assert result["texts"] == {worker: "Doors open in 10 minutes" for worker in result["workers"]}
    assert result["reconnect"] == {"type": "reconnect", "code": 1012}
    assert result["draining"] == (503, "draining", int(result["stopping"]))
    assert result["close_code"] == 1012
    assert server.returncode == 0
