"""``/ws/pitches/{id}``: a pitch's live channel (Q&A, live state, viewer count).

Server → client: ``snapshot`` (on connect: questions, state, whether you host, your votes),
``question`` (new or changed), ``live`` (presenter sending?, viewers, interpretation
languages), ``ended``, ``error`` (``code`` + translated ``message``), ``pong``.
Client → server: ``ask`` {text}, ``vote`` {id}, ``moderate`` {id, state} (hosts), ``ping``.
A reconnecting client gets a fresh ``snapshot`` (the database is the truth; the bus only
delivers). See docs/protocols.md.
"""

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from expo.accounts.roles import EVERYONE
from expo.agenda.models import PitchSession
from expo.web import frames
from expo.web.routing import refuse, ws_route
from i18n import N_
from streaming import pitches, qa
from streaming.registry import channel, registry

log = logging.getLogger("streaming.qa")
MAX_FRAME = 2048


def _error(websocket: WebSocket, code: str, message: str) -> dict[str, Any]:
    text = websocket.state.templates.translations(websocket.state.locale).gettext(message)
    return {"type": "error", "code": code, "message": text}


async def pitch_socket(websocket: WebSocket) -> None:
    pitch_id = websocket.path_params["pitch_id"]
    user = websocket.state.user
    async with websocket.state.db.session() as session:
        pitch = await session.get(PitchSession, pitch_id)
    if pitch is None or not pitches.can_watch(user, pitch):
        await refuse(websocket, 4404 if pitch is None else 4401)
        return
    host = pitches.can_host(user, pitch)
    await websocket.accept()
    bus = websocket.state.bus
    async with bus.subscribe(channel(pitch_id)) as subscription:
        await websocket.send_json(await _snapshot(websocket, pitch_id, host))

        async def forward() -> None:
            async for message in subscription:
                if message.get("type") == "question" and message.get("state") == "hidden" and not host:
                    message = {"type": "removed", "id": message["id"]}
                await websocket.send_json(message)

        forwarder = asyncio.create_task(forward())
        try:
            while True:
                frame = await frames.receive_frame(websocket, MAX_FRAME)
                if frame is None:
                    break
                try:
                    reply = await _handle(websocket, pitch_id, host, frame)
                except WebSocketDisconnect:
                    raise
                except Exception:  # noqa: BLE001 - one bad frame must not drop the socket
                    log.exception("pitch socket: frame failed on pitch %s", pitch_id)
                    reply = _error(websocket, "server_error", N_("The server did not understand this message."))
                if reply is not None:
                    await websocket.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await forwarder


async def _snapshot(websocket: WebSocket, pitch_id: int, host: bool) -> dict[str, Any]:
    async with websocket.state.db.session() as session:
        pitch = await session.get(PitchSession, pitch_id)
        items = await qa.questions(session, pitch_id, with_hidden=host)
        voted = await qa.voted_by(session, pitch_id, websocket.state.user)
    hub = registry(websocket.state).get(pitch_id)
    live = hub.snapshot() if hub else {"pitch_id": pitch_id, "publishing": False, "viewers": 0, "languages": []}
    return {
        "type": "snapshot",
        "state": pitch.state if pitch else "ended",
        "host": host,
        "questions": [qa.as_message(q) for q in items],
        "voted": voted,
        "live": live,
    }


async def _handle(websocket: WebSocket, pitch_id: int, host: bool, parsed: frames.Frame) -> dict[str, Any] | None:
    if parsed.error == "too_large":
        return _error(websocket, "too_large", N_("This message is too long."))
    frame = parsed.data
    if parsed.error or frame.get("type") not in ("ask", "vote", "moderate", "ping"):
        return _error(websocket, "bad_frame", N_("The server did not understand this message."))
    if frame["type"] == "ping":
        return {"type": "pong"}
    user = websocket.state.user
    if user is None:
        return _error(websocket, "sign_in", N_("Sign in to ask or vote."))
    if frame["type"] == "moderate" and not host:
        return _error(websocket, "forbidden", N_("You are not allowed to do this."))
    try:
        async with websocket.state.db.session() as session:
            if frame["type"] == "ask":
                # The person's budget across sockets and processes, taken before the
                # database count (concurrent sockets all saw the same count there).
                key = f"qa:{pitch_id}:{user.id}"
                text = " ".join(str(frame.get("text", "")).split())
                valid = 0 < len(text) <= qa.MAX_LENGTH  # a refused text spends nothing
                per_second = qa.RATE_COUNT / qa.RATE_WINDOW.total_seconds()
                if valid and not await websocket.state.limiter.take(key, qa.RATE_COUNT, per_second):
                    raise qa.QAError(
                        "rate_limited", N_("You have asked several questions just now; please wait a minute.")
                    )
                question = await qa.ask(session, pitch_id, user, str(frame.get("text", "")))
            else:
                question_id = frames.int_field(frame, "id")
                if question_id is None:
                    return _error(websocket, "bad_frame", N_("The server did not understand this message."))
                if frame["type"] == "vote":
                    question = await qa.vote(session, pitch_id, question_id, user)
                else:
                    question = await qa.moderate(session, pitch_id, question_id, str(frame.get("state")))
            message = qa.as_message(question)
    except qa.QAError as exc:
        return _error(websocket, exc.code, exc.message)
    await websocket.state.bus.publish(channel(pitch_id), message)
    if frame["type"] == "vote":
        return {"type": "voted", "id": message["id"]}
    return None


routes = [ws_route("/ws/pitches/{pitch_id:int}", pitch_socket, allow=EVERYONE)]
