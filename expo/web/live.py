"""``/ws/live``: the socket every page opens for live expo-wide messages (announcements).

Protocol (docs/protocols.md): the client may send ``{"type": "hello", "last_id": N}`` to
get what it missed; the server sends ``{"type": "announcement", "id", "text", "at"}`` with
``text`` already in the visitor's language, ``{"type": "notifications", "unread"}`` to a
signed-in user (the meetings bell, ``expo.meetings.bell``), and ``{"type": "error", "message"}`` for a bad
frame (the socket stays open).
"""

import asyncio
import contextlib
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from expo import announcements, meetings
from expo.accounts.roles import EVERYONE
from expo.web import frames
from expo.web.routing import ws_route
from i18n import pick

MAX_FRAME = 4096


def _localized(message: dict[str, Any], websocket: WebSocket) -> dict[str, Any]:
    chosen = pick(message["text"], websocket.state.locale, websocket.state.settings.default_locale)
    return {**message, "text": chosen.text, "lang": chosen.locale}


async def live(websocket: WebSocket) -> None:
    await websocket.accept()
    bus = websocket.state.bus
    async with bus.subscribe(announcements.CHANNEL) as subscription:

        async def forward() -> None:
            async for message in subscription:
                await websocket.send_json(_localized(message, websocket))

        forwarder = asyncio.create_task(forward())
        bell = asyncio.create_task(meetings.bell(websocket))  # the notification bell (expo.meetings)
        try:
            while True:
                frame = await frames.receive_frame(websocket, MAX_FRAME)
                if frame is None:
                    break
                await _handle(websocket, frame)
        except WebSocketDisconnect:
            pass
        finally:
            for task in (forwarder, bell):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _handle(websocket: WebSocket, parsed: frames.Frame) -> None:
    if parsed.error:
        await websocket.send_json({"type": "error", "code": parsed.error, "message": parsed.message})
        return
    frame = parsed.data
    if frame.get("type") not in ("hello", "ping"):
        await websocket.send_json({"type": "error", "message": "unknown frame type; expected hello or ping"})
        return
    if frame["type"] == "ping":
        await websocket.send_json({"type": "pong"})
        return
    if "last_id" not in frame:  # a first visit: no backlog, the newest id and (for the banner) the latest
        async with websocket.state.db.session() as session:
            newest = await announcements.newest_id(session)
            latest = await announcements.since(session, newest - 1, limit=1) if newest else []
        welcome: dict[str, Any] = {"type": "welcome", "last_id": newest}
        if latest:
            welcome["latest"] = _localized(announcements.as_message(latest[0]), websocket)
        await websocket.send_json(welcome)
        return
    last_id = frames.int_field(frame, "last_id")
    if last_id is None:
        await websocket.send_json({"type": "error", "message": "last_id must be a non-negative integer"})
        return
    async with websocket.state.db.session() as session:
        missed = await announcements.since(session, last_id)
    for item in missed:
        await websocket.send_json(_localized(announcements.as_message(item), websocket))


routes = [ws_route("/ws/live", live, allow=EVERYONE)]
