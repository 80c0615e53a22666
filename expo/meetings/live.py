"""The notification bell over ``/ws/live``: for a signed-in user the socket also carries
``{"type": "notifications", "unread": N}``, once when it opens and again whenever the
user's channel is pinged (a notification was written, or the user read them)."""

from starlette.websockets import WebSocket

from .notify import CHANNEL, unread_count


async def bell(websocket: WebSocket) -> None:
    """Runs until cancelled (the socket's lifetime); does nothing for anonymous visitors."""
    user = getattr(websocket.state, "user", None)
    if user is None:
        return
    async with websocket.state.bus.subscribe(CHANNEL.format(user.id)) as subscription:
        await _send(websocket, user.id)
        async for _message in subscription:
            await _send(websocket, user.id)


async def _send(websocket: WebSocket, user_id: int) -> None:
    async with websocket.state.db.session() as session:
        unread = await unread_count(session, user_id)
    await websocket.send_json({"type": "notifications", "unread": unread})
