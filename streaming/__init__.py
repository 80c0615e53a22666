"""Live pitch sessions over WebRTC: WHIP/WHEP signaling, the aiortc media hub that encodes
once for every viewer, recording and replay, Q&A (see docs/streaming.md).

Layers: ``models`` (tables) → ``pitches``, ``qa``, ``tokens`` (rules) and ``hub``,
``fanout``, ``encoders``, ``recorder`` (media) → ``registry`` (the app's hubs) →
``signaling``, ``qa_socket``, ``views`` (HTTP and WebSocket). 1:1 meeting rooms:
``rooms`` (rules), ``turn`` (TURN credentials), ``room_socket`` (signaling),
``room_views``, ``room_figures``; ``room_client`` is an aiortc participant. Exports ``routes`` and
``with_replay`` (which pitches can be replayed, for pages of other packages; a replay plays
from ``/pitches/{id}/replay.webm``).
"""

from starlette.routing import BaseRoute

from streaming import qa_socket, room_socket, room_views, signaling, views
from streaming.pitches import with_replay

routes: list[BaseRoute] = [
    *signaling.routes,
    *qa_socket.routes,
    *views.routes,
    *room_socket.routes,
    *room_views.routes,
]

__all__ = ["routes", "with_replay"]
