"""``/ws/meetings/{id}``: signaling for a meeting room (browsers connect peer to peer; the
server only relays their messages, through the bus, so the participants may be on
different server processes).

Client → server: ``join`` {last_chat_id?}, ``offer``/``answer`` {to, sdp}, ``candidate``
{to, candidate}, ``chat`` {text}, ``stats`` {connection: direct|relayed}, ``ping``, ``leave``.
Server → client: ``welcome`` (your peer id, who is in, ICE servers with short-lived TURN
credentials, the times, the chat so far), ``joined``/``left`` (another participant),
``offer``/``answer``/``candidate`` {from, …}, ``chat``, ``pong``, ``replaced`` (you joined
again elsewhere), ``error`` {code, message} — the socket and the call survive an error.
The socket is closed with 4401 (signed out), 4403 (not in this meeting), 4404 (no such
meeting), 4409 (the room is not open: the error frame before says why) or 4429 (full).
See docs/protocols.md for an example session.
"""

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from expo.accounts.roles import ANY_USER
from expo.web import frames
from expo.web.routing import ws_route
from i18n import N_
from streaming import rooms, turn

MAX_FRAME = 64 * 1024
RELAYED = ("offer", "answer", "candidate")
TYPES = ("join", "ping", "leave", "chat", "stats", *RELAYED)
HEARTBEAT_EVERY = 15.0
log = logging.getLogger("expo.rooms")


def channel(meeting_id: int) -> str:
    return f"room:{meeting_id}"


def _error(websocket: WebSocket, code: str, message: str, **extra: Any) -> dict[str, Any]:
    text = websocket.state.templates.translations(websocket.state.locale).gettext(message)
    return {"type": "error", "code": code, "message": text, **extra}


def _peer(presence_peer: str, member: rooms.Member) -> dict[str, Any]:
    return {
        "peer_id": presence_peer,
        "user_id": member.user_id,
        "name": member.name,
        "side": member.side,
        "timezone": member.timezone,
        "guest": member.guest,
    }


