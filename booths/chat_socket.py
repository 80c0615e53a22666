"""``/ws/booths/{id}/chat``: booth chat over a WebSocket (protocol: docs/protocols.md).

An investor talks in their own conversation with the booth; the booth's staff (and
organizers) see every conversation of the booth and answer in any. A message is committed
to the database, acknowledged, then published on the bus channel ``booths.chat.<id>``:
every process's sockets of that booth receive it (Redis when several processes run).

Delivery: each process holds one ``Room`` per booth with connected sockets: one bus
subscription and one reader task for all of them (not one per socket). A message is
encoded to JSON once and written to each socket in turn, without a task (or a task
switch) per socket when the socket can take it at once (the usual case: the write runs
to its end synchronously); a socket that cannot (its client reads slowly) gets a task that
finishes its writes and a bounded backlog, so it never holds up the others. Where the time
went before (bench/booths.py, docs/performance.md): full garbage collections of the
server process (see ``expo.gc_tuning``), then a task per socket per message.

Bad frames get ``{"type": "error", ...}`` and the socket stays open; each person may send a
burst of ``BURST`` messages, then ``RATE`` per second, across all their sockets and server
processes (``expo.web.ratelimit``); each connection also may send ``FRAME_BURST`` frames,
then ``FRAME_RATE`` per second. Refusals accept, then close with 4401/4403/4404.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from booths import chat, digest
from booths.access import can_view, is_staff
from booths.models import Booth, ChatThread
from expo.accounts.roles import ANY_USER, Role
from expo.web import frames
from expo.web.routing import refuse, ws_route
from i18n import N_

log = logging.getLogger("booths.chat")
MAX_FRAME = 4096
BURST = 8
RATE = 1.0  # messages per second, sustained
FRAME_BURST = 40
FRAME_RATE = 10.0
HEARTBEAT = 15.0
LEAVE_TIMEOUT = 3.0
OFFLINE = N_(
    "No one from this booth is online right now. Your message is in the booth's inbox and they will answer later."
)


class Bucket:
    """A token bucket: ``take()`` is False when the connection sends faster than allowed."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


BACKLOG = 1000  # messages kept for a socket that reads slowly (the oldest go; hello resyncs)


class Room:
    """This process's sockets of one booth, fed by one bus subscription."""

    def __init__(self, bus: Any, booth_id: int) -> None:
        self.members: dict[Connection, None] = {}
        self.subscribed = asyncio.Event()
        self.task = asyncio.create_task(self._run(bus, chat.channel(booth_id)))

    async def _run(self, bus: Any, channel: str) -> None:
        try:
            async with bus.subscribe(channel) as subscription:
                self.subscribed.set()
                async for message in subscription:
                    self.deliver(message)
        finally:
            self.subscribed.set()  # also when subscribing failed: joiners see task.done()

    def deliver(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, ensure_ascii=False)
        for conn in tuple(self.members):
            if conn.wants(message):
                conn.push(text)


def _rooms(websocket: WebSocket) -> dict[int, Room]:
    rooms: dict[int, Room] = websocket.state.cache.setdefault("booths.chat.rooms", {})
    return rooms


async def join_room(websocket: WebSocket, conn: "Connection") -> Room:
    """Adds the connection to its booth's room in this process (subscribed before this
    returns, so nothing published after the welcome is missed)."""
    rooms = _rooms(websocket)
    room = rooms.get(conn.booth.id)
    if room is None or room.task.done():
        room = rooms[conn.booth.id] = Room(websocket.state.bus, conn.booth.id)
    room.members[conn] = None
    await room.subscribed.wait()
    if room.task.done():
        room.members.pop(conn, None)
        if rooms.get(conn.booth.id) is room:
            del rooms[conn.booth.id]
        raise RuntimeError("chat: the bus subscription failed")
    return room


def leave_room(websocket: WebSocket, conn: "Connection", room: Room) -> None:
    room.members.pop(conn, None)
    if not room.members:
        rooms = _rooms(websocket)
        if rooms.get(conn.booth.id) is room:
            del rooms[conn.booth.id]
        room.task.cancel()


