"""kill -9 of a real ``expo serve`` under booth chat and Q&A load, then a restart on the same
database: every message and question acknowledged to a client is there exactly once, and
clients resume from their last id (issue #12, item 1). SQLite (WAL) always; PostgreSQL when
EXPO_TEST_DATABASE_URL is set. Prints acknowledged/found/lost/duplicated per database."""

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from booths.models import ChatMessage
from expo.accounts import service
from expo.accounts.roles import Role
from expo.db import Database
from expo.demo import DEMO_PASSWORD
from streaming.models import Question
from tests.conftest import DATABASES, ServerProcess, in_thread, seeded_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
INVESTORS = 6
LOAD_SECONDS = 1.5  # of load after every client is in, before the kill


async def _make_investors(url: str) -> list[str]:
    db = Database(url)
    emails = [f"crash{n}@expo.example" for n in range(INVESTORS)]
    try:
        for email in emails:
            async with db.session() as session:
                await service.create_user(
                    session, email=email, password=DEMO_PASSWORD, name=email.split("@")[0], role=Role.INVESTOR
                )
    finally:
        await db.close()
    return emails


def _cookie(base: str, email: str) -> str:
    with httpx.Client(base_url=base) as http:
        page = http.get("/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        http.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class Client:
    """One investor: chats at a booth and asks at a pitch, remembering every ack."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.acked_chat: dict[str, int] = {}  # body → id acknowledged
        self.acked_questions: set[str] = set()  # texts whose stored question came back
        self.last_id = 0  # the newest chat id this client has seen (for hello after restart)
        self.sent = 0

    async def chat(self, ws_base: str, booth: int, headers: dict[str, str], stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(f"{ws_base}/ws/booths/{booth}/chat", additional_headers=headers) as ws:
                welcome = json.loads(await ws.recv())
                self.last_id = max(self.last_id, welcome.get("last_id") or 0)
                n = 0
                while not stop.is_set():
                    body = f"{self.email} message {n}"
                    n += 1
                    self.sent += 1
                    await ws.send(json.dumps({"type": "send", "body": body, "client_id": body}))
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "message":
                            self.last_id = max(self.last_id, frame["id"])
                        if frame["type"] == "ack":
                            self.acked_chat[frame["client_id"]] = frame["id"]
                            self.last_id = max(self.last_id, frame["id"])
                            break
                        if frame["type"] == "error":
                            await asyncio.sleep(0.3)  # rate limited: wait, send the next one
                            break
        except (websockets.WebSocketException, OSError):
            return  # the server was killed

    async def ask(self, ws_base: str, pitch: int, headers: dict[str, str], stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(f"{ws_base}/ws/pitches/{pitch}", additional_headers=headers) as ws:
                await ws.recv()  # snapshot
                for n in range(3):  # the per-person budget: 3 a minute
                    if stop.is_set():
                        return
                    text = f"{self.email} question {n}"
                    await ws.send(json.dumps({"type": "ask", "text": text}))
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame.get("type") == "question" and frame.get("text") == text:
                            self.acked_questions.add(text)
                            break
                        if frame.get("type") == "error":
                            break
                await stop.wait()
        except (websockets.WebSocketException, OSError):
            return

    async def resume(self, ws_base: str, booth: int, headers: dict[str, str], last_id: int) -> list[int]:
        """Reconnects after the restart and asks for what came after ``last_id``."""
        async with websockets.connect(f"{ws_base}/ws/booths/{booth}/chat", additional_headers=headers) as ws:
            await ws.recv()  # welcome
            await ws.send(json.dumps({"type": "hello", "last_id": last_id}))
            ids = []
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "synced":
                    return ids
                if frame["type"] == "message":
                    ids.append(frame["id"])


async def _stored(url: str) -> tuple[Counter[str], Counter[str], dict[str, int]]:
    db = Database(url)
    try:
        async with db.session() as session:
            messages = (await session.execute(select(ChatMessage.body, ChatMessage.id))).all()
            questions = (await session.scalars(select(Question.text))).all()
    finally:
        await db.close()
    return Counter(b for b, _ in messages), Counter(questions), {b: i for b, i in messages}


@pytest.mark.parametrize("kind", DATABASES)
def test_nothing_acknowledged_is_lost_or_doubled_by_a_kill_9(kind: str, tmp_path: Path) -> None:
    env = seeded_env(kind, tmp_path)
    url = env["EXPO_DATABASE_URL"]
    emails = in_thread(asyncio.run, _make_investors(url))
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        booth = httpx.get(f"{server.url}/api/booths").json()["items"][0]["id"]
        pitch = next(p["id"] for p in httpx.get(f"{server.url}/api/pitches").json()["pitches"] if p["state"] != "ended")
        cookies = {email: _cookie(server.url, email) for email in emails}
        clients = [Client(email) for email in emails]

        async def load() -> None:
            stop = asyncio.Event()
            ws_base = server.url.replace("http://", "ws://")
            tasks = []
            for c in clients:
                headers = {"cookie": cookies[c.email], "origin": server.url}
                tasks += [asyncio.create_task(c.chat(ws_base, booth, headers, stop))]
                tasks += [asyncio.create_task(c.ask(ws_base, pitch, headers, stop))]
            deadline = asyncio.get_running_loop().time() + 30
            while asyncio.get_running_loop().time() < deadline:  # every client acknowledged at least once
                if all(c.acked_chat and c.acked_questions for c in clients):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(LOAD_SECONDS)
            server.process.send_signal(signal.SIGKILL)  # mid-load: sockets are sending
            server.process.wait(10)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)

        in_thread(asyncio.run, load())
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server._log.close()

    restarted = ServerProcess(env, tmp_path / "server2.log")
    try:

        async def resume() -> list[tuple[list[int], list[int]]]:
            """Each client resumes from its last id (nothing new: all it sent was acked or
            lost with the process), then replays from before its first ack: every
            acknowledged id comes back once, in order."""
            ws_base = restarted.url.replace("http://", "ws://")
            out = []
            for c in clients:
                headers = {"cookie": cookies[c.email], "origin": restarted.url}
                first = min(c.acked_chat.values()) - 1
                out.append(
                    (await c.resume(ws_base, booth, headers, c.last_id), await c.resume(ws_base, booth, headers, first))
                )
            return out

        resumed = in_thread(asyncio.run, resume())
    finally:
        restarted.stop()

    bodies, questions, ids = in_thread(asyncio.run, _stored(url))
    acked_chat = {body: i for c in clients for body, i in c.acked_chat.items()}
    acked_questions = {t for c in clients for t in c.acked_questions}
    lost = [b for b, i in acked_chat.items() if ids.get(b) != i] + [t for t in acked_questions if not questions[t]]
    duplicated = [b for b, n in bodies.items() if n > 1 and b.startswith("crash")]
    duplicated += [t for t, n in questions.items() if n > 1 and t.startswith("crash")]
    ours = [b for b in bodies if b.startswith("crash")]
    figures = {
        "database": kind,
        "chat_acknowledged": len(acked_chat),
        "chat_found": sum(1 for b in acked_chat if bodies[b] == 1),
        "chat_stored_unacknowledged": len(ours) - len(acked_chat),
        "questions_acknowledged": len(acked_questions),
        "questions_found": sum(1 for t in acked_questions if questions[t] == 1),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "resumed_after_last_id": sum(len(new) for new, _ in resumed),
        "replayed_from_first_ack": sum(len(replay) for _, replay in resumed),
    }
    print(f"\nkill -9 figures: {json.dumps(figures)}")  # noqa: T201
    assert (lost, duplicated) == ([], [])
    assert figures["chat_acknowledged"] > 0 and figures["questions_acknowledged"] > 0
    for client, (new, replay) in zip(clients, resumed, strict=True):
        assert new == sorted(new) and all(i > client.last_id for i in new)  # nothing seen comes again
        assert replay == sorted(set(replay)) and set(client.acked_chat.values()) <= set(replay)