class Participant:
    """One socket's side of the room: its peer id once joined, the peers it knows of."""

    def __init__(self, websocket: WebSocket, room: rooms.Room) -> None:
        self.websocket = websocket
        self.room = room
        self.peer_id: str | None = None
        self.known: dict[str, dict[str, Any]] = {}
        self.send_lock = asyncio.Lock()
        self.replaced = False
        self.pending: list[dict[str, Any]] | None = None

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.websocket.state.db

    @property
    def bus(self):  # type: ignore[no-untyped-def]
        return self.websocket.state.bus

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_json(message)

    async def deliver(self, message: dict[str, Any]) -> None:
        """A bus message of this room: pass on what concerns this participant."""
        if self.peer_id is None or message.get("from") == self.peer_id:
            return
        to = message.get("to")
        if to is not None and to != self.peer_id:
            return
        if self.pending is not None:  # joined, welcome not sent yet: keep the order
            self.pending.append(message)
            return
        kind = message.get("type")
        if kind == "joined":
            self.known[message["from"]] = message["peer"]
        elif kind == "left":
            self.known.pop(message["from"], None)
        elif kind == "replace" and message.get("peer") == self.peer_id:
            self.replaced = True
            self.peer_id = None
            await self.send({"type": "replaced"})
            await self.websocket.close(code=4000 + 409)
            return
        elif kind in RELAYED and message["from"] not in self.known:
            self.known[message["from"]] = {"peer_id": message["from"]}
        if kind != "replace":
            await self.send(message)

    async def handle(self, parsed: frames.Frame) -> dict[str, Any] | None:
        """One frame as ``frames.receive_frame`` read it (binary, oversized, non-JSON and lone
        surrogates arrive as ``parsed.error`` and get an error frame, like on every socket)."""
        ws = self.websocket
        if parsed.error == "too_large":
            return _error(ws, "too_large", N_("This message is too long."))
        frame = parsed.data
        if parsed.error or frame.get("type") not in TYPES:
            return _error(ws, "bad_frame", N_("The server did not understand this message."))
        kind = frame["type"]
        if kind == "ping":
            return {"type": "pong"}
        if kind == "join":
            return await self.join(frame)
        if self.peer_id is None:
            return _error(ws, "not_joined", N_("Join the room first."))
        if kind == "leave":
            await self.leave()
            return {"type": "bye"}
        if kind == "chat":
            return await self.chat(frame)
        if kind == "stats":
            try:
                async with self.db.session() as session:
                    await rooms.report_connection(session, self.peer_id, frame.get("connection"))
            except rooms.RoomError as exc:
                return _error(ws, exc.code, exc.message)
            return None
        return await self.relay(kind, frame)

    async def join(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        if self.peer_id is not None:
            return _error(self.websocket, "already_joined", N_("You are in the room already."))
        last_chat = frames.int_field(frame, "last_chat_id") or 0  # 2^63 overflowed SQLite
        peer_id = secrets.token_urlsafe(12)
        async with self.db.session() as session:
            try:
                joined = await rooms.join(session, self.room, peer_id)
            except rooms.RoomError as exc:
                await self.send(
                    _error(
                        self.websocket,
                        exc.code,
                        exc.message,
                        opens_at=self.room.opens_at.isoformat(),
                        closes_at=self.room.closes_at.isoformat(),
                    )
                )
                await self.websocket.close(code=4000 + exc.status)
                return None
            history = await rooms.messages(session, self.room.meeting_id, after_id=last_chat)
        members = {m.user_id: m for m in self.room.members}
        self.known = {
            p.peer_id: _peer(p.peer_id, members.get(p.user_id, rooms.Member(p.user_id, "", "UTC", p.side)))
            for p in joined.others
        }
        self.peer_id = peer_id
        self.pending = []  # what arrives before the welcome is sent goes out after it
        me = _peer(peer_id, self.room.me)
        for old in joined.replaced:
            await self.bus.publish(channel(self.room.meeting_id), {"type": "replace", "from": peer_id, "peer": old})
            await self.bus.publish(channel(self.room.meeting_id), {"type": "left", "from": old, "reason": "replaced"})
        await self.bus.publish(channel(self.room.meeting_id), {"type": "joined", "from": peer_id, "peer": me})
        settings = self.websocket.state.settings
        welcome = {
            "type": "welcome",
            "peer_id": peer_id,
            "me": me,
            "peers": list(self.known.values()),
            "ice_servers": turn.ice_servers(settings, f"u{self.room.me.user_id}"),
            "starts_at": self.room.access.starts_at.isoformat(),
            "ends_at": self.room.access.ends_at.isoformat(),
            "closes_at": self.room.closes_at.isoformat(),
            "held": joined.held_now,
            "chat": [rooms.as_message(m) for m in history],
        }
        await self.send(welcome)
        waiting, self.pending = self.pending, None
        for message in waiting:
            await self.deliver(message)
        return None

    async def relay(self, kind: str, frame: dict[str, Any]) -> dict[str, Any] | None:
        to = frame.get("to")
        if not isinstance(to, str) or to == self.peer_id:
            return _error(self.websocket, "bad_frame", N_("The server did not understand this message."))
        if to not in self.known:
            return _error(self.websocket, "gone", N_("This participant has left the room."), to=to)
        message: dict[str, Any] = {"type": kind, "from": self.peer_id, "to": to}
        if kind == "candidate":
            candidate = frame.get("candidate")
            if candidate is not None and not isinstance(candidate, dict):
                return _error(self.websocket, "bad_frame", N_("The server did not understand this message."))
            message["candidate"] = candidate
        else:
            sdp = frame.get("sdp")
            if not isinstance(sdp, str) or not sdp.startswith("v=0"):
                return _error(self.websocket, "bad_frame", N_("The server did not understand this message."))
            message["sdp"] = sdp
        await self.bus.publish(channel(self.room.meeting_id), message)
        return None

    async def chat(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        try:
            async with self.db.session() as session:
                stored = await rooms.post(session, self.room, frame.get("text"))
                message = rooms.as_message(stored)
        except rooms.RoomError as exc:
            return _error(self.websocket, exc.code, exc.message)
        # Stored first, then published to everyone (the writer included: its echo is the ack).
        await self.bus.publish(channel(self.room.meeting_id), {**message, "from": None})
        return None

    async def leave(self) -> None:
        if self.peer_id is None:
            return
        peer_id, self.peer_id = self.peer_id, None
        async with self.db.session() as session:
            await rooms.leave(session, peer_id)
        await self.bus.publish(channel(self.room.meeting_id), {"type": "left", "from": peer_id})


class Heartbeats:
    """One presence beat per process for all its joined sockets (a single UPDATE every
    ``HEARTBEAT_EVERY`` seconds, not one per socket). Lives in the app's state; its task runs
    only while this process has participants, and ends by itself after the last one."""

    KEY = "streaming.room_heartbeats"

    def __init__(self, db: Any) -> None:
        self.db = db
        self.participants: set[Participant] = set()
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, websocket: WebSocket) -> "Heartbeats":
        cache: dict[str, Any] = websocket.state.cache
        found = cache.get(cls.KEY)
        if found is None:
            found = cache[cls.KEY] = cls(websocket.state.db)
        return found  # type: ignore[no-any-return]

    def track(self, participant: Participant) -> None:
        if participant.peer_id is None:
            return
        self.participants.add(participant)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="room-heartbeats")

    def forget(self, participant: Participant) -> None:
        self.participants.discard(participant)

    async def _run(self) -> None:
        while self.participants:
            await asyncio.sleep(HEARTBEAT_EVERY)
            ids = [p.peer_id for p in tuple(self.participants) if p.peer_id is not None]
            if ids:
                try:
                    async with self.db.session() as session:
                        await rooms.heartbeat(session, ids)
                except Exception:  # noqa: BLE001 - a failed beat is retried at the next one
                    log.warning("room heartbeat failed", exc_info=True)


async def room_socket(websocket: WebSocket) -> None:
    meeting_id = websocket.path_params["meeting_id"]
    async with websocket.state.db.session() as session:
        try:
            room = await rooms.load(session, meeting_id, websocket.state.user)
        except rooms.RoomError as exc:
            refusal = exc
        else:
            refusal = None
    await websocket.accept()  # accepted first, so that browsers see the close code
    if refusal is not None:
        await websocket.close(code=4000 + refusal.status, reason=refusal.code)
        return
    participant = Participant(websocket, room)
    async with websocket.state.bus.subscribe(channel(meeting_id)) as subscription:

        async def forward() -> None:
            async for message in subscription:
                await participant.deliver(message)

        tasks = [asyncio.create_task(forward())]
        beats = Heartbeats.of(websocket)
        try:
            while True:
                parsed = await frames.receive_frame(websocket, MAX_FRAME)
                if parsed is None:
                    break
                try:
                    reply = await participant.handle(parsed)
                except WebSocketDisconnect:
                    raise
                except Exception:  # noqa: BLE001 - one bad frame must not drop the socket
                    log.exception("room socket: frame failed in meeting %s", meeting_id)
                    reply = _error(websocket, "server_error", N_("The server did not understand this message."))
                beats.track(participant)
                if reply is not None:
                    await participant.send(reply)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            beats.forget(participant)
            with contextlib.suppress(Exception):
                await asyncio.shield(participant.leave())


routes = [ws_route("/ws/meetings/{meeting_id:int}", room_socket, allow=ANY_USER)]