class Connection:
    def __init__(self, websocket: WebSocket, booth: Booth, staff: bool, thread: ChatThread | None) -> None:
        self.ws = websocket
        self.booth = booth
        self.staff = staff
        self.thread = thread
        self.user = websocket.state.user
        self.db = websocket.state.db
        self.bus = websocket.state.bus
        self.frames = Bucket(FRAME_BURST, FRAME_RATE)
        self.id = secrets.token_hex(16)
        self.sending: asyncio.Task[None] | None = None
        self.backlog: deque[str] = deque()

    def _(self, text: str) -> str:
        return self.ws.state.templates.translations(self.ws.state.locale).gettext(text)

    async def error(self, code: str, message: str) -> None:
        await self.ws.send_json({"type": "error", "code": code, "message": message})

    async def online(self) -> int:
        async with self.db.session() as session:
            return len(await chat.online_staff(session, self.booth.id))

    async def welcome(self) -> None:
        async with self.db.session() as session:
            thread_id = self.thread.id if self.thread else None
            newest = await chat.newest_id(session, self.booth.id, thread_id)
            online = len(await chat.online_staff(session, self.booth.id))
        await self.ws.send_json(
            {
                "type": "welcome",
                "role": "staff" if self.staff else "visitor",
                "booth_id": self.booth.id,
                "thread_id": thread_id,
                "last_id": newest,
                "staff_online": online,
            }
        )

    def wants(self, message: dict[str, Any]) -> bool:
        """Whether this socket receives a message of its booth's channel: staff get every
        conversation (not presence); a visitor gets presence and their own conversation."""
        kind = message.get("type")
        if kind in ("message", "read") and not self.staff:
            return kind == "message" and self.thread is not None and message.get("thread_id") == self.thread.id
        return not (kind == "presence" and self.staff)

    def push(self, text: str) -> None:
        """Writes a frame to this socket now when it can take it (no task, no task switch:
        the usual case), else queues it; a sender task then writes the queue in order. A
        socket that reads slowly keeps at most BACKLOG frames (the oldest go; hello
        resyncs), so it never holds up the room."""
        if not self.backlog and (self.sending is None or self.sending.done()):
            send = self.ws.send_text(text)
            try:
                waiting = send.send(None)  # runs the write up to its first wait, if any
            except StopIteration:
                return  # written
            except Exception:  # noqa: BLE001 - the socket is closing; its receive loop ends it
                return
            self.sending = asyncio.create_task(self._finish(send, waiting))
            return
        if len(self.backlog) >= BACKLOG:
            self.backlog.popleft()
        self.backlog.append(text)
        if self.sending is None or self.sending.done():
            self.sending = asyncio.create_task(self._send_backlog())

    async def _finish(self, send: Any, waiting: Any) -> None:
        """Drives a write that had to wait (the socket's buffer was full) to its end, then
        the queue. A cancellation is thrown into the write, so it ends the write too."""
        try:
            while True:
                try:
                    if waiting is None:
                        await asyncio.sleep(0)
                    else:
                        # What a Task does with a future its coroutine yielded: clear the
                        # flag the first yield set, then wait (awaiting it with the flag
                        # still set raises "await wasn't used with future").
                        waiting._asyncio_future_blocking = False
                        await waiting
                except BaseException as exc:  # noqa: BLE001 - handed to the write, which re-raises
                    waiting = send.throw(exc)
                else:
                    waiting = send.send(None)
        except StopIteration:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the socket is closing; its receive loop ends it
            return
        await self._send_backlog()

    async def _send_backlog(self) -> None:
        try:
            while self.backlog:
                await self.ws.send_text(self.backlog.popleft())
        except Exception:  # noqa: BLE001, S110 - the socket is closing; its receive loop ends it
            pass

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            async with self.db.session() as session:
                await chat.beat(session, self.id)
                await session.commit()

    async def handle(self, raw: str) -> None:
        if not self.frames.take():
            await self.error("rate_limited", "too many frames; slow down")
            return
        if len(raw) > MAX_FRAME:
            await self.error("too_large", f"frames are limited to {MAX_FRAME} characters")
            return
        parsed = frames.parse(raw, MAX_FRAME)
        if parsed.error and parsed.error != "bad_frame":
            await self.error(parsed.error, parsed.message)
            return
        frame = parsed.data
        kind = frame.get("type")
        handler = (
            {"hello": self.hello, "send": self.send, "read": self.read, "ping": self.ping}.get(kind)
            if isinstance(kind, str)
            else None
        )
        if handler is None:
            await self.error("unknown_type", "type must be one of hello, send, read, ping")
            return
        await handler(frame)

    async def ping(self, frame: dict[str, Any]) -> None:
        await self.ws.send_json({"type": "pong"})

    def _int(self, frame: dict[str, Any], name: str) -> int | None:
        return frames.int_field(frame, name)  # None also past any database id (≥ 2^31)

    async def hello(self, frame: dict[str, Any]) -> None:
        last_id = self._int(frame, "last_id")
        if last_id is None:
            await self.error("bad_last_id", "last_id must be a non-negative integer")
            return
        async with self.db.session() as session:
            missed = await chat.since(session, self.booth.id, last_id, None if self.staff else self.thread.id)  # type: ignore[union-attr]
        for item in missed:
            await self.ws.send_json(item)
        newest = missed[-1]["id"] if missed else last_id
        await self.ws.send_json({"type": "synced", "last_id": newest})

    async def _thread(self, frame: dict[str, Any]) -> ChatThread | None:
        if not self.staff:
            return self.thread
        thread_id = self._int(frame, "thread_id")
        if thread_id is None:
            await self.error("bad_thread", "staff must name the thread_id to answer in")
            return None
        async with self.db.session() as session:
            thread = await session.get(ChatThread, thread_id)
        if thread is None or thread.booth_id != self.booth.id:
            await self.error("bad_thread", "no such conversation at this booth")
            return None
        return thread

    async def send(self, frame: dict[str, Any]) -> None:
        client_id = frame.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or len(client_id) > 64):
            await self.error("bad_client_id", "client_id must be a string of at most 64 characters")
            return
        body = chat.clean_body(frame.get("body"))
        if body is None:
            await self.error("bad_body", f"body must be 1 to {chat.MAX_BODY} characters of text")
            return
        thread = await self._thread(frame)
        if thread is None:
            return
        # The budget is the person's, across their sockets and the server processes.
        if not await self.ws.state.limiter.take(f"chat:{self.user.id}", BURST, RATE):
            await self.error("rate_limited", "too many messages; wait a moment")
            return
        async with self.db.session() as session:
            message = await chat.post(session, thread, self.user, from_staff=self.staff, body=body)
            await session.commit()
            payload = chat.as_message(message, self.user.name)
            # Stored: acknowledge and deliver first, then look who is online for the notice.
            await self.ws.send_json({"type": "ack", "client_id": client_id, "id": message.id, "thread_id": thread.id})
            await self.bus.publish(chat.channel(self.booth.id), payload)
            online = 0 if self.staff else len(await chat.online_staff(session, self.booth.id))
        if not self.staff and online == 0:
            await self.mail_offline_staff()
            await self.ws.send_json({"type": "notice", "code": "staff_offline", "message": self._(OFFLINE)})

    async def mail_offline_staff(self) -> None:
        """No staff online: the booth's staff get the digest mail (booths.digest, at most
        one per booth per settings.chat_digest_minutes)."""
        settings = self.ws.state.settings
        templates = self.ws.state.templates
        async with self.db.session() as session:
            booth = await session.get(Booth, self.booth.id)
            if booth is not None and await digest.staff_offline(  # noqa: SIM102
                session,
                booth,
                minutes=settings.chat_digest_minutes,
                base_url=(settings.public_url or "").rstrip("/"),
                translations=templates.translations,
                default_locale=settings.default_locale,
            ):
                await session.commit()

    async def read(self, frame: dict[str, Any]) -> None:
        last_id = self._int(frame, "last_id")
        if last_id is None:
            await self.error("bad_last_id", "last_id must be a non-negative integer")
            return
        thread = await self._thread(frame)
        if thread is None:
            return
        async with self.db.session() as session:
            await chat.mark_read(session, thread, last_id, staff=self.staff)
            await session.commit()
        if self.staff:
            await self.bus.publish(
                chat.channel(self.booth.id),
                {"type": "read", "thread_id": thread.id, "last_id": last_id},
            )


