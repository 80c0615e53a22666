"""kill -9 of a real ``expo serve`` under booth chat, Q&A and meeting booking load, then a
restart on the same database: every message, question and booking acknowledged to a client
is there exactly once, clients resume from their last id, and a booking whose answer was
lost with the process, sent again after the restart, is there once (issue #12, item 1).
SQLite (WAL) always; PostgreSQL when EXPO_TEST_DATABASE_URL is set. Prints
acknowledged/found/lost/duplicated per database."""

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
from expo.fair.models import ProjectTeam
from expo.meetings.models import Availability, Mark, Meeting, Slot
from streaming.models import Question
from tests.conftest import DATABASES, ServerProcess, in_thread, seeded_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
INVESTORS = 6
LOAD_SECONDS = 1.5  # of load after every client is in, before the kill


async def _make_investors(url: str) -> tuple[list[str], dict[str, int], list[int]]:
    """The crash investors; each gets a team of its own that marked it "must meet" (so it
    may book straight away) and both are free in every meeting slot."""
    db = Database(url)
    emails = [f"crash{n}@expo.example" for n in range(INVESTORS)]
    teams: dict[str, int] = {}
    try:
        async with db.session() as session:
            slots = list((await session.scalars(select(Slot.id).order_by(Slot.starts_at))).all())
            team_ids = list((await session.scalars(select(ProjectTeam.id).order_by(ProjectTeam.id))).all())
        for n, email in enumerate(emails):
            async with db.session() as session:
                user = await service.create_user(
                    session, email=email, password=DEMO_PASSWORD, name=email.split("@")[0], role=Role.INVESTOR
                )
                team = team_ids[4 + n]  # past the demo's own meetings and requests
                session.add(Mark(investor_user_id=user.id, team_id=team, side="team", mark="must"))
                for key in (f"user:{user.id}", f"team:{team}"):
                    session.add_all(Availability(participant=key, slot_id=slot) for slot in slots)
                await session.commit()
                teams[email] = team
    finally:
        await db.close()
    return emails, teams, slots


def _cookie(base: str, email: str) -> tuple[str, str]:
    """The signed-in cookie and the session's CSRF token."""
    with httpx.Client(base_url=base) as http:
        page = http.get("/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        http.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        csrf = http.get("/forgot").text.split('name="csrf_token" value="')[1].split('"')[0]
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items()), csrf


class Client:
    """One investor: chats at a booth and asks at a pitch, remembering every ack."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.acked_chat: dict[str, int] = {}  # body → id acknowledged
        self.acked_questions: set[str] = set()  # texts whose stored question came back
        self.last_id = 0  # the newest chat id this client has seen (for hello after restart)
        self.sent = 0
        self.booked: dict[int, int] = {}  # slot id → meeting id acknowledged (303 to it)
        self.in_flight: int | None = None  # the slot of the booking sent when the server died
        self.slots_left = 0

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

    async def book(self, base: str, team: int, slots: list[int], cookie: str, csrf: str, stop: asyncio.Event) -> None:
        """Books the own team in one slot after the other, as the pair page's form does."""
        self.slots_left = len(slots)
        try:
            async with httpx.AsyncClient(base_url=base, headers={"cookie": cookie}, timeout=20) as http:
                for slot in slots:
                    if stop.is_set():
                        return
                    self.in_flight = slot
                    answer = await self._post_booking(http, team, slot, csrf)
                    self.in_flight = None
                    self.slots_left -= 1
                    if answer is not None:
                        self.booked[slot] = answer
        except httpx.HTTPError:
            return  # the server was killed: the booking in flight may or may not be stored

    @staticmethod
    async def _post_booking(http: httpx.AsyncClient, team: int, slot: int, csrf: str) -> int | None:
        data = {"other_id": str(team), "slot_id": str(slot), "csrf_token": csrf}
        response = await http.post("/meetings/book", data=data, follow_redirects=False)
        if response.status_code != 303:
            return None
        return int(response.headers["location"].split("/meetings/")[1].split("?")[0])

    async def retry_bookings(self, base: str, team: int, cookie: str, csrf: str) -> dict[int, int | None]:
        """After the restart: the booking whose answer died with the server is sent again, and
        so is every acknowledged one (a client that did not trust its answers)."""
        async with httpx.AsyncClient(base_url=base, headers={"cookie": cookie}, timeout=20) as http:
            again = [self.in_flight] if self.in_flight is not None else []
            return {slot: await self._post_booking(http, team, slot, csrf) for slot in [*again, *self.booked]}

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


async def _bookings(url: str, investors: list[str]) -> list[tuple[str, int, int, int]]:
    """(investor email, team, slot, meeting id) of every booked meeting of the crash investors."""
    from expo.accounts.models import User

    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(User.email, Meeting.team_id, Meeting.slot_id, Meeting.id)
                .join(User, User.id == Meeting.investor_user_id)
                .where(User.email.in_(investors), Meeting.status == "booked")
            )
            return [(str(e), int(t), int(s), int(i)) for e, t, s, i in rows.all()]
    finally:
        await db.close()