async def booth_chat(websocket: WebSocket) -> None:
    user = websocket.state.user
    async with websocket.state.db.session() as session:
        booth = await session.get(Booth, websocket.path_params["booth_id"])
        if booth is None or not can_view(user, booth):
            await refuse(websocket, 4404, "not found")
            return
        staff = is_staff(user, booth)
        if not staff and user.role != Role.INVESTOR:
            await refuse(websocket, 4403, "forbidden")
            return
        thread = None if staff else await chat.thread_for(session, booth.id, user.id)
        if staff:
            connection_id = secrets.token_hex(16)
        await session.commit()
    await websocket.accept()
    conn = Connection(websocket, booth, staff, thread)
    bus = websocket.state.bus
    tasks: list[asyncio.Task[None]] = []
    room = await join_room(websocket, conn)
    try:
        if staff:
            conn.id = connection_id
            async with conn.db.session() as session:
                await chat.join(session, conn.id, booth.id, user.id)
                await session.commit()
            await bus.publish(
                chat.channel(booth.id),
                {"type": "presence", "staff_online": await conn.online()},
            )
            tasks.append(asyncio.create_task(conn.heartbeat()))
        await conn.welcome()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                await conn.error("binary", "send JSON text frames")
                continue
            try:
                await conn.handle(raw)
            except WebSocketDisconnect:
                raise
            except Exception:  # noqa: BLE001 - one bad frame must not drop the socket
                log.exception("booth chat: frame failed on booth %s", booth.id)
                await conn.error("server_error", "this frame could not be handled; the connection stays open")
    except WebSocketDisconnect:
        pass
    finally:
        leave_room(websocket, conn, room)
        if conn.sending is not None:
            tasks.append(conn.sending)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if staff:
            # Bounded: a socket closing while the server shuts down must not hold up the
            # shutdown (its presence row expires by heartbeat anyway).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(_leave(conn, bus, booth.id), timeout=LEAVE_TIMEOUT)


async def _leave(conn: Connection, bus: Any, booth_id: int) -> None:
    async with conn.db.session() as session:
        await chat.leave(session, conn.id)
        await session.commit()
    await bus.publish(chat.channel(booth_id), {"type": "presence", "staff_online": await conn.online()})


routes = [ws_route("/ws/booths/{booth_id:int}/chat", booth_chat, allow=ANY_USER)]