@pytest.mark.parametrize("kind", DATABASES)
def test_nothing_acknowledged_is_lost_or_doubled_by_a_kill_9(kind: str, tmp_path: Path) -> None:
    env = seeded_env(kind, tmp_path)
    url = env["EXPO_DATABASE_URL"]
    emails, teams, slots = in_thread(asyncio.run, _make_investors(url))
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        booth = httpx.get(f"{server.url}/api/booths").json()["items"][0]["id"]
        pitch = next(p["id"] for p in httpx.get(f"{server.url}/api/pitches").json()["pitches"] if p["state"] != "ended")
        signed_in = {email: _cookie(server.url, email) for email in emails}
        cookies = {email: cookie for email, (cookie, _) in signed_in.items()}
        clients = [Client(email) for email in emails]

        async def load() -> None:
            stop = asyncio.Event()
            ws_base = server.url.replace("http://", "ws://")
            tasks = []
            for c in clients:
                headers = {"cookie": cookies[c.email], "origin": server.url}
                tasks += [asyncio.create_task(c.chat(ws_base, booth, headers, stop))]
                tasks += [asyncio.create_task(c.ask(ws_base, pitch, headers, stop))]
                cookie, csrf = signed_in[c.email]
                tasks += [asyncio.create_task(c.book(server.url, teams[c.email], slots, cookie, csrf, stop))]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while loop.time() < deadline:  # every client acknowledged at least once
                if all(c.acked_chat and c.acked_questions and c.booked for c in clients):
                    break
                await asyncio.sleep(0.05)
            until = loop.time() + LOAD_SECONDS  # or sooner, while bookings are still being sent
            while loop.time() < until and all(c.slots_left > len(slots) // 4 for c in clients):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            server.process.send_signal(signal.SIGKILL)  # mid-load: sockets are sending
            server.process.wait(10)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)

        in_thread(asyncio.run, load())
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server._log.close()

    pre_retry = {(email, slot) for email, _, slot, _ in in_thread(asyncio.run, _bookings(url, emails))}
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

        async def retry() -> list[dict[int, int | None]]:
            return [
                await c.retry_bookings(restarted.url, teams[c.email], *_cookie(restarted.url, c.email)) for c in clients
            ]

        retried = in_thread(asyncio.run, retry())
    finally:
        restarted.stop()

    bodies, questions, ids = in_thread(asyncio.run, _stored(url))
    acked_chat = {body: i for c in clients for body, i in c.acked_chat.items()}
    acked_questions = {t for c in clients for t in c.acked_questions}
    lost = [b for b, i in acked_chat.items() if ids.get(b) != i] + [t for t in acked_questions if not questions[t]]
    duplicated = [b for b, n in bodies.items() if n > 1 and b.startswith("crash")]
    duplicated += [t for t, n in questions.items() if n > 1 and t.startswith("crash")]
    ours = [b for b in bodies if b.startswith("crash")]
    stored = in_thread(asyncio.run, _bookings(url, emails))
    per_slot = Counter((email, slot) for email, _, slot, _ in stored)
    meeting_of = {(email, slot): meeting for email, _, slot, meeting in stored}
    acked_bookings = {(c.email, slot): m for c in clients for slot, m in c.booked.items()}
    lost += [key for key, m in acked_bookings.items() if meeting_of.get(key) != m]
    duplicated += [key for key, n in per_slot.items() if n > 1]
    wrong_answers = [
        (c.email, slot, answer)
        for c, answers in zip(clients, retried, strict=True)
        for slot, answer in answers.items()
        if answer is None or answer != meeting_of.get((c.email, slot))
    ]
    figures = {
        "database": kind,
        "chat_acknowledged": len(acked_chat),
        "chat_found": sum(1 for b in acked_chat if bodies[b] == 1),
        "chat_stored_unacknowledged": len(ours) - len(acked_chat),
        "questions_acknowledged": len(acked_questions),
        "questions_found": sum(1 for t in acked_questions if questions[t] == 1),
        "bookings_acknowledged": len(acked_bookings),
        "bookings_found": sum(1 for key in acked_bookings if per_slot[key] == 1),
        "bookings_in_flight_at_kill": sum(1 for c in clients if c.in_flight is not None),
        "bookings_in_flight_stored_before_retry": sum(
            1 for c in clients if c.in_flight is not None and (c.email, c.in_flight) in pre_retry
        ),
        "booking_retries_answered_same_meeting": sum(len(a) for a in retried) - len(wrong_answers),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "resumed_after_last_id": sum(len(new) for new, _ in resumed),
        "replayed_from_first_ack": sum(len(replay) for _, replay in resumed),
    }
    print(f"\nkill -9 figures: {json.dumps(figures)}")  # noqa: T201
    assert (lost, duplicated, wrong_answers) == ([], [], [])
    assert figures["chat_acknowledged"] > 0 and figures["questions_acknowledged"] > 0
    assert figures["bookings_acknowledged"] > 0
    assert all(t == teams[e] for e, t, _, _ in stored)
    for client, (new, replay) in zip(clients, resumed, strict=True):
        assert new == sorted(new) and all(i > client.last_id for i in new)  # nothing seen comes again
        assert replay == sorted(set(replay)) and set(client.acked_chat.values()) <= set(replay)
